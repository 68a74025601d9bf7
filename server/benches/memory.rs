//! Peak memory of the server binary per phase of load (docs/ARCHITECTURE.md,
//! "Memory"): the release `powerbeacon` runs as its own process on a fresh
//! SQLite database, and this process drives it over loopback while sampling
//! the server's resident set size (`VmRSS`) every 5 ms.
//!
//! Phases: idle after start; 1000 devices listed by 16 clients; 200
//! concurrent wrong sign-ins from 200 clients (with the p99 of device reads
//! made meanwhile); the original PowerBeacon's load harness (list, get,
//! sign-in, wake through 3 agents, heartbeats, cluster wake) at 16 clients;
//! idle again. The agents are fake ones on 127.0.0.1 that answer HTTP only:
//! no packet is sent.
//!
//! `cargo bench -p powerbeacon --bench memory`

#[allow(dead_code)]
#[path = "../tests/integration/fake_agent.rs"]
mod fake_agent;
#[allow(dead_code)]
#[path = "support/process.rs"]
mod process;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fake_agent::{Behaviour, FakeAgent};
use process::{Api, PASSWORD, RssSampler, percentile, set_up, start_server};
use serde_json::json;

const CLIENTS: usize = 16;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    (username, password): (&str, &str),
    from: &str,
) -> reqwest::StatusCode {
    client
        .post(format!("{base}/api/auth/login"))
        .header("x-forwarded-for", from)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

fn p99(mut latencies: Vec<Duration>) -> f64 {
    latencies.sort();
    percentile(&latencies, 0.99)
}

fn report(phase: &str, sampler: &RssSampler, extra: &str) {
    let (peak, now) = sampler.phase();
    println!("{phase:<58} peak RSS {peak:>7.1} MiB, after {now:>7.1} MiB  {extra}");
}

async fn run() {
    let server = start_server(None).await;
    let sampler = RssSampler::start(server.child.id());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = server.base.clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    report("idle after start", &sampler, "");

    let token = set_up(&client, &base).await;
    let api = Api {
        client: client.clone(),
        base: base.clone(),
        token,
    };

    // Three fake agents, registered and heartbeating.
    let key = api.enrollment_key().await;
    let mut fakes = Vec::new();
    let mut agents = Vec::new();
    for i in 0..3 {
        let fake = FakeAgent::start(Behaviour::Succeed).await;
        agents.push(
            api.register_agent(&key, &format!("agent-{i}"), fake.port(), &["wol-batch"])
                .await,
        );
        fakes.push(fake);
    }
    let agent_ids: Vec<&str> = agents.iter().map(|(id, _)| id.as_str()).collect();
    let cluster = api
        .json(
            reqwest::Method::POST,
            "/api/clusters",
            Some(json!({"name": "bench", "agent_ids": agent_ids})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // 1000 devices (100 of them in the cluster), through the API.
    let mut device_ids = Vec::new();
    for chunk in (0..1000).collect::<Vec<u32>>().chunks(CLIENTS) {
        let creates = chunk.iter().map(|&i| {
            let in_cluster = i < 100;
            let body = json!({
                "name": format!("device-{i:04}"),
                "mac_address": format!("02:00:00:00:{:02X}:{:02X}", i / 256, i % 256),
                "ip_address": format!("192.0.2.{}", i % 250 + 1),
                "cluster_id": in_cluster.then(|| cluster.clone()),
                "agent_ids": if in_cluster { json!(agent_ids) } else { json!([]) },
            });
            let api = api.clone();
            async move {
                api.json(reqwest::Method::POST, "/api/devices", Some(body))
                    .await
            }
        });
        for device in futures::future::join_all(creates).await {
            device_ids.push(device["id"].as_str().unwrap().to_string());
        }
    }
    report("1000 devices created", &sampler, "");

    // Listing 1000 devices with 16 clients for 10 s.
    let cpu_before = sampler.cpu_seconds();
    let until = Instant::now() + Duration::from_secs(10);
    let lists = (0..CLIENTS).map(|_| {
        let api = api.clone();
        async move {
            let mut count = 0;
            while Instant::now() < until {
                let response = api
                    .send(reqwest::Method::GET, "/api/devices?limit=1000", None)
                    .await;
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
                count += 1;
            }
            count
        }
    });
    let listed: usize = futures::future::join_all(lists).await.into_iter().sum();
    let cpu_ms = (sampler.cpu_seconds() - cpu_before) * 1000.0 / listed.max(1) as f64;
    report(
        "list 1000 devices, 16 clients, 10 s",
        &sampler,
        &format!("{listed} lists, server CPU {cpu_ms:.1} ms each"),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    report("idle 2 s after the lists", &sampler, "");

    // 200 concurrent wrong sign-ins, each from its own client to an account
    // of its own (none of them exists, so each is checked against the dummy
    // hash: no throttle counter reaches its limit and every one runs
    // Argon2), while 4 clients keep reading a device. Guesses at `bench`
    // itself would lock its sign-ins from new clients out of the harness
    // below (the per-account throttle).
    let burst_over = Arc::new(AtomicBool::new(false));
    let readers = device_readers(&api, &[device_ids[500].as_str(); 4], &burst_over);
    let started = Instant::now();
    let guesses = (0..200).map(|i| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            login(
                &client,
                &base,
                (&format!("nobody-{i}"), "wrong-password"),
                &format!("198.51.100.{}", i % 250 + 1),
            )
            .await
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let burst = started.elapsed();
    burst_over.store(true, Ordering::Relaxed);
    let reads = gathered(readers).await;
    let refused = statuses.iter().filter(|s| s.as_u16() == 401).count();
    report(
        "200 concurrent wrong sign-ins",
        &sampler,
        &format!(
            "{refused} checked in {:.1} s; device reads meanwhile: {}, p99 {:.1} ms",
            burst.as_secs_f64(),
            reads.len(),
            p99(reads)
        ),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    report("idle 2 s after the sign-ins", &sampler, "");

    // The original's harness: 16 clients for 20 s, each request one of
    // list, get, sign-in, device wake, heartbeat, cluster wake.
    let until = Instant::now() + Duration::from_secs(20);
    let device_ids = Arc::new(device_ids);
    let agents = Arc::new(agents);
    let mixed = (0..CLIENTS).map(|c| {
        let (api, client, base) = (api.clone(), client.clone(), base.clone());
        let (devices, agents, cluster) = (device_ids.clone(), agents.clone(), cluster.clone());
        async move {
            let mut done = 0usize;
            let mut i = c;
            while Instant::now() < until {
                i += CLIENTS;
                let status = match i % 6 {
                    0 => api
                        .send(reqwest::Method::GET, "/api/devices?limit=1000", None)
                        .await
                        .status(),
                    1 => api
                        .send(
                            reqwest::Method::GET,
                            &format!("/api/devices/{}", devices[i % 1000]),
                            None,
                        )
                        .await
                        .status(),
                    2 => {
                        login(
                            &client,
                            &base,
                            ("bench", PASSWORD),
                            &format!("203.0.113.{}", c + 1),
                        )
                        .await
                    }
                    3 => api
                        .send(
                            reqwest::Method::POST,
                            &format!("/api/devices/{}/wake", devices[i % 100]),
                            None,
                        )
                        .await
                        .status(),
                    4 => {
                        let (id, token) = &agents[i % 3];
                        client
                            .post(format!("{base}/api/agents/heartbeat"))
                            .bearer_auth(token)
                            .json(&json!({"agent_id": id}))
                            .send()
                            .await
                            .unwrap()
                            .status()
                    }
                    _ => api
                        .send(
                            reqwest::Method::POST,
                            &format!("/api/clusters/{cluster}/wake"),
                            None,
                        )
                        .await
                        .status(),
                };
                assert!(status.is_success(), "request kind {}: {status}", i % 6);
                done += 1;
            }
            done
        }
    });
    let done: usize = futures::future::join_all(mixed).await.into_iter().sum();
    report(
        "original harness mix, 16 clients, 20 s",
        &sampler,
        &format!("{done} requests"),
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    report("idle 5 s after the load", &sampler, "");

    waiting_wakes(&api, &sampler, &device_ids).await;
    drop(fakes);
}

/// One client per device of `devices`, each reading it in a loop until
/// `over`; see [`gathered`].
fn device_readers(
    api: &Api,
    devices: &[&str],
    over: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<Duration>>> {
    devices
        .iter()
        .map(|device| {
            let (api, over, path) = (api.clone(), over.clone(), format!("/api/devices/{device}"));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !over.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let response = api.send(reqwest::Method::GET, &path, None).await;
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect()
}

/// Every latency the readers measured.
async fn gathered(readers: Vec<tokio::task::JoinHandle<Vec<Duration>>>) -> Vec<Duration> {
    let mut all = Vec::new();
    for reader in readers {
        all.extend(reader.await.unwrap());
    }
    all
}

/// 1000 wakes waiting for their verdict at once (`?wait=120`), each on a
/// connection of its own, while 4 clients keep reading a device; then one
/// presence report sees every machine up, and every wait answers.
async fn waiting_wakes(api: &Api, sampler: &RssSampler, device_ids: &[String]) {
    const WAITS: usize = 1000;
    // An agent that watches presence, serving the 900 devices outside the
    // cluster and 100 more.
    let watcher = FakeAgent::start(Behaviour::Succeed).await;
    let key = api.enrollment_key().await;
    let (watcher_id, watcher_token) = api
        .register_agent(&key, "watcher", watcher.port(), &["wol-batch", "presence"])
        .await;
    let mut watched: Vec<String> = device_ids[100..].to_vec();
    for chunk in device_ids[100..].chunks(CLIENTS) {
        let links = chunk.iter().map(|id| {
            let (api, path) = (api.clone(), format!("/api/devices/{id}"));
            let body = json!({"agent_ids": [watcher_id]});
            async move { api.json(reqwest::Method::PUT, &path, Some(body)).await }
        });
        futures::future::join_all(links).await;
    }
    for chunk in (0..100u32).collect::<Vec<_>>().chunks(CLIENTS) {
        let creates = chunk.iter().map(|&i| {
            api.json(
                reqwest::Method::POST,
                "/api/devices",
                Some(json!({
                    "name": format!("watched-{i:03}"),
                    "mac_address": format!("02:00:00:01:00:{i:02X}"),
                    "agent_ids": [watcher_id],
                })),
            )
        });
        for device in futures::future::join_all(creates).await {
            watched.push(device["id"].as_str().unwrap().to_string());
        }
    }
    let presence = |state: &str| {
        json!({"agent_id": watcher_id, "sightings": watched.iter().map(|id| json!(
            {"device_id": id, "state": state, "method": "neighbor", "age_ms": 0}
        )).collect::<Vec<_>>()})
    };
    let report_all = |state: &str| {
        api.client
            .post(format!("{}/api/agents/presence", api.base))
            .bearer_auth(&watcher_token)
            .json(&presence(state))
            .send()
    };
    assert!(report_all("down").await.unwrap().status().is_success());

    // Device reads alone, for comparison.
    let read = [0, 7, 14, 21].map(|i| device_ids[i].as_str());
    let over = Arc::new(AtomicBool::new(false));
    let readers = device_readers(api, &read, &over);
    tokio::time::sleep(Duration::from_secs(5)).await;
    over.store(true, Ordering::Relaxed);
    let alone = gathered(readers).await;
    report(
        "device reads alone, 4 clients, 5 s",
        sampler,
        &format!("{} reads, p99 {:.1} ms", alone.len(), p99(alone.clone())),
    );

    // 1000 wakes, each waiting for its verdict.
    let rss_before = sampler.phase().1;
    let started = Instant::now();
    let waits: Vec<_> = (0..WAITS)
        .map(|i| {
            let (api, device) = (api.clone(), watched[i % watched.len()].clone());
            tokio::spawn(async move {
                let answer = api
                    .json(
                        reqwest::Method::POST,
                        &format!("/api/devices/{device}/wake?wait=120"),
                        None,
                    )
                    .await;
                (
                    answer["verdict"].as_str().unwrap_or("").to_string(),
                    Instant::now(),
                )
            })
        })
        .collect();
    while watcher.calls().len() < WAITS {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let dispatched = started.elapsed();
    report(
        "1000 wakes sent, each waiting for its verdict",
        sampler,
        &format!("all sent in {:.2} s", dispatched.as_secs_f64()),
    );
    // All waiting: reads meanwhile, for 10 s.
    let over = Arc::new(AtomicBool::new(false));
    let readers = device_readers(api, &read, &over);
    tokio::time::sleep(Duration::from_secs(10)).await;
    over.store(true, Ordering::Relaxed);
    let meanwhile = gathered(readers).await;
    let (peak, now) = sampler.phase();
    println!(
        "{:<58} peak RSS {peak:>7.1} MiB, after {now:>7.1} MiB  {} reads, p99 {:.1} ms; RSS {:+.1} MiB for the 1000 waits",
        "1000 waits held 10 s, device reads meanwhile",
        meanwhile.len(),
        p99(meanwhile),
        now - rss_before
    );

    // The machines come up: one report decides every verdict.
    let reported = Instant::now();
    assert!(report_all("up").await.unwrap().status().is_success());
    let mut up = 0;
    let mut last = reported;
    for wait in waits {
        let (verdict, at) = wait.await.unwrap();
        up += usize::from(verdict == "up");
        last = last.max(at);
    }
    report(
        "one report sees all 1000 up",
        sampler,
        &format!(
            "{up} of {WAITS} answered up; the last {:.0} ms after the report",
            (last - reported).as_secs_f64() * 1000.0
        ),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    report("idle 2 s after the waits", sampler, "");
}
