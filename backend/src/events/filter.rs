//! Which events a stream sends: what its client asked for (`?types=`,
//! `?device=`, `?cluster=`) and what its user may read
//! ([`shared::access::Actor::sees_agent`]). Pure, so unit-tested here.

use std::collections::BTreeSet;

use shared::access::Actor;
use shared::ids::{ClusterId, DeviceId};
use shared::types::EventType;

use crate::storage::StoredEvent;

/// What a client asked for; empty: everything it may read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only these types.
    pub types: Option<BTreeSet<EventType>>,
    /// Only events about this device.
    pub device: Option<DeviceId>,
    /// Only events about this cluster, its devices and its agents.
    pub cluster: Option<ClusterId>,
}

impl EventFilter {
    /// Reads `?types=` (comma-separated; empty parts ignored): the
    /// unknown type's spelling when one is not a type.
    pub fn with_types(mut self, types: Option<&str>) -> Result<Self, String> {
        let Some(types) = types else {
            return Ok(self);
        };
        let parsed = types
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<EventType>().map_err(|_| part.to_string()))
            .collect::<Result<BTreeSet<_>, _>>()?;
        self.types = Some(parsed);
        Ok(self)
    }

    /// Whether `actor` receives `event` through this filter. The internal
    /// events (a user's rights changed) are never sent.
    pub fn passes(&self, actor: Actor, event: &StoredEvent) -> bool {
        let Some(kind) = event.event_type() else {
            return false;
        };
        let wanted = self
            .types
            .as_ref()
            .is_none_or(|types| types.contains(&kind))
            && self
                .device
                .is_none_or(|device| event.device_id == Some(device))
            && self
                .cluster
                .is_none_or(|cluster| event.cluster_id == Some(cluster));
        let readable = match kind {
            EventType::Agent => actor.sees_agent(event.cluster_id.is_some()),
            EventType::Presence | EventType::Wake | EventType::Device | EventType::Cluster => true,
        };
        wanted && readable
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::{AgentId, UserId};
    use shared::types::Role;
    use uuid::Uuid;

    fn event(kind: &str, device: Option<u128>, cluster: Option<u128>) -> StoredEvent {
        StoredEvent {
            id: 1,
            kind: kind.into(),
            device_id: device.map(|n| DeviceId::from_uuid(Uuid::from_u128(n))),
            cluster_id: cluster.map(|n| ClusterId::from_uuid(Uuid::from_u128(n))),
            agent_id: (kind == "agent").then(|| AgentId::from_uuid(Uuid::from_u128(9))),
            user_id: (kind == "access").then(|| UserId::from_uuid(Uuid::from_u128(1))),
            body: "{}".into(),
        }
    }

    fn actor(role: Role) -> Actor {
        Actor {
            id: UserId::from_uuid(Uuid::from_u128(1)),
            role,
        }
    }

    #[test]
    fn everything_readable_passes_an_empty_filter() {
        let all = EventFilter::default();
        for kind in ["presence", "wake", "device", "cluster", "agent"] {
            assert!(
                all.passes(actor(Role::User), &event(kind, Some(1), None)),
                "{kind}"
            );
        }
        assert!(!all.passes(actor(Role::Superuser), &event("access", None, None)));
    }

    #[test]
    fn viewers_get_agents_of_clusters_only() {
        let all = EventFilter::default();
        assert!(!all.passes(actor(Role::Viewer), &event("agent", None, None)));
        assert!(all.passes(actor(Role::Viewer), &event("agent", None, Some(2))));
        assert!(all.passes(actor(Role::Viewer), &event("presence", Some(1), None)));
    }

    #[test]
    fn types_device_and_cluster_narrow_it() {
        let filter = EventFilter::default()
            .with_types(Some("presence, wake,"))
            .unwrap();
        assert!(filter.passes(actor(Role::Viewer), &event("wake", Some(1), None)));
        assert!(!filter.passes(actor(Role::Viewer), &event("device", Some(1), None)));

        let device = EventFilter {
            device: Some(DeviceId::from_uuid(Uuid::from_u128(1))),
            ..EventFilter::default()
        };
        assert!(device.passes(actor(Role::User), &event("presence", Some(1), None)));
        assert!(!device.passes(actor(Role::User), &event("presence", Some(3), None)));
        assert!(!device.passes(actor(Role::User), &event("cluster", None, Some(1))));

        let cluster = EventFilter {
            cluster: Some(ClusterId::from_uuid(Uuid::from_u128(2))),
            ..EventFilter::default()
        };
        assert!(cluster.passes(actor(Role::User), &event("presence", Some(1), Some(2))));
        assert!(cluster.passes(actor(Role::Viewer), &event("agent", None, Some(2))));
        assert!(!cluster.passes(actor(Role::User), &event("presence", Some(1), None)));
    }

    #[test]
    fn an_unknown_type_is_named() {
        assert_eq!(
            EventFilter::default().with_types(Some("presence,boot")),
            Err("boot".to_string())
        );
        assert_eq!(
            EventFilter::default().with_types(None),
            Ok(EventFilter::default())
        );
    }
}
