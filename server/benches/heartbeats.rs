//! Load benchmark (DESIGN.md §5): 10 000 agents heartbeating every 30 s.
//!
//! Registers 10 000 agents, then sends each one heartbeat, spread evenly
//! over 30 s (333 per second, open loop: a slow answer does not slow the
//! sending), and reports latency percentiles. A second round sends the same
//! heartbeats four times as fast to show the headroom. The client runs on
//! the same machine as the server, so it takes part of the CPU.
//!
//! `cargo bench -p server --bench heartbeats` (SQLite); with
//! `PB_BENCH_POSTGRES_URL` set it runs on PostgreSQL too.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use powerbeacon::Config;
use support::{Bench, PostgresScratch, sqlite_config};
use uuid::Uuid;

const AGENTS: usize = 10_000;
const PERIOD: Duration = Duration::from_secs(30);

fn main() {
    // `cargo bench` passes `--bench`; filters are not supported here.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        run("sqlite", sqlite_config(dir.path())).await;
        if let Some(scratch) = PostgresScratch::create().await {
            let pg_dir = tempfile::tempdir().unwrap();
            run("postgres", scratch.config(pg_dir.path())).await;
            scratch.drop_database().await;
        }
    });
}

async fn run(engine: &str, mut config: Config) {
    config.db_max_connections = 16;
    let bench = Bench::start(config).await;
    let key = bench.enrollment_key(None).await;
    let started = Instant::now();
    let mut agents: Vec<(Uuid, String)> = Vec::with_capacity(AGENTS);
    for i in 0..AGENTS {
        // Registered, never called: the port is never used.
        agents.push(
            bench
                .register_agent(&key, &format!("agent-{i:05}"), 9)
                .await,
        );
    }
    println!(
        "{engine}: registered {AGENTS} agents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let agents = Arc::new(agents);
    for speedup in [1u32, 4] {
        let latencies = round(&bench, agents.clone(), PERIOD / speedup).await;
        report(engine, speedup, &latencies);
    }
}

/// Sends every agent's heartbeat once, evenly over `period`; returns the latencies.
async fn round(bench: &Bench, agents: Arc<Vec<(Uuid, String)>>, period: Duration) -> Vec<Duration> {
    let url = format!("{}/api/agents/heartbeat", bench.base);
    let gap = period / agents.len() as u32;
    let mut ticker = tokio::time::interval(gap);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..agents.len() {
        ticker.tick().await;
        let (client, url, agents) = (bench.client.clone(), url.clone(), agents.clone());
        tasks.spawn(async move {
            let (id, token) = &agents[i];
            let sent = Instant::now();
            let response = client
                .post(&url)
                .bearer_auth(token)
                .json(&serde_json::json!({ "agent_id": id }))
                .send()
                .await
                .expect("heartbeat sent");
            assert_eq!(response.status(), 204);
            sent.elapsed()
        });
    }
    let mut latencies = Vec::with_capacity(agents.len());
    while let Some(latency) = tasks.join_next().await {
        latencies.push(latency.expect("heartbeat task"));
    }
    latencies
}

fn report(engine: &str, speedup: u32, latencies: &[Duration]) {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{engine}: {} heartbeats at {:.0}/s: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sorted.len(),
        AGENTS as f64 / PERIOD.as_secs_f64() * f64::from(speedup),
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(at(1.0)),
    );
}
