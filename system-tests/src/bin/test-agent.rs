//! The agent program under test: the same code as the `powerbeacon-agent`
//! binary ([`powerbeacon_agent::cli`]), built inside this package so that
//! the tests here can start it.

fn main() -> std::process::ExitCode {
    powerbeacon_agent::cli::main()
}
