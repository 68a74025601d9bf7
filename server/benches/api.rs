//! API latency benchmarks through the real router on 127.0.0.1 (README.md, "Benchmarks"):
//! list 1000 devices, get one device (alone and with 16 clients at once).
//!
//! `cargo bench -p powerbeacon --bench api` uses a fresh SQLite database; set
//! `PB_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres` to
//! measure PostgreSQL as well (a scratch database is created and dropped).

mod support;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use powerbeacon::Config;
use support::{Bench, PostgresScratch, sqlite_config};

fn bench_engine(c: &mut Criterion, engine: &str, config: Config) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bench = runtime.block_on(Bench::start(config));
    let device = runtime.block_on(bench.add_devices(0, 1000, None, &[]))[999];
    let list = "/api/devices?limit=1000".to_string();
    let one = format!("/api/devices/{device}");

    let mut group = c.benchmark_group(engine);
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("list 1000 devices", |b| {
        b.to_async(&runtime).iter(|| bench.get(&list))
    });
    // The same without HTTP: storage, the service layer and JSON encoding.
    group.bench_function("list 1000 devices, service + JSON only", |b| {
        b.to_async(&runtime).iter(|| async {
            let page = backend::storage::Page {
                skip: 0,
                limit: 1000,
            };
            let devices = bench
                .services
                .list_devices(&bench.actor, page, None)
                .await
                .unwrap();
            serde_json::to_vec(&devices).unwrap()
        })
    });
    group.bench_function("get one device", |b| {
        b.to_async(&runtime).iter(|| bench.get(&one))
    });
    // 16 clients at once; the figure is the time for all 16 to finish.
    group.bench_function("get one device x16 concurrent", |b| {
        b.to_async(&runtime)
            .iter(|| futures::future::join_all((0..16).map(|_| bench.get(&one))))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    bench_engine(c, "sqlite", sqlite_config(dir.path()));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    if let Some(scratch) = runtime.block_on(PostgresScratch::create()) {
        let pg_dir = tempfile::tempdir().unwrap();
        bench_engine(c, "postgres", scratch.config(pg_dir.path()));
        runtime.block_on(scratch.drop_database());
    }
}

criterion_group!(api, benches);
criterion_main!(api);
