//! The fleet-sized lists answer the same bytes whatever serves them: a
//! fixed fleet (fixed ids and times; devices with 0, 1 and 3 agents, with
//! and without a cluster, tags, descriptions, names that sort by case) is
//! listed page by page across every boundary, and each answer is compared,
//! byte for byte, with the one recorded in `golden/lists.json` before the
//! list path was rewritten for speed (docs/ARCHITECTURE.md, "Lists at fleet
//! scale"). Both engines must give the recorded bytes.
//!
//! `PB_WRITE_GOLDEN=1` records the file anew (only when a shape is meant to
//! change).

use std::collections::BTreeMap;

use crate::helpers::{TestApp, on_both_engines};

on_both_engines!(lists_answer_the_recorded_bytes);

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/integration/golden/lists.json"
);

const OWNER: &str = "00000000-0000-4000-8000-0000000000aa";
const LAB: &str = "00000000-0000-4000-8000-0000000000c1";
const EMPTY_CLUSTER: &str = "00000000-0000-4000-8000-0000000000c2";
const AGENTS: [(&str, &str, Option<&str>, &str); 4] = [
    // id, hostname, cluster, last seen
    (
        "00000000-0000-4000-8000-0000000000a1",
        "b-gateway",
        None,
        "NULL",
    ),
    (
        "00000000-0000-4000-8000-0000000000a2",
        "A-relay",
        Some(LAB),
        "'2026-01-02T03:04:05Z'",
    ),
    (
        "00000000-0000-4000-8000-0000000000a3",
        "c-pi",
        None,
        "'2026-01-02T03:04:06Z'",
    ),
    (
        "00000000-0000-4000-8000-0000000000a4",
        "d-idle",
        Some(LAB),
        "NULL",
    ),
];

/// The fleet, inserted behind the API's back so every id and time is fixed.
async fn seed(app: &TestApp) {
    let mut sql = format!(
        "INSERT INTO users (id, username, email, full_name, password_hash, role, is_active, \
         created_at, updated_at) VALUES ('{OWNER}', 'owner', 'owner@example.com', 'Olga Owner', \
         NULL, 'admin', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');\n\
         INSERT INTO clusters (id, name, description, tags, owner_id, created_at, updated_at) \
         VALUES ('{LAB}', 'Lab \"east\"', 'racks 1–3', '[\"lab\",\"east\"]', '{OWNER}', \
         '2026-01-01T00:00:01Z', '2026-01-01T00:00:01Z'), ('{EMPTY_CLUSTER}', 'empty', NULL, \
         '[]', NULL, '2026-01-01T00:00:02Z', '2026-01-01T00:00:02Z');\n"
    );
    for (i, (id, hostname, cluster, last_seen)) in AGENTS.iter().enumerate() {
        let cluster = cluster.map_or("NULL".to_string(), |c| format!("'{c}'"));
        sql.push_str(&format!(
            "INSERT INTO agents (id, hostname, ip, port, os, version, token, approved, \
             interfaces, features, cluster_id, owner_id, last_seen, created_at, updated_at) \
             VALUES ('{id}', '{hostname}', '198.51.100.{n}', 18080, 'linux', '1.2.{i}', \
             'token-{i}', {approved}, '[{{\"name\":\"eth0\",\"address\":\"198.51.100.{n}\",\
             \"prefix\":24,\"broadcast\":null,\"mac\":null}}]', '[\"wol-batch\"]', {cluster}, \
             '{OWNER}', {last_seen}, '2026-01-01T00:01:0{i}Z', '2026-01-01T00:01:0{i}Z');\n",
            n = i + 10,
            approved = if i == 3 { "FALSE" } else { "TRUE" },
        ));
    }
    for n in 0..13u32 {
        let id = format!("00000000-0000-4000-8000-{:012x}", 0xd00 + n);
        // Pairs share a creation time, so the id breaks the tie.
        let created = format!("'2026-02-01T00:00:{:02}Z'", n / 2);
        let name = ["nas", "NAS-2", "Gaming PC", "mini", "Ωmega"][n as usize % 5];
        let ip = if n % 4 == 0 {
            "NULL".to_string()
        } else {
            format!("'192.0.2.{n}'")
        };
        let os = ["linux", "windows", "macos"][n as usize % 3];
        let description = match n % 3 {
            0 => "NULL".to_string(),
            1 => "'the \"big\" one\\n'".to_string(),
            _ => format!("'déjà vu {n}'"),
        };
        let tags = match n % 3 {
            0 => "'[]'",
            1 => "'[\"office\"]'",
            _ => "'[\"rack-2\",\"Storage\",\"ü\"]'",
        };
        let cluster = if n % 2 == 0 {
            format!("'{LAB}'")
        } else {
            "NULL".into()
        };
        let owner = if n % 5 == 4 {
            "NULL".into()
        } else {
            format!("'{OWNER}'")
        };
        sql.push_str(&format!(
            "INSERT INTO devices (id, name, mac_address, ip_address, os_type, is_active, \
             description, tags, cluster_id, owner_id, created_at, updated_at) VALUES \
             ('{id}', '{name} {n}', '02:00:00:00:0D:{n:02X}', {ip}, '{os}', {active}, \
             {description}, {tags}, {cluster}, {owner}, {created}, {created});\n",
            active = if n == 7 { "FALSE" } else { "TRUE" },
        ));
        // 0, 1 or 3 agents; some links cross the cluster's edge.
        let links: &[usize] = match n % 3 {
            0 => &[],
            1 => &[1],
            _ => &[0, 1, 2],
        };
        for &a in links {
            sql.push_str(&format!(
                "INSERT INTO device_agents (device_id, agent_id) VALUES ('{id}', '{}');\n",
                AGENTS[a].0
            ));
        }
    }
    app.raw_sql(&sql).await;
}

async fn lists_answer_the_recorded_bytes(app: &TestApp) {
    let root = app.root_token().await;
    seed(app).await;
    let mut paths = vec![
        "/api/devices".to_string(),
        "/api/devices?limit=1000".to_string(),
        "/api/clusters".to_string(),
        format!("/api/clusters/{LAB}"),
        format!("/api/clusters/{EMPTY_CLUSTER}"),
        "/api/agents".to_string(),
        "/api/devices/00000000-0000-4000-8000-000000000d05".to_string(),
    ];
    for (skip, limit) in [
        (0, 1),
        (0, 5),
        (5, 5),
        (10, 5),
        (12, 1),
        (13, 5),
        (3, 4),
        (1, 2),
    ] {
        paths.push(format!("/api/devices?skip={skip}&limit={limit}"));
    }
    for (skip, limit) in [(1, 1), (0, 2)] {
        paths.push(format!("/api/clusters?skip={skip}&limit={limit}"));
        paths.push(format!("/api/agents?skip={skip}&limit={limit}"));
    }
    let mut answers = BTreeMap::new();
    for path in &paths {
        let response = app.send(app.client.get(app.url(path)), &root).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.unwrap();
        answers.insert(path.clone(), body);
    }
    if std::env::var("PB_WRITE_GOLDEN").as_deref() == Ok("1") {
        let text = serde_json::to_string_pretty(&answers).unwrap();
        std::fs::write(GOLDEN, text + "\n").unwrap();
        return;
    }
    let recorded: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(GOLDEN).expect("golden/lists.json")).unwrap();
    assert_eq!(
        recorded.keys().collect::<Vec<_>>(),
        answers.keys().collect::<Vec<_>>()
    );
    for (path, body) in &answers {
        assert!(
            body == &recorded[path],
            "{path} differs from the recorded answer:\n got {body}\nwant {}",
            recorded[path]
        );
    }
}
