//! Wake buttons and the toasts that report what each agent did.

use leptos::prelude::*;
use shared::ids::{ClusterId, DeviceId};

use crate::components::toast::{ToastKind, Toasts, use_toasts};
use crate::server_fns::{wake_cluster, wake_device};
use shared::types::{ClusterWakeResult, DeviceWakeResult, ErrorBody, WakeAgentResult, WakeOutcome};

/// Wakes one device, shows that it is busy meanwhile and reports the
/// outcome agent by agent.
#[component]
pub fn WakeDeviceButton(id: DeviceId, name: String) -> impl IntoView {
    let toasts = use_toasts();
    let wake = Action::new(move |_: &()| {
        let name = name.clone();
        async move { report_device_wake(toasts, &name, wake_device(id).await) }
    });
    view! { <WakeButton label="Wake" wake /> }
}

/// Wakes every device of a cluster and reports the outcome device by device.
#[component]
pub fn WakeClusterButton(id: ClusterId, name: String) -> impl IntoView {
    let toasts = use_toasts();
    let wake = Action::new(move |_: &()| {
        let name = name.clone();
        async move { report_cluster_wake(toasts, &name, wake_cluster(id).await) }
    });
    view! { <WakeButton label="Wake cluster" wake /> }
}

/// The button of a wake: busy (and deaf to more clicks) while it runs.
#[component]
fn WakeButton(label: &'static str, wake: Action<(), ()>) -> impl IntoView {
    let waking = wake.pending();
    view! {
        <button
            type="button"
            class="button accent wake"
            disabled=move || waking.get()
            aria-busy=move || waking.get().to_string()
            on:click=move |_| {
                if !waking.get_untracked() {
                    wake.dispatch(());
                }
            }
        >
            {move || if waking.get() { "Waking…" } else { label }}
        </button>
    }
}

/// How many devices a cluster's wake toast names.
const TOAST_LINES: usize = 8;

fn outcome_word(outcome: WakeOutcome) -> &'static str {
    match outcome {
        WakeOutcome::Sent => "sent",
        WakeOutcome::Failed => "failed",
        WakeOutcome::Offline => "offline",
    }
}

/// "host: sent" or "host: failed — reason".
fn agent_line(agent: &WakeAgentResult) -> String {
    let outcome = outcome_word(agent.outcome);
    match &agent.message {
        Some(message) => format!("{}: {outcome} — {message}", agent.hostname),
        None => format!("{}: {outcome}", agent.hostname),
    }
}

/// The lines of a refusal: each agent's part when the server gave them,
/// else its details.
fn error_lines(error: &ErrorBody) -> Vec<String> {
    if error.agents.is_empty() {
        error.details.iter().cloned().collect()
    } else {
        error.agents.iter().map(agent_line).collect()
    }
}

fn report_device_wake(toasts: Toasts, name: &str, result: Result<DeviceWakeResult, ErrorBody>) {
    match result {
        Ok(result) => {
            let lines = result.agents.iter().map(agent_line).collect();
            let kind = if result.failed_agents.is_empty() && result.offline_agents.is_empty() {
                ToastKind::Success
            } else {
                ToastKind::Info
            };
            toasts.show(kind, result.message, lines);
        }
        Err(error) => toasts.show(
            ToastKind::Error,
            format!("{name}: {}", error.message),
            error_lines(&error),
        ),
    }
}

fn report_cluster_wake(toasts: Toasts, name: &str, result: Result<ClusterWakeResult, ErrorBody>) {
    match result {
        Ok(result) => {
            let mut lines: Vec<String> = result
                .devices
                .iter()
                .map(|device| {
                    let agents: Vec<String> = device.agents.iter().map(agent_line).collect();
                    if agents.is_empty() {
                        format!("{}: no agent linked", device.device_name)
                    } else {
                        format!("{} — {}", device.device_name, agents.join(", "))
                    }
                })
                .collect();
            if lines.len() > TOAST_LINES {
                let more = lines.len() - TOAST_LINES;
                lines.truncate(TOAST_LINES);
                lines.push(format!("…and {more} more devices"));
            }
            let kind = if result.failed_device_count == 0 {
                ToastKind::Success
            } else {
                ToastKind::Info
            };
            toasts.show(kind, result.message, lines);
        }
        Err(error) => toasts.show(
            ToastKind::Error,
            format!("{name}: {}", error.message),
            error_lines(&error),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(hostname: &str, outcome: WakeOutcome, message: Option<&str>) -> WakeAgentResult {
        WakeAgentResult {
            agent_id: shared::ids::AgentId::from_uuid(uuid::Uuid::nil()),
            hostname: hostname.into(),
            outcome,
            message: message.map(str::to_string),
            sent: None,
        }
    }

    #[test]
    fn a_refused_wake_lists_each_agent_from_the_structured_parts() {
        let error = ErrorBody {
            agents: vec![
                part("nas", WakeOutcome::Failed, Some("agent unreachable; retry")),
                part("pi", WakeOutcome::Offline, None),
            ],
            ..ErrorBody::with_details(
                503,
                "Failed",
                "nas: agent unreachable; retry; pi: no answer",
            )
        };
        // A reason holding "; " stays one line.
        assert_eq!(
            error_lines(&error),
            ["nas: failed — agent unreachable; retry", "pi: offline"]
        );
        let plain = ErrorBody::with_details(
            503,
            "Failed",
            "No device of this cluster has an associated agent.",
        );
        assert_eq!(
            error_lines(&plain),
            ["No device of this cluster has an associated agent."]
        );
    }
}
