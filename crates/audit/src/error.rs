use mediation_api::status::{self, reason};
use tonic::{Code, Status};

/// Everything an audit call can fail with; [`to_status`] turns them into gRPC statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field failed validation; already a complete status.
    #[error("invalid request: {}", .0.message())]
    Invalid(Status),
    #[error(transparent)]
    Store(#[from] mediation_store::Error),
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        Error::Store(err.into())
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        to_status(err)
    }
}

pub fn to_status(err: Error) -> Status {
    let message = err.to_string();
    match err {
        Error::Invalid(status) => status,
        Error::Store(mediation_store::Error::Checkout(_)) => {
            tracing::error!(error = %message, "database busy");
            status::with_reason(Code::Unavailable, reason::UNAVAILABLE, "the database is busy; retry")
        }
        Error::Store(_) => {
            tracing::error!(error = %message, "audit call failed");
            status::internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn codes_and_reasons() {
        let invalid = to_status(Error::Invalid(status::invalid_field("action", "no")));
        assert_eq!(invalid.code(), Code::InvalidArgument);
        let internal = to_status(Error::Store(mediation_store::Error::Migration("secret detail".into())));
        assert_eq!(internal.code(), Code::Internal);
        assert_eq!(internal.get_error_details().error_info().unwrap().reason, reason::INTERNAL);
        assert!(!internal.message().contains("secret"));
    }
}
