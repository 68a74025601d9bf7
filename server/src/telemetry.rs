//! Structured logs through `tracing`.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber with `filter` (e.g. `info,powerbeacon=debug`)
/// writing `format` lines to stderr.
///
/// A filter that does not parse falls back to `info` with a warning, rather
/// than refusing to start.
pub fn init(filter: &str, format: LogFormat) {
    let (env_filter, bad_filter) = match EnvFilter::try_new(filter) {
        Ok(parsed) => (parsed, None),
        Err(error) => (EnvFilter::new("info"), Some(error)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Some(error) = bad_filter {
        tracing::warn!(%error, filter, "ignoring the log filter; using `info`");
    }
}

/// Sends panics to the log as errors (with the thread and the place), so a
/// bug that answered one request with 500 is seen in any log collector.
/// Each line holds "panicked at", which the browser tests look for.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed");
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let location = info
            .location()
            .map_or_else(|| "an unknown place".to_string(), ToString::to_string);
        tracing::error!(thread, "panicked at {location}: {message}");
    }));
}
