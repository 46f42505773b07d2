//! The identity service: resident registration and phone verification, staff accounts, kiosks,
//! login, and refresh-token families. It owns the `accounts`, `phone_codes`, `refresh_tokens`
//! and `signing_keys` tables and no others.
//!
//! Access tokens are signed here and verified by the gateway with the same [`TokenKeys`];
//! this crate never checks a token itself.

pub mod domain;
mod error;
mod policy;
pub mod repo;
mod rpc;
mod service;

pub use error::{Error, Result, to_status};
pub use policy::POLICY;
pub use service::{Identity, IdentitySettings, SiteLookup, SiteRef, create_admin, load_signing_key};

pub use mediation_auth::TokenKeys;
