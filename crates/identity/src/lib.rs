//! The identity service: resident registration and phone verification, staff accounts, kiosks,
//! login, and refresh-token families. It owns the `accounts`, `phone_codes`, `refresh_tokens`
//! and `signing_keys` tables and no others.
//!
//! Its layers, each using only those below it: `rpc/` is the gRPC face, the only code that knows
//! tonic and prost (`mod.rs` holds the `IdentityService` handlers, a few lines each; `accounts`,
//! `codes`, `tokens` and `kiosks` parse requests into plain ones naming every bad field and encode
//! answers; `error` maps [`Error`] to statuses). `service/` holds the flows on plain types, split
//! by concern (`accounts`, `codes`, `sessions`, `staff`, `kiosks`), each running its reads and
//! writes in one transaction. [`domain`] holds the pure rules (passwords, logins, codes, limits,
//! who may disable or create whom), [`repo`] the SQL, one module per table. [`Error`] wraps the
//! shared [`mediation_api::Fault`]s beside identity's own causes.
//!
//! Access tokens are signed here and verified by the gateway with the same [`TokenKeys`];
//! this crate never checks a token itself.

pub mod domain;
mod error;
mod policy;
pub mod repo;
mod rpc;
mod service;

pub use error::{Error, Result};
pub use policy::POLICY;
pub use rpc::to_status;
pub use service::{
    CodeRefused, Identity, IdentitySettings, SiteLookup, SiteRef, code_budget_refusals, create_admin, load_signing_key,
    take_phone_code,
};

pub use mediation_auth::TokenKeys;
pub use mediation_notify::Notifier;
