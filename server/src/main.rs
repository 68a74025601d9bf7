//! The `powerbeacon` binary: parse the configuration, then run the server.

use std::process::ExitCode;

use clap::Parser;
use powerbeacon::{Application, Config, telemetry};

fn main() -> ExitCode {
    keep_memory_returnable();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts")
        .block_on(serve())
}

/// glibc's allocator raises its mmap threshold to the largest block freed so
/// far: after a burst of sign-ins each blocking thread's arena kept a 19 MiB
/// Argon2 block (440 MiB after 200 sign-ins), and large listings left their
/// buffers behind. A fixed threshold (large blocks come from, and go back
/// to, the system) and a regular trim keep the server's memory near what it
/// uses (docs/ARCHITECTURE.md, "Memory"). The arenas stay glibc's (one per
/// thread, up to eight per core): held to two, SQLite's worker threads and
/// the runtime's fought over their locks, which cost a list of 1 000
/// devices a third of its CPU.
fn keep_memory_returnable() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters, and runs before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    // Free pages inside the arenas (a listing's buffers) go back every few
    // seconds; the walk over every arena takes well under a millisecond.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(|| {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(2));
                // SAFETY: malloc_trim is thread-safe and only releases free memory.
                unsafe {
                    libc::malloc_trim(0);
                }
            }
        })
        .expect("a thread starts");
}

async fn serve() -> ExitCode {
    let config = Config::parse();
    telemetry::init(&config.log, config.log_format);
    telemetry::log_panics();
    // Before the port opens: a stop request while starting stops gracefully.
    let shutdown = powerbeacon::startup::shutdown_signal();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            // One line that says what to fix; the log has the rest.
            eprintln!("powerbeacon: error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("powerbeacon: error: {error}");
            ExitCode::FAILURE
        }
    }
}
