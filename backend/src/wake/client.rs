//! HTTP calls from the server to an agent's `/wol` endpoint.

use std::net::SocketAddr;
use std::time::Duration;

use powerbeacon_agent::wire::{
    SentPackets, WolBatchRequest, WolBatchResponse, WolRequest, WolResponse,
};

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

/// What an agent said it did for one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSent {
    /// Its message, shortened.
    pub message: String,
    /// Where and what it sent, when it says.
    pub sent: Option<SentPackets>,
}

/// An agent's answer for one machine: sent, or refused with its reason.
fn sent_or_rejected(answer: WolResponse) -> Result<AgentSent, AgentCallError> {
    if answer.success {
        Ok(AgentSent {
            message: shorten(answer.message),
            sent: answer.sent.map(clean_sent),
        })
    } else {
        Err(AgentCallError::Rejected(non_empty(answer.message)))
    }
}

/// What an agent says it sent, its words shortened like its messages.
fn clean_sent(sent: SentPackets) -> SentPackets {
    SentPackets {
        interface: sent.interface.map(shorten),
        destination: shorten(sent.destination),
        ..sent
    }
}

/// How many idle connections to one agent are kept for its next calls.
const IDLE_CONNECTIONS_PER_AGENT: usize = 8;

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
            // A burst of wakes through one agent opens a connection per
            // call in flight; afterwards only a few stay open, not a socket
            // per call of the burst for the idle timeout.
            .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_AGENT)
            .user_agent(concat!("powerbeacon/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client configuration is static and valid");
        Self { http, timeout }
    }

    /// The per-call timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks `agent` to wake one machine; `Ok` carries the agent's message
    /// and what it says it sent.
    #[tracing::instrument(level = "debug", skip_all, fields(agent = %agent.hostname, mac = %request.mac), err(level = "info"))]
    pub async fn wake(
        &self,
        agent: &AgentRecord,
        request: &WolRequest,
    ) -> Result<AgentSent, AgentCallError> {
        let answer: WolResponse = self.post_wol(agent, request, SINGLE_ANSWER_LIMIT).await?;
        sent_or_rejected(answer)
    }

    /// Asks `agent` to wake several machines in one request (agents that
    /// announced the batch feature). One result per target, in order.
    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(agent = %agent.hostname, devices = request.targets.len()),
        err(level = "info")
    )]
    pub async fn wake_batch(
        &self,
        agent: &AgentRecord,
        request: &WolBatchRequest,
    ) -> Result<Vec<Result<AgentSent, AgentCallError>>, AgentCallError> {
        let limit = SINGLE_ANSWER_LIMIT + request.targets.len() * PER_TARGET_ANSWER_LIMIT;
        let answer: WolBatchResponse = self.post_wol(agent, request, limit).await?;
        if answer.results.len() != request.targets.len() {
            return Err(AgentCallError::Rejected(format!(
                "agent answered {} results for {} targets",
                answer.results.len(),
                request.targets.len()
            )));
        }
        Ok(answer.results.into_iter().map(sent_or_rejected).collect())
    }

    async fn post_wol<B, T>(
        &self,
        agent: &AgentRecord,
        body: &B,
        limit: usize,
    ) -> Result<T, AgentCallError>
    where
        B: serde::Serialize + ?Sized,
        T: serde::de::DeserializeOwned,
    {
        let url = format!("http://{}/wol", SocketAddr::new(agent.ip, agent.port));
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
            let body = self
                .read_capped(response, SINGLE_ANSWER_LIMIT)
                .await
                .unwrap_or_default();
            return Err(AgentCallError::Rejected(format!(
                "agent answered HTTP {}{}",
                status.as_u16(),
                agent_message(&body)
                    .map(|message| format!(": {message}"))
                    .unwrap_or_default()
            )));
        }
        let body = self.read_capped(response, limit).await?;
        serde_json::from_slice(&body)
            .map_err(|_| AgentCallError::Rejected("agent sent an unreadable answer".into()))
    }

    /// Reads an answer body, refusing one longer than `limit` bytes: an agent
    /// (or whatever listens at its address) cannot make the server buffer
    /// without bound.
    async fn read_capped(
        &self,
        mut response: reqwest::Response,
        limit: usize,
    ) -> Result<Vec<u8>, AgentCallError> {
        let too_long =
            || AgentCallError::Rejected(format!("agent answer longer than {limit} bytes"));
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_long());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| AgentCallError::Unreachable(describe(&error, self.timeout)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_long());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The largest answer to a single wake, and what each batch target adds.
const SINGLE_ANSWER_LIMIT: usize = 64 * 1024;
const PER_TARGET_ANSWER_LIMIT: usize = 1024;

/// The longest agent message passed on to people.
const MESSAGE_CHARS: usize = 200;

/// An agent's message, cut to a length fit for a result list, with control
/// characters (line breaks, terminal escapes) made spaces: it is shown to
/// people and logged, and it comes from a machine the server does not trust.
fn shorten(message: String) -> String {
    let message: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if message.chars().count() <= MESSAGE_CHARS {
        message
    } else {
        let mut short: String = message.chars().take(MESSAGE_CHARS - 1).collect();
        short.push('…');
        short
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
fn agent_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = value
        .get("message")
        .or_else(|| value.get("detail"))
        .or_else(|| value.get("error"))?
        .as_str()?;
    Some(shorten(message.to_owned()))
}

fn non_empty(message: String) -> String {
    if message.trim().is_empty() {
        "agent reported a failure".into()
    } else {
        shorten(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_error_bodies_are_summarised() {
        assert_eq!(
            agent_message(br#"{"success":false,"message":"no interface"}"#).as_deref(),
            Some("no interface")
        );
        assert_eq!(
            agent_message(br#"{"detail":"bad token"}"#).as_deref(),
            Some("bad token")
        );
        assert_eq!(agent_message(b"<html>"), None);
    }

    #[test]
    fn long_messages_are_cut() {
        assert_eq!(shorten("ok".into()), "ok");
        let long = shorten("é".repeat(1000));
        assert_eq!(long.chars().count(), MESSAGE_CHARS);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn control_characters_in_agent_messages_become_spaces() {
        assert_eq!(
            shorten("sent\n\u{1b}[31mFAKE LOG LINE\r".into()),
            "sent  [31mFAKE LOG LINE "
        );
    }
}
