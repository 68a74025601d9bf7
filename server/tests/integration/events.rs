//! Live events through the API (docs/API.md, "Live events"): a stream's
//! order and ids, resuming with `Last-Event-ID` and `reset`, who receives
//! what, access taken away, a client that stops reading, and two server
//! processes on one database.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ConfigFor, TestApp, TestDb, assert_error, on_both_engines, with_both_databases,
};
use crate::wakes::{Agent, device, device_in, wake};

on_both_engines!(
    events_arrive_in_order_with_their_ids,
    a_reconnecting_client_gets_what_it_missed,
    each_user_gets_what_they_may_read,
    bad_stream_requests_are_refused,
    access_taken_away_ends_the_stream,
);

mod limits {
    use super::*;
    with_both_databases!(
        a_client_that_stops_reading_is_dropped,
        streams_are_limited_and_end_when_the_server_stops,
        a_client_too_far_behind_is_told_to_reset,
        agents_going_offline_and_back_are_announced,
    );
}

mod replicas {
    use super::*;
    with_both_databases!(an_event_caused_through_one_process_reaches_the_other);
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) event: String,
    pub(crate) id: Option<i64>,
    pub(crate) data: Value,
}

/// A client of `GET /api/events`, reading frame by frame.
pub(crate) struct EventClient {
    response: reqwest::Response,
    buffer: String,
}

/// How long a test waits for the next event before it fails.
const PATIENCE: Duration = Duration::from_secs(10);

impl EventClient {
    /// Opens a stream at `base` (`query` after `?`, may be empty) with a
    /// bearer token, or a session cookie when `token` starts `pb_session=`.
    pub(crate) async fn open_at(
        app: &TestApp,
        base: &str,
        token: &str,
        query: &str,
        last_event_id: Option<i64>,
    ) -> Self {
        let response = Self::request(app, base, token, query, last_event_id)
            .header("accept-encoding", "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "open /api/events?{query}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "content type"
        );
        assert!(
            response.headers().get("content-encoding").is_none(),
            "streams are not compressed"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    pub(crate) async fn open(app: &TestApp, token: &str, query: &str) -> Self {
        Self::open_at(app, &app.url(""), token, query, None).await
    }

    fn request(
        app: &TestApp,
        base: &str,
        token: &str,
        query: &str,
        last_event_id: Option<i64>,
    ) -> reqwest::RequestBuilder {
        let mut request = app
            .client
            .get(format!("{base}/api/events?{query}"))
            .timeout(Duration::from_secs(600));
        request = if token.starts_with("pb_session=") {
            request.header("cookie", token)
        } else {
            request.bearer_auth(token)
        };
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        request
    }

    /// The answer to opening a stream, which may be an error.
    async fn answer(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
        Self::request(app, &app.url(""), token, query, None)
            .send()
            .await
            .unwrap()
    }

    /// The next frame with data (keep-alives skipped), or `None` when the
    /// stream ended.
    pub(crate) async fn next(&mut self) -> Option<Frame> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                if let Some(frame) = parse(&raw) {
                    return Some(frame);
                }
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("the next event within 10 s");
            match chunk {
                Ok(Some(bytes)) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// The next frame, which must come.
    pub(crate) async fn expect(&mut self) -> Frame {
        self.next().await.expect("the stream goes on")
    }

    /// The next frame of type `event`, skipping others.
    pub(crate) async fn expect_type(&mut self, event: &str) -> Frame {
        loop {
            let frame = self.expect().await;
            if frame.event == event {
                return frame;
            }
        }
    }

    /// Whether the stream ends within 10 s (whatever it sends first).
    pub(crate) async fn ends(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => {}
                Ok(Ok(None) | Err(_)) => return true,
            }
        }
    }
}

fn parse(raw: &str) -> Option<Frame> {
    let (mut event, mut id, mut data) = (String::from("message"), None, None);
    for line in raw.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            event = value.trim().to_string();
        } else if let Some(value) = line.strip_prefix("id:") {
            id = Some(value.trim().parse().unwrap());
        } else if let Some(value) = line.strip_prefix("data:") {
            data = Some(serde_json::from_str(value.trim()).unwrap());
        }
    }
    Some(Frame {
        event,
        id,
        data: data?,
    })
}

/// Frames until one satisfies `done`, which is returned last.
async fn until(client: &mut EventClient, done: impl Fn(&Frame) -> bool) -> Vec<Frame> {
    let mut frames = Vec::new();
    loop {
        let frame = client.expect().await;
        let last = done(&frame);
        frames.push(frame);
        if last {
            return frames;
        }
    }
}

async fn cluster(app: &TestApp, token: &str, name: &str, devices: &[&str]) -> String {
    app.create(
        token,
        "/api/clusters",
        json!({"name": name, "device_ids": devices}),
    )
    .await
}

async fn events_arrive_in_order_with_their_ids(app: &TestApp) {
    let root = app.root_token().await;
    let mut stream = EventClient::open(app, &root, "").await;
    let ready = stream.expect().await;
    assert_eq!(ready.event, "ready");
    let start = ready.id.unwrap();

    let agent = Agent::watcher(app, &root, "watcher").await;
    let pc = device(app, &root, "pc", "02:00:00:00:0E:01", &[&agent.id]).await;
    let lab = cluster(app, &root, "lab", &[&pc]).await;
    agent.report(app, &pc, "down").await;
    let woken = wake(app, &root, &format!("/api/devices/{pc}/wake")).await;
    agent.report(app, &pc, "up").await;

    let frames = until(&mut stream, |frame| {
        frame.event == "wake" && frame.data["verdict"] == "up"
    })
    .await;
    let ids: Vec<i64> = frames.iter().map(|frame| frame.id.unwrap()).collect();
    assert!(ids[0] > start, "{ids:?} after {start}");
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    let seen: Vec<(&str, Value)> = frames
        .iter()
        .map(|frame| {
            assert_eq!(frame.data["type"], frame.event.as_str(), "{frame:?}");
            let what = match frame.event.as_str() {
                "agent" => frame.data["change"].clone(),
                "device" | "cluster" => frame.data["change"].clone(),
                "presence" => frame.data["state"].clone(),
                "wake" => frame.data["verdict"].clone(),
                other => panic!("unexpected {other}"),
            };
            (frame.event.as_str(), what)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("agent", json!("registered")),
            ("device", json!("created")),
            ("cluster", json!("created")),
            ("presence", json!("down")),
            ("wake", json!("pending")),
            ("presence", json!("up")),
            ("wake", json!("up")),
        ]
    );
    let registered = &frames[0].data;
    assert_eq!(registered["hostname"], "watcher");
    assert_eq!(registered["status"], "online");
    assert_eq!(registered["approved"], true);
    assert_eq!(frames[1].data["device_id"], pc.as_str());
    assert_eq!(frames[1].data["name"], "pc");
    assert_eq!(frames[2].data["cluster_id"], lab.as_str());
    assert_eq!(frames[3].data["device_id"], pc.as_str());
    assert_eq!(frames[3].data["via"], "watcher");
    let pending = &frames[4].data;
    assert_eq!(pending["wake_id"], woken["wake_id"]);
    assert_eq!(pending["sent_by"], 1);
    assert_eq!(pending["agents"], 1);
    assert!(pending["deadline"].is_string());
    let up = &frames[6].data;
    assert_eq!(up["wake_id"], woken["wake_id"]);
    assert!(up["seconds_to_up"].as_f64().unwrap() < 5.0, "{up}");

    // Deleting reports it too, with the name the device had.
    let response = app
        .send(
            app.client.delete(app.url(&format!("/api/devices/{pc}"))),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let deleted = stream.expect_type("device").await;
    assert_eq!(deleted.data["change"], "deleted");
    assert_eq!(deleted.data["name"], "pc");
    assert_eq!(deleted.data["cluster_id"], lab.as_str());
}

async fn a_reconnecting_client_gets_what_it_missed(app: &TestApp) {
    let root = app.root_token().await;
    let mut first = EventClient::open(app, &root, "").await;
    let ready = first.expect().await.id.unwrap();
    let a = device(app, &root, "a", "02:00:00:00:0E:02", &[]).await;
    let seen = first.expect_type("device").await.id.unwrap();
    drop(first);

    // Three changes while away.
    let b = device(app, &root, "b", "02:00:00:00:0E:03", &[]).await;
    let c = device(app, &root, "c", "02:00:00:00:0E:04", &[]).await;
    cluster(app, &root, "both", &[&b, &c]).await;

    let base = app.url("");
    let mut again = EventClient::open_at(app, &base, &root, "", Some(seen)).await;
    assert_eq!(again.expect().await.event, "ready");
    let missed: Vec<Frame> = [
        again.expect().await,
        again.expect().await,
        again.expect().await,
    ]
    .into();
    assert_eq!(missed[0].data["device_id"], b.as_str());
    assert_eq!(missed[1].data["device_id"], c.as_str());
    assert_eq!(missed[2].data["name"], "both");
    // Then live.
    let response = app
        .send(
            app.client.delete(app.url(&format!("/api/devices/{a}"))),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let live = again.expect().await;
    assert_eq!(live.data["change"], "deleted");
    assert!(live.id.unwrap() > missed[2].id.unwrap());

    // The query parameter does the same (a client that cannot set the header).
    let mut by_query = EventClient::open(app, &root, &format!("last_event_id={ready}")).await;
    assert_eq!(by_query.expect().await.event, "ready");
    assert_eq!(by_query.expect().await.data["device_id"], a.as_str());

    // An id this database never gave: reload.
    let mut future = EventClient::open_at(app, &base, &root, "", Some(seen + 1_000_000)).await;
    let reset = future.expect().await;
    assert_eq!(reset.event, "reset");
    assert_eq!(reset.id, live.id, "the reset names where things stand");
}

async fn a_client_too_far_behind_is_told_to_reset(db: TestDb) {
    // The table keeps the newest 3 events.
    let app = TestApp::spawn_with(db, |config| config.event_history = 3).await;
    let root = app.root_token().await;
    let mut first = EventClient::open(&app, &root, "").await;
    first.expect().await;
    device(&app, &root, "a", "02:00:00:00:0E:05", &[]).await;
    let seen = first.expect().await.id.unwrap();
    drop(first);
    for (i, name) in ["b", "c", "d", "e", "f"].iter().enumerate() {
        device(&app, &root, name, &format!("02:00:00:00:0E:1{i}"), &[]).await;
    }
    // (The server's own pass may have pruned first.)
    app.services.prune_events().await.unwrap();
    assert_eq!(app.count_rows("events").await, 3);

    let base = app.url("");
    let mut late = EventClient::open_at(&app, &base, &root, "", Some(seen)).await;
    let reset = late.expect().await;
    assert_eq!(reset.event, "reset", "{reset:?}");
    // It stands at the newest event, and goes on live from there.
    device(&app, &root, "g", "02:00:00:00:0E:20", &[]).await;
    let next = late.expect().await;
    assert_eq!(next.data["name"], "g");
    assert_eq!(next.id.unwrap(), reset.id.unwrap() + 1);

    // One that saw the event just before the oldest kept resumes.
    let mut close = EventClient::open_at(&app, &base, &root, "", Some(seen + 2)).await;
    assert_eq!(close.expect().await.event, "ready");
    assert_eq!(close.expect().await.data["name"], "d");
    drop((late, close));
    app.finish().await;
}

async fn each_user_gets_what_they_may_read(app: &TestApp) {
    let root = app.root_token().await;
    let (_, viewer) = app.user_with_role(&root, "vera", "viewer").await;
    let (_, user) = app.user_with_role(&root, "ulla", "user").await;
    let lab = cluster(app, &root, "lab", &[]).await;
    let mut as_viewer = EventClient::open(app, &viewer, "").await;
    let mut as_user = EventClient::open(app, &user, "").await;
    let cookie = crate::web::sign_in(app, "vera", crate::helpers::TEST_PASSWORD).await;
    let mut in_browser = EventClient::open(app, &cookie, "types=agent").await;
    let mut only_lab = EventClient::open(app, &root, &format!("cluster={lab}")).await;
    for stream in [&mut as_viewer, &mut as_user, &mut in_browser, &mut only_lab] {
        assert_eq!(stream.expect().await.event, "ready");
    }

    // An agent in no cluster, then one of the cluster.
    Agent::start(app, &root, "loose", &[]).await;
    Agent::start_in(app, &root, "racked", &[], Some(&lab)).await;
    let pc = device_in(app, &root, "pc", "02:00:00:00:0E:06", &[], Some(&lab)).await;
    let other = device(app, &root, "other", "02:00:00:00:0E:07", &[]).await;

    // Users see every agent; viewers (in the browser too) those of clusters.
    let agents = |frames: &[Frame]| -> Vec<String> {
        frames
            .iter()
            .filter(|frame| frame.event == "agent")
            .map(|frame| frame.data["hostname"].as_str().unwrap().to_string())
            .collect()
    };
    let last_device = |frame: &Frame| frame.data["device_id"] == other.as_str();
    assert_eq!(
        agents(&until(&mut as_user, last_device).await),
        ["loose", "racked"]
    );
    assert_eq!(
        agents(&until(&mut as_viewer, last_device).await),
        ["racked"]
    );
    assert_eq!(in_browser.expect().await.data["hostname"], "racked");
    // The cluster's filter: its agent and its device only.
    let lab_agent = only_lab.expect().await;
    assert_eq!(lab_agent.data["hostname"], "racked");
    let lab_device = only_lab.expect().await;
    assert_eq!(lab_device.data["device_id"], pc.as_str());

    // A device's filter, and a type's.
    let mut one = EventClient::open(app, &root, &format!("device={pc}&types=device")).await;
    one.expect().await;
    for (id, name) in [(&other, "other-2"), (&pc, "pc-2")] {
        let response = app
            .send(
                app.client
                    .put(app.url(&format!("/api/devices/{id}")))
                    .json(&json!({"name": name})),
                &root,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(one.expect().await.data["name"], "pc-2");
}

async fn bad_stream_requests_are_refused(app: &TestApp) {
    let root = app.root_token().await;
    let response = app.client.get(app.url("/api/events")).send().await.unwrap();
    assert_error(response, 401).await;
    let response = app
        .send(app.client.get(app.url("/api/events")), "not-a-token")
        .await;
    assert_error(response, 401).await;
    for query in ["types=presence,boot", "device=nope", "last_event_id=x"] {
        let response = EventClient::answer(app, &root, query).await;
        let body = assert_error(response, 422).await;
        if query.starts_with("types") {
            assert!(body["message"].as_str().unwrap().contains("boot"), "{body}");
        }
    }
    let response = app
        .send(
            app.client
                .get(app.url("/api/events"))
                .header("last-event-id", "yesterday"),
            &root,
        )
        .await;
    assert_error(response, 422).await;
}

async fn access_taken_away_ends_the_stream(app: &TestApp) {
    let root = app.root_token().await;
    let (dora, dora_token) = app.user_with_role(&root, "dora", "user").await;
    let (_, eve_token) = app.user_with_role(&root, "eve", "admin").await;
    let (viktor, viktor_token) = app.user_with_role(&root, "viktor", "admin").await;
    let cookie = crate::web::sign_in(app, "dora", crate::helpers::TEST_PASSWORD).await;
    let mut dora_api = EventClient::open(app, &dora_token, "").await;
    let mut dora_browser = EventClient::open(app, &cookie, "").await;
    let mut eve = EventClient::open(app, &eve_token, "").await;
    let mut viktor_stream = EventClient::open(app, &viktor_token, "").await;
    for stream in [
        &mut dora_api,
        &mut dora_browser,
        &mut eve,
        &mut viktor_stream,
    ] {
        stream.expect().await;
    }

    // Deactivating dora ends both her streams at once; eve's goes on.
    let started = Instant::now();
    let id = dora["id"].as_str().unwrap();
    let response = app
        .send(
            app.client
                .patch(app.url(&format!("/api/users/{id}")))
                .json(&json!({"is_active": false})),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(dora_api.ends().await, "the token's stream ends");
    assert!(dora_browser.ends().await, "the session's stream ends");
    assert!(started.elapsed() < Duration::from_secs(5));
    device(app, &root, "still", "02:00:00:00:0E:08", &[]).await;
    assert_eq!(eve.expect().await.data["name"], "still");

    // A lower role ends it too: viktor, admin, becomes a viewer.
    let id = viktor["id"].as_str().unwrap();
    let response = app
        .send(
            app.client
                .patch(app.url(&format!("/api/users/{id}")))
                .json(&json!({"role": "viewer"})),
            &root,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        viktor_stream.ends().await,
        "the demoted admin's stream ends"
    );
    // And the token it had is refused from then on.
    let response = EventClient::answer(app, &viktor_token, "").await;
    assert_error(response, 401).await;
}

async fn a_client_that_stops_reading_is_dropped(db: TestDb) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn_with(db, |config| config.write_timeout_seconds = 1).await;
    let root = app.root_token().await;
    // A long hostname makes each presence event about 380 bytes, so the
    // flood outgrows what the kernel buffers for the connection.
    let hostname = format!("flooder-{}", "x".repeat(240));
    let agent = Agent::watcher(&app, &root, &hostname).await;
    app.insert_devices("flood", 0x0F, 200).await;
    app.raw_sql(&format!(
        "INSERT INTO device_agents (device_id, agent_id) SELECT id, '{}' FROM devices \
         WHERE name LIKE 'flood-%'",
        agent.id
    ))
    .await;
    let ids: Vec<String> = {
        let response = app
            .send(app.client.get(app.url("/api/devices?limit=1000")), &root)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let list: Value = response.json().await.unwrap();
        list["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|device| device["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids.len(), 200);

    // A client that asks for the stream, with a small receive window, and
    // never reads it.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stuck = socket.connect(app.addr).await.unwrap();
    stuck
        .write_all(
            format!(
                "GET /api/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {root}\r\n\r\n",
                app.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut reader = EventClient::open(&app, &root, "types=presence").await;
    reader.expect().await;
    let wait_for_streams = |n: usize| {
        let services = app.services.clone();
        async move {
            let started = Instant::now();
            while services.event_stream_count() != n {
                assert!(started.elapsed() < Duration::from_secs(20), "{n} streams");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_for_streams(2).await;

    // A flood: 80 reports flipping 200 devices, 16 000 events, 6 MB: more
    // than the kernel buffers for a connection on loopback (4 MB at most).
    const EVENTS: usize = 16_000;
    let reading = tokio::spawn(async move {
        let mut count = 0;
        while count < EVENTS {
            let frame = reader.expect().await;
            assert_eq!(frame.event, "presence");
            count += 1;
        }
        count
    });
    for round in 0..EVENTS / 200 {
        let state = if round % 2 == 0 { "up" } else { "down" };
        let sightings: Vec<Value> = ids
            .iter()
            .map(|id| {
                json!({"device_id": id, "state": state, "method": "neighbor",
                       "address": "192.0.2.10", "age_ms": 0})
            })
            .collect();
        let response = app
            .send(
                app.client
                    .post(app.url("/api/agents/presence"))
                    .json(&json!({"agent_id": agent.id, "sightings": sightings})),
                &agent.token,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // The reader got every event; the one that did not read was cut off.
    assert_eq!(reading.await.unwrap(), EVENTS);
    wait_for_streams(0).await;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stuck.read_to_end(&mut received))
        .await
        .expect("the server closed the connection");
    // Closed (after what was in flight, or with a reset), before the end.
    let _ = read;
    let got = String::from_utf8_lossy(&received)
        .matches("event: presence")
        .count();
    assert!(got < EVENTS, "it got only what was in flight: {got}");
    app.finish().await;
}

async fn streams_are_limited_and_end_when_the_server_stops(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| config.max_event_streams = 2).await;
    let root = app.root_token().await;
    let mut one = EventClient::open(&app, &root, "").await;
    let two = EventClient::open(&app, &root, "").await;
    one.expect().await;
    let response = EventClient::answer(&app, &root, "").await;
    assert_error(response, 503).await;
    // A stream that closes frees its place.
    drop(two);
    let started = Instant::now();
    let mut three = loop {
        let response = EventClient::answer(&app, &root, "").await;
        if response.status() == StatusCode::OK {
            break response;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the place is freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(three.chunk().await.unwrap().is_some());

    // Stopping the server ends the streams rather than waiting on them.
    let started = Instant::now();
    app.finish().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(one.ends().await);
}

async fn agents_going_offline_and_back_are_announced(db: TestDb) {
    let app = TestApp::spawn_with(db, |config| config.agent_offline_seconds = 1).await;
    let root = app.root_token().await;
    let mut stream = EventClient::open(&app, &root, "types=agent").await;
    stream.expect().await;
    let agent = Agent::start(&app, &root, "sleepy", &[]).await;
    let registered = stream.expect().await;
    assert_eq!(registered.data["change"], "registered");
    assert_eq!(registered.data["status"], "online");

    // Silent past the offline timeout: announced offline once.
    let offline = stream.expect().await;
    assert_eq!(offline.data["change"], "offline");
    assert_eq!(offline.data["status"], "offline");
    assert_eq!(offline.data["agent_id"], agent.id.as_str());

    // Its next heartbeat brings it back.
    let response = app
        .send(
            app.client
                .post(app.url("/api/agents/heartbeat"))
                .json(&json!({"agent_id": agent.id})),
            &agent.token,
        )
        .await;
    assert!(response.status().is_success());
    let online = stream.expect().await;
    assert_eq!(online.data["change"], "online");
    assert_eq!(online.data["status"], "online");
    drop(stream);
    app.finish().await;
}

async fn an_event_caused_through_one_process_reaches_the_other(db: TestDb) {
    // Two server processes on one database: changes made through the
    // first reach a stream of the second, in order.
    let config = db.config();
    let first = TestApp::spawn(db).await;
    let root = first.root_token().await;
    let second = powerbeacon::Application::build(config).await.unwrap();
    let second_url = format!("http://{}", second.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(second.run_until(async {
        let _ = stopped.await;
    }));

    let mut there = EventClient::open_at(&first, &second_url, &root, "", None).await;
    assert_eq!(there.expect().await.event, "ready");
    let mut here = EventClient::open(&first, &root, "").await;
    here.expect().await;
    let started = Instant::now();
    let names = ["one", "two", "three", "four", "five"];
    for (i, name) in names.iter().enumerate() {
        device(&first, &root, name, &format!("02:00:00:00:0E:3{i}"), &[]).await;
    }
    let mut ids = Vec::new();
    for name in names {
        let frame = there.expect().await;
        assert_eq!(frame.data["name"], name);
        let local = here.expect().await;
        assert_eq!(local.id, frame.id, "the same ids in both processes");
        ids.push(frame.id.unwrap());
    }
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    // PostgreSQL's NOTIFY wakes the other at once; SQLite's second process
    // reads the table every second.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop((there, here));
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    first.finish().await;
}
