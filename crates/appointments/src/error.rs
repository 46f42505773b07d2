//! What an appointment call can fail with, as plain values: the failures every service shares
//! ([`Fault`]) and the one that is this service's own. The gRPC face maps them to statuses
//! (`rpc/error.rs`).

use mediation_api::Fault;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Fault(#[from] Fault),
    /// Another booking holds one of the session's mediators or its room for an overlapping time:
    /// `held` names which (`mediator:<id>`, `room:<id>`) when the check found it, and is None
    /// when the database's constraint caught a booking racing this one.
    #[error("that time was taken by another booking; search again")]
    SlotTaken { held: Option<String> },
    /// The station already has a case with that 110 incident number.
    #[error("police_incident_id: this station already has a case with that 110 incident number")]
    IncidentTaken,
    /// A SIGN_AGREEMENT code was wrong, used or expired (a wrong one was counted).
    #[error("code: the code is wrong, used or expired; ask for a new one")]
    CodeNotAccepted,
    /// A document could not be rendered.
    #[error("the document could not be rendered: {0}")]
    Document(#[from] mediation_document::Error),
    /// The video system could not issue a join link.
    #[error("the video join link could not be issued: {0}")]
    Video(#[from] mediation_video::VideoError),
}

impl From<mediation_store::Error> for Error {
    fn from(err: mediation_store::Error) -> Self {
        Error::Fault(Fault::Store(err))
    }
}

/// A query error; the database refusing a second hold on a resource is [`Error::SlotTaken`].
impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        if crate::repo::is_overlap(&err) { Error::SlotTaken { held: None } } else { Error::Fault(err.into()) }
    }
}
