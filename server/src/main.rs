//! The `powerbeacon` binary: parse the configuration, then run the server.

use std::process::ExitCode;

use clap::Parser;
use powerbeacon::{Application, Config, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    telemetry::init(&config.log, config.log_format);
    telemetry::log_panics();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            // One line that says what to fix; the log has the rest.
            eprintln!("powerbeacon: error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("powerbeacon: error: {error}");
            ExitCode::FAILURE
        }
    }
}
