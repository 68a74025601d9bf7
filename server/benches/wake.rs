//! Wake benchmarks through the real router and fake agents on 127.0.0.1
//! (README.md, "Benchmarks"): one device through 3 agents; a 1000-device cluster over
//! 3 agents with one of them refusing connections, and with one silent
//! (it costs one agent timeout, 3 s by default).
//!
//! `cargo bench -p powerbeacon --bench wake` (SQLite; the database plays a small
//! part here). No packet is sent: the fake agents only answer HTTP.

mod support;

#[allow(dead_code)]
#[path = "../tests/integration/fake_agent.rs"]
mod fake_agent;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use fake_agent::{Behaviour, FakeAgent, closed_port};
use powerbeacon_agent::wire::HeartbeatRequest;
use shared::ids::{AgentId, ClusterId};
use support::{Bench, sqlite_config};

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bench = runtime.block_on(Bench::start(sqlite_config(dir.path())));
    let agents: Vec<FakeAgent> = runtime.block_on(async {
        let mut agents = Vec::new();
        for _ in 0..5 {
            agents.push(FakeAgent::start(Behaviour::Succeed).await);
        }
        agents
    });
    let silent = runtime.block_on(FakeAgent::start(Behaviour::Silent));
    let (device, refused_cluster, silent_cluster) = runtime.block_on(async {
        let key = bench.enrollment_key(None).await;
        let mut registered = Vec::new();
        for (i, agent) in agents.iter().enumerate() {
            let name = format!("agent-{i}");
            registered.push(bench.register_agent(&key, &name, agent.port()).await);
        }
        registered.push(bench.register_agent(&key, "refusing", closed_port()).await);
        registered.push(bench.register_agent(&key, "silent", silent.port()).await);
        let ids: Vec<AgentId> = registered.iter().map(|(id, _)| *id).collect();
        let (refusing, quiet) = (ids[5], ids[6]);
        keep_alive(&bench, registered);
        let device = bench.add_devices(0, 1, None, &ids[..3]).await[0];

        let refused_cluster = cluster(&bench, "refused", &[ids[0], ids[1], refusing]).await;
        bench
            .add_devices(1, 1000, Some(refused_cluster), &[ids[0], ids[1], refusing])
            .await;
        let silent_cluster = cluster(&bench, "silent", &[ids[3], ids[4], quiet]).await;
        bench
            .add_devices(1001, 1000, Some(silent_cluster), &[ids[3], ids[4], quiet])
            .await;
        (device, refused_cluster, silent_cluster)
    });

    let mut group = c.benchmark_group("wake");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(10));
    let one = format!("/api/devices/{device}/wake");
    group.bench_function("one device through 3 agents", |b| {
        b.to_async(&runtime).iter(|| bench.post(&one, 202))
    });
    group.sample_size(10);
    let refused = format!("/api/clusters/{refused_cluster}/wake");
    group.bench_function("1000-device cluster, 3 agents, one refusing", |b| {
        b.to_async(&runtime).iter(|| bench.post(&refused, 202))
    });
    group.measurement_time(Duration::from_secs(40));
    let quiet = format!("/api/clusters/{silent_cluster}/wake");
    group.bench_function("1000-device cluster, 3 agents, one silent", |b| {
        b.to_async(&runtime).iter(|| bench.post(&quiet, 202))
    });
    group.finish();
}

/// Heartbeats for every agent every 20 s, so none goes offline during a long run.
fn keep_alive(bench: &Bench, agents: Vec<(AgentId, String)>) {
    let services = bench.services.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(20)).await;
            for (id, token) in &agents {
                let beat = HeartbeatRequest {
                    agent_id: id.to_string(),
                    interfaces: None,
                    watch_version: None,
                };
                services
                    .agent_heartbeat(beat, Some(token))
                    .await
                    .expect("heartbeat");
            }
        }
    });
}

async fn cluster(bench: &Bench, name: &str, agent_ids: &[AgentId]) -> ClusterId {
    bench
        .services
        .create_cluster(
            &bench.actor,
            shared::types::ClusterCreate {
                name: name.into(),
                agent_ids: Some(agent_ids.to_vec()),
                ..Default::default()
            },
        )
        .await
        .expect("cluster")
        .id
}

criterion_group!(wake, benches);
criterion_main!(wake);
