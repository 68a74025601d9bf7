//! HTTP calls from the server to an agent's `/wol` endpoint.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use powerbeacon_agent::wire::{WolBatchRequest, WolBatchResponse, WolRequest, WolResponse};

use crate::storage::AgentRecord;

/// Why a call to an agent failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentCallError {
    /// No answer: refused, unroutable or timed out. Further calls to the same
    /// agent in this wake would fail the same way.
    #[error("agent unreachable: {0}")]
    Unreachable(String),
    /// The agent answered with an error status or an unreadable body.
    #[error("{0}")]
    Rejected(String),
}

/// Calls agents over HTTP, presenting each agent's own token. Every call has
/// its own timeout, so one silent agent costs one timeout.
#[derive(Debug, Clone)]
pub struct AgentClient {
    http: reqwest::Client,
    timeout: Duration,
}

impl AgentClient {
    /// A client whose calls give up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            // Agents live on the operator's LANs: never via a proxy from the
            // environment, and never follow a redirect with the token.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("powerbeacon/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client configuration is static and valid");
        Self { http, timeout }
    }

    /// The per-call timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks `agent` to wake one machine; `Ok` carries the agent's message.
    pub async fn wake(
        &self,
        agent: &AgentRecord,
        request: &WolRequest,
    ) -> Result<String, AgentCallError> {
        let answer: WolResponse = self.post_wol(agent, request).await?;
        if answer.success {
            Ok(answer.message)
        } else {
            Err(AgentCallError::Rejected(non_empty(answer.message)))
        }
    }

    /// Asks `agent` to wake several machines in one request (agents that
    /// announced the batch feature). One result per target, in order.
    pub async fn wake_batch(
        &self,
        agent: &AgentRecord,
        request: &WolBatchRequest,
    ) -> Result<Vec<Result<String, AgentCallError>>, AgentCallError> {
        let answer: WolBatchResponse = self.post_wol(agent, request).await?;
        if answer.results.len() != request.targets.len() {
            return Err(AgentCallError::Rejected(format!(
                "agent answered {} results for {} targets",
                answer.results.len(),
                request.targets.len()
            )));
        }
        Ok(answer
            .results
            .into_iter()
            .map(|result| {
                if result.success {
                    Ok(result.message)
                } else {
                    Err(AgentCallError::Rejected(non_empty(result.message)))
                }
            })
            .collect())
    }

    async fn post_wol<B, T>(&self, agent: &AgentRecord, body: &B) -> Result<T, AgentCallError>
    where
        B: serde::Serialize + ?Sized,
        T: serde::de::DeserializeOwned,
    {
        let ip: IpAddr = agent.ip.parse().map_err(|_| {
            AgentCallError::Unreachable(format!("invalid agent address {:?}", agent.ip))
        })?;
        let url = format!("http://{}/wol", SocketAddr::new(ip, agent.port));
        let response = self
            .http
            .post(url)
            .bearer_auth(&agent.token)
            .json(body)
            .send()
            .await
            .map_err(|error| AgentCallError::Unreachable(describe(&error, self.timeout)))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(AgentCallError::Rejected(format!(
                "agent answered HTTP {}{}",
                status.as_u16(),
                agent_message(&text)
                    .map(|message| format!(": {message}"))
                    .unwrap_or_default()
            )));
        }
        response.json::<T>().await.map_err(|error| {
            if error.is_timeout() {
                AgentCallError::Unreachable(describe(&error, self.timeout))
            } else {
                AgentCallError::Rejected("agent sent an unreadable answer".into())
            }
        })
    }
}

/// A short reason for a failed call, without the URL (it holds nothing
/// secret, but the message is for people).
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        format!("no answer within {} ms", timeout.as_millis())
    } else if error.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}

/// The `message` (or `detail`) of an agent's JSON error body, when it has one.
fn agent_message(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let message = value
        .get("message")
        .or_else(|| value.get("detail"))
        .or_else(|| value.get("error"))?
        .as_str()?;
    Some(message.chars().take(200).collect())
}

fn non_empty(message: String) -> String {
    if message.trim().is_empty() {
        "agent reported a failure".into()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_error_bodies_are_summarised() {
        assert_eq!(
            agent_message(r#"{"success":false,"message":"no interface"}"#).as_deref(),
            Some("no interface")
        );
        assert_eq!(
            agent_message(r#"{"detail":"bad token"}"#).as_deref(),
            Some("bad token")
        );
        assert_eq!(agent_message("<html>"), None);
    }
}
