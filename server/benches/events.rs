//! Live events under load (docs/ARCHITECTURE.md, "Live events"): the
//! release `powerbeacon` runs as its own process on a fresh database; 200
//! clients hold `GET /api/events?types=presence` open while 10 agents report
//! 1 000 presence changes a second (every 100 ms one agent reports its 100
//! devices, each flipping up or down), for 5 minutes
//! (`PB_BENCH_EVENTS_SECONDS`).
//!
//! Reports: delivery latency p50/p99 (from the sighting's time, the
//! report's arrival at the server less its 5 ms age, to a client reading
//! the event; one clock, loopback), whether every client got every event,
//! and the server's RSS every 30 s. SQLite; then, when
//! `PB_BENCH_POSTGRES_URL` is set, two server processes on one PostgreSQL
//! database, the clients split between them and the reports sent to the
//! first.
//!
//! `cargo bench -p powerbeacon --bench events`

#[allow(dead_code)]
#[path = "support/process.rs"]
mod process;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use process::{Api, Server, set_up, start_server};
use serde_json::json;

const CLIENTS: usize = 200;
const AGENTS: usize = 10;
const DEVICES_PER_AGENT: usize = 100;
/// One agent's report every this long: 1 000 changes a second.
const REPORT_EVERY: Duration = Duration::from_millis(100);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seconds = std::env::var("PB_BENCH_EVENTS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let duration = Duration::from_secs(seconds);
    runtime.block_on(async {
        let server = start_server(None).await;
        run("sqlite", &[server], duration).await;
        match support::PostgresScratch::create().await {
            Some(scratch) => {
                let first = start_server(Some(&scratch.url)).await;
                let second = start_server(Some(&scratch.url)).await;
                run("postgres, 2 replicas", &[first, second], duration).await;
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

/// Latencies on a log scale: bucket `n` holds those of about 1.05^n µs.
#[derive(Clone)]
struct Histogram(Vec<u64>);

impl Histogram {
    const BUCKETS: usize = 400;

    fn new() -> Self {
        Self(vec![0; Self::BUCKETS])
    }

    fn add(&mut self, micros: f64) {
        let bucket = (micros.max(1.0).ln() / 1.05_f64.ln()) as usize;
        self.0[bucket.min(Self::BUCKETS - 1)] += 1;
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }

    fn count(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The `p` quantile, in milliseconds.
    fn quantile(&self, p: f64) -> f64 {
        let target = (self.count() as f64 * p).ceil() as u64;
        let mut seen = 0;
        for (bucket, count) in self.0.iter().enumerate() {
            seen += count;
            if seen >= target.max(1) {
                return 1.05_f64.powi(bucket as i32 + 1) / 1000.0;
            }
        }
        f64::NAN
    }
}

/// What one client saw.
struct Seen {
    latencies: Histogram,
    events: u64,
    reconnects: u64,
}

async fn run(label: &str, servers: &[Server], duration: Duration) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let token = set_up(&client, &servers[0].base).await;
    let api = Api {
        client: client.clone(),
        base: servers[0].base.clone(),
        token: token.clone(),
    };
    let key = api.enrollment_key().await;
    let started = Instant::now();
    let mut agents = Vec::with_capacity(AGENTS);
    for a in 0..AGENTS {
        let (id, agent_token) = api
            .register_agent(&key, &format!("agent-{a:02}"), 9, &["presence"])
            .await;
        let mut devices = Vec::with_capacity(DEVICES_PER_AGENT);
        for d in 0..DEVICES_PER_AGENT {
            let n = a * DEVICES_PER_AGENT + d;
            let device = api
                .json(
                    reqwest::Method::POST,
                    "/api/devices",
                    Some(json!({
                        "name": format!("device-{n:04}"),
                        "mac_address": format!("02:00:00:00:{:02X}:{:02X}", n >> 8, n & 0xFF),
                        "agent_ids": [id],
                    })),
                )
                .await;
            devices.push(device["id"].as_str().unwrap().to_string());
        }
        agents.push(Agent {
            id,
            token: agent_token,
            devices,
        });
    }
    println!(
        "{label}: {} devices of {AGENTS} agents set up in {:.1} s",
        AGENTS * DEVICES_PER_AGENT,
        started.elapsed().as_secs_f64()
    );

    // The clients, split evenly between the servers.
    let stop = Arc::new(AtomicBool::new(false));
    let connected = Arc::new(AtomicU64::new(0));
    let mut readers = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let base = servers[c % servers.len()].base.clone();
        let (client, token, stop, connected) = (
            client.clone(),
            token.clone(),
            stop.clone(),
            connected.clone(),
        );
        readers.spawn(read_events(client, base, token, stop, connected));
    }
    while connected.load(Ordering::Relaxed) < CLIENTS as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The reports, and the servers' RSS meanwhile.
    let pids: Vec<u32> = servers.iter().map(|server| server.child.id()).collect();
    let rss_at_start: Vec<f64> = pids.iter().map(|&pid| rss_mib(pid)).collect();
    let peaks: Vec<process::RssSampler> = pids
        .iter()
        .map(|&pid| process::RssSampler::start(pid))
        .collect();
    let mut rss_series: Vec<Vec<f64>> = vec![Vec::new(); pids.len()];
    let agents = Arc::new(agents);
    let url = format!("{}/api/agents/presence", servers[0].base);
    let mut ticker = tokio::time::interval(REPORT_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let began = Instant::now();
    let mut next_sample = began + Duration::from_secs(30);
    let mut reports = tokio::task::JoinSet::new();
    let mut changes: u64 = 0;
    let mut report_latencies = Histogram::new();
    let mut round = 0usize;
    while began.elapsed() < duration {
        ticker.tick().await;
        let agent = round % AGENTS;
        let state = if (round / AGENTS).is_multiple_of(2) {
            "up"
        } else {
            "down"
        };
        round += 1;
        changes += DEVICES_PER_AGENT as u64;
        let (client, url, agents) = (client.clone(), url.clone(), agents.clone());
        reports.spawn(async move {
            let agent = &agents[agent];
            let who = (agent.id.as_str(), agent.token.as_str());
            process::report_presence(&client, &url, who, &agent.devices, state).await
        });
        while let Some(done) = reports.try_join_next() {
            report_latencies.add(done.expect("report").as_micros() as f64);
        }
        if Instant::now() >= next_sample {
            next_sample += Duration::from_secs(30);
            for (series, &pid) in rss_series.iter_mut().zip(&pids) {
                series.push(rss_mib(pid));
            }
        }
    }
    while let Some(done) = reports.join_next().await {
        report_latencies.add(done.expect("report").as_micros() as f64);
    }
    let elapsed = began.elapsed().as_secs_f64();
    // Let the last events arrive, then hang up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Histogram::new();
    let (mut complete, mut reconnects, mut fewest) = (0, 0, u64::MAX);
    while let Some(seen) = readers.join_next().await {
        let seen = seen.expect("reader");
        all.merge(&seen.latencies);
        reconnects += seen.reconnects;
        fewest = fewest.min(seen.events);
        complete += usize::from(seen.events >= changes);
    }
    println!(
        "{label}: {changes} presence changes in {elapsed:.0} s ({:.0}/s) to {CLIENTS} clients: \
         delivery p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms; {complete} of {CLIENTS} clients got \
         every event (fewest {fewest}), {reconnects} reconnects",
        changes as f64 / elapsed,
        all.quantile(0.5),
        all.quantile(0.99),
        all.quantile(0.999),
    );
    println!(
        "{label}: each report of {DEVICES_PER_AGENT} changes took p50 {:.1} ms, p99 {:.1} ms \
         (its events are written with it)",
        report_latencies.quantile(0.5),
        report_latencies.quantile(0.99),
    );
    for (i, ((series, start), peak)) in rss_series.iter().zip(&rss_at_start).zip(&peaks).enumerate()
    {
        let series: Vec<String> = series.iter().map(|mib| format!("{mib:.1}")).collect();
        println!(
            "{label}: server {} RSS {start:.1} MiB with the clients connected, then every 30 s: \
             {} MiB; peak {:.1} MiB",
            i + 1,
            series.join(", "),
            peak.phase().0
        );
    }
}

/// One client: reads the stream until `stop`, reconnecting with
/// `Last-Event-ID` when it ends.
async fn read_events(
    client: reqwest::Client,
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
    connected: Arc<AtomicU64>,
) -> Seen {
    let mut seen = Seen {
        latencies: Histogram::new(),
        events: 0,
        reconnects: 0,
    };
    let mut last_id: Option<String> = None;
    let mut first = true;
    while !stop.load(Ordering::Relaxed) {
        let mut request = client
            .get(format!("{base}/api/events?types=presence"))
            .bearer_auth(&token);
        if let Some(id) = &last_id {
            request = request.header("last-event-id", id.as_str());
        }
        let Ok(mut response) = request.send().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if first {
            connected.fetch_add(1, Ordering::Relaxed);
            first = false;
        } else {
            seen.reconnects += 1;
        }
        let mut buffer = String::new();
        loop {
            let chunk = tokio::time::timeout(Duration::from_millis(500), response.chunk()).await;
            if stop.load(Ordering::Relaxed) {
                return seen;
            }
            let bytes = match chunk {
                Err(_) => continue,
                Ok(Ok(Some(bytes))) => bytes,
                Ok(Ok(None) | Err(_)) => break,
            };
            let now = chrono::Utc::now();
            buffer.push_str(std::str::from_utf8(&bytes).unwrap());
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                if let Some(id) = frame.lines().find_map(|l| l.strip_prefix("id: ")) {
                    last_id = Some(id.to_string());
                }
                if !frame.contains("event: presence") {
                    continue;
                }
                seen.events += 1;
                if let Some(since) = since_of(&frame) {
                    let age = (now - since).num_microseconds().unwrap_or(0) as f64;
                    // The sighting was 5 ms old when it reached the server.
                    seen.latencies.add(age - 5_000.0);
                }
            }
        }
    }
    seen
}

fn since_of(frame: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let start = frame.find("\"since\":\"")? + 9;
    let end = start + frame[start..].find('"')?;
    frame[start..end].parse().ok()
}

fn rss_mib(pid: u32) -> f64 {
    process::rss_kib(pid) as f64 / 1024.0
}
