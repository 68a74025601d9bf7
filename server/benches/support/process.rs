//! The release server binary as a process of its own, driven over loopback,
//! and its resident memory sampled meanwhile.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

/// The server process; killed and waited for when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `powerbeacon` on a fresh data directory (SQLite there, or
/// `database_url`) and waits until it answers `/health`.
pub async fn start_server(database_url: Option<&str>) -> Server {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_powerbeacon"));
    command
        .env_clear()
        .env("PB_BIND", format!("127.0.0.1:{port}"))
        .env("PB_DATA_DIR", data.path())
        .env("PB_LOG", "error")
        .env("PB_ALLOW_LOOPBACK_AGENTS", "true")
        // Each simulated client has its own address (X-Forwarded-For).
        .env("PB_TRUSTED_PROXIES", "127.0.0.1")
        .env("PB_AGENT_OFFLINE_SECONDS", "600")
        .stdout(Stdio::null());
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    // glibc's arena count to measure, when not glibc's default (`main.rs`).
    if let Ok(arenas) = std::env::var("MALLOC_ARENA_MAX") {
        command.env("MALLOC_ARENA_MAX", arenas);
    }
    // The pool size to measure, when not the server's default.
    if let Ok(connections) = std::env::var("PB_BENCH_DB_MAX_CONNECTIONS") {
        command.env("PB_DB_MAX_CONNECTIONS", connections);
    }
    let child = command.spawn().expect("the server binary starts");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _data: data,
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{}/health", server.base))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not answer /health");
}

/// The password of the benchmarks' superuser, `bench`.
pub const PASSWORD: &str = "bench-password-1";

/// Sets the fresh server up with the superuser `bench` and signs in: its
/// bearer token.
pub async fn set_up(client: &reqwest::Client, base: &str) -> String {
    let setup = client
        .post(format!("{base}/api/setup/init"))
        .json(&serde_json::json!({"username": "bench", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(setup.status().is_success());
    let login: serde_json::Value = client
        .post(format!("{base}/api/auth/login"))
        .form(&[("username", "bench"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_string()
}

#[derive(Clone)]
/// A client of the server's REST API, signed in with a bearer token.
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    /// Sends `body` (as JSON, when given) to `path`.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    /// Sends it and reads the JSON answer, which must be a success.
    pub async fn json(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let response = self.send(method, path, body).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Registers an agent on 127.0.0.1:`port` announcing `features`, with
    /// `key`; its id and token.
    pub async fn register_agent(
        &self,
        key: &str,
        hostname: &str,
        port: u16,
        features: &[&str],
    ) -> (String, String) {
        let registered: Value = self
            .client
            .post(format!("{}/api/agents/register", self.base))
            .json(&serde_json::json!({
                "hostname": hostname, "ip": "127.0.0.1", "port": port, "os": "linux",
                "version": "bench", "enrollment_key": key, "features": features,
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            registered["agent_id"].as_str().unwrap().to_string(),
            registered["token"].as_str().unwrap().to_string(),
        )
    }

    /// A new enrollment key's secret, for registering agents.
    pub async fn enrollment_key(&self) -> String {
        self.json(
            reqwest::Method::POST,
            "/api/agents/enrollment-keys",
            Some(serde_json::json!({"name": "bench"})),
        )
        .await["key"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// One presence report of agent `agent_id` (signed with `token`) to
/// `url`: every one of `devices` seen `state` 5 ms ago, by TCP. How long
/// the server took to answer.
pub async fn report_presence(
    client: &reqwest::Client,
    url: &str,
    (agent_id, token): (&str, &str),
    devices: &[String],
    state: &str,
) -> Duration {
    let sightings: Vec<Value> = devices
        .iter()
        .map(|device| {
            serde_json::json!({"device_id": device, "state": state, "method": "tcp",
                   "address": "10.0.0.1", "rtt_us": 300, "age_ms": 5})
        })
        .collect();
    let sent = std::time::Instant::now();
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&serde_json::json!({"agent_id": agent_id, "sightings": sightings}))
        .send()
        .await
        .expect("report sent");
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
    sent.elapsed()
}

/// The `p` quantile (0 to 1) of sorted latencies, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len().max(1) - 1) as f64 * p).round() as usize)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The server's resident set, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Samples the server's RSS every 5 ms, keeping the peak since the last reset.
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    pid: u32,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self { peak, stop, pid }
    }

    /// The CPU time the server has used so far (user and system, all
    /// threads), in seconds: its cost per request, whatever the client's
    /// share of the machine's cores.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name, which is in parentheses and may
        // hold spaces: state is the first, utime the 12th, stime the 13th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks: f64 = [11, 12]
            .iter()
            .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
            .sum();
        // SAFETY: sysconf only reads a system constant.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        ticks / per_second
    }

    /// The peak since the last call, and the RSS now (MiB).
    pub fn phase(&self) -> (f64, f64) {
        let now = rss_kib(self.pid);
        let peak = self.peak.swap(now, Ordering::Relaxed).max(now);
        (peak as f64 / 1024.0, now as f64 / 1024.0)
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
