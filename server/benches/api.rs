//! API latency benchmarks through the real router on 127.0.0.1 (DESIGN.md §5):
//! list 1000 devices, get one device (sequential and with 16 clients).
//!
//! `cargo bench -p server --bench api` uses a fresh SQLite database; set
//! `PB_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres` to
//! measure PostgreSQL as well (a scratch database is created and dropped).

use std::time::Duration;

use app::types::{DeviceCreate, Role, SetupInitRequest};
use criterion::{Criterion, criterion_group, criterion_main};
use powerbeacon::{Application, Config};
use sqlx::{Connection, PgConnection};

struct Running {
    base: String,
    token: String,
    device_id: uuid::Uuid,
    client: reqwest::Client,
}

/// Starts a server on `config` with one superuser and `devices` devices.
async fn start(config: Config, devices: usize) -> Running {
    let app = Application::build(config).await.expect("server starts");
    let base = format!("http://{}", app.local_addr());
    let services = app.services().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let admin = services
        .init_setup(SetupInitRequest {
            username: "bench".into(),
            password: "bench-password-1".into(),
            email: None,
            full_name: None,
            oidc: None,
        })
        .await
        .expect("setup");
    assert_eq!(admin.role, Role::Superuser);
    let actor = services
        .store()
        .user_by_id(admin.id)
        .await
        .unwrap()
        .expect("admin stored");
    let mut device_id = uuid::Uuid::nil();
    for i in 0..devices {
        let created = services
            .create_device(
                &actor,
                DeviceCreate {
                    name: format!("device-{i:04}"),
                    mac_address: format!("02:00:00:00:{:02X}:{:02X}", i / 256, i % 256),
                    ip_address: Some(format!("192.0.2.{}", i % 250 + 1)),
                    tags: Some(vec!["bench".into(), format!("rack-{}", i % 10)]),
                    ..DeviceCreate::default()
                },
            )
            .await
            .expect("device");
        device_id = created.id;
    }
    let token = services.tokens().issue(admin.id);
    Running {
        base,
        token,
        device_id,
        client: reqwest::Client::new(),
    }
}

async fn get(running: &Running, path: &str) {
    let response = running
        .client
        .get(format!("{}{path}", running.base))
        .bearer_auth(&running.token)
        .send()
        .await
        .expect("request");
    assert!(response.status().is_success());
    response.bytes().await.expect("body");
}

fn bench_engine(c: &mut Criterion, engine: &str, config: Config) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let running = runtime.block_on(start(config, 1000));
    let list = "/api/devices?limit=1000".to_string();
    let one = format!("/api/devices/{}", running.device_id);

    let mut group = c.benchmark_group(engine);
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("list 1000 devices", |b| {
        b.to_async(&runtime).iter(|| get(&running, &list))
    });
    group.bench_function("get one device", |b| {
        b.to_async(&runtime).iter(|| get(&running, &one))
    });
    // 16 clients at once; the figure is the time for all 16 to finish.
    group.bench_function("get one device x16 concurrent", |b| {
        b.to_async(&runtime)
            .iter(|| futures::future::join_all((0..16).map(|_| get(&running, &one))))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(dir.path().to_path_buf(), None);
    config.log = "off".into();
    bench_engine(c, "sqlite", config);

    if let Ok(admin_url) = std::env::var("PB_BENCH_POSTGRES_URL") {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let name = format!("pb_bench_{}", uuid::Uuid::new_v4().simple());
        let url = runtime.block_on(async {
            let mut admin = PgConnection::connect(&admin_url).await.expect("PostgreSQL");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
                .execute(&mut admin)
                .await
                .unwrap();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        });
        let pg_dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_tests(pg_dir.path().to_path_buf(), Some(url));
        config.log = "off".into();
        bench_engine(c, "postgres", config);
        runtime.block_on(async {
            let mut admin = PgConnection::connect(&admin_url).await.unwrap();
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
            )))
            .execute(&mut admin)
            .await;
        });
    }
}

criterion_group!(api, benches);
criterion_main!(api);
