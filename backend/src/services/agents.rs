//! Agents: enrollment and re-registration (docs/API.md, "Agents"), heartbeats, and
//! the agent list with liveness computed at read time.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use powerbeacon_agent::wire::{HeartbeatRequest, RegisterRequest, RegisterResponse, WatchList};
use shared::access::agent_may_serve;
use shared::ids::{AgentId, ClusterId};
use shared::types::{
    AgentPublic, AgentRegistrationConfig, AgentRow, AgentStatus, AgentsOverview, AgentsPublic,
    DeviceAgentPublic, Message,
};
use subtle::ConstantTimeEq;

use super::enrollment::hash_key;
use super::{ServiceError, Services};
use crate::domain::{AgentRegistration, Invalid, is_online, parse_interfaces};
use crate::security::random_secret;
use crate::storage::{
    AgentRecord, AgentRef, AgentRenewal, AgentView, EnrollmentKeyRecord, Page, StorageError,
    UniqueKey, UserRecord, keys,
};

/// How a registration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// A new agent, approved (it had a valid enrollment key).
    Enrolled,
    /// A new agent awaiting approval (open registration, no key).
    Pending,
    /// A known agent proved its token and updated its address.
    Renewed,
}

/// The most agents that may wait for approval under open registration.
pub const MAX_PENDING_AGENTS: u64 = 100;

impl Services {
    /// Registers an agent. `presented_token` is the bearer token of the
    /// request, which only a known agent re-registering has.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn register_agent(
        &self,
        request: RegisterRequest,
        presented_token: Option<&str>,
    ) -> Result<(RegisterResponse, Registered), ServiceError> {
        let registration = AgentRegistration::parse(request)?;
        self.check_agent_address(registration.ip, registration.port)?;
        let now = crate::storage::now();
        if let Some(existing) = self.store.agent_by_hostname(&registration.hostname).await? {
            let Some(token) = presented_token else {
                return Err(ServiceError::Conflict(format!(
                    "An agent named {:?} is already registered. Re-register with its current \
                     token (Authorization: Bearer), or ask an admin to delete it first.",
                    registration.hostname
                )));
            };
            if !tokens_match(token, &existing.token) {
                tracing::warn!(hostname = %registration.hostname, "re-registration with a wrong token refused");
                return Err(ServiceError::Unauthorized(format!(
                    "The token does not belong to the agent registered as {:?}.",
                    registration.hostname
                )));
            }
            // A pending agent that now presents a valid key is approved by
            // it. An approved agent's key is not checked again: it may have
            // expired since, and the agent proved itself with its token.
            let approving_key = match &registration.enrollment_key {
                Some(key) if !existing.approved => self.usable_enrollment_key(key, now).await?,
                _ => None,
            };
            let approved_now = approving_key.is_some();
            let renewal = AgentRenewal {
                id: existing.id,
                ip: registration.ip,
                port: registration.port,
                os: registration.os,
                version: registration.version,
                interfaces: registration.interfaces,
                features: registration.features,
                at: now,
                approving_key,
            };
            if !self.store.renew_agent(&renewal).await? {
                return Err(agent_not_found());
            }
            tracing::info!(agent_id = %existing.id, hostname = %existing.hostname, ip = %renewal.ip, approved_now, "agent re-registered");
            return Ok((
                RegisterResponse {
                    agent_id: existing.id.to_string(),
                    token: existing.token,
                },
                Registered::Renewed,
            ));
        }

        let (approved, cluster_id, owner_id, used_key) = match &registration.enrollment_key {
            Some(key) => {
                let record = self.usable_enrollment_key(key, now).await?.ok_or_else(|| {
                    ServiceError::Unauthorized(
                        "The enrollment key is invalid, revoked or expired.".into(),
                    )
                })?;
                (true, record.cluster_id, record.created_by, Some(record.id))
            }
            None if self.agent_registration_config().await?.open_registration => {
                // Open registration is not a way to fill the database.
                if self.store.count_pending_agents().await? >= MAX_PENDING_AGENTS {
                    return Err(ServiceError::Unavailable(format!(
                        "{MAX_PENDING_AGENTS} agents already await approval; an admin must \
                         approve or delete some before more can register."
                    )));
                }
                (false, None, None, None)
            }
            None => {
                return Err(ServiceError::Unauthorized(
                    "Registration needs an enrollment key: an admin creates one under \
                     Agents → Enrollment keys, and the agent is started with ENROLLMENT_KEY."
                        .into(),
                ));
            }
        };
        let agent = AgentRecord {
            id: AgentId::generate(),
            hostname: registration.hostname,
            ip: registration.ip,
            port: registration.port,
            os: registration.os,
            version: registration.version,
            token: random_secret(),
            approved,
            interfaces: registration.interfaces.unwrap_or_default(),
            features: registration.features,
            cluster_id,
            owner_id,
            last_seen: Some(now),
            created_at: now,
            updated_at: now,
        };
        self.store
            .insert_agent(&agent, used_key)
            .await
            .map_err(|error| match error {
                StorageError::Conflict(UniqueKey::AgentHostname) => ServiceError::Conflict(
                    format!("An agent named {:?} is already registered.", agent.hostname),
                ),
                other => other.into(),
            })?;
        tracing::info!(agent_id = %agent.id, hostname = %agent.hostname, approved, "agent registered");
        Ok((
            RegisterResponse {
                agent_id: agent.id.to_string(),
                token: agent.token,
            },
            if approved {
                Registered::Enrolled
            } else {
                Registered::Pending
            },
        ))
    }

    /// Records a heartbeat from the agent holding `presented_token`. An
    /// agent that announced presence gets its watch list (or, when its
    /// `watch_version` is current, only the version) to answer with.
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn agent_heartbeat(
        &self,
        request: HeartbeatRequest,
        presented_token: Option<&str>,
    ) -> Result<Option<WatchList>, ServiceError> {
        let agent = self
            .authenticate_agent(&request.agent_id, presented_token)
            .await?;
        let interfaces = request
            .interfaces
            .as_deref()
            .map(parse_interfaces)
            .transpose()?;
        if !self
            .store
            .record_heartbeat(agent.id, crate::storage::now(), interfaces.as_deref())
            .await?
        {
            return Err(agent_not_found());
        }
        self.watch_list_for(&agent, request.watch_version.as_deref())
            .await
    }

    /// The agent `agent_id` names, when `presented_token` is its token.
    pub(super) async fn authenticate_agent(
        &self,
        agent_id: &str,
        presented_token: Option<&str>,
    ) -> Result<AgentRecord, ServiceError> {
        let Some(token) = presented_token else {
            return Err(ServiceError::Unauthorized(
                "Invalid or missing authorization header.".into(),
            ));
        };
        let id: AgentId = agent_id
            .trim()
            .parse()
            .map_err(|_| ServiceError::BadRequest("Invalid agent ID format.".into()))?;
        let agent = self
            .store
            .agent_record(id)
            .await?
            .ok_or_else(agent_not_found)?;
        if !tokens_match(token, &agent.token) {
            return Err(ServiceError::Unauthorized("Invalid agent token.".into()));
        }
        Ok(agent)
    }

    /// Every agent, by hostname (users and up).
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn list_agents(
        &self,
        actor: &UserRecord,
        page: Page,
    ) -> Result<AgentsPublic, ServiceError> {
        require_user(actor)?;
        let (views, count) = self.store.list_agent_views(page).await?;
        Ok(AgentsPublic {
            agents: views.iter().map(|view| self.agent_public(view)).collect(),
            count,
        })
    }

    /// One agent (users and up).
    #[tracing::instrument(skip_all, fields(actor = %actor.id, agent_id = %id), err(level = "debug"))]
    pub async fn get_agent(
        &self,
        actor: &UserRecord,
        id: AgentId,
    ) -> Result<AgentPublic, ServiceError> {
        require_user(actor)?;
        let view = self
            .store
            .agent_view(id)
            .await?
            .ok_or_else(agent_not_found)?;
        Ok(self.agent_public(&view))
    }

    /// Forgets an agent (admins, or the owner of its cluster). The agent
    /// itself keeps running and must enroll again.
    #[tracing::instrument(skip_all, fields(actor = %actor.id, agent_id = %id), err(level = "debug"))]
    pub async fn delete_agent(
        &self,
        actor: &UserRecord,
        id: AgentId,
    ) -> Result<Message, ServiceError> {
        let view = self
            .store
            .agent_view(id)
            .await?
            .ok_or_else(agent_not_found)?;
        ServiceError::forbidden_unless(
            actor.access().may_manage(view.cluster_owner_id),
            "Not authorized to delete this agent.",
        )?;
        self.store.delete_agent(id).await?;
        tracing::info!(actor = %actor.id, agent_id = %id, hostname = %view.agent.hostname, "agent deleted");
        Ok(Message::new("Agent deleted successfully"))
    }

    /// Approves an agent that registered without a key (admins).
    #[tracing::instrument(skip_all, fields(actor = %actor.id, agent_id = %id), err(level = "debug"))]
    pub async fn approve_agent(
        &self,
        actor: &UserRecord,
        id: AgentId,
    ) -> Result<AgentPublic, ServiceError> {
        require_admin(actor, "Only admins approve agents.")?;
        let now = crate::storage::now();
        if !self
            .store
            .approve_agent(id, now, self.online_cutoff(now))
            .await?
        {
            return Err(agent_not_found());
        }
        tracing::info!(actor = %actor.id, agent_id = %id, "agent approved");
        self.get_agent(actor, id).await
    }

    /// The enrollment key `key`, when it exists and is neither revoked nor
    /// expired at `now`.
    async fn usable_enrollment_key(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<EnrollmentKeyRecord>, ServiceError> {
        Ok(self
            .store
            .enrollment_key_by_hash(&hash_key(key))
            .await?
            .filter(|record| {
                record.revoked_at.is_none() && record.expires_at.is_none_or(|at| at > now)
            }))
    }

    /// Refuses an agent address the server must not call: cloud metadata
    /// services always, loopback unless the server allows it, and anything
    /// outside the operator's agent networks and ports. Checked at
    /// registration and again before every wake call.
    pub(crate) fn check_agent_address(&self, ip: IpAddr, port: u16) -> Result<(), Invalid> {
        if crate::domain::is_metadata_address(ip) {
            return Err(Invalid::new(
                "ip",
                format!("{ip} belongs to a cloud metadata service and is never called."),
            ));
        }
        if ip.is_loopback() && !self.settings.allow_loopback_agents {
            return Err(Invalid::new(
                "ip",
                format!(
                    "{ip} is a loopback address. Set AGENT_ADVERTISE_IP to an address the \
                     server reaches on the network, or start the server with \
                     --allow-loopback-agents for an agent on the server's own host."
                ),
            ));
        }
        let networks = &self.settings.agent_networks;
        if !networks.is_empty() && !networks.iter().any(|net| net.contains(&ip)) {
            return Err(Invalid::new(
                "ip",
                format!(
                    "{ip} is outside the networks this server calls agents in (--agent-networks)."
                ),
            ));
        }
        let ports = self.settings.agent_ports;
        if !ports.contains(port) {
            return Err(Invalid::new(
                "port",
                format!(
                    "Agents listen on ports {}-{} here (--agent-ports).",
                    ports.first, ports.last
                ),
            ));
        }
        Ok(())
    }

    /// What the agents page shows `actor` (users and up): agents with what
    /// the actor may do to each; for admins also the enrollment keys and the
    /// platforms an install command can serve.
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn agents_overview(
        &self,
        actor: &UserRecord,
        base_url: &str,
    ) -> Result<AgentsOverview, ServiceError> {
        require_user(actor)?;
        let all = |limit| Page { skip: 0, limit };
        let (views, count) = self
            .store
            .list_agent_views(all(AgentsOverview::AGENT_LIMIT))
            .await?;
        let is_admin = actor.access().may_administer_agents();
        let keys = if is_admin {
            self.list_enrollment_keys(actor, all(1000)).await?.keys
        } else {
            Vec::new()
        };
        let (clusters, _) = self.cluster_choices(actor).await?;
        let open_registration = self.agent_registration_config().await?.open_registration;
        Ok(AgentsOverview {
            agents: views
                .iter()
                .map(|view| AgentRow {
                    agent: self.agent_public(view),
                    can_delete: actor.access().may_manage(view.cluster_owner_id),
                })
                .collect(),
            count,
            is_admin,
            keys,
            clusters,
            open_registration,
            platforms: if is_admin {
                self.agent_platforms(base_url).await
            } else {
                Vec::new()
            },
        })
    }

    /// Whether agents may register without a key.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn agent_registration_config(&self) -> Result<AgentRegistrationConfig, ServiceError> {
        let open = self.store.setting(keys::OPEN_REGISTRATION).await?;
        Ok(AgentRegistrationConfig {
            open_registration: open.as_deref() == Some("true"),
        })
    }

    /// Switches open registration on or off (admins).
    #[tracing::instrument(skip_all, fields(actor = %actor.id), err(level = "debug"))]
    pub async fn update_agent_registration_config(
        &self,
        actor: &UserRecord,
        config: AgentRegistrationConfig,
    ) -> Result<AgentRegistrationConfig, ServiceError> {
        require_admin(actor, "Only admins change how agents register.")?;
        self.store
            .put_setting(
                keys::OPEN_REGISTRATION,
                if config.open_registration {
                    "true"
                } else {
                    "false"
                },
            )
            .await?;
        tracing::info!(actor = %actor.id, open = config.open_registration, "agent registration setting changed");
        self.agent_registration_config().await
    }

    /// The public view of an agent, with its status as of now; never the token.
    pub(crate) fn agent_public(&self, view: &AgentView) -> AgentPublic {
        let agent = &view.agent;
        AgentPublic {
            id: agent.id,
            hostname: agent.hostname.clone(),
            ip: agent.ip.to_string(),
            port: agent.port,
            os: agent.os.clone(),
            version: agent.version.clone(),
            cluster_id: agent.cluster_id,
            owner_id: view.cluster_owner_id,
            owner_name: view.cluster_owner_name.clone(),
            status: self.status_of(agent.approved, agent.last_seen),
            last_seen: agent.last_seen,
            created_at: agent.created_at,
            cluster_name: view.cluster_name.clone(),
            device_count: view.device_count,
            approved: agent.approved,
            interfaces: agent.interfaces.clone(),
            features: agent.features.clone(),
        }
    }

    /// An agent as devices list it, with its status as of now.
    /// An agent as a device in `device_cluster` lists it.
    pub(crate) fn agent_summary(
        &self,
        agent: &AgentRef,
        device_cluster: Option<ClusterId>,
    ) -> DeviceAgentPublic {
        DeviceAgentPublic {
            id: agent.id,
            hostname: agent.hostname.clone(),
            ip: agent.ip.to_string(),
            status: self.status_of(agent.approved, agent.last_seen),
            crosses_cluster: !agent_may_serve(agent.cluster_id, device_cluster),
        }
    }

    /// Agents heard from since this are online at `now` (if approved).
    pub(crate) fn online_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        crate::domain::before(now, self.settings.agent_offline_after)
    }

    /// Announces offline the agents that fell silent (every replica's pass;
    /// each is announced once): how many.
    pub async fn announce_offline_agents(&self) -> Result<usize, ServiceError> {
        let cutoff = self.online_cutoff(crate::storage::now());
        Ok(self.store.announce_offline_agents(cutoff).await?)
    }

    /// Online when approved and heard from within the offline timeout.
    pub(crate) fn status_of(
        &self,
        approved: bool,
        last_seen: Option<DateTime<Utc>>,
    ) -> AgentStatus {
        if is_online(approved, last_seen, self.settings.agent_offline_after) {
            AgentStatus::Online
        } else {
            AgentStatus::Offline
        }
    }
}

/// Compares a presented token with the stored one in constant time.
fn tokens_match(presented: &str, stored: &str) -> bool {
    presented.as_bytes().ct_eq(stored.as_bytes()).into()
}

fn require_user(actor: &UserRecord) -> Result<(), ServiceError> {
    ServiceError::forbidden_unless(
        actor.access().may_list_agents(),
        "Viewers cannot see agents.",
    )
}

fn require_admin(actor: &UserRecord, message: &str) -> Result<(), ServiceError> {
    ServiceError::forbidden_unless(actor.access().may_administer_agents(), message)
}

fn agent_not_found() -> ServiceError {
    ServiceError::NotFound("Agent not found.".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_match_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("ab", "abc"));
        assert!(!tokens_match("", "abc"));
    }
}
