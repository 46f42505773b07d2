//! Everything an audit call can fail with, as plain values: only the [`Fault`]s every service
//! shares. The face maps them to gRPC statuses (`rpc.rs`).

use mediation_api::{Fault, Violations};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Fault(#[from] Fault),
}

impl From<Violations> for Error {
    fn from(violations: Violations) -> Self {
        Error::Fault(violations.into())
    }
}

impl From<mediation_store::Error> for Error {
    fn from(err: mediation_store::Error) -> Self {
        Error::Fault(err.into())
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        Error::Fault(err.into())
    }
}
