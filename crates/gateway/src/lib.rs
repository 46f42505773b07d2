//! The one server binary, `mediation`: reads the settings, opens and migrates the database,
//! builds every service, and serves them behind one stack of layers (CORS and grpc-web, request
//! id and tracing span, metrics, the auth check, field behaviour, timeouts and size limits) with health and
//! reflection, over TLS when given a certificate. A process may serve only some services and
//! forward others to the processes that serve them (`services`, `upstream`); Prometheus metrics
//! go out on a listener of their own (`metrics`).
//!
//! Business rules live in the service crates; this crate only composes them.

mod auth_layer;
mod behavior_layer;
mod client_addr;
mod consoles;
mod deadline;
pub mod demo;
mod metrics;
mod oversize;
mod peer_limit;
mod privacy_keys;
pub mod rekey;
pub mod services;
pub mod settings;
mod startup;
mod stream_limit;
pub mod telemetry;
mod upstream;

pub use settings::Settings;
pub use startup::{Application, open_database as startup_db, policy_table, verify_audit};
