use tracing_subscriber::EnvFilter;

use crate::settings::Log;

/// Installs the global subscriber; `RUST_LOG`, when set, overrides `log.filter`.
pub fn init(log: &Log) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if log.json { builder.json().try_init() } else { builder.try_init() };
}
