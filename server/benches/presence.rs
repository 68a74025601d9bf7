//! Presence reports at fleet scale (docs/ARCHITECTURE.md, "Presence"): the
//! release `powerbeacon` runs as its own process on a fresh database; 100
//! agents (announcing `presence`) each watch 100 of 10 000 devices and each
//! report once per period (30 s unless `PB_BENCH_PERIOD_SECONDS`), spread
//! evenly (open loop). Every sighting of a round is a change (the devices
//! alternate up and down), the worst case: 10 000 changes per period, each
//! written with its transition. Then the same at four times the rate.
//!
//! Reports: latency p50/p99 per report, the server's CPU share over the
//! round (CPU seconds / wall seconds, from `/proc`), its peak RSS. SQLite,
//! and PostgreSQL when `PB_BENCH_POSTGRES_URL` is set (a scratch database is
//! created there and dropped).
//!
//! `cargo bench -p powerbeacon --bench presence`

#[path = "support/process.rs"]
mod process;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use process::{Api, RssSampler, percentile, set_up, start_server};
use serde_json::json;

const AGENTS: usize = 100;
const DEVICES_PER_AGENT: usize = 100;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        run("sqlite", None).await;
        match support::PostgresScratch::create().await {
            Some(scratch) => {
                run("postgres", Some(&scratch.url)).await;
                scratch.drop_database().await;
            }
            None => println!("(PB_BENCH_POSTGRES_URL is not set: PostgreSQL not measured)"),
        }
    });
}

struct Agent {
    id: String,
    token: String,
    devices: Vec<String>,
}

async fn run(engine: &str, database_url: Option<&str>) {
    let server = start_server(database_url).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let token = set_up(&client, &server.base).await;
    let api = Api {
        client: client.clone(),
        base: server.base.clone(),
        token,
    };
    let key = api.enrollment_key().await;
    let started = Instant::now();
    let mut agents = Vec::with_capacity(AGENTS);
    for a in 0..AGENTS {
        let (id, token) = api
            .register_agent(&key, &format!("agent-{a:03}"), 9, &["presence"])
            .await;
        let mut devices = Vec::with_capacity(DEVICES_PER_AGENT);
        for d in 0..DEVICES_PER_AGENT {
            let n = a * DEVICES_PER_AGENT + d;
            let device = api
                .json(
                    reqwest::Method::POST,
                    "/api/devices",
                    Some(json!({
                        "name": format!("device-{n:05}"),
                        "mac_address": format!("02:00:00:{:02X}:{:02X}:{:02X}", n >> 16, (n >> 8) & 0xFF, n & 0xFF),
                        "ip_address": format!("10.{}.{}.{}", a, d / 250, d % 250 + 1),
                        "agent_ids": [id],
                    })),
                )
                .await;
            devices.push(device["id"].as_str().unwrap().to_string());
        }
        agents.push(Agent { id, token, devices });
    }
    println!(
        "{engine}: {} devices watched by {AGENTS} agents, set up in {:.1} s",
        AGENTS * DEVICES_PER_AGENT,
        started.elapsed().as_secs_f64()
    );
    let agents = Arc::new(agents);
    let sampler = RssSampler::start(server.child.id());
    let period = Duration::from_secs(
        std::env::var("PB_BENCH_PERIOD_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30),
    );
    for (round_number, speedup) in [1u32, 4].into_iter().enumerate() {
        let wall = period / speedup;
        sampler.phase();
        let cpu_before = sampler.cpu_seconds();
        let began = Instant::now();
        let mut latencies = round(&client, &server.base, agents.clone(), wall, round_number).await;
        let elapsed = began.elapsed().as_secs_f64();
        let cpu = sampler.cpu_seconds() - cpu_before;
        let (peak, _) = sampler.phase();
        latencies.sort();
        println!(
            "{engine}: {} reports of {DEVICES_PER_AGENT} changes in {elapsed:.1} s \
             ({:.0} changes/s): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; server CPU {:.1} % \
             of one core ({:.2} ms per report); peak RSS {peak:.1} MiB",
            latencies.len(),
            (AGENTS * DEVICES_PER_AGENT) as f64 / wall.as_secs_f64(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
            cpu / elapsed * 100.0,
            cpu * 1000.0 / latencies.len() as f64,
        );
    }
    // A round where nothing changed is no reports at all: agents send only
    // changes. What is left is each agent's heartbeat, measured by `load`.
    drop(sampler);
}

/// Each agent reports all its devices once, evenly over `period`, every
/// device flipping from the previous round; returns the latencies.
async fn round(
    client: &reqwest::Client,
    base: &str,
    agents: Arc<Vec<Agent>>,
    period: Duration,
    round_number: usize,
) -> Vec<Duration> {
    let url = format!("{base}/api/agents/presence");
    let gap = period / agents.len() as u32;
    let mut ticker = tokio::time::interval(gap);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let state = if round_number.is_multiple_of(2) {
        "up"
    } else {
        "down"
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..agents.len() {
        ticker.tick().await;
        let (client, url, agents) = (client.clone(), url.clone(), agents.clone());
        tasks.spawn(async move {
            let agent = &agents[i];
            let who = (agent.id.as_str(), agent.token.as_str());
            process::report_presence(&client, &url, who, &agent.devices, state).await
        });
    }
    let mut latencies = Vec::with_capacity(agents.len());
    while let Some(latency) = tasks.join_next().await {
        latencies.push(latency.expect("report task"));
    }
    latencies
}
