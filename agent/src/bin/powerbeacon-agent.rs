//! `powerbeacon-agent`: see [`powerbeacon_agent::cli`].

fn main() -> std::process::ExitCode {
    powerbeacon_agent::cli::main()
}
