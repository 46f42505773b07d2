use tracing_subscriber::EnvFilter;

use crate::settings::Log;

/// Installs the global subscriber; `RUST_LOG`, when set, overrides `log.filter`.
pub fn init(log: &Log) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.filter));
    // Colour codes only on a terminal: a log file or a collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = if log.json { builder.json().try_init() } else { builder.try_init() };
}
