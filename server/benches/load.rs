//! Load benchmarks (README.md, "Benchmarks") that report per-request latency
//! percentiles, which criterion's per-iteration times cannot:
//!
//! - 16 clients each getting one device in a loop for 10 s (closed loop);
//! - one device woken through 3 agents (fake ones on 127.0.0.1 that answer
//!   HTTP only: no packet is sent), by 1 client and by 16, 10 s each;
//! - 10 000 agents heartbeating every 30 s: each registered agent sends one
//!   heartbeat, spread evenly over 30 s (333 per second, open loop: a slow
//!   answer does not slow the sending); then the same four times as fast,
//!   to show the headroom.
//!
//! The clients run on the same machine as the server and take part of its CPU.
//! `cargo bench -p powerbeacon --bench load` (SQLite); with `PB_BENCH_POSTGRES_URL`
//! set it runs on PostgreSQL too.

mod support;

#[allow(dead_code)]
#[path = "../tests/integration/fake_agent.rs"]
mod fake_agent;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_agent::{Behaviour, FakeAgent};
use powerbeacon::Config;
use shared::ids::AgentId;
use support::{Bench, PostgresScratch, sqlite_config};

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
    // The pool the server would choose for this engine.
    config.db_max_connections = None;
    let bench = Bench::start(config).await;
    let device = bench.add_devices(0, 1000, None, &[]).await[500];
    let path = format!("/api/devices/{device}");
    let latencies = with_clients(&bench, reqwest::Method::GET, &path, 16, 200).await;
    report(engine, "GET one device, 16 clients", &latencies);

    let key = bench.enrollment_key(None).await;
    let mut fakes = Vec::new();
    let mut wakers = Vec::new();
    for i in 0..3 {
        let fake = FakeAgent::start(Behaviour::Succeed).await;
        wakers.push(
            bench
                .register_agent(&key, &format!("waker-{i}"), fake.port())
                .await
                .0,
        );
        fakes.push(fake);
    }
    let woken = bench.add_devices(1000, 1, None, &wakers).await[0];
    let path = format!("/api/devices/{woken}/wake");
    for clients in [1, 16] {
        let latencies = with_clients(&bench, reqwest::Method::POST, &path, clients, 202).await;
        report(
            engine,
            &format!("wake one device through 3 agents, {clients} clients"),
            &latencies,
        );
    }
    drop(fakes);

    let key = bench.enrollment_key(None).await;
    let started = Instant::now();
    let mut agents: Vec<(AgentId, String)> = Vec::with_capacity(AGENTS);
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
        let rate = AGENTS as f64 / PERIOD.as_secs_f64() * f64::from(speedup);
        report(engine, &format!("heartbeats at {rate:.0}/s"), &latencies);
    }
}

/// Sends every agent's heartbeat once, evenly over `period`; returns the latencies.
async fn round(
    bench: &Bench,
    agents: Arc<Vec<(AgentId, String)>>,
    period: Duration,
) -> Vec<Duration> {
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

/// `clients` tasks each send `method` to `path` in a loop for 10 s, each
/// answer `status`; returns every latency.
async fn with_clients(
    bench: &Bench,
    method: reqwest::Method,
    path: &str,
    clients: usize,
    status: u16,
) -> Vec<Duration> {
    let url = format!("{}{path}", bench.base);
    let until = Instant::now() + Duration::from_secs(10);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (client, url, token) = (bench.client.clone(), url.clone(), bench.token.clone());
        let method = method.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let sent = Instant::now();
                let response = client
                    .request(method.clone(), &url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), status);
                response.bytes().await.unwrap();
                latencies.push(sent.elapsed());
            }
            latencies
        });
    }
    let mut all = Vec::new();
    while let Some(latencies) = tasks.join_next().await {
        all.extend(latencies.expect("client task"));
    }
    all
}

fn report(engine: &str, what: &str, latencies: &[Duration]) {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{engine}: {what}: {} requests, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sorted.len(),
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(at(1.0)),
    );
}
