//! The one server binary, `mediation`: reads the settings, opens and migrates the database,
//! builds every service, and serves them behind one stack of layers (CORS and grpc-web, request
//! id and tracing span, the auth check, timeouts and size limits) with health and reflection.
//!
//! Business rules live in the service crates; this crate only composes them.

mod auth_layer;
mod deadline;
pub mod demo;
pub mod settings;
mod startup;
pub mod telemetry;

pub use settings::Settings;
pub use startup::{Application, open_database as startup_db, policy_table};
