//! What a dispatch call can fail with, as plain values: the [`Fault`]s every service shares
//! beside the causes that are this crate's own. The face (`rpc::error`) maps them to gRPC.

use mediation_api::Fault;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid fields, not found, forbidden, a state that does not allow it, the store.
    #[error(transparent)]
    Fault(#[from] Fault),
    #[error("{0}")]
    AlreadyExists(&'static str),
    /// A crew mediator is already on another van or in a station session at that time.
    #[error("a crew mediator is taken at that time: {0}")]
    CrewTaken(String),
    #[error("the planner failed: {0}")]
    Planner(String),
    /// The caller already holds as many watch streams as one principal may.
    #[error("you already have {0} streams open; close one first")]
    TooManyStreams(usize),
}

impl From<mediation_store::Error> for Error {
    fn from(err: mediation_store::Error) -> Self {
        Error::Fault(Fault::Store(err))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        if crate::repo::is_crew_overlap(&err) {
            Error::CrewTaken("the database refused a second van at an overlapping time".into())
        } else {
            Error::Fault(err.into())
        }
    }
}

/// What the appointment crate's flows (the caller's [`Viewer`](mediation_appointments::domain::access::Viewer))
/// fail with. It still carries a finished status for invalid fields, of which only the text is
/// kept; the viewer never fails validation.
impl From<mediation_appointments::Error> for Error {
    fn from(err: mediation_appointments::Error) -> Self {
        use mediation_appointments::Error as A;
        match err {
            A::Fault(fault) => Error::Fault(fault),
            A::SlotTaken => Error::CrewTaken("a station session".into()),
        }
    }
}
