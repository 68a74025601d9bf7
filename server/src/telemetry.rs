//! Structured logs through `tracing`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber with `filter` (e.g. `info,powerbeacon=debug`).
///
/// A filter that does not parse falls back to `info` with a warning, rather
/// than refusing to start.
pub fn init(filter: &str) {
    let (env_filter, bad_filter) = match EnvFilter::try_new(filter) {
        Ok(parsed) => (parsed, None),
        Err(error) => (EnvFilter::new("info"), Some(error)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_target(true)
        .try_init();
    if let Some(error) = bad_filter {
        tracing::warn!(%error, filter, "ignoring the log filter; using `info`");
    }
}
