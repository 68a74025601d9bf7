//! The JSON messages between agents and the server (docs/API.md, "Agents").
//!
//! Field names follow the original PowerBeacon agent protocol so its Go agent
//! keeps working. Unknown fields are ignored on both sides, so either side may
//! add optional fields; every field this protocol added is optional.

use serde::{Deserialize, Serialize};

/// The feature an agent announces when it takes [`WolBatchRequest`]s on `/wol`.
pub const FEATURE_WOL_BATCH: &str = "wol-batch";

/// The feature an agent announces when it watches the presence of the
/// devices it serves: its heartbeats are answered with a [`WatchList`], and
/// it reports what it sees in [`PresenceReport`]s.
pub const FEATURE_PRESENCE: &str = "presence";

/// The feature a [`FEATURE_PRESENCE`] agent adds when it may send ICMP echo
/// (unprivileged ICMP sockets, `net.ipv4.ping_group_range`). Without it, a
/// device set to probe by `icmp` is probed through the neighbour table.
pub const FEATURE_PRESENCE_ICMP: &str = "presence-icmp";

/// `POST /api/agents/register`, agent → server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    pub hostname: String,
    pub ip: String,
    pub port: u16,
    pub os: String,
    pub version: String,
    /// The enrollment key an admin created for this agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_key: Option<String>,
    /// The agent's network interfaces, so the server can pick broadcasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<Vec<InterfaceInfo>>,
    /// Protocol extensions the agent understands, such as [`FEATURE_WOL_BATCH`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
}

/// One network interface of an agent's host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InterfaceInfo {
    pub name: String,
    /// An IPv4 or IPv6 address.
    pub address: String,
    /// The prefix length of the interface's subnet.
    pub prefix: u8,
    /// The directed broadcast address (IPv4 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<String>,
    /// The interface's hardware address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// The server's answer to a registration.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterResponse {
    pub agent_id: String,
    pub token: String,
}

/// `POST /api/agents/heartbeat`, agent → server, with the agent's bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatRequest {
    pub agent_id: String,
    /// The interfaces as they are now, when the agent reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<Vec<InterfaceInfo>>,
    /// The [`WatchList::version`] the agent holds ([`FEATURE_PRESENCE`]);
    /// absent when it holds none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_version: Option<String>,
}

/// The server's answer to the heartbeat of an agent that announced
/// [`FEATURE_PRESENCE`] (200). Other agents get 204 with no body, as the
/// original protocol has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatResponse {
    pub watch: WatchList,
}

/// The devices an agent watches, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchList {
    /// Changes whenever anything below changes; the agent sends it back
    /// with its next heartbeat.
    pub version: String,
    /// How many probes in a row must go unanswered before a device that was
    /// up is reported down.
    pub down_after: u8,
    /// The devices to watch; absent when the agent's `watch_version` is
    /// this version already (it keeps the list it has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<WatchedDevice>>,
}

/// One device an agent watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchedDevice {
    pub device_id: String,
    /// `AA:BB:CC:DD:EE:FF`.
    pub mac: String,
    /// The address the server last knew for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    pub probe: ProbeSettings,
}

/// How a device is probed (docs/API.md, "Presence").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProbeSettings {
    pub method: ProbeMethod,
    /// TCP ports to try (`tcp`, and `auto` when given).
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Seconds between probes.
    pub interval_s: u32,
}

/// Which probes an agent runs against a device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProbeMethod {
    /// The neighbour table first, then the TCP ports, then ICMP where allowed.
    #[default]
    Auto,
    /// Only the kernel's neighbour table (ARP/NDP): the device's MAC answering.
    Neighbor,
    /// Only TCP connects to the device's ports.
    Tcp,
    /// Only ICMP echo.
    Icmp,
    /// Not probed: the device's presence stays unknown.
    Off,
}

impl ProbeMethod {
    /// The spelling used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeMethod::Auto => "auto",
            ProbeMethod::Neighbor => "neighbor",
            ProbeMethod::Tcp => "tcp",
            ProbeMethod::Icmp => "icmp",
            ProbeMethod::Off => "off",
        }
    }
}

impl std::str::FromStr for ProbeMethod {
    type Err = UnknownProbe;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(ProbeMethod::Auto),
            "neighbor" => Ok(ProbeMethod::Neighbor),
            "tcp" => Ok(ProbeMethod::Tcp),
            "icmp" => Ok(ProbeMethod::Icmp),
            "off" => Ok(ProbeMethod::Off),
            _ => Err(UnknownProbe(text.to_string())),
        }
    }
}

/// Which probe saw what a [`Sighting`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    /// The neighbour table held the device's MAC at the address.
    Neighbor,
    /// A TCP port answered (open or refused).
    Tcp,
    /// An ICMP echo was answered.
    Icmp,
}

impl ProbeKind {
    /// The spelling used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Neighbor => "neighbor",
            ProbeKind::Tcp => "tcp",
            ProbeKind::Icmp => "icmp",
        }
    }
}

impl std::str::FromStr for ProbeKind {
    type Err = UnknownProbe;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "neighbor" => Ok(ProbeKind::Neighbor),
            "tcp" => Ok(ProbeKind::Tcp),
            "icmp" => Ok(ProbeKind::Icmp),
            _ => Err(UnknownProbe(text.to_string())),
        }
    }
}

/// A probe or state spelling this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown spelling {0:?}")]
pub struct UnknownProbe(pub String);

/// `POST /api/agents/presence`, agent → server, with the agent's bearer
/// token: what changed since the last report, in one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceReport {
    pub agent_id: String,
    pub sightings: Vec<Sighting>,
}

/// What an agent saw of one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sighting {
    pub device_id: String,
    pub state: SeenState,
    /// The probe that saw it up, or that last went unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ProbeKind>,
    /// The address it answered at (or was probed at).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The MAC that answered at that address, when the probe learns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// The round trip of the answering probe, in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_us: Option<u32>,
    /// How long before the report was sent the agent saw this, in
    /// milliseconds (a duration, so the two clocks need not agree).
    #[serde(default)]
    pub age_ms: u64,
}

/// What an agent saw a device as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SeenState {
    Up,
    Down,
}

impl SeenState {
    /// The spelling used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SeenState::Up => "up",
            SeenState::Down => "down",
        }
    }
}

impl std::str::FromStr for SeenState {
    type Err = UnknownProbe;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "up" => Ok(SeenState::Up),
            "down" => Ok(SeenState::Down),
            _ => Err(UnknownProbe(text.to_string())),
        }
    }
}

/// The server's answer to a [`PresenceReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceReportResponse {
    /// How many sightings were recorded.
    pub accepted: usize,
    /// The devices whose sightings were not taken: the agent does not serve
    /// them (any more). It should drop them until its next watch list.
    pub refused: Vec<String>,
}

/// `POST /wol`, server → agent, with the agent's bearer token: wake one machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WolRequest {
    pub mac: String,
    /// Where to send the packet when the agent has no interface on the device's subnet.
    pub broadcast: String,
    /// The UDP port, 9 by convention.
    pub port: u16,
    /// The device's IP address, so the agent can pick the interface on its subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// How many times to send the packet (the agent's default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u8>,
    /// A 4- or 6-byte SecureOn password, hex or MAC-style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secureon: Option<String>,
    /// For [`FEATURE_PRESENCE`] agents: probe the machine at least every
    /// second (this agent: twice a second) for this many seconds, or until
    /// it is seen up, so the wake's verdict comes as soon as it boots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_s: Option<u32>,
}

/// The agent's answer to a wake request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WolResponse {
    pub success: bool,
    pub message: String,
    /// What the agent sent (this agent; the original one says it in
    /// `message` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<SentPackets>,
}

/// What an agent sent for one wake: where, how many and how big, so a wake
/// that reached nothing can be diagnosed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentPackets {
    /// The interface whose subnet holds the device, when one does (the
    /// destination is then its directed broadcast); absent when the agent
    /// used the broadcast address the server suggested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// The destination address.
    pub destination: String,
    /// The destination UDP port.
    pub port: u16,
    /// How many packets went out.
    pub packets: u8,
    /// The size of each, in bytes (102, or 108 with a SecureOn password).
    pub bytes: u16,
}

/// `POST /wol`, server → agent, for agents announcing [`FEATURE_WOL_BATCH`]:
/// wake several machines in one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WolBatchRequest {
    pub targets: Vec<WolRequest>,
}

/// The answer to a [`WolBatchRequest`]: one result per target, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WolBatchResponse {
    /// True when every target was sent.
    pub success: bool,
    pub message: String,
    pub results: Vec<WolResponse>,
}

/// What secrets show as in `Debug` output (logs, panics).
const REDACTED: &str = "[redacted]";

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("hostname", &self.hostname)
            .field("ip", &self.ip)
            .field("port", &self.port)
            .field("os", &self.os)
            .field("version", &self.version)
            .field(
                "enrollment_key",
                &self.enrollment_key.as_ref().map(|_| REDACTED),
            )
            .field("interfaces", &self.interfaces)
            .field("features", &self.features)
            .finish()
    }
}

impl std::fmt::Debug for RegisterResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterResponse")
            .field("agent_id", &self.agent_id)
            .field("token", &REDACTED)
            .finish()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn secrets_never_show_in_debug_output() {
        let request: RegisterRequest = serde_json::from_str(
            r#"{"hostname":"h","ip":"192.0.2.1","port":1,"os":"linux","version":"1","enrollment_key":"pbek_hunter2"}"#,
        )
        .unwrap();
        let response = RegisterResponse {
            agent_id: "a".into(),
            token: "hunter2-token".into(),
        };
        for text in [format!("{request:?}"), format!("{response:?}")] {
            assert!(!text.contains("hunter2"), "{text}");
        }
    }
    use super::*;

    #[test]
    fn register_request_matches_the_original_protocol() {
        let json = r#"{"hostname":"nas","ip":"192.0.2.10","port":18080,"os":"linux","version":"1.0.0","extra":true}"#;
        let request: RegisterRequest = serde_json::from_str(json).unwrap();
        assert_eq!(request.hostname, "nas");
        assert_eq!(request.enrollment_key, None);
        assert_eq!(request.interfaces, None);
        let back = serde_json::to_value(&request).unwrap();
        assert!(back.get("enrollment_key").is_none());
        assert!(back.get("features").is_none());
    }

    #[test]
    fn wol_request_keeps_the_original_shape_without_extensions() {
        let request = WolRequest {
            mac: "AA:BB:CC:DD:EE:FF".into(),
            broadcast: "192.0.2.255".into(),
            port: 9,
            ip: None,
            repeat: None,
            secureon: None,
            watch_s: None,
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"mac":"AA:BB:CC:DD:EE:FF","broadcast":"192.0.2.255","port":9}"#
        );
        assert_eq!(serde_json::from_str::<WolRequest>(&json).unwrap(), request);
    }

    #[test]
    fn batch_requests_carry_full_targets() {
        let json = r#"{"targets":[{"mac":"AA:BB:CC:DD:EE:FF","broadcast":"192.0.2.255","port":9,"ip":"192.0.2.7"}]}"#;
        let batch: WolBatchRequest = serde_json::from_str(json).unwrap();
        assert_eq!(batch.targets.len(), 1);
        assert_eq!(batch.targets[0].ip.as_deref(), Some("192.0.2.7"));
    }
}
