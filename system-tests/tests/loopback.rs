//! The agent binary against a real server, all on 127.0.0.1: it enrolls,
//! heartbeats, wakes a "device" listening on the loopback, keeps its
//! identity across restarts and enrolls again after being deleted.
//! (Across real subnets, see the network-namespace tests.) Packets go only
//! to 127.0.0.0/8.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use powerbeacon::Config;
use shared::types::DeviceCreate;
use support::{Agent, Server, agent_ids, eventually, free_port, start_server};

fn start_agent(server: &Server, key: &str, state: &std::path::Path, port: u16) -> Agent {
    let child = Command::new(env!("CARGO_BIN_EXE_test-agent"))
        .env("BACKEND_URL", &server.url)
        .env("ENROLLMENT_KEY", key)
        .env("AGENT_BIND", "127.0.0.1")
        .env("AGENT_PORT", port.to_string())
        .env("AGENT_ADVERTISE_IP", "127.0.0.1")
        .env("AGENT_STATE_FILE", state)
        .env("AGENT_HEARTBEAT_SECONDS", "1")
        .env("AGENT_HOSTNAME", "loop-agent")
        .env("AGENT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("agent binary starts");
    Agent(child)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_enrolls_wakes_and_keeps_or_renews_its_identity() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(Config::for_tests(dir.path().to_path_buf(), None)).await;
    let key = server.enrollment_key().await;
    let state = dir.path().join("agent/state.json");
    let port = free_port();
    let agent = start_agent(&server, &key, &state, port);
    eventually("the agent registers", async || {
        agent_ids(&server).await.len() == 1
    })
    .await;
    let first_id = agent_ids(&server).await[0].clone();
    assert!(state.exists());

    // A "device" on the loopback: its /24 guess, 127.0.0.255, is loopback too.
    let listener = std::net::UdpSocket::bind("127.0.0.255:0").unwrap();
    listener
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let device_port = listener.local_addr().unwrap().port();
    let device = server
        .services
        .create_device(
            &server.admin,
            DeviceCreate {
                name: "loop".into(),
                mac_address: "02:00:00:00:00:42".into(),
                ip_address: Some("127.0.0.1".into()),
                agent_ids: Some(vec![first_id.parse().unwrap()]),
                ..DeviceCreate::default()
            },
        )
        .await
        .unwrap();
    // The server always asks for UDP 9; this test's listener has its own
    // port, so it calls the agent's API the way the server does, with port set.
    let token: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/wol"))
        .bearer_auth(token["token"].as_str().unwrap())
        .json(&serde_json::json!({
            "mac": device.mac_address, "broadcast": "127.0.0.255", "port": device_port,
            "ip": "127.0.0.1",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["success"], true, "{answer}");
    let mut buffer = [0u8; 200];
    for _ in 0..3 {
        let (len, _) = listener.recv_from(&mut buffer).unwrap();
        assert_eq!(len, 102);
        assert_eq!(&buffer[..6], &[0xFF; 6]);
        assert_eq!(&buffer[6..12], &[0x02, 0, 0, 0, 0, 0x42]);
    }
    // A wrong token is refused.
    let refused = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/wol"))
        .bearer_auth("wrong")
        .json(&serde_json::json!({"mac": "02:00:00:00:00:42", "broadcast": "127.0.0.255", "port": device_port}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // Restarted, the agent keeps its id and goes on heartbeating with its token.
    drop(agent);
    let restarted_at = chrono::Utc::now();
    let agent = start_agent(&server, &key, &state, port);
    eventually("heartbeats resume under the same id", async || {
        let agent = server
            .services
            .get_agent(&server.admin, first_id.parse().unwrap())
            .await
            .unwrap();
        agent
            .last_seen
            .is_some_and(|seen| seen > restarted_at + chrono::Duration::milliseconds(1500))
    })
    .await;
    assert_eq!(agent_ids(&server).await, vec![first_id.clone()]);

    // Deleted on the server, it enrolls again by itself with its key.
    server
        .services
        .delete_agent(&server.admin, first_id.parse().unwrap())
        .await
        .unwrap();
    eventually("the agent enrolls again", async || {
        agent_ids(&server)
            .await
            .first()
            .is_some_and(|id| *id != first_id)
    })
    .await;
    drop(agent);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_watches_its_devices_and_reports_who_is_up() {
    use shared::types::{DeviceProbe, PresenceState, ProbeMethod};
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(Config::for_tests(dir.path().to_path_buf(), None)).await;
    let key = server.enrollment_key().await;
    let agent = start_agent(&server, &key, &dir.path().join("state.json"), free_port());
    eventually("the agent registers", async || {
        agent_ids(&server).await.len() == 1
    })
    .await;
    let agent_id = agent_ids(&server).await[0].parse().unwrap();

    // A "machine" whose TCP port answers; one probed only through the
    // neighbour table, which never holds a loopback address (so it is never
    // seen: down after the misses); one not probed at all.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let open = listener.local_addr().unwrap().port();
    let create = |name: &str, mac: &str, probe: DeviceProbe| DeviceCreate {
        name: name.into(),
        mac_address: mac.into(),
        ip_address: Some("127.0.0.1".into()),
        agent_ids: Some(vec![agent_id]),
        probe: Some(probe),
        ..DeviceCreate::default()
    };
    let mut ids = Vec::new();
    for (name, mac, method, ports) in [
        ("web", "02:00:00:00:00:51", ProbeMethod::Tcp, vec![open]),
        ("quiet", "02:00:00:00:00:52", ProbeMethod::Neighbor, vec![]),
        ("ignored", "02:00:00:00:00:53", ProbeMethod::Off, vec![]),
    ] {
        let probe = DeviceProbe {
            method,
            ports,
            interval_s: Some(1),
            ..DeviceProbe::default()
        };
        let device = server
            .services
            .create_device(&server.admin, create(name, mac, probe))
            .await
            .unwrap();
        ids.push(device.id);
    }
    let presence = async |i: usize| {
        server
            .services
            .get_device(&server.admin, ids[i])
            .await
            .unwrap()
            .presence
    };
    eventually("the listening machine reads up", async || {
        presence(0).await.state == PresenceState::Up
    })
    .await;
    let web = presence(0).await;
    assert_eq!(web.via.unwrap().hostname, "loop-agent");
    assert_eq!(web.method, Some(shared::types::ProbeKind::Tcp));
    assert_eq!(web.address.as_deref(), Some("127.0.0.1"));
    assert!(web.rtt_ms.is_some());
    eventually("the machine nobody sees reads down", async || {
        presence(1).await.state == PresenceState::Down
    })
    .await;
    assert_eq!(presence(2).await.state, PresenceState::Unknown);
    drop(listener);
    drop(agent);
    server.stop().await;
}
