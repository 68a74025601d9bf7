//! The clusters, users and settings pages' server functions: each acts as
//! the session's user and follows the same rules as the REST API, and the
//! read models mark exactly what that user may do.

use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, on_both_engines};
use crate::web::{call, call_fields, call_form, sign_in};

on_both_engines!(
    cluster_functions_follow_the_roles,
    a_cluster_keeps_members_its_manager_does_not_own,
    members_beyond_the_first_thousand_choices_are_kept,
    users_page_shows_each_role_its_controls,
    settings_change_the_profile_password_and_single_sign_on,
);

/// The names of `list`'s items (at `key`) for which `flag` is true.
fn flagged<'a>(list: &'a Value, key: &str, flag: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|item| item[flag] == true)
        .map(|item| item[key].as_str().unwrap())
        .collect()
}

async fn create_device(app: &TestApp, cookie: &str, name: &str, mac: &str) -> Value {
    let (status, device) = call(
        app,
        Some(cookie),
        "create_device",
        json!({"request": {"name": name, "mac_address": mac}}),
    )
    .await;
    assert_eq!(status, 200, "{device}");
    device
}

async fn cluster_functions_follow_the_roles(app: &TestApp) {
    let root_token = app.root_token().await;
    app.user_with_role(&root_token, "alice", "user").await;
    app.user_with_role(&root_token, "vic", "viewer").await;
    let root = sign_in(app, "root", TEST_PASSWORD).await;
    let alice = sign_in(app, "alice", TEST_PASSWORD).await;
    let vic = sign_in(app, "vic", TEST_PASSWORD).await;
    let nas = create_device(app, &root, "nas", "02:00:00:00:01:01").await;
    let pc = create_device(app, &alice, "pc", "02:00:00:00:01:02").await;

    // A user groups their own devices, not someone else's.
    let (status, body) = call(
        app,
        Some(&alice),
        "create_cluster",
        json!({"request": {"name": "desk", "device_ids": [nas["id"]]}}),
    )
    .await;
    assert_eq!(
        (status, body["status_code"].as_u64()),
        (403, Some(403)),
        "{body}"
    );
    let (status, desk) = call(
        app,
        Some(&alice),
        "create_cluster",
        json!({"request": {"name": "desk", "tags": ["home"], "device_ids": [pc["id"]]}}),
    )
    .await;
    assert_eq!(status, 200, "{desk}");
    assert_eq!(desk["device_count"], 1);
    let (status, body) = call(
        app,
        Some(&alice),
        "create_cluster",
        json!({"request": {"name": "  "}}),
    )
    .await;
    assert_eq!(
        (status, body["details"].as_str()),
        (422, Some("name")),
        "{body}"
    );
    let (status, lab) = call(
        app,
        Some(&root),
        "create_cluster",
        json!({"request": {"name": "Lab", "device_ids": [nas["id"]]}}),
    )
    .await;
    assert_eq!(status, 200, "{lab}");

    // The overview: by name, each marked with what the reader may do.
    let (status, overview) = call(app, Some(&alice), "clusters_overview", json!({})).await;
    assert_eq!(status, 200, "{overview}");
    let names: Vec<&str> = overview["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["desk", "Lab"]);
    assert_eq!(
        flagged(&overview["clusters"], "name", "can_manage"),
        ["desk"]
    );
    assert_eq!(overview["can_create"], true);
    assert!(
        overview.get("members").is_none(),
        "choices come with the form"
    );
    let (status, choices) = call_fields(app, &alice, "cluster_form_choices", &[]).await;
    assert_eq!(status, 200, "{choices}");
    assert_eq!(
        flagged(&choices["devices"], "name", "can_move"),
        ["pc"],
        "only her own device may move"
    );
    let (status, overview) = call(app, Some(&vic), "clusters_overview", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(overview["can_create"], false);
    assert!(flagged(&overview["clusters"], "name", "can_manage").is_empty());
    let (status, _) = call_fields(app, &vic, "cluster_form_choices", &[]).await;
    assert_eq!(status, 403, "viewers open no cluster form");

    // The detail page: devices with what the reader may wake.
    let (status, page) = call_fields(
        app,
        &alice,
        "cluster_page",
        &[("id", lab["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["can_manage"], false);
    assert_eq!(
        flagged(&page["devices"], "name", "can_manage"),
        Vec::<&str>::new()
    );
    let (status, _) = call_fields(
        app,
        &alice,
        "cluster_form_choices",
        &[("id", lab["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 403, "not her cluster to edit");
    let (status, page) = call_fields(
        app,
        &root,
        "cluster_page",
        &[("id", lab["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["can_manage"], true);
    assert_eq!(flagged(&page["devices"], "name", "can_manage"), ["nas"]);
    let missing = uuid::Uuid::new_v4().to_string();
    let (status, _) = call_fields(app, &root, "cluster_page", &[("id", &missing)]).await;
    assert_eq!(status, 404);
    // Arguments that do not decode are the caller's fault: 400, not 500.
    let (status, body) = call_fields(app, &root, "cluster_page", &[("id", "not-a-uuid")]).await;
    assert_eq!(
        (status, body["status_code"].as_u64()),
        (400, Some(400)),
        "{body}"
    );

    // Viewers may not change or wake; users only their own clusters.
    let (status, _) = call(
        app,
        Some(&vic),
        "update_cluster",
        json!({"id": desk["id"], "request": {"name": "taken"}}),
    )
    .await;
    assert_eq!(status, 403);
    for function in ["wake_cluster", "delete_cluster"] {
        assert_eq!(
            call_form(app, &vic, function, &desk["id"]).await,
            403,
            "{function}"
        );
        assert_eq!(
            call_form(app, &alice, function, &lab["id"]).await,
            403,
            "{function}"
        );
    }
    // Devices without agents cannot be woken: the answer says why.
    let (status, body) = call_fields(
        app,
        &alice,
        "wake_cluster",
        &[("id", desk["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 503, "{body}");
    let (status, renamed) = call(
        app,
        Some(&alice),
        "update_cluster",
        json!({"id": desk["id"], "request": {"name": "Desk", "description": "by the window", "device_ids": []}}),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        (renamed["name"].as_str(), renamed["device_count"].as_u64()),
        (Some("Desk"), Some(0))
    );
    assert_eq!(
        call_form(app, &alice, "delete_cluster", &desk["id"]).await,
        200
    );
    let (_, overview) = call(app, Some(&alice), "clusters_overview", json!({})).await;
    assert_eq!(overview["count"], 1);
    // The device outlives its cluster.
    let (_, dashboard) = call(app, Some(&alice), "dashboard", json!({})).await;
    assert_eq!(dashboard["device_count"], 2);
}

async fn a_cluster_keeps_members_its_manager_does_not_own(app: &TestApp) {
    let root_token = app.root_token().await;
    let (alice_user, _) = app.user_with_role(&root_token, "alice", "user").await;
    let root = sign_in(app, "root", TEST_PASSWORD).await;
    let alice = sign_in(app, "alice", TEST_PASSWORD).await;
    let nas = create_device(app, &root, "nas", "02:00:00:00:02:01").await;
    let pc = create_device(app, &alice, "pc", "02:00:00:00:02:02").await;
    let desk = app
        .insert_cluster("desk", alice_user["id"].as_str().unwrap())
        .await;
    // The superuser puts their device into alice's cluster.
    let (status, body) = call(
        app,
        Some(&root),
        "update_device",
        json!({"id": nas["id"], "request": {"cluster_id": desk}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Alice edits her cluster keeping it: allowed, it is already a member.
    let (status, body) = call(
        app,
        Some(&alice),
        "update_cluster",
        json!({"id": desk, "request": {"device_ids": [nas["id"], pc["id"]]}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["device_count"], 2);
    // Her edit form offers it (ticked: it is a member), but the form for a
    // new cluster does not.
    let nas_choice = |members: &Value| {
        members["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "nas")
            .map(|d| {
                (
                    d["can_move"].as_bool(),
                    d["cluster_id"].as_str().map(str::to_string),
                )
            })
    };
    let (_, choices) = call_fields(app, &alice, "cluster_form_choices", &[("id", &desk)]).await;
    assert_eq!(nas_choice(&choices), Some((Some(true), Some(desk.clone()))));
    let (_, choices) = call_fields(app, &alice, "cluster_form_choices", &[]).await;
    assert_eq!(
        nas_choice(&choices),
        Some((Some(false), Some(desk.clone())))
    );
    // But she cannot pull it into another cluster of hers.
    let (status, body) = call(
        app,
        Some(&alice),
        "create_cluster",
        json!({"request": {"name": "other", "device_ids": [nas["id"]]}}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
}

async fn users_page_shows_each_role_its_controls(app: &TestApp) {
    let root_token = app.root_token().await;
    app.user_with_role(&root_token, "adam", "admin").await;
    let (alice_user, _) = app.user_with_role(&root_token, "alice", "user").await;
    app.user_with_role(&root_token, "vic", "viewer").await;
    let root = sign_in(app, "root", TEST_PASSWORD).await;
    let adam = sign_in(app, "adam", TEST_PASSWORD).await;
    let alice = sign_in(app, "alice", TEST_PASSWORD).await;
    let vic = sign_in(app, "vic", TEST_PASSWORD).await;
    let alice_id = alice_user["id"].as_str().unwrap();
    let edits = |overview: &Value| -> Vec<(String, String)> {
        overview["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["username"].as_str().unwrap().to_string(),
                    u["edit"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };

    let (status, overview) = call(app, Some(&root), "users_overview", json!({})).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(
        edits(&overview),
        pairs(&[
            ("root", "full"),
            ("adam", "full"),
            ("alice", "full"),
            ("vic", "full")
        ])
    );
    assert_eq!(
        flagged(&overview["users"], "username", "can_delete"),
        ["adam", "alice", "vic"]
    );
    assert_eq!(
        (
            overview["can_create"].as_bool(),
            overview["shows_details"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(
        overview["assignable_roles"],
        json!(["superuser", "admin", "user", "viewer"])
    );

    let (status, overview) = call(app, Some(&adam), "users_overview", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        edits(&overview),
        pairs(&[
            ("root", "none"),
            ("adam", "role_and_active"),
            ("alice", "role_and_active"),
            ("vic", "role_and_active")
        ])
    );
    assert!(flagged(&overview["users"], "username", "can_delete").is_empty());
    assert_eq!(overview["can_create"], false);
    assert_eq!(
        overview["assignable_roles"],
        json!(["admin", "user", "viewer"])
    );

    let (status, overview) = call(app, Some(&alice), "users_overview", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(overview["shows_details"], false);
    assert!(
        overview["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"].is_null() && u["edit"] == "none")
    );
    let (status, _) = call(app, Some(&vic), "users_overview", json!({})).await;
    assert_eq!(status, 403);

    // The server enforces what the page hides.
    let new_user =
        json!({"request": {"username": "bob", "password": "long-enough-1", "role": "user"}});
    let (status, _) = call(app, Some(&adam), "create_user", new_user.clone()).await;
    assert_eq!(status, 403);
    let (status, bob) = call(app, Some(&root), "create_user", new_user).await;
    assert_eq!(status, 200, "{bob}");
    let (status, body) = call(
        app,
        Some(&root),
        "create_user",
        json!({"request": {"username": "bob", "password": "long-enough-1"}}),
    )
    .await;
    assert_eq!(status, 400, "taken username: {body}");
    let promote = |role: &str| json!({"id": alice_id, "request": {"role": role}});
    let (status, _) = call(app, Some(&adam), "update_user", promote("superuser")).await;
    assert_eq!(status, 403);
    let (status, body) = call(app, Some(&adam), "update_user", promote("viewer")).await;
    assert_eq!(
        (status, body["role"].as_str()),
        (200, Some("viewer")),
        "{body}"
    );
    let (status, _) = call(
        app,
        Some(&adam),
        "update_user",
        json!({"id": alice_id, "request": {"username": "alicia"}}),
    )
    .await;
    assert_eq!(status, 403, "admins change only role and active state");
    assert_eq!(call_form(app, &adam, "delete_user", &bob["id"]).await, 403);
    let root_id = overview["users"][0]["id"].clone();
    assert_eq!(
        call_form(app, &root, "delete_user", &root_id).await,
        403,
        "not oneself"
    );
    assert_eq!(call_form(app, &root, "delete_user", &bob["id"]).await, 200);
}

async fn settings_change_the_profile_password_and_single_sign_on(app: &TestApp) {
    let root_token = app.root_token().await;
    app.user_with_role(&root_token, "alice", "user").await;
    let root = sign_in(app, "root", TEST_PASSWORD).await;
    let alice = sign_in(app, "alice", TEST_PASSWORD).await;

    let (status, settings) = call(app, Some(&alice), "account_settings", json!({})).await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["user"]["username"], "alice");
    assert_eq!(settings["has_password"], true);
    assert!(
        settings["oidc"].is_null(),
        "only superusers see SSO settings"
    );
    assert_eq!(
        settings["about"]["current_version"],
        env!("CARGO_PKG_VERSION")
    );
    let (_, settings) = call(app, Some(&root), "account_settings", json!({})).await;
    assert_eq!(settings["oidc"]["enabled"], false);

    // Profile: bad input names its field and changes nothing.
    let (status, body) = call(
        app,
        Some(&alice),
        "update_me",
        json!({"request": {"email": "not-an-email", "full_name": "Alice A."}}),
    )
    .await;
    assert_eq!(
        (status, body["details"].as_str()),
        (422, Some("email")),
        "{body}"
    );
    let (_, settings) = call(app, Some(&alice), "account_settings", json!({})).await;
    assert_eq!(settings["user"]["full_name"], Value::Null);
    let (status, body) = call(
        app,
        Some(&alice),
        "update_me",
        json!({"request": {"email": "alice@home.example", "full_name": "Alice A."}}),
    )
    .await;
    assert_eq!(
        (status, body["full_name"].as_str()),
        (200, Some("Alice A.")),
        "{body}"
    );

    // Password: the current one is checked, the confirmation must match.
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        [
            ("current_password", current),
            ("new_password", new),
            ("new_password_confirm", confirm),
        ]
    };
    let (status, body) = call_fields(
        app,
        &alice,
        "change_password",
        &change("wrong-password", "brand-new-pass", "brand-new-pass"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = call_fields(
        app,
        &alice,
        "change_password",
        &change(TEST_PASSWORD, "brand-new-pass", "brand-new-typo"),
    )
    .await;
    assert_eq!(
        (status, body["details"].as_str()),
        (422, Some("new_password_confirm")),
        "{body}"
    );
    let (status, body) = call_fields(
        app,
        &alice,
        "change_password",
        &change(TEST_PASSWORD, "short", "short"),
    )
    .await;
    assert_eq!(
        (status, body["details"].as_str()),
        (422, Some("new_password")),
        "{body}"
    );
    let (status, body) = call_fields(
        app,
        &alice,
        "change_password",
        &change(TEST_PASSWORD, "brand-new-pass", "brand-new-pass"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    sign_in(app, "alice", "brand-new-pass").await;

    // Single sign-on: superusers only; enabling needs every field.
    let sso = |enabled: bool, url: &str| {
        json!({"request": {
            "enabled": enabled,
            "server_metadata_url": url,
            "client_id": "powerbeacon",
            "client_secret": "s3cret",
        }})
    };
    let (status, _) = call(
        app,
        Some(&alice),
        "update_oidc_config",
        sso(
            true,
            "https://id.example.com/.well-known/openid-configuration",
        ),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = call(
        app,
        Some(&root),
        "update_oidc_config",
        sso(true, "ftp://id.example.com"),
    )
    .await;
    assert_eq!(
        (status, body["details"].as_str()),
        (422, Some("server_metadata_url")),
        "{body}"
    );
    let (status, body) = call(
        app,
        Some(&root),
        "update_oidc_config",
        sso(
            true,
            "https://id.example.com/.well-known/openid-configuration",
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["enabled"].as_bool(),
            body["client_secret_set"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let (_, settings) = call(app, Some(&root), "account_settings", json!({})).await;
    assert_eq!(settings["oidc"]["client_id"], "powerbeacon");
    assert!(
        settings["oidc"].get("client_secret").is_none(),
        "the secret is never sent back"
    );
}

async fn members_beyond_the_first_thousand_choices_are_kept(app: &TestApp) {
    app.root_token().await;
    let root = sign_in(app, "root", TEST_PASSWORD).await;
    let old = create_device(app, &root, "old-timer", "02:10:00:00:ff:ff").await;
    let (status, cluster) = call(
        app,
        Some(&root),
        "create_cluster",
        json!({"request": {"name": "vintage", "device_ids": [old["id"]]}}),
    )
    .await;
    assert_eq!(status, 200, "{cluster}");
    // A thousand newer devices push it out of the first page of choices.
    app.insert_devices("bulk", 0x10, 1000).await;
    let id = cluster["id"].as_str().unwrap();
    let (_, choices) = call_fields(app, &root, "cluster_form_choices", &[("id", id)]).await;
    let devices = choices["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1001, "the first thousand and the member");
    assert!(
        devices
            .iter()
            .any(|d| d["id"] == old["id"] && d["cluster_id"] == cluster["id"]),
        "the member is offered, ticked"
    );
    // Renaming without touching the members keeps them.
    let (status, renamed) = call(
        app,
        Some(&root),
        "update_cluster",
        json!({"id": id, "request": {"name": "vintage-2"}}),
    )
    .await;
    assert_eq!(
        (status, renamed["device_count"].as_u64()),
        (200, Some(1)),
        "{renamed}"
    );
}
