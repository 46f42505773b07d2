//! The public gRPC contract: code generated from `proto/`, the encoded file descriptor set for
//! server reflection, and the builders every service uses to turn its errors into a
//! `tonic::Status` with rich details. Nothing here knows about storage or business rules.

pub mod status;

/// Every file of the API (and its imports), encoded, for tonic-reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mediation_descriptor.bin"));

pub mod identity {
    pub mod v1 {
        tonic::include_proto!("mediation.identity.v1");
    }
}
