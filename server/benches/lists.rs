//! The fleet-sized lists under load (docs/ARCHITECTURE.md, "Lists at fleet
//! scale"): the release `powerbeacon` runs as its own process on a fresh
//! database and this process drives it over loopback, with the original
//! PowerBeacon's load workload (1 000 devices, each linked to the same 3
//! agents, all in one cluster).
//!
//! For each list (the REST lists, the cluster page's data, the signed-in
//! pages): requests per second, p50 and p99 at 1 client and at 16, the
//! bytes of one answer, and the server's peak resident memory; the device
//! list also brotli- and gzip-compressed; then, at 10 000 devices, pages of
//! 1 000 at the start, the middle and the end of the table.
//!
//! `cargo bench -p powerbeacon --bench lists` (SQLite);
//! `PB_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres` adds
//! PostgreSQL. `PB_BENCH_SECONDS` sets each measurement's length (default 4);
//! `PB_BENCH_ONLY` measures only the lists whose label holds it. Each row
//! also gives the server's CPU time per request, which the client's share
//! of the cores does not skew as it does the rate.

#[allow(dead_code)]
#[path = "support/process.rs"]
mod process;
mod support;

use std::time::{Duration, Instant};

use process::{Api, PASSWORD, RssSampler, percentile, set_up, start_server};
use serde_json::json;

const CLIENTS: usize = 16;
const DEVICES: usize = 1000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        bench_engine("SQLite", None).await;
        if let Some(scratch) = support::PostgresScratch::create().await {
            bench_engine("PostgreSQL", Some(&scratch.url)).await;
            scratch.drop_database().await;
        } else {
            println!("\n(PB_BENCH_POSTGRES_URL is not set: PostgreSQL not measured)");
        }
    });
}

/// Whether to measure the list `label`: all of them, or those whose label
/// holds `PB_BENCH_ONLY` (`?skip=` for the pages of 10 000 devices).
fn chosen(label: &str) -> bool {
    std::env::var("PB_BENCH_ONLY").map_or(true, |only| label.contains(&only))
}

fn seconds() -> Duration {
    let seconds = std::env::var("PB_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4.0);
    Duration::from_secs_f64(seconds)
}

/// One request the benchmark repeats.
#[derive(Clone)]
struct Request {
    client: reqwest::Client,
    method: reqwest::Method,
    url: String,
    /// `Authorization: Bearer …` or a session `Cookie`.
    credentials: (reqwest::header::HeaderName, String),
    form: Option<Vec<(String, String)>>,
    origin: Option<String>,
    encoding: Option<&'static str>,
}

impl Request {
    /// Sends it; the status and the bytes received.
    async fn send(&self) -> (u16, usize) {
        let mut request = self
            .client
            .request(self.method.clone(), &self.url)
            .header(self.credentials.0.clone(), &self.credentials.1);
        if let Some(form) = &self.form {
            request = request.form(form).header("accept", "application/json");
        }
        if let Some(origin) = &self.origin {
            request = request.header("origin", origin);
        }
        if let Some(encoding) = self.encoding {
            request = request.header("accept-encoding", encoding);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body = response.bytes().await.expect("body");
        (status, body.len())
    }

    fn with_encoding(&self, encoding: &'static str) -> Self {
        Self {
            encoding: Some(encoding),
            ..self.clone()
        }
    }
}

struct Figures {
    per_second: f64,
    /// The server's CPU time per request, in milliseconds.
    cpu_ms: f64,
    p50: f64,
    p99: f64,
    bytes: usize,
}

/// `clients` clients, each sending `request` again as soon as the last
/// answer arrived, for `length`.
async fn measure(
    request: &Request,
    clients: usize,
    length: Duration,
    sampler: &RssSampler,
) -> Figures {
    // One round first, so connections are open and caches warm.
    let (status, bytes) = request.send().await;
    assert_eq!(status, 200, "{}", request.url);
    let cpu_before = sampler.cpu_seconds();
    let started = Instant::now();
    let until = started + length;
    let runs = (0..clients).map(|_| {
        let request = request.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let sent = Instant::now();
                let (status, _) = request.send().await;
                assert_eq!(status, 200, "{}", request.url);
                latencies.push(sent.elapsed());
            }
            latencies
        })
    });
    let mut latencies = Vec::new();
    for run in futures::future::join_all(runs).await {
        latencies.extend(run.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = sampler.cpu_seconds() - cpu_before;
    latencies.sort();
    Figures {
        per_second: latencies.len() as f64 / elapsed,
        cpu_ms: cpu * 1000.0 / latencies.len().max(1) as f64,
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
        bytes,
    }
}

fn row(label: &str, clients: usize, figures: &Figures, sampler: &RssSampler) {
    let (peak, _) = sampler.phase();
    println!(
        "{label:<34} {clients:>2} client{s} {:>8.1}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  CPU {:>6.2} ms/req  {:>8} B  peak RSS {peak:>6.1} MiB",
        figures.per_second,
        figures.p50,
        figures.p99,
        figures.cpu_ms,
        figures.bytes,
        s = if clients == 1 { " " } else { "s" },
    );
}

/// Adds devices `first..first + count` through the API, 16 at a time, each
/// in `cluster` and linked to `agents`.
async fn add_devices(api: &Api, range: std::ops::Range<usize>, cluster: &str, agents: &[String]) {
    let ids: Vec<usize> = range.collect();
    for chunk in ids.chunks(CLIENTS) {
        let creates = chunk.iter().map(|&i| {
            let body = json!({
                "name": format!("device-{i:05}"),
                "mac_address": format!("02:00:00:{:02X}:{:02X}:{:02X}", i >> 16, (i >> 8) & 0xFF, i & 0xFF),
                "ip_address": format!("192.0.2.{}", i % 250 + 1),
                "tags": ["bench", format!("rack-{}", i % 10)],
                "description": "a machine of the load workload",
                "cluster_id": cluster,
                "agent_ids": agents,
            });
            api.json(reqwest::Method::POST, "/api/devices", Some(body))
        });
        futures::future::join_all(creates).await;
    }
}

async fn bench_engine(engine: &str, database_url: Option<&str>) {
    println!("\n== {engine}: {DEVICES} devices × 3 agents, all in one cluster ==");
    let server = start_server(database_url).await;
    let sampler = RssSampler::start(server.child.id());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = server.base.clone();

    let token = set_up(&client, &base).await;
    let signed_in = client
        .post(format!("{base}/fn/sign_in"))
        .header("accept", "application/json")
        .header("origin", &base)
        .form(&[("username", "bench"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pb_session="))
        .expect("a session")
        .split(';')
        .next()
        .unwrap()
        .to_string();

    let api = Api {
        client: client.clone(),
        base: base.clone(),
        token: token.clone(),
    };
    let key = api.enrollment_key().await;
    let mut agents = Vec::new();
    for i in 0..3 {
        let (id, _) = api
            .register_agent(&key, &format!("agent-{i}"), 18080 + i, &[])
            .await;
        agents.push(id);
    }
    let cluster = api
        .json(
            reqwest::Method::POST,
            "/api/clusters",
            Some(json!({"name": "load", "agent_ids": agents})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    add_devices(&api, 0..DEVICES, &cluster, &agents).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, idle) = sampler.phase();
    println!("idle after seeding: {idle:.1} MiB");

    let bearer = (reqwest::header::AUTHORIZATION, format!("Bearer {token}"));
    let session = (reqwest::header::COOKIE, cookie);
    let get = |path: &str, credentials: &(reqwest::header::HeaderName, String)| Request {
        client: client.clone(),
        method: reqwest::Method::GET,
        url: format!("{base}{path}"),
        credentials: credentials.clone(),
        form: None,
        origin: None,
        encoding: None,
    };
    let device_list = get("/api/devices?limit=1000", &bearer);
    let lists = [
        ("GET /api/devices?limit=1000", device_list.clone()),
        ("GET /api/clusters", get("/api/clusters", &bearer)),
        (
            "GET /api/clusters/{id} (1000)",
            get(&format!("/api/clusters/{cluster}"), &bearer),
        ),
        ("GET /api/agents", get("/api/agents", &bearer)),
        (
            "POST /fn/cluster_page (1000)",
            Request {
                method: reqwest::Method::POST,
                url: format!("{base}/fn/cluster_page"),
                form: Some(vec![("id".into(), cluster.clone())]),
                origin: Some(base.clone()),
                ..get("", &session)
            },
        ),
        ("GET /dashboard (page)", get("/dashboard", &session)),
        (
            "GET /clusters/{id} (page, 1000)",
            get(&format!("/clusters/{cluster}"), &session),
        ),
    ];
    let length = seconds();
    for (label, request) in lists.iter().filter(|(label, _)| chosen(label)) {
        for clients in [1, CLIENTS] {
            let figures = measure(request, clients, length, &sampler).await;
            row(label, clients, &figures, &sampler);
        }
    }
    for encoding in ["br", "gzip"] {
        let label = format!("GET /api/devices?limit=1000, {encoding}");
        if !chosen(&label) {
            continue;
        }
        let figures = measure(
            &device_list.with_encoding(encoding),
            CLIENTS,
            length,
            &sampler,
        )
        .await;
        row(&label, CLIENTS, &figures, &sampler);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (peak, now) = sampler.phase();
    println!("3 s after the load: {now:.1} MiB (peak while settling {peak:.1} MiB)");

    if !chosen("GET /api/devices?skip=") {
        return;
    }
    println!("-- 10 000 devices, pages of 1 000 --");
    add_devices(&api, DEVICES..10 * DEVICES, &cluster, &agents).await;
    sampler.phase();
    for skip in [0, 5000, 9000] {
        let request = get(&format!("/api/devices?skip={skip}&limit=1000"), &bearer);
        let figures = measure(&request, 1, length, &sampler).await;
        row(
            &format!("GET /api/devices?skip={skip}"),
            1,
            &figures,
            &sampler,
        );
    }
    let figures = measure(
        &get("/api/devices?skip=9000&limit=1000", &bearer),
        CLIENTS,
        length,
        &sampler,
    )
    .await;
    row("GET /api/devices?skip=9000", CLIENTS, &figures, &sampler);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, now) = sampler.phase();
    println!("3 s after: {now:.1} MiB");
}
