//! Installing agents: the install script, the agent binaries it downloads,
//! and the copyable command line (with a fresh enrollment key) for admins.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use shared::types::{AgentInstall, AgentPlatform, EnrollmentKeyCreate};

use super::{ServiceError, Services};
use crate::security::client::RequestAddress;
use crate::storage::UserRecord;

/// The install script served at `/install-agent.sh`. It is static: every
/// value comes from its command line, never from the request.
pub const INSTALL_SCRIPT: &str = include_str!("../../assets/install-agent.sh");

/// How long the key of an install command works unless asked otherwise.
pub const INSTALL_KEY_HOURS: u32 = 24;

/// How agent binaries are named in the agent directory.
const BINARY_PREFIX: &str = "powerbeacon-agent-";

/// An agent binary ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentBinary {
    pub platform: String,
    pub path: PathBuf,
    pub size: u64,
}

/// A platform name as `{os}-{arch}`: lower-case letters and digits, then a
/// dash, then letters, digits and `_`. Nothing else gets near a file path.
pub fn is_platform(name: &str) -> bool {
    let Some((os, arch)) = name.split_once('-') else {
        return false;
    };
    let ok = |part: &str, underscore: bool| {
        !part.is_empty()
            && part.len() <= 32
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || (underscore && c == '_'))
    };
    ok(os, false) && ok(arch, true)
}

impl Services {
    /// The platforms with an agent binary, by name.
    #[tracing::instrument(skip_all)]
    pub async fn agent_platforms(&self, base_url: &str) -> Vec<AgentPlatform> {
        let dir = &self.settings.agent_dir;
        let mut platforms = Vec::new();
        let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
            return platforms;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name();
            let Some(platform) = name
                .to_str()
                .and_then(|name| name.strip_prefix(BINARY_PREFIX))
                .filter(|platform| is_platform(platform))
            else {
                continue;
            };
            // Follows links: a release layout may link to the real binaries.
            if let Ok(meta) = tokio::fs::metadata(entry.path()).await
                && meta.is_file()
            {
                platforms.push(AgentPlatform {
                    platform: platform.to_string(),
                    url: format!("{base_url}/agents/{platform}"),
                    size: meta.len(),
                });
            }
        }
        platforms.sort_by(|a, b| a.platform.cmp(&b.platform));
        platforms
    }

    /// The agent binary for `platform`, or 404 naming what there is.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn agent_binary(&self, platform: &str) -> Result<AgentBinary, ServiceError> {
        if is_platform(platform) {
            let path = self
                .settings
                .agent_dir
                .join(format!("{BINARY_PREFIX}{platform}"));
            if let Ok(meta) = tokio::fs::metadata(&path).await
                && meta.is_file()
            {
                return Ok(AgentBinary {
                    platform: platform.to_string(),
                    path,
                    size: meta.len(),
                });
            }
        }
        let available: Vec<String> = self
            .agent_platforms("")
            .await
            .into_iter()
            .map(|p| p.platform)
            .collect();
        let shown: String = platform.chars().take(64).collect();
        Err(ServiceError::NotFound(if available.is_empty() {
            format!(
                "No agent binary for {shown:?}: this server has none. Build one with \
                 `cargo build --release -p powerbeacon-agent` and put it in the agent \
                 directory (--agent-dir) as powerbeacon-agent-{{os}}-{{arch}}."
            )
        } else {
            format!(
                "No agent binary for {shown:?}. This server has: {}.",
                available.join(", ")
            )
        }))
    }

    /// The SHA-256 of an agent binary, hex, as `sha256sum` prints it.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn agent_checksum(&self, binary: &AgentBinary) -> Result<String, ServiceError> {
        let path = binary.path.clone();
        let name = format!("{BINARY_PREFIX}{}", binary.platform);
        tokio::task::spawn_blocking(move || {
            let mut file = std::fs::File::open(&path)?;
            let mut hasher = Sha256::new();
            std::io::copy(&mut file, &mut hasher)?;
            Ok::<_, std::io::Error>(format!("{}  {name}\n", hex::encode(hasher.finalize())))
        })
        .await
        .map_err(|error| ServiceError::internal_from("the checksum task failed", error))?
        .map_err(|error| ServiceError::internal_from("hashing the agent binary", error))
    }

    /// The server's public base address: the configured one, else what the
    /// request came to (`http://` + Host; behind a trusted proxy, its
    /// `X-Forwarded-Proto` and `X-Forwarded-Host`), when that is a host name
    /// the server acts under (see [`crate::security::hosts::AllowedHosts`]).
    pub fn public_base_url(&self, request: RequestAddress<'_>) -> Result<String, ServiceError> {
        if let Some(url) = &self.settings.public_url {
            return Ok(url.clone());
        }
        let trusted = self.settings.trust_forwarded_headers;
        let forwarded_host = request.forwarded_host.filter(|_| trusted);
        let host = forwarded_host
            .or(request.host)
            .filter(|host| is_host(host))
            .ok_or_else(|| {
                ServiceError::BadRequest(
                    "The request has no usable Host header; set the server's public \
                     address with --public-url."
                        .into(),
                )
            })?;
        // Anyone can send any Host: only a name the operator configured (or
        // an address, or localhost) may end up in install commands and
        // redirect URIs.
        if !self.settings.allowed_hosts.allows(host) {
            return Err(ServiceError::BadRequest(format!(
                "This server does not know itself as {host:?}; set its address with \
                 --public-url, or add the name to --allowed-hosts."
            )));
        }
        let scheme = match request.forwarded_proto.filter(|_| trusted) {
            Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        Ok(format!("{scheme}://{host}"))
    }

    /// A fresh enrollment key and the command that installs an agent with it
    /// (admins).
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn agent_install(
        &self,
        actor: &UserRecord,
        base_url: &str,
        key: EnrollmentKeyCreate,
    ) -> Result<AgentInstall, ServiceError> {
        if base_url.starts_with("https://") {
            return Err(ServiceError::BadRequest(format!(
                "Agents talk plain HTTP to the server (TLS for agents is not built yet), \
                 and this server's address is {base_url}. Install agents with an http:// \
                 address of the server, e.g. `install-agent.sh --server http://…`."
            )));
        }
        // The key ends up in a file on the host and in shell history: unless
        // asked otherwise it stops working after a day (the agent keeps its
        // own token; only a re-enrollment after deletion needs the key).
        let key = EnrollmentKeyCreate {
            name: key.name.or_else(|| Some("install command".into())),
            expires_in_hours: key.expires_in_hours.or(Some(INSTALL_KEY_HOURS)),
            ..key
        };
        let enrollment_key = self.create_enrollment_key(actor, key).await?;
        let script_url = format!("{base_url}/install-agent.sh");
        Ok(AgentInstall {
            command: install_command(base_url, &enrollment_key.key),
            script_url,
            server_url: base_url.to_string(),
            platforms: self.agent_platforms(base_url).await,
            enrollment_key,
        })
    }
}

/// The shell line that installs an agent. `base_url` and `key` hold no
/// quote (the URL is checked, the key is generated), so single quotes keep
/// them literal.
fn install_command(base_url: &str, key: &str) -> String {
    format!(
        "curl -fsSL '{base_url}/install-agent.sh' | sudo sh -s -- --server '{base_url}' --key '{key}'"
    )
}

/// A Host header value: a name or address and an optional port.
fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_are_plain_names() {
        for good in [
            "linux-x86_64",
            "linux-aarch64",
            "freebsd-amd64",
            "linux-armv7l",
        ] {
            assert!(is_platform(good), "{good}");
        }
        for bad in [
            "",
            "linux",
            "-x86_64",
            "linux-",
            "Linux-x86_64",
            "linux-x86_64.sha256",
            "../../etc/passwd",
            "linux-x86/64",
            "linux-..",
            "linux_x-86",
            "linux-x86_64\0",
        ] {
            assert!(!is_platform(bad), "{bad:?}");
        }
    }

    #[test]
    fn hosts_cannot_smuggle_shell_or_paths() {
        assert!(is_host("powerbeacon.lan:3000"));
        assert!(is_host("[2001:db8::1]:3000"));
        assert!(is_host("powerbeacon_server:3000"), "docker compose names");
        for bad in ["", "a b", "x'y", "a/b", "a;b", "a$(b)", "a@b"] {
            assert!(!is_host(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_command_pipes_the_script_with_server_and_key() {
        assert_eq!(
            install_command("http://pb.lan:3000", "pbek_x"),
            "curl -fsSL 'http://pb.lan:3000/install-agent.sh' | sudo sh -s -- \
             --server 'http://pb.lan:3000' --key 'pbek_x'"
        );
    }
}
