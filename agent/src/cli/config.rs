//! Every setting of the agent, from flags or environment variables.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// The PowerBeacon agent: registers with the server, heartbeats, and sends
/// Wake-on-LAN packets on its LAN when the server asks.
///
/// Every option can also be set through the environment variable named in brackets.
#[derive(Clone, Parser)]
#[command(name = "powerbeacon-agent", version, about, long_about)]
pub struct Config {
    /// The PowerBeacon server, e.g. `http://powerbeacon.lan:3000`.
    #[arg(long, env = "BACKEND_URL", value_parser = parse_server_url)]
    pub server_url: url::Url,

    /// Port the agent listens on for wake requests from the server.
    #[arg(long, env = "AGENT_PORT", default_value_t = 18080)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, env = "AGENT_BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,

    /// The address the server should call this agent on. Defaults to the
    /// address of the interface that reaches the server.
    #[arg(long, env = "AGENT_ADVERTISE_IP")]
    pub advertise_ip: Option<IpAddr>,

    /// Enrollment key created by an admin (Agents → Enrollment keys). Needed
    /// for the first registration unless the server has open registration.
    #[arg(long, env = "ENROLLMENT_KEY", hide_env_values = true)]
    pub enrollment_key: Option<String>,

    /// Where the agent keeps its identity (mode 0600).
    #[arg(
        long,
        env = "AGENT_STATE_FILE",
        default_value = "/var/lib/powerbeacon-agent/state.json"
    )]
    pub state_file: PathBuf,

    /// Seconds between heartbeats.
    #[arg(long, env = "AGENT_HEARTBEAT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub heartbeat_seconds: u64,

    /// The name to register under. Defaults to the host name.
    #[arg(long, env = "AGENT_HOSTNAME")]
    pub hostname: Option<String>,

    /// Log filter in `tracing` syntax.
    #[arg(long = "log", env = "AGENT_LOG", default_value = "info")]
    pub log: String,
}

fn parse_server_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{e}: give e.g. http://server:3000"))?;
    match url.scheme() {
        "http" if url.host().is_some() => Ok(url),
        "https" => Err("https is not supported yet: reach the server over http (e.g. on the LAN or through a VPN)".into()),
        _ => Err("give an http:// URL with a host, e.g. http://server:3000".into()),
    }
}

/// What secrets show as in `Debug` output (logs, panics).
const REDACTED: &str = "[redacted]";

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("server_url", &self.server_url)
            .field("port", &self.port)
            .field("bind", &self.bind)
            .field("advertise_ip", &self.advertise_ip)
            .field(
                "enrollment_key",
                &self.enrollment_key.as_ref().map(|_| REDACTED),
            )
            .field("state_file", &self.state_file)
            .field("heartbeat_seconds", &self.heartbeat_seconds)
            .field("hostname", &self.hostname)
            .field("log", &self.log)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent_and_documents_its_variables() {
        Config::command().debug_assert();
        let help = Config::command().render_long_help().to_string();
        for var in [
            "BACKEND_URL",
            "AGENT_PORT",
            "AGENT_BIND",
            "AGENT_ADVERTISE_IP",
            "ENROLLMENT_KEY",
            "AGENT_STATE_FILE",
            "AGENT_HEARTBEAT_SECONDS",
        ] {
            assert!(help.contains(var), "{var}");
        }
    }

    #[test]
    fn the_enrollment_key_never_shows_in_debug_output() {
        let config = Config::try_parse_from([
            "powerbeacon-agent",
            "--server-url",
            "http://127.0.0.1:3000",
            "--enrollment-key",
            "pbek_hunter2",
        ])
        .unwrap();
        let text = format!("{config:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn server_urls_are_checked() {
        assert!(parse_server_url("http://127.0.0.1:3000").is_ok());
        assert!(parse_server_url("https://example.com").is_err());
        assert!(parse_server_url("ftp://x").is_err());
        assert!(parse_server_url("nonsense").is_err());
    }
}
