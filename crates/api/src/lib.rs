//! The public gRPC contract: code generated from `proto/`, the encoded file descriptor set for
//! server reflection, and the builders every service uses to turn its errors into a
//! `tonic::Status` with rich details. Nothing here knows about storage or business rules.

pub mod paging;
pub mod status;

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
}

pub use mediation::{appointments, audit, directory, dispatch, identity, ratings};

/// Vendored `google.type` messages (LatLng, DayOfWeek, TimeOfDay, Date).
pub mod google {
    pub mod r#type {
        tonic::include_proto!("google.r#type");
    }
}
