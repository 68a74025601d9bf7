//! Which host names this server acts under for browsers (DNS rebinding;
//! see `web/hosts.rs`) and takes its own address from (install commands,
//! the single sign-on redirect URI).

/// The host names this server acts under: the host of `--public-url`,
/// `--allowed-hosts`, loopback names and IP literals.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    names: Vec<String>,
}

impl AllowedHosts {
    /// The host of `public_url` and each of `extra` (names, any case, no port).
    pub fn new(public_url: Option<&str>, extra: &[String]) -> Self {
        let public = public_url
            .and_then(|url| url::Url::parse(url).ok())
            .and_then(|url| url.host_str().map(str::to_string));
        Self {
            names: public
                .into_iter()
                .chain(extra.iter().map(|name| name.trim().to_string()))
                .filter(|name| !name.is_empty())
                .map(|name| name.to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether `host` (a Host header: `name[:port]`) may be served.
    pub fn allows(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        if name.parse::<std::net::IpAddr>().is_ok() {
            return true;
        }
        name == "localhost" || name.ends_with(".localhost") || self.names.contains(&name)
    }
}

/// The name part of a Host header value (`[::1]:3000` → `::1`).
pub fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_names_loopback_names_and_addresses_are_allowed() {
        let allowed = AllowedHosts::new(Some("https://WOL.example.org"), &["nas.lan".into()]);
        for host in [
            "wol.example.org",
            "wol.example.org:443",
            "NAS.lan:3000",
            "localhost:3000",
            "app.localhost",
            "127.0.0.1:3000",
            "192.0.2.7",
            "[::1]:3000",
            "[2001:db8::1]",
        ] {
            assert!(allowed.allows(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:3000",
            "wol.example.org.evil.example",
            "",
        ] {
            assert!(!allowed.allows(host), "{host}");
        }
        assert!(!AllowedHosts::default().allows("wol.lan"));
    }
}
