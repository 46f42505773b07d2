//! The public gRPC contract and its edge: code generated from `proto/`, the encoded file
//! descriptor set for server reflection, and what every service face shares to cross between
//! the wire and plain Rust: the [`Fault`]s every service can fail with and their one mapping to
//! `tonic::Status` (`status`), [`Violations`] that name each bad field, the conversions of
//! timestamps, dates, masks and texts (`convert`), paging, the verified caller, and idempotent
//! replay of recorded responses. Nothing here holds business rules; service and domain code use
//! only its plain types (`Fault`, `Violations`), never the transport ones.

pub mod behavior;
pub mod caller;
pub mod convert;
pub mod descriptor;
pub mod fault;
pub mod idempotent;
pub mod paging;
pub mod status;
pub mod violations;

pub use caller::caller;
pub use fault::Fault;
pub use violations::Violations;
/// Every file of the API (and its imports), encoded, for tonic-reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mediation_descriptor.bin"));

/// Generated code, nested as the proto packages are so that cross-package references resolve.
pub mod mediation {
    pub mod identity {
        pub mod v1 {
            tonic::include_proto!("mediation.identity.v1");
        }
    }

    pub mod directory {
        pub mod v1 {
            tonic::include_proto!("mediation.directory.v1");
        }
    }

    pub mod appointments {
        pub mod v1 {
            tonic::include_proto!("mediation.appointments.v1");
        }
    }

    pub mod ratings {
        pub mod v1 {
            tonic::include_proto!("mediation.ratings.v1");
        }
    }

    pub mod dispatch {
        pub mod v1 {
            tonic::include_proto!("mediation.dispatch.v1");
        }
    }

    pub mod audit {
        pub mod v1 {
            tonic::include_proto!("mediation.audit.v1");
        }
    }

    /// Options every service shares: `MethodAccess`, the `(mediation.v1.access)` on each rpc.
    pub mod v1 {
        tonic::include_proto!("mediation.v1");
    }
}

pub use mediation::{appointments, audit, directory, dispatch, identity, ratings};

/// Vendored `google.type` messages (LatLng, DayOfWeek, TimeOfDay, Date).
pub mod google {
    pub mod r#type {
        tonic::include_proto!("google.r#type");
    }
}
