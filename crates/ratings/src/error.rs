//! Everything a rating call can fail with, as plain values: the [`Fault`]s every service shares
//! and the causes that are this crate's own. The face maps them to gRPC statuses
//! (`rpc/error.rs`); nothing here knows about the transport.

use mediation_api::Fault;
use mediation_appointments::domain::AppointmentStatus;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid fields, a missing or forbidden resource, a store failure.
    #[error(transparent)]
    Fault(#[from] Fault),
    /// The rater has already rated this session's mediator (one rating per session, mediator
    /// and rater; a lost race on the unique constraint lands here too).
    #[error("you have already rated this session's mediator; update that rating instead")]
    AlreadyRated,
    /// Only COMPLETED sessions are rated; the reason names the session's state.
    #[error("only COMPLETED sessions are rated; this one is {}", .0.as_str())]
    NotCompleted(AppointmentStatus),
    /// The author's window for changing a rating has passed.
    #[error("ratings can be changed for {days} days")]
    EditWindowClosed { days: i64 },
}

impl From<mediation_store::Error> for Error {
    fn from(err: mediation_store::Error) -> Self {
        Error::Fault(Fault::Store(err))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        if mediation_store::is_unique_violation(&err) { Error::AlreadyRated } else { Error::Fault(err.into()) }
    }
}
