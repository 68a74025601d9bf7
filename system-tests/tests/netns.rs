//! The agent on a real (virtual) LAN: network namespaces each test creates
//! and removes. The server runs in "srv" (198.51.100.1/24), the agent in
//! "lan" (198.51.100.2/24 toward the server, 192.0.2.1/26 on the LAN), a
//! "device" in "dev" (192.0.2.10/26, MAC 02:00:00:00:00:10) and another
//! machine in "dev2" (192.0.2.21/26, MAC 02:00:00:00:00:20), on a bridge
//! with the agent. Nothing is sent from the host's own namespace.
//!
//! The wake test: after the wake, the server restarts on its SQLite file,
//! the agent restarts, the agent is deleted — each time the agent carries on
//! (same identity, or enrolls again) by itself. The presence test: which of
//! the LAN's machines the agent reports up, and at which address. The
//! verdict test: machines asleep (no address) that hear their magic packet
//! on a packet socket, one booting after a delay and one never: the wakes'
//! verdicts are `up` (time to up within a second of the delay) and
//! `no_sign_of_life`.
//!
//! Needs root and `ip`; without them it says so loudly and skips.

mod support;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use powerbeacon::Config;
use support::{Agent, PASSWORD, restart_server, start_server};

/// Namespaces and links, removed when dropped.
struct Lab {
    prefix: String,
}

impl Lab {
    fn ns(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// The lab of the test `tag` (each test its own namespaces).
    fn create(tag: &str) -> Option<Self> {
        let prefix = format!("pbt{}{tag}", std::process::id() % 100_000);
        let lab = Self { prefix };
        let (srv, lan, dev, dev2, br) = (
            lab.ns("srv"),
            lab.ns("lan"),
            lab.ns("dev"),
            lab.ns("dev2"),
            lab.ns("br"),
        );
        for ns in [&srv, &lan, &dev, &dev2, &br] {
            if !ip(&["netns", "add", ns]) {
                eprintln!(
                    "\n!!! SKIPPED: cannot create network namespaces (needs root and iproute2)\n"
                );
                return None;
            }
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let steps: &[&[&str]] = &[
            // server <-> agent
            &[
                "link", "add", "pbs0", "netns", &srv, "type", "veth", "peer", "name", "pbl0",
                "netns", &lan,
            ],
            &["-n", &srv, "addr", "add", "198.51.100.1/24", "dev", "pbs0"],
            &["-n", &lan, "addr", "add", "198.51.100.2/24", "dev", "pbl0"],
            &["-n", &srv, "link", "set", "pbs0", "up"],
            &["-n", &lan, "link", "set", "pbl0", "up"],
            // the LAN: a bridge with the agent and the device
            &["-n", &br, "link", "add", "br0", "type", "bridge"],
            &["-n", &br, "link", "set", "br0", "up"],
            &[
                "link", "add", "pbl1", "netns", &lan, "type", "veth", "peer", "name", "pbb1",
                "netns", &br,
            ],
            &[
                "link", "add", "pbd1", "netns", &dev, "type", "veth", "peer", "name", "pbb2",
                "netns", &br,
            ],
            &[
                "link", "add", "pbd2", "netns", &dev2, "type", "veth", "peer", "name", "pbb3",
                "netns", &br,
            ],
            &["-n", &br, "link", "set", "pbb1", "master", "br0", "up"],
            &["-n", &br, "link", "set", "pbb2", "master", "br0", "up"],
            &["-n", &br, "link", "set", "pbb3", "master", "br0", "up"],
            &[
                "-n",
                &dev,
                "link",
                "set",
                "pbd1",
                "address",
                "02:00:00:00:00:10",
            ],
            &[
                "-n",
                &dev2,
                "link",
                "set",
                "pbd2",
                "address",
                "02:00:00:00:00:20",
            ],
            &[
                "-n",
                &dev2,
                "addr",
                "add",
                "192.0.2.21/26",
                "brd",
                "+",
                "dev",
                "pbd2",
            ],
            &["-n", &dev2, "link", "set", "pbd2", "up"],
            &[
                "-n",
                &lan,
                "addr",
                "add",
                "192.0.2.1/26",
                "brd",
                "+",
                "dev",
                "pbl1",
            ],
            &[
                "-n",
                &dev,
                "addr",
                "add",
                "192.0.2.10/26",
                "brd",
                "+",
                "dev",
                "pbd1",
            ],
            &["-n", &lan, "link", "set", "pbl1", "up"],
            &["-n", &dev, "link", "set", "pbd1", "up"],
        ];
        for step in steps {
            assert!(ip(step), "ip {step:?} failed");
        }
        Some(lab)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for name in ["srv", "lan", "dev", "dev2", "br"] {
            ip(&["netns", "del", &self.ns(name)]);
        }
    }
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Moves the calling thread into network namespace `ns` (threads it starts
/// afterwards inherit it).
fn enter(ns: &str) {
    let file = File::open(format!("/var/run/netns/{ns}")).expect("namespace exists");
    // SAFETY: a valid namespace fd and flag; only this thread changes.
    let result = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(result, 0, "setns {ns}: {}", std::io::Error::last_os_error());
}

/// The agent program "lan-agent" in namespace `lan`, enrolling at the
/// server in "srv" with `key` and keeping its identity in `state`.
fn lan_agent(lan: &str, key: &str, state: &std::path::Path) -> Agent {
    Agent(
        Command::new("ip")
            .args(["netns", "exec", lan, env!("CARGO_BIN_EXE_test-agent")])
            .env("BACKEND_URL", "http://198.51.100.1:3000")
            .env("ENROLLMENT_KEY", key)
            .env("AGENT_STATE_FILE", state)
            .env("AGENT_HOSTNAME", "lan-agent")
            .env("AGENT_HEARTBEAT_SECONDS", "1")
            .env("AGENT_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("agent starts"),
    )
}

/// Waits (until `deadline`) for the agent in "lan" to say it is
/// registered: the server knows it before it has read the server's answer,
/// and before that it answers a wake with 503.
async fn agent_ready(http: &reqwest::Client, deadline: Instant) {
    loop {
        let info: Option<serde_json::Value> =
            match http.get("http://198.51.100.2:18080/info").send().await {
                Ok(response) => response.json().await.ok(),
                Err(_) => None,
            };
        if info.is_some_and(|info| info["registered"] == true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the agent never learnt its registration"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A machine asleep in namespace `ns` on `link`: no address, answering
/// nothing, its "NIC" listening for its magic packet on a packet socket.
/// When the packet comes it "boots" after `boot` (takes `address`, so it
/// answers ARP) and says when the packet came; a machine with no `boot`
/// sleeps on. Gives up after `give_up`.
fn sleeping_machine(
    ns: String,
    link: &'static str,
    mac: [u8; 6],
    address: &'static str,
    boot: Option<Duration>,
    give_up: Duration,
) -> std::thread::JoinHandle<Option<Instant>> {
    // Asleep: no address.
    assert!(ip(&["-n", &ns, "addr", "flush", "dev", link]));
    std::thread::spawn(move || {
        enter(&ns);
        // SAFETY: plain socket calls on a descriptor this thread owns.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW,
                i32::from((libc::ETH_P_ALL as u16).to_be()),
            )
        };
        assert!(
            fd >= 0,
            "packet socket: {}",
            std::io::Error::last_os_error()
        );
        let timeout = libc::timeval {
            tv_sec: 0,
            tv_usec: 200_000,
        };
        // SAFETY: a valid descriptor and a timeval of the right size.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&raw const timeout).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        let mut magic = vec![0xFF; 6];
        for _ in 0..16 {
            magic.extend_from_slice(&mac);
        }
        let deadline = Instant::now() + give_up;
        let mut frame = [0u8; 2048];
        let mut woken = None;
        while Instant::now() < deadline && woken.is_none() {
            // SAFETY: the buffer outlives the call and its length is right.
            let len = unsafe { libc::recv(fd, frame.as_mut_ptr().cast(), frame.len(), 0) };
            let Ok(len) = usize::try_from(len) else {
                continue;
            };
            if frame[..len].windows(magic.len()).any(|w| w == magic) {
                woken = Some(Instant::now());
            }
        }
        // SAFETY: closing the descriptor opened above.
        unsafe { libc::close(fd) };
        if let (Some(_), Some(boot)) = (woken, boot) {
            std::thread::sleep(boot);
            assert!(ip(&["-n", &ns, "addr", "add", address, "dev", link]));
        }
        woken
    })
}

/// The server's first agent, once one has registered (at most 20 s).
async fn first_agent(server: &support::Server) -> shared::types::AgentPublic {
    let page = backend::storage::Page { skip: 0, limit: 10 };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let agents = server
            .services
            .list_agents(&server.admin, page)
            .await
            .unwrap()
            .agents;
        if let Some(agent) = agents.into_iter().next() {
            return agent;
        }
        assert!(Instant::now() < deadline, "the agent never registered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (at most 20 s) for a heartbeat from `agent` stamped after `since`.
async fn heard_from_since(
    server: &support::Server,
    agent: &shared::types::AgentPublic,
    since: chrono::DateTime<chrono::Utc>,
    what: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = server
            .services
            .get_agent(&server.admin, agent.id)
            .await
            .unwrap_or_else(|error| panic!("the same agent after {what}: {error}"))
            .last_seen;
        if seen.is_some_and(|seen| seen > since) {
            return;
        }
        assert!(Instant::now() < deadline, "no heartbeat after {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asserts that `agent` is still the server's only agent: the same one
/// (id and creation time), not a new registration.
async fn assert_only(server: &support::Server, agent: &shared::types::AgentPublic) {
    let page = backend::storage::Page { skip: 0, limit: 10 };
    let agents = server
        .services
        .list_agents(&server.admin, page)
        .await
        .unwrap();
    assert_eq!(agents.count, 1);
    assert_eq!(
        (agents.agents[0].id, agents.agents[0].created_at),
        (agent.id, agent.created_at),
        "the same agent, not a new one"
    );
}

#[test]
fn a_wake_through_the_api_reaches_a_device_on_a_26_across_namespaces() {
    let Some(lab) = Lab::create("w") else { return };

    // The device: listens on its subnet's broadcast address, UDP 9, so it
    // only hears packets sent to the /26 broadcast (not x.x.x.255).
    let dev = lab.ns("dev");
    let device = std::thread::spawn(move || {
        enter(&dev);
        let socket = std::net::UdpSocket::bind("192.0.2.63:9").expect("bind in dev");
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut packets = Vec::new();
        let mut buffer = [0u8; 256];
        while packets.len() < 3 {
            match socket.recv_from(&mut buffer) {
                Ok((len, _)) => packets.push(buffer[..len].to_vec()),
                Err(_) => break,
            }
        }
        packets
    });

    // The server, in its namespace, on its own runtime.
    let srv = lab.ns("srv");
    let lan = lab.ns("lan");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_path_buf();
    let state = dir.path().join("agent-state.json");
    let server = std::thread::spawn(move || {
        enter(&srv);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let mut config = Config::for_tests(data_dir, None);
            config.bind = "198.51.100.1:3000".parse().unwrap();
            // The agent is on a real address: loopback stays refused.
            config.allow_loopback_agents = false;
            let server = start_server(config.clone()).await;
            let key = server.enrollment_key().await;

            let spawn_agent = || lan_agent(&lan, &key, &state);
            let agent_process = spawn_agent();
            let page = backend::storage::Page { skip: 0, limit: 10 };
            // One 20 s budget for registering and learning of it, as before.
            let deadline = Instant::now() + Duration::from_secs(20);
            let agent = first_agent(&server).await;
            assert_eq!(
                agent.ip, "198.51.100.2",
                "the address that routes to the server"
            );
            assert!(
                agent
                    .interfaces
                    .iter()
                    .any(|i| i.address == "192.0.2.1" && i.prefix == 26),
                "{:?}",
                agent.interfaces
            );
            let http = reqwest::Client::new();
            agent_ready(&http, deadline).await;
            // Through the public API, as an operator would.
            let base = "http://198.51.100.1:3000";
            let login: serde_json::Value = http
                .post(format!("{base}/api/auth/login"))
                .form(&[("username", "root"), ("password", PASSWORD)])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let token = login["access_token"].as_str().unwrap().to_string();
            let device: serde_json::Value = http
                .post(format!("{base}/api/devices"))
                .bearer_auth(&token)
                .json(&serde_json::json!({
                    "name": "nas", "mac_address": "aa-bb-cc-dd-ee-ff",
                    "ip_address": "192.0.2.10", "agent_ids": [agent.id],
                }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let response = http
                .post(format!(
                    "{base}/api/devices/{}/wake",
                    device["id"].as_str().unwrap()
                ))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 202);
            let result: serde_json::Value = response.json().await.unwrap();
            assert_eq!(
                result["successful_agents"],
                serde_json::json!(["lan-agent"]),
                "{result}"
            );
            // It says what it sent: the LAN interface's /26 broadcast.
            assert_eq!(
                result["agents"][0]["sent"],
                serde_json::json!({"interface": "pbl1", "destination": "192.0.2.63",
                                   "port": 9, "packets": 3, "bytes": 102}),
                "{result}"
            );

            // The server restarts on the same SQLite file; meanwhile the
            // agent's heartbeats fail. Afterwards it heartbeats again under
            // the same identity, without registering anew.
            server.stop().await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            let server = restart_server(config).await;
            heard_from_since(&server, &agent, chrono::Utc::now(), "the server restart").await;
            assert_only(&server, &agent).await;

            // The agent restarts: same identity, from its state file.
            drop(agent_process);
            let agent_process = spawn_agent();
            heard_from_since(&server, &agent, chrono::Utc::now(), "the agent restart").await;
            assert_only(&server, &agent).await;

            // Deleted on the server: it enrolls again by itself, with its key.
            server
                .services
                .delete_agent(&server.admin, agent.id)
                .await
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let agents = server
                    .services
                    .list_agents(&server.admin, page)
                    .await
                    .unwrap()
                    .agents;
                if let Some(again) = agents.first() {
                    assert_ne!(again.id, agent.id, "a new identity");
                    assert_eq!(again.hostname, "lan-agent");
                    assert!(again.approved, "approved by its enrollment key");
                    break;
                }
                assert!(Instant::now() < deadline, "the agent never enrolled again");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            drop(agent_process);
            server.stop().await;
        });
    });
    server.join().expect("server side");

    let packets = device.join().expect("device side");
    assert_eq!(packets.len(), 3, "three packets by default");
    let mut expected = vec![0xFF; 6];
    for _ in 0..16 {
        expected.extend_from_slice(&[0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF]);
    }
    for packet in packets {
        assert_eq!(packet, expected);
    }
    drop(lab);
}

#[test]
fn the_agent_tells_which_machines_of_its_lan_are_up_and_where() {
    use shared::types::{DeviceCreate, DeviceProbe, PresenceState, ProbeKind, ProbeMethod};
    let Some(lab) = Lab::create("p") else { return };

    // "pc" answers ARP and a TCP port in "dev"; "dev2" is another machine.
    let dev = lab.ns("dev");
    let (stop_device, device_stops) = std::sync::mpsc::channel::<()>();
    let device = std::thread::spawn(move || {
        enter(&dev);
        let listener = std::net::TcpListener::bind("192.0.2.10:2222").expect("bind in dev");
        let _ = device_stops.recv();
        drop(listener);
    });

    let srv = lab.ns("srv");
    let lan = lab.ns("lan");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_path_buf();
    let state = dir.path().join("agent-state.json");
    let server = std::thread::spawn(move || {
        enter(&srv);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let mut config = Config::for_tests(data_dir, None);
            config.bind = "198.51.100.1:3000".parse().unwrap();
            config.allow_loopback_agents = false;
            let server = start_server(config).await;
            let key = server.enrollment_key().await;
            let _agent = lan_agent(&lan, &key, &state);
            let page = backend::storage::Page { skip: 0, limit: 10 };
            let agent = first_agent(&server).await;
            let mut ids = Vec::new();
            for (name, mac, ip, ports) in [
                // Up: its port answers, and its MAC is the one that answers ARP.
                ("pc", "02:00:00:00:00:10", "192.0.2.10", vec![2222]),
                // Nobody has this address: down after the misses.
                ("absent", "02:00:00:00:00:40", "192.0.2.30", vec![]),
                // Its old lease now belongs to "dev2", another MAC: never up.
                ("old-lease", "02:00:00:00:00:30", "192.0.2.21", vec![]),
                // "dev2" itself, registered at an address it no longer has:
                // found by its MAC at its new one.
                ("mover", "02:00:00:00:00:20", "192.0.2.22", vec![]),
            ] {
                let device = server
                    .services
                    .create_device(
                        &server.admin,
                        DeviceCreate {
                            name: name.into(),
                            mac_address: mac.into(),
                            ip_address: Some(ip.into()),
                            agent_ids: Some(vec![agent.id]),
                            probe: Some(DeviceProbe {
                                method: ProbeMethod::Auto,
                                ports,
                                interval_s: Some(1),
                                ..DeviceProbe::default()
                            }),
                            ..DeviceCreate::default()
                        },
                    )
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
            let deadline = Instant::now() + Duration::from_secs(40);
            loop {
                let states = [
                    presence(0).await.state,
                    presence(1).await.state,
                    presence(2).await.state,
                    presence(3).await.state,
                ];
                if states
                    == [
                        PresenceState::Up,
                        PresenceState::Down,
                        PresenceState::Down,
                        PresenceState::Up,
                    ]
                {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "pc, absent, old-lease, mover read {states:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let pc = presence(0).await;
            assert_eq!(pc.method, Some(ProbeKind::Tcp));
            assert_eq!(pc.address.as_deref(), Some("192.0.2.10"));
            assert_eq!(pc.via.unwrap().hostname, "lan-agent");
            assert!(!pc.address_changed);
            let mover = presence(3).await;
            assert_eq!(mover.method, Some(ProbeKind::Neighbor));
            assert_eq!(mover.address.as_deref(), Some("192.0.2.21"));
            assert!(mover.address_changed, "both addresses are shown");
            // The old lease answered with another MAC the whole time: it was
            // never up.
            let history = server
                .services
                .presence_history(&server.admin, ids[2], page)
                .await
                .unwrap();
            assert!(
                history
                    .transitions
                    .iter()
                    .all(|t| t.to != PresenceState::Up),
                "{history:?}"
            );
            server.stop().await;
        });
    });
    server.join().expect("server side");
    let _ = stop_device.send(());
    device.join().expect("device side");
    drop(lab);
}

#[test]
fn a_sleeping_machine_wakes_and_its_verdict_says_when() {
    use backend::services::wake::WakeOptions;
    use shared::types::{DeviceCreate, WakeVerdict};
    let Some(lab) = Lab::create("v") else { return };

    // "pc" boots 3 s after its packet comes; "dead" never does.
    const BOOT: Duration = Duration::from_secs(3);
    let pc = sleeping_machine(
        lab.ns("dev"),
        "pbd1",
        [2, 0, 0, 0, 0, 0x10],
        "192.0.2.10/26",
        Some(BOOT),
        Duration::from_secs(40),
    );
    let dead = sleeping_machine(
        lab.ns("dev2"),
        "pbd2",
        [2, 0, 0, 0, 0, 0x20],
        "192.0.2.21/26",
        None,
        Duration::from_secs(40),
    );

    let srv = lab.ns("srv");
    let lan = lab.ns("lan");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_path_buf();
    let state = dir.path().join("agent-state.json");
    let server = std::thread::spawn(move || {
        enter(&srv);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let mut config = Config::for_tests(data_dir, None);
            config.bind = "198.51.100.1:3000".parse().unwrap();
            config.allow_loopback_agents = false;
            // Short, so "no sign of life" comes within the test.
            config.wake_boot_timeout_seconds = 8;
            let server = start_server(config).await;
            let key = server.enrollment_key().await;
            let _agent = lan_agent(&lan, &key, &state);
            let agent = first_agent(&server).await;
            agent_ready(
                &reqwest::Client::new(),
                Instant::now() + Duration::from_secs(20),
            )
            .await;
            let mut ids = Vec::new();
            // Probed every 30 s (the default): only the wake hurries it.
            for (name, mac, address) in [
                ("pc", "02:00:00:00:00:10", "192.0.2.10"),
                ("dead", "02:00:00:00:00:20", "192.0.2.21"),
            ] {
                let device = server
                    .services
                    .create_device(
                        &server.admin,
                        DeviceCreate {
                            name: name.into(),
                            mac_address: mac.into(),
                            ip_address: Some(address.into()),
                            agent_ids: Some(vec![agent.id]),
                            ..DeviceCreate::default()
                        },
                    )
                    .await
                    .unwrap();
                ids.push(device.id);
            }
            // The agent learns its watch list with its next heartbeat.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let wait = WakeOptions {
                force: false,
                wait: Some(Duration::from_secs(30)),
            };
            let (woke, slept) = tokio::join!(
                server.services.wake_device(&server.admin, ids[0], wait),
                server.services.wake_device(&server.admin, ids[1], wait),
            );
            let (woke, slept) = (woke.unwrap(), slept.unwrap());
            server.stop().await;
            (woke, slept)
        })
    });
    let (woke, slept) = server.join().expect("server side");
    let packet_came = pc.join().expect("pc");
    let dead_heard = dead.join().expect("dead");
    assert!(packet_came.is_some(), "pc got its magic packet");
    assert!(dead_heard.is_some(), "dead got its magic packet too");

    assert_eq!(woke.verdict, WakeVerdict::Up, "{woke:?}");
    let seconds = woke.seconds_to_up.expect("time to up").millis as f64 / 1000.0;
    let boot = BOOT.as_secs_f64();
    eprintln!("pc up after {seconds:.3} s; it booted {boot} s after its packet came");
    assert!(
        (boot..=boot + 1.0).contains(&seconds),
        "up after {seconds} s, booted after {boot} s"
    );
    assert_eq!(slept.verdict, WakeVerdict::NoSignOfLife, "{slept:?}");
    drop(lab);
}
