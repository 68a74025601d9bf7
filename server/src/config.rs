//! Every setting of the server, from command-line flags or environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use backend::domain::PortRange;
use clap::Parser;
// On/off options read `1/0`, `yes/no`, `on/off` and `true/false` from the
// environment, as env files and compose files write them.
use clap::builder::BoolishValueParser;
use secrecy::SecretString;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// PowerBeacon: wake machines on any of your networks.
///
/// Every option can also be set through the environment variable named in
/// brackets. With no database URL the server keeps its data in a SQLite file
/// inside the data directory.
#[derive(Debug, Clone, Parser)]
#[command(name = "powerbeacon", version, about, long_about)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "PB_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Directory for the SQLite database and other state. Created if missing.
    #[arg(long, env = "PB_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database to use: `sqlite://path/to/file.db` or `postgres://user@host/db`.
    /// Defaults to `powerbeacon.db` in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Most database connections to hold open: by default 4 on SQLite and
    /// 16 on PostgreSQL.
    #[arg(long, env = "PB_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,

    /// Secret that signs access tokens. When unset, one is generated on the
    /// first start and kept in the database, so tokens survive restarts and
    /// are valid on every replica.
    #[arg(long, env = "PB_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<SecretString>,

    /// How long an access token from `POST /api/auth/login` stays valid, in minutes.
    #[arg(long, env = "PB_ACCESS_TOKEN_MINUTES", default_value_t = 24 * 60)]
    pub access_token_minutes: u64,

    /// An agent whose last heartbeat is older than this many seconds is offline.
    #[arg(long, env = "PB_AGENT_OFFLINE_SECONDS", default_value_t = 90)]
    pub agent_offline_seconds: u64,

    /// How long the server waits for one agent to answer a wake request, in milliseconds.
    #[arg(long, env = "PB_AGENT_TIMEOUT_MS", default_value_t = 3000)]
    pub agent_timeout_ms: u64,

    /// Seconds between an agent's presence probes of a device that has no
    /// interval of its own.
    #[arg(long, env = "PB_PRESENCE_INTERVAL_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub presence_interval_seconds: u64,

    /// Unanswered probes in a row before a device that was up reads down.
    #[arg(long, env = "PB_PRESENCE_DOWN_AFTER", default_value_t = 3,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub presence_down_after: u8,

    /// Days a device's presence changes are kept.
    #[arg(long, env = "PB_PRESENCE_HISTORY_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub presence_history_days: u64,

    /// Presence changes kept per device, newest first.
    #[arg(long, env = "PB_PRESENCE_HISTORY_PER_DEVICE", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub presence_history_per_device: u32,

    /// Seconds a woken machine has to show up before its wake's verdict is
    /// "no sign of life".
    #[arg(long, env = "PB_WAKE_BOOT_TIMEOUT_SECONDS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub wake_boot_timeout_seconds: u64,

    /// Days wakes (who woke what, and the verdicts) are kept.
    #[arg(long, env = "PB_WAKE_HISTORY_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub wake_history_days: u64,

    /// Most live event streams (`GET /api/events`) this process serves at
    /// once; each also holds a connection. More get 503.
    #[arg(long, env = "PB_MAX_EVENT_STREAMS", default_value_t = 512)]
    pub max_event_streams: usize,

    /// How many of the newest live events are kept for clients that
    /// reconnect (`Last-Event-ID`); one further behind is told to reload.
    #[arg(long, env = "PB_EVENT_HISTORY", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub event_history: u64,

    /// Accept agents that advertise a loopback address (127.0.0.0/8, ::1):
    /// only for an agent on the server's own host. Off by default, so no
    /// agent can point the server's wake calls at the server's own loopback
    /// services.
    #[arg(long, env = "PB_ALLOW_LOOPBACK_AGENTS", value_parser = BoolishValueParser::new())]
    pub allow_loopback_agents: bool,

    /// Networks (comma-separated CIDRs) agents may advertise addresses in,
    /// e.g. `192.168.0.0/16,10.0.0.0/8`; the server calls no agent outside
    /// them. Empty (the default): any address but the always-refused ones.
    #[arg(long, env = "PB_AGENT_NETWORKS", value_delimiter = ',', value_parser = parse_network)]
    pub agent_networks: Vec<ipnet::IpNet>,

    /// Ports agents may listen on, as `FIRST-LAST` (or one port).
    #[arg(long, env = "PB_AGENT_PORTS", default_value = "1-65535", value_parser = parse_port_range)]
    pub agent_ports: PortRange,

    /// Directory holding agent binaries named `powerbeacon-agent-{os}-{arch}`
    /// (e.g. `powerbeacon-agent-linux-x86_64`), served at `/agents/{os}-{arch}`
    /// for `/install-agent.sh`. `make run` puts the one it builds there.
    #[arg(long, env = "PB_AGENT_DIR", default_value = "target/agents")]
    pub agent_dir: PathBuf,

    /// The address people reach this server at, e.g.
    /// `https://powerbeacon.example.org`: used in install commands (which
    /// need an http:// address: agents speak plain HTTP), for the Secure
    /// flag of the session cookie and to recognise its own pages. When
    /// unset, the request's Host header is used, over http.
    #[arg(long, env = "PB_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Let single sign-on use an identity provider on this machine's
    /// loopback addresses (127.0.0.0/8, ::1). Off by default, so whoever
    /// configures single sign-on cannot make the server fetch its own local
    /// services. Link-local and cloud metadata addresses are refused always.
    #[arg(long, env = "PB_SSO_ALLOW_LOOPBACK", value_parser = BoolishValueParser::new())]
    pub sso_allow_loopback: bool,

    /// Host names (comma-separated) under which browsers may change
    /// things on this server, besides the host of `--public-url`, loopback
    /// names and IP addresses, e.g. `wol.lan,wol.example.org`. A browser's
    /// request to any other name is refused with 421: that is how a site
    /// that rebinds its name to this server (DNS rebinding) is stopped.
    #[arg(long, env = "PB_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Behind a reverse proxy that sets `X-Forwarded-Proto` and
    /// `X-Forwarded-Host`: take this server's address (for the single
    /// sign-on redirect URI and install commands) from them when
    /// `--public-url` is unset. Off by default: anyone can send those headers.
    #[arg(long, env = "PB_TRUST_FORWARDED_HEADERS", value_parser = BoolishValueParser::new())]
    pub trust_forwarded_headers: bool,

    /// Reverse proxies (comma-separated addresses or CIDRs, e.g.
    /// `10.0.0.0/8,::1`) whose `X-Forwarded-For` tells the client's address,
    /// for the sign-in throttle and the logs. From any other peer the header
    /// is ignored.
    #[arg(long, env = "PB_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Log filter, in `tracing` syntax (e.g. `info` or `info,powerbeacon=debug`).
    #[arg(long = "log", env = "PB_LOG", default_value = "info")]
    pub log: String,

    /// Log line format: `text` for people, `json` for log collectors.
    #[arg(long, env = "PB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Most client connections served at once; more wait to be accepted.
    #[arg(long, env = "PB_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds a client may take to send a request's headers, which is also
    /// how long an idle keep-alive connection stays open: slow or silent
    /// clients cannot hold connections.
    #[arg(long, env = "PB_HEADER_TIMEOUT_SECONDS", default_value_t = 15)]
    pub header_timeout_seconds: u64,

    /// Seconds a client may leave the server's writes unread before its
    /// connection is closed (a stalled download, an event stream nobody
    /// reads), so such clients cannot hold connections and memory.
    #[arg(long, env = "PB_WRITE_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub write_timeout_seconds: u64,

    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "PB_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Directory with the built browser app (`pkg/` with the wasm, JS and CSS,
    /// plus the favicon), as produced by `cargo leptos build`.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}

impl Config {
    /// The configuration the tests start from: loopback on a free port, a
    /// given data directory, SQLite unless a URL is given.
    pub fn for_tests(data_dir: PathBuf, database_url: Option<String>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url,
            db_max_connections: Some(4),
            jwt_secret: None,
            access_token_minutes: 60,
            agent_offline_seconds: 90,
            agent_timeout_ms: 3000,
            presence_interval_seconds: 30,
            presence_down_after: 3,
            presence_history_days: 30,
            presence_history_per_device: 1000,
            wake_boot_timeout_seconds: 120,
            wake_history_days: 90,
            max_event_streams: 64,
            event_history: 100_000,
            // Test agents (real and fake) listen on 127.0.0.1.
            allow_loopback_agents: true,
            agent_networks: Vec::new(),
            agent_ports: PortRange::ANY,
            agent_dir: PathBuf::from("target/agents"),
            public_url: None,
            trust_forwarded_headers: false,
            trusted_proxies: Vec::new(),
            allowed_hosts: Vec::new(),
            // The tests' identity provider listens on 127.0.0.1.
            sso_allow_loopback: true,
            log: "warn".into(),
            log_format: LogFormat::Text,
            max_body_bytes: 1024 * 1024,
            max_connections: 256,
            header_timeout_seconds: 15,
            write_timeout_seconds: 30,
            site_root: PathBuf::from("target/site"),
        }
    }
}

/// `FIRST-LAST` or a single port.
fn parse_port_range(input: &str) -> Result<PortRange, String> {
    let (first, last) = input
        .trim()
        .split_once('-')
        .unwrap_or((input.trim(), input.trim()));
    let port = |text: &str| {
        text.trim()
            .parse::<u16>()
            .ok()
            .filter(|&port| port > 0)
            .ok_or_else(|| format!("{text:?} is not a port from 1 to 65535"))
    };
    let (first, last) = (port(first)?, port(last)?);
    if first > last {
        return Err(format!("{first}-{last} is an empty range"));
    }
    Ok(PortRange { first, last })
}

/// A network (`10.0.0.0/8`) or a single address (`192.0.2.1`, `::1`).
fn parse_network(input: &str) -> Result<ipnet::IpNet, String> {
    let input = input.trim();
    input
        .parse::<ipnet::IpNet>()
        .or_else(|_| input.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{input:?} is not an address or a network like 10.0.0.0/8"))
}

/// An `http(s)://host[:port][/path]` base address, without a trailing slash.
fn parse_public_url(input: &str) -> Result<String, String> {
    let url = url::Url::parse(input.trim()).map_err(|error| format!("not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("use an http:// or https:// address".into());
    }
    if url.host().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err("give scheme, host, optional port and path; no query or fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("no user name or password in the address".into());
    }
    let url = url.as_str().trim_end_matches('/');
    // It is pasted into shell commands inside single quotes and accepted by
    // the install script: the characters both allow.
    let plain = |c: char| c.is_ascii_alphanumeric() || "._:/@%+=~[]-".contains(c);
    if !url.chars().all(plain) {
        return Err("use only letters, digits and . _ : / @ % + = ~ [ ] - in the address".into());
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Config::command().debug_assert();
    }

    #[test]
    fn on_off_flags_alone_switch_their_option_on() {
        // Their environment spellings (1, yes, on…) are read by the binary:
        // `startup.rs`, binary_reads_on_off_options_as_people_write_them.
        let config = Config::try_parse_from([
            "powerbeacon",
            "--allow-loopback-agents",
            "--sso-allow-loopback",
            "--trust-forwarded-headers",
        ])
        .unwrap();
        assert!(config.allow_loopback_agents);
        assert!(config.sso_allow_loopback);
        assert!(config.trust_forwarded_headers);
    }

    #[test]
    fn public_urls_are_plain_base_addresses() {
        assert_eq!(
            parse_public_url("https://pb.example.org/").unwrap(),
            "https://pb.example.org"
        );
        assert_eq!(
            parse_public_url("http://[2001:db8::1]:3000/wol").unwrap(),
            "http://[2001:db8::1]:3000/wol"
        );
        for bad in [
            "pb.example.org",
            "ftp://pb.example.org",
            "https://pb.example.org/?x=1",
            "https://user:pw@pb.example.org",
            "https://pb.example.org/it's",
            "https://pb.example.org/$(id)",
            "https://pb.example.org/a,b",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_option_is_documented_with_its_variable() {
        let help = Config::command().render_long_help().to_string();
        for var in [
            "PB_BIND",
            "PB_DATA_DIR",
            "DATABASE_URL",
            "PB_DB_MAX_CONNECTIONS",
            "PB_JWT_SECRET",
            "PB_ACCESS_TOKEN_MINUTES",
            "PB_AGENT_OFFLINE_SECONDS",
            "PB_AGENT_TIMEOUT_MS",
            "PB_ALLOW_LOOPBACK_AGENTS",
            "PB_AGENT_DIR",
            "PB_PUBLIC_URL",
            "PB_LOG",
            "PB_LOG_FORMAT",
            "PB_MAX_BODY_BYTES",
            "LEPTOS_SITE_ROOT",
        ] {
            assert!(help.contains(var), "--help does not mention {var}");
        }
    }

    #[test]
    fn defaults_need_no_flags() {
        let config = Config::try_parse_from(["powerbeacon"]).unwrap();
        assert_eq!(config.bind.port(), 3000);
        assert_eq!(config.database_url, None);
        assert_eq!(config.max_body_bytes, 1 << 20);
    }
}
