//! The JSON messages between agents and the server (DESIGN.md §3).
//!
//! Field names follow the original PowerBeacon agent protocol so its Go agent
//! keeps working. Unknown fields are ignored on both sides, so either side may
//! add optional fields.

use serde::{Deserialize, Serialize};

/// `POST /api/agents/register`, agent → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub hostname: String,
    pub ip: String,
    pub port: u16,
    pub os: String,
    pub version: String,
    /// The enrollment key an admin created for this agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_key: Option<String>,
}

/// The server's answer to a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    pub agent_id: String,
    pub token: String,
}

/// `POST /api/agents/heartbeat`, agent → server, with the agent's bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatRequest {
    pub agent_id: String,
}

/// `POST /wol`, server → agent, with the agent's bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WolRequest {
    pub mac: String,
    pub broadcast: String,
    pub port: u16,
}

/// The agent's answer to a wake request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WolResponse {
    pub success: bool,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_request_matches_the_original_protocol() {
        let json = r#"{"hostname":"nas","ip":"192.0.2.10","port":18080,"os":"linux","version":"1.0.0","extra":true}"#;
        let request: RegisterRequest = serde_json::from_str(json).unwrap();
        assert_eq!(request.hostname, "nas");
        assert_eq!(request.enrollment_key, None);
        let back = serde_json::to_value(&request).unwrap();
        assert!(back.get("enrollment_key").is_none());
    }

    #[test]
    fn wol_request_round_trips() {
        let request = WolRequest {
            mac: "AA:BB:CC:DD:EE:FF".into(),
            broadcast: "192.0.2.255".into(),
            port: 9,
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"mac":"AA:BB:CC:DD:EE:FF","broadcast":"192.0.2.255","port":9}"#
        );
        assert_eq!(serde_json::from_str::<WolRequest>(&json).unwrap(), request);
    }
}
