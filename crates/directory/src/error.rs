//! Everything a directory call can fail with, as plain values: the [`Fault`]s every service
//! shares, and the causes that are the directory's own. The face (`rpc::error`) turns them
//! into gRPC statuses; nothing here knows about the transport.

use std::fmt;

use mediation_api::Fault;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid fields (each named), a missing or forbidden resource, or the store failing.
    #[error(transparent)]
    Fault(#[from] Fault),
    /// The account named by `mediator.account_id` already has a profile.
    #[error("that account already has a mediator profile")]
    AccountLinked,
}

impl From<mediation_store::Error> for Error {
    fn from(err: mediation_store::Error) -> Self {
        Error::Fault(Fault::Store(err))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        Error::Fault(Fault::from(err))
    }
}

/// One invalid field, named as the request names it (`site.parent_id`).
pub(crate) fn invalid(field: &str, description: impl fmt::Display) -> Error {
    Error::Fault(Fault::invalid(field, description))
}
