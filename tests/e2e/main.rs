//! End-to-end tests: each starts the real gateway on a free port with a fresh database and talks
//! to it through the generated clients. Tests that touch storage run twice, on SQLite and on
//! PostgreSQL (when `MEDIATION_TEST_POSTGRES_URL` names a server; otherwise that half prints
//! that it was skipped).

mod accounts;
mod agreements;
mod appointments;
mod audit;
mod common;
mod consoles;
mod contract;
mod demo;
mod directory;
mod dispatch;
mod dispatch_security;
mod hostile;
mod identity;
mod limits;
mod matrix;
mod metrics;
mod participation;
mod privacy;
mod ratings;
mod relay;
mod schedule;
mod server;
mod sms;
mod station;
mod tls;
mod upstream;
mod video;
mod visits;
mod whistle;
