//! Wake records and verdicts through the API (docs/API.md, "Wakes"): fake
//! agents on 127.0.0.1 take the `/wol` calls (no packet is sent anywhere)
//! and report presence through the agent protocol, as a machine would be
//! seen coming up, or never.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fake_agent::{Behaviour, FakeAgent};
use crate::helpers::{
    ConfigFor, TestApp, TestDb, assert_error, on_both_engines, with_both_databases,
};

on_both_engines!(
    a_wake_is_recorded_and_up_once_the_machine_shows_up,
    a_machine_already_up_is_not_woken_unless_forced,
    wakes_nothing_can_confirm_or_nobody_sent,
    a_cluster_wake_counts_its_verdicts,
    wait_answers_at_the_verdict_or_at_its_limit,
    who_may_read_and_make_wakes,
    bad_wake_parameters_are_refused,
    each_device_has_its_own_boot_timeout,
    a_device_page_shows_its_wake_history,
    the_browser_follows_a_wake_without_javascript,
);

mod boot_timeout {
    use super::*;
    with_both_databases!(no_sign_of_life_after_the_boot_timeout);
}

mod replicas {
    use super::*;
    with_both_databases!(a_report_to_another_replica_decides_the_wait);
}

/// A presence agent that takes `/wol` calls: the fake agent's port,
/// registered with the features `presence` and `wol-batch`.
pub(crate) struct Agent {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) wol: FakeAgent,
}

impl Agent {
    pub(crate) async fn start(
        app: &TestApp,
        root: &str,
        hostname: &str,
        features: &[&str],
    ) -> Self {
        Self::start_in(app, root, hostname, features, None).await
    }

    pub(crate) async fn start_in(
        app: &TestApp,
        root: &str,
        hostname: &str,
        features: &[&str],
        cluster: Option<&str>,
    ) -> Self {
        let wol = FakeAgent::start(Behaviour::Succeed).await;
        let key = app.enrollment_key(root, cluster).await;
        let (id, token) = app
            .register_agent(&key, hostname, wol.port(), json!({"features": features}))
            .await;
        Self { id, token, wol }
    }

    pub(crate) async fn watcher(app: &TestApp, root: &str, hostname: &str) -> Self {
        Self::start(app, root, hostname, &["wol-batch", "presence"]).await
    }

    /// Reports `state` for `device` to the server at `base`.
    pub(crate) async fn report_to(&self, app: &TestApp, base: &str, device: &str, state: &str) {
        let response = app
            .send(
                app.client.post(format!("{base}/api/agents/presence")).json(
                    &json!({"agent_id": self.id, "sightings": [
                        {"device_id": device, "state": state, "method": "neighbor",
                         "address": "192.0.2.10", "age_ms": 0}
                    ]}),
                ),
                &self.token,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    pub(crate) async fn report(&self, app: &TestApp, device: &str, state: &str) {
        self.report_to(app, &app.url(""), device, state).await;
    }
}

pub(crate) async fn device(
    app: &TestApp,
    token: &str,
    name: &str,
    mac: &str,
    agents: &[&str],
) -> String {
    device_in(app, token, name, mac, agents, None).await
}

pub(crate) async fn device_in(
    app: &TestApp,
    token: &str,
    name: &str,
    mac: &str,
    agents: &[&str],
    cluster: Option<&str>,
) -> String {
    app.create(
        token,
        "/api/devices",
        json!({
            "name": name, "mac_address": mac, "ip_address": "192.0.2.10",
            "agent_ids": agents, "cluster_id": cluster,
        }),
    )
    .await
}

pub(crate) async fn wake_at(
    app: &TestApp,
    base: &str,
    token: &str,
    path: &str,
) -> reqwest::Response {
    app.send(app.client.post(format!("{base}{path}")), token)
        .await
}

pub(crate) async fn wake(app: &TestApp, token: &str, path: &str) -> Value {
    let response = wake_at(app, &app.url(""), token, path).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "{path}");
    response.json().await.unwrap()
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.send(app.client.get(app.url(path)), token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn a_wake_is_recorded_and_up_once_the_machine_shows_up(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::watcher(app, &root, "watcher").await;
    let pc = device(app, &root, "pc", "02:00:00:00:03:01", &[&agent.id]).await;
    agent.report(app, &pc, "down").await;

    let answer = wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    // The original body, and the record's id and the verdict so far.
    assert_eq!(answer["successful_agents"], json!(["watcher"]));
    assert_eq!(answer["verdict"], "pending");
    assert!(answer.get("seconds_to_up").is_none());
    let id = answer["wake_id"].as_str().unwrap().to_string();
    // The agent, which watches presence, is asked to probe the machine
    // every second for its boot timeout; it says what it sent.
    let calls = agent.wol.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].body["watch_s"], 120);
    assert_eq!(
        answer["agents"][0]["sent"],
        json!({"interface": "eth0", "destination": "192.0.2.255", "port": 9,
               "packets": 3, "bytes": 102})
    );

    let pending = get_json(app, &root, &format!("/api/wakes/{id}")).await;
    assert_eq!(pending["kind"], "device");
    assert_eq!(pending["verdict"], "pending");
    assert_eq!(pending["requested_by"]["name"], "root");
    assert_eq!(pending["requested_by"]["via"], "user");
    assert_eq!(pending["forced"], false);
    assert_eq!(pending["counts"]["pending"], 1);
    let progress = &pending["devices"][0];
    assert_eq!(progress["device_id"], pc.as_str());
    assert_eq!(progress["agents"][0]["hostname"], "watcher");
    assert_eq!(progress["agents"][0]["outcome"], "sent");
    assert_eq!(progress["agents"][0]["sent"]["packets"], 3);
    assert!(progress.get("decided_at").is_none());

    // The machine shows up: the report decides the verdict at once.
    agent.report(app, &pc, "up").await;
    let up = get_json(app, &root, &format!("/api/wakes/{id}")).await;
    assert_eq!(up["verdict"], "up", "{up}");
    let seconds = up["seconds_to_up"].as_f64().unwrap();
    assert!((0.0..5.0).contains(&seconds), "{seconds}");
    assert_eq!(up["devices"][0]["verdict"], "up");
    assert!(up["devices"][0]["decided_at"].is_string());
    assert_eq!(up["counts"]["up"], 1);
    // Going down later changes nothing about that wake.
    agent.report(app, &pc, "down").await;
    let later = get_json(app, &root, &format!("/api/wakes/{id}")).await;
    assert_eq!(later["verdict"], "up");

    // The device's history: newest first, with who and the verdict.
    let second = wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    let history = get_json(app, &root, &format!("/api/devices/{pc}/wakes")).await;
    assert_eq!(history["count"], 2);
    assert_eq!(history["wakes"][0]["wake_id"], second["wake_id"]);
    assert_eq!(history["wakes"][0]["verdict"], "pending");
    assert_eq!(history["wakes"][1]["wake_id"], id.as_str());
    assert_eq!(history["wakes"][1]["verdict"], "up");
    assert_eq!(history["wakes"][1]["requested_by"]["name"], "root");
    assert_eq!(history["wakes"][1]["agents"][0]["outcome"], "sent");
    let page = get_json(
        app,
        &root,
        &format!("/api/devices/{pc}/wakes?skip=1&limit=1"),
    )
    .await;
    assert_eq!(page["count"], 2);
    assert_eq!(page["wakes"].as_array().unwrap().len(), 1);
    assert_eq!(page["wakes"][0]["wake_id"], id.as_str());
}

async fn a_machine_already_up_is_not_woken_unless_forced(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::watcher(app, &root, "watcher").await;
    let pc = device(app, &root, "pc", "02:00:00:00:03:02", &[&agent.id]).await;
    agent.report(app, &pc, "up").await;

    let answer = wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    assert_eq!(answer["verdict"], "already_up");
    assert_eq!(answer["successful_agents"], json!([]));
    assert!(
        answer["message"].as_str().unwrap().contains("already up"),
        "{answer}"
    );
    assert!(agent.wol.calls().is_empty(), "nothing was sent");
    let record = get_json(
        app,
        &root,
        &format!("/api/wakes/{}", answer["wake_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(record["verdict"], "already_up");
    assert!(record["devices"][0]["decided_at"].is_string());

    // Forced: sent, and it was up already.
    let forced = wake(app, &root, &format!("/api/devices/{pc}/wake?force=true")).await;
    assert_eq!(forced["verdict"], "already_up");
    assert_eq!(forced["successful_agents"], json!(["watcher"]));
    assert_eq!(agent.wol.calls().len(), 1);
    let record = get_json(
        app,
        &root,
        &format!("/api/wakes/{}", forced["wake_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(record["forced"], true);
}

async fn wakes_nothing_can_confirm_or_nobody_sent(app: &TestApp) {
    let root = app.root_token().await;
    // Served by an agent that does not watch presence (the original one).
    let original = Agent::start(app, &root, "original", &[]).await;
    let pc = device(app, &root, "pc", "02:00:00:00:03:03", &[&original.id]).await;
    let answer = wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    assert_eq!(answer["verdict"], "unconfirmed");
    let calls = original.wol.calls();
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].body.get("watch_s").is_none(),
        "the original protocol"
    );

    // Served by a watcher, but not probed.
    let watcher = Agent::watcher(app, &root, "watcher").await;
    let quiet = device(app, &root, "quiet", "02:00:00:00:03:04", &[&watcher.id]).await;
    let response = app
        .send(
            app.client
                .put(app.url(&format!("/api/devices/{quiet}")))
                .json(&json!({"probe": {"method": "off"}})),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer = wake(app, &root, &format!("/api/devices/{quiet}/wake")).await;
    assert_eq!(answer["verdict"], "unconfirmed");

    // Only an offline agent: nothing sent, 503 as before, and recorded.
    let asleep = app.insert_agent("asleep", None, false).await;
    let lost = device(app, &root, "lost", "02:00:00:00:03:05", &[&asleep]).await;
    let response = wake_at(
        app,
        &app.url(""),
        &root,
        &format!("/api/devices/{lost}/wake"),
    )
    .await;
    let error = assert_error(response, 503).await;
    let id = error["wake_id"]
        .as_str()
        .expect("the record's id")
        .to_string();
    let record = get_json(app, &root, &format!("/api/wakes/{id}")).await;
    assert_eq!(record["verdict"], "not_sent");
    assert_eq!(record["devices"][0]["agents"][0]["outcome"], "offline");
}

async fn a_cluster_wake_counts_its_verdicts(app: &TestApp) {
    let root = app.root_token().await;
    let me: Value = get_json(app, &root, "/api/users/me").await;
    let cluster = app.insert_cluster("lab", me["id"].as_str().unwrap()).await;
    let watcher = Agent::start_in(app, &root, "watcher", &["presence"], Some(&cluster)).await;
    let original = Agent::start_in(app, &root, "original", &[], Some(&cluster)).await;
    let up = device_in(
        app,
        &root,
        "a-up",
        "02:00:00:00:04:01",
        &[&watcher.id],
        Some(&cluster),
    )
    .await;
    let down = device_in(
        app,
        &root,
        "b-down",
        "02:00:00:00:04:02",
        &[&watcher.id],
        Some(&cluster),
    )
    .await;
    let blind = device_in(
        app,
        &root,
        "c-blind",
        "02:00:00:00:04:03",
        &[&original.id],
        Some(&cluster),
    )
    .await;
    watcher.report(app, &up, "up").await;
    watcher.report(app, &down, "down").await;

    let answer = wake(app, &root, &format!("/api/clusters/{cluster}/wake")).await;
    assert_eq!(
        answer["counts"],
        json!({"up": 0, "pending": 1, "no_sign_of_life": 0, "not_sent": 0,
               "already_up": 1, "unconfirmed": 1})
    );
    assert_eq!(answer["successful_device_count"], 2);
    let verdicts: Vec<&str> = answer["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["already_up", "pending", "unconfirmed"]);
    assert!(
        answer["message"].as_str().unwrap().contains("1 already up"),
        "{answer}"
    );
    let id = answer["wake_id"].as_str().unwrap().to_string();
    let record = get_json(app, &root, &format!("/api/wakes/{id}")).await;
    assert_eq!(record["kind"], "cluster");
    assert_eq!(record["cluster_name"], "lab");
    assert_eq!(record["verdict"], "pending");

    watcher.report(app, &down, "up").await;
    let record = get_json(app, &root, &format!("/api/wakes/{id}")).await;
    assert_eq!(record["counts"]["up"], 1);
    assert_eq!(record["counts"]["pending"], 0);
    assert!(record.get("verdict").is_none(), "{record}");
    // Each device's history holds the cluster wake.
    let history = get_json(app, &root, &format!("/api/devices/{blind}/wakes")).await;
    assert_eq!(history["wakes"][0]["kind"], "cluster");
    assert_eq!(history["wakes"][0]["cluster_name"], "lab");
    assert_eq!(history["wakes"][0]["verdict"], "unconfirmed");
}

async fn wait_answers_at_the_verdict_or_at_its_limit(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::watcher(app, &root, "watcher").await;
    let pc = device(app, &root, "pc", "02:00:00:00:03:06", &[&agent.id]).await;
    agent.report(app, &pc, "down").await;

    // Nobody reports: the answer comes at the limit, still pending.
    let started = Instant::now();
    let answer = wake(app, &root, &format!("/api/devices/{pc}/wake?wait=2")).await;
    let took = started.elapsed();
    assert_eq!(answer["verdict"], "pending");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "{took:?}"
    );

    // The machine shows up while the request waits: it answers then.
    let started = Instant::now();
    let url = app.url("");
    let path = format!("/api/devices/{pc}/wake?wait=60");
    let (answer, ()) = tokio::join!(wake_at(app, &url, &root, &path), async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        agent.report(app, &pc, "up").await;
    });
    let took = started.elapsed();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["verdict"], "up", "{answer}");
    assert!(answer["seconds_to_up"].as_f64().unwrap() < 5.0, "{answer}");
    assert!(
        took < Duration::from_secs(5),
        "answered at the verdict: {took:?}"
    );
}

async fn who_may_read_and_make_wakes(app: &TestApp) {
    let root = app.root_token().await;
    let (_, viewer) = app.user_with_role(&root, "vera", "viewer").await;
    let (_, user) = app.user_with_role(&root, "uma", "user").await;
    let agent = Agent::watcher(app, &root, "watcher").await;
    let pc = device(app, &root, "pc", "02:00:00:00:03:07", &[&agent.id]).await;
    let answer = wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    let id = answer["wake_id"].as_str().unwrap();

    // Everyone who reads devices reads their wakes.
    for token in [&viewer, &user] {
        let record = get_json(app, token, &format!("/api/wakes/{id}")).await;
        assert_eq!(record["id"], id);
        let history = get_json(app, token, &format!("/api/devices/{pc}/wakes")).await;
        assert_eq!(history["count"], 1);
    }
    // Only managers of the device wake it, and nothing is recorded otherwise.
    for token in [&viewer, &user] {
        let response = wake_at(app, &app.url(""), token, &format!("/api/devices/{pc}/wake")).await;
        assert_error(response, 403).await;
    }
    assert_eq!(app.count_rows("wakes").await, 1);
    // Unknown, or not signed in.
    let missing = app
        .send(
            app.client
                .get(app.url(&format!("/api/wakes/{}", uuid::Uuid::new_v4()))),
            &viewer,
        )
        .await;
    assert_error(missing, 404).await;
    let missing = app
        .send(
            app.client
                .get(app.url(&format!("/api/devices/{}/wakes", uuid::Uuid::new_v4()))),
            &viewer,
        )
        .await;
    assert_error(missing, 404).await;
    let anonymous = app
        .client
        .get(app.url(&format!("/api/wakes/{id}")))
        .send()
        .await
        .unwrap();
    assert_error(anonymous, 401).await;
}

async fn bad_wake_parameters_are_refused(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::watcher(app, &root, "watcher").await;
    let pc = device(app, &root, "pc", "02:00:00:00:03:08", &[&agent.id]).await;
    for query in ["wait=301", "wait=-1", "wait=soon", "force=maybe"] {
        let response = wake_at(
            app,
            &app.url(""),
            &root,
            &format!("/api/devices/{pc}/wake?{query}"),
        )
        .await;
        assert_error(response, 422).await;
    }
    let response = app
        .send(app.client.get(app.url("/api/wakes/not-a-uuid")), &root)
        .await;
    assert!(response.status().is_client_error());
    // Nothing was sent or recorded.
    assert!(agent.wol.calls().is_empty());
    assert_eq!(app.count_rows("wakes").await, 0);
}

async fn each_device_has_its_own_boot_timeout(app: &TestApp) {
    // The server's boot timeout is 120 s; "quick" gives itself 1 s.
    let root = app.root_token().await;
    let agent = Agent::watcher(app, &root, "watcher").await;
    let create = |name: &str, mac: &str, probe: Value| {
        app.send(
            app.client.post(app.url("/api/devices")).json(&json!({
                "name": name, "mac_address": mac, "ip_address": "192.0.2.10",
                "agent_ids": [agent.id], "probe": probe,
            })),
            &root,
        )
    };
    // Out of range: refused, naming the probe, and nothing stored.
    for refused in [0, 3601] {
        let response = create(
            "bad",
            "02:00:00:00:03:20",
            json!({"boot_timeout_s": refused}),
        )
        .await;
        let body = assert_error(response, 422).await;
        assert!(body["details"].to_string().contains("probe"), "{body}");
    }
    assert_eq!(app.count_rows("devices").await, 0);

    let response = create("quick", "02:00:00:00:03:21", json!({"boot_timeout_s": 1})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let quick: Value = response.json().await.unwrap();
    assert_eq!(
        quick["probe"],
        json!({"method": "auto", "boot_timeout_s": 1})
    );
    let quick = quick["id"].as_str().unwrap().to_string();
    let slow = device(app, &root, "slow", "02:00:00:00:03:22", &[&agent.id]).await;
    // Lists show it too (SQLite reads them packed).
    let listed = get_json(app, &root, "/api/devices").await;
    let of = |id: &str| {
        listed["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()["probe"]
            .clone()
    };
    assert_eq!(of(&quick)["boot_timeout_s"], 1);
    assert!(of(&slow).get("boot_timeout_s").is_none());
    agent.report(app, &quick, "down").await;
    agent.report(app, &slow, "down").await;

    let started = Instant::now();
    let answer = wake(app, &root, &format!("/api/devices/{quick}/wake?wait=30")).await;
    assert_eq!(answer["verdict"], "no_sign_of_life", "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let record = get_json(
        app,
        &root,
        &format!("/api/wakes/{}", answer["wake_id"].as_str().unwrap()),
    )
    .await;
    let seconds = |at: &Value| {
        chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    assert_eq!(
        seconds(&record["devices"][0]["deadline"]) - seconds(&record["requested_at"]),
        1_000,
        "{record}"
    );
    let answer = wake(app, &root, &format!("/api/devices/{slow}/wake")).await;
    assert_eq!(answer["verdict"], "pending");
    // Each agent is asked to watch each machine for that machine's timeout.
    let watched: Vec<Value> = agent
        .wol
        .calls()
        .iter()
        .map(|c| c.body["watch_s"].clone())
        .collect();
    assert_eq!(watched, [json!(1), json!(120)]);

    // A PUT replaces the probe whole: without it, the server's default again.
    let response = app
        .send(
            app.client
                .put(app.url(&format!("/api/devices/{quick}")))
                .json(&json!({"probe": {"boot_timeout_s": 3601}})),
            &root,
        )
        .await;
    assert_error(response, 422).await;
    let unchanged = get_json(app, &root, &format!("/api/devices/{quick}")).await;
    assert_eq!(unchanged["probe"]["boot_timeout_s"], 1);
    let response = app
        .send(
            app.client
                .put(app.url(&format!("/api/devices/{quick}")))
                .json(&json!({"probe": {"method": "auto", "boot_timeout_s": 600}})),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer = wake(app, &root, &format!("/api/devices/{quick}/wake")).await;
    assert_eq!(answer["verdict"], "pending");
    assert_eq!(agent.wol.calls().last().unwrap().body["watch_s"], 600);
}

async fn no_sign_of_life_after_the_boot_timeout(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| config.wake_boot_timeout_seconds = 1).await;
    let root = app.root_token().await;
    let agent = Agent::watcher(&app, &root, "watcher").await;
    let pc = device(&app, &root, "pc", "02:00:00:00:03:09", &[&agent.id]).await;
    agent.report(&app, &pc, "down").await;
    let started = Instant::now();
    let answer = wake(&app, &root, &format!("/api/devices/{pc}/wake?wait=30")).await;
    assert_eq!(answer["verdict"], "no_sign_of_life", "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // Up after its deadline: too late for that wake.
    agent.report(&app, &pc, "up").await;
    let record = get_json(
        &app,
        &root,
        &format!("/api/wakes/{}", answer["wake_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(record["verdict"], "no_sign_of_life");
    app.finish().await;
}

async fn a_report_to_another_replica_decides_the_wait(db: TestDb) {
    // Two server processes on one database: the wake waits on one, the
    // machine's report reaches the other, and the waiting request answers
    // with the verdict the other wrote.
    let config = db.config();
    let first = TestApp::spawn(db).await;
    let root = first.root_token().await;
    let agent = Agent::watcher(&first, &root, "watcher").await;
    let pc = device(&first, &root, "pc", "02:00:00:00:03:0A", &[&agent.id]).await;
    agent.report(&first, &pc, "down").await;
    let second = powerbeacon::Application::build(config).await.unwrap();
    let second_url = format!("http://{}", second.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(second.run_until(async {
        let _ = stopped.await;
    }));

    let started = Instant::now();
    let path = format!("/api/devices/{pc}/wake?wait=60");
    let first_url = first.url("");
    let (answer, ()) = tokio::join!(wake_at(&first, &first_url, &root, &path), async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        agent.report_to(&first, &second_url, &pc, "up").await;
    });
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["verdict"], "up", "{answer}");
    // The first learns it within its verdict pass (a second).
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(first.count_rows("wakes").await, 1);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    first.finish().await;
}

async fn the_browser_follows_a_wake_without_javascript(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::watcher(app, &root, "watcher").await;
    let pc = device(app, &root, "pc", "02:00:00:00:03:0B", &[&agent.id]).await;
    agent.report(app, &pc, "down").await;
    let cookie = crate::web::sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    // The card's wake button is a form before the wasm.
    let (_, html) = crate::web::page(app, &cookie, "/dashboard").await;
    assert!(
        html.contains(r#"action="/fn/wake_device""#),
        "the wake form"
    );

    // Posted without JavaScript: on to the wake's page.
    let response = crate::web::post_without_script(
        app,
        &cookie,
        "wake_device",
        "/dashboard",
        &[("id", pc.as_str())],
    )
    .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/wakes/"),
        "to the wake's page: {location}"
    );
    assert_eq!(agent.wol.calls().len(), 1, "woken once");

    // Pending: it says so, and reloads itself.
    let (status, html) = crate::web::page(app, &cookie, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("Wake of pc"), "{html}");
    assert!(html.contains("sent by 1 of 1 agents · waiting for it to come up…"));
    assert!(html.contains("watcher: sent 3 × 102 bytes to 192.0.2.255:9 via eth0"));
    assert!(
        html.contains(r#"http-equiv="refresh""#),
        "reloads while pending"
    );

    // Up: the verdict, and no more reloading.
    agent.report(app, &pc, "up").await;
    let (_, html) = crate::web::page(app, &cookie, &location).await;
    assert!(
        html.contains("sent by 1 of 1 agents · up after 0 s"),
        "{html}"
    );
    assert!(!html.contains(r#"http-equiv="refresh""#));
    // An unknown wake: 404 with its message; signed out: to sign in first.
    let (status, html) =
        crate::web::page(app, &cookie, &format!("/wakes/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(status, 404);
    assert!(html.contains("Wake not found."));
    let response = app.client.get(app.url(&location)).send().await.unwrap();
    assert!(response.status().is_redirection());
    assert_eq!(
        response.headers()["location"],
        format!("/login?next={location}").as_str()
    );
    // A script gets the wake's answer instead of the redirect: what each
    // agent sent, and the verdict when it is already known.
    agent.report(app, &pc, "down").await;
    let (status, answer) =
        crate::web::call_fields(app, &cookie, "wake_device", &[("id", pc.as_str())]).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["successful_agents"], json!(["watcher"]));
    assert_eq!(answer["agents"][0]["sent"]["destination"], "192.0.2.255");
    assert_eq!(answer["verdict"], "pending");
    agent.report(app, &pc, "up").await;
    let (_, answer) =
        crate::web::call_fields(app, &cookie, "wake_device", &[("id", pc.as_str())]).await;
    assert_eq!(answer["verdict"], "already_up", "{answer}");
    assert_eq!(answer["agents"], json!([]), "nothing sent");
}

async fn a_device_page_shows_its_wake_history(app: &TestApp) {
    let root = app.root_token().await;
    let agent = Agent::watcher(app, &root, "watcher").await;
    let pc = device(app, &root, "pc <1>", "02:00:00:00:03:30", &[&agent.id]).await;
    let cookie = crate::web::sign_in(app, "root", crate::helpers::TEST_PASSWORD).await;
    let path = format!("/devices/{pc}");

    // Never woken: it says so; its managers get a Wake button; its card and
    // the wake's page lead here.
    let (status, html) = crate::web::page(app, &cookie, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>pc &lt;1&gt;</h1>"), "escaped: {html}");
    assert!(html.contains("02:00:00:00:03:30"));
    assert!(html.contains("Never woken"), "{html}");
    assert!(
        html.contains(&format!(r#"name="id" value="{pc}""#)),
        "the Wake button"
    );
    assert!(!html.contains("<script"), "no script");
    let (_, dashboard) = crate::web::page(app, &cookie, "/dashboard").await;
    assert!(
        dashboard.contains(&format!(r#"href="{path}""#)),
        "the card links here"
    );

    // Up after its wake, then a wake that is still waiting: newest first,
    // with who asked, the verdict and the time to up.
    agent.report(app, &pc, "down").await;
    let first = wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    agent.report(app, &pc, "up").await;
    agent.report(app, &pc, "down").await;
    let second = wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    let (_, html) = crate::web::page(app, &cookie, &path).await;
    let newer = html
        .find(&format!("/wakes/{}", second["wake_id"].as_str().unwrap()))
        .expect("the second wake");
    let older = html
        .find(&format!("/wakes/{}", first["wake_id"].as_str().unwrap()))
        .expect("the first wake");
    assert!(newer < older, "newest first");
    assert!(html.contains("sent by 1 of 1 agents · waiting for it to come up…"));
    assert!(
        html.contains("sent by 1 of 1 agents · up after 0 s"),
        "{html}"
    );
    assert!(html.contains(r#"data-verdict="up""#));
    assert!(html.contains("<td>root</td>"), "who asked");
    // Its latest presence changes, newest first.
    let changes = &html[html
        .find(r#"class="presence-changes""#)
        .expect("the changes")..];
    let down = changes.find(r#"<li data-state="down">"#).unwrap();
    let up = changes.find(r#"<li data-state="up">"#).unwrap();
    assert!(down < up, "{changes}");
    assert!(changes.contains("just now</time> · reported by watcher (neighbor, 192.0.2.10)</li>"));
    assert!(changes.contains("just now</time> · seen by watcher (neighbor, 192.0.2.10)</li>"));
    let (_, wake_page) = crate::web::page(
        app,
        &cookie,
        &format!("/wakes/{}", first["wake_id"].as_str().unwrap()),
    )
    .await;
    assert!(
        wake_page.contains(&format!(r#"href="{path}""#)),
        "{wake_page}"
    );

    // More than a page: 20 at a time, with a way to older ones.
    for _ in 0..20 {
        wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    }
    let (_, html) = crate::web::page(app, &cookie, &path).await;
    assert_eq!(html.matches("<tr data-verdict").count(), 20);
    assert!(html.contains("1–20 of 22"), "{html}");
    assert!(html.contains(&format!(r#"href="{path}?skip=20">Older"#)));
    let (_, html) = crate::web::page(app, &cookie, &format!("{path}?skip=20")).await;
    assert_eq!(html.matches("<tr data-verdict").count(), 2);
    assert!(html.contains("21–22 of 22"));
    assert!(html.contains(&format!(r#"href="{path}?skip=0">Newer"#)));
    assert!(
        html.contains(r#"data-verdict="up""#),
        "the oldest is on the last page"
    );
    let (status, _) = crate::web::page(app, &cookie, &format!("{path}?skip=lots")).await;
    assert_eq!(status, 200, "a bad skip reads as the first page");

    // A viewer reads it, without the Wake button; nobody signed in is sent
    // to sign in first; an unknown device is 404.
    app.user_with_role(&root, "vera", "viewer").await;
    let viewer = crate::web::sign_in(app, "vera", crate::helpers::TEST_PASSWORD).await;
    let (status, html) = crate::web::page(app, &viewer, &format!("{path}?skip=20")).await;
    assert_eq!(status, 200);
    assert!(html.contains("up after 0 s"));
    assert!(!html.contains("/fn/wake_device"), "viewers cannot wake");
    let response = app.client.get(app.url(&path)).send().await.unwrap();
    assert!(response.status().is_redirection());
    assert_eq!(
        response.headers()["location"],
        format!("/login?next={path}").as_str()
    );
    for unknown in [
        format!("/devices/{}", uuid::Uuid::new_v4()),
        "/devices/nope".into(),
    ] {
        let (status, html) = crate::web::page(app, &cookie, &unknown).await;
        assert_eq!(status, 404, "{unknown}");
        assert!(html.contains("Device not found."));
    }
}
