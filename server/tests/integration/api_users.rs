//! `/api/users`: the role rules of docs/API.md ("Roles"), on both engines.

use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp, assert_error, on_both_engines};

on_both_engines!(
    superuser_creates_users_and_duplicates_are_400,
    create_validates_every_field_and_stores_nothing,
    only_superusers_create_users,
    listing_depends_on_role,
    listing_paginates_and_validates_the_window,
    get_is_for_self_or_superuser,
    superuser_patches_any_field_and_clashes_are_409,
    admin_changes_only_role_and_active_of_non_superusers,
    the_last_superuser_stays,
    delete_rules,
    deactivated_and_deleted_users_lose_access,
    own_profile_and_password,
    malformed_ids_are_422,
);

fn id(user: &Value) -> &str {
    user["id"].as_str().unwrap()
}

async fn superuser_creates_users_and_duplicates_are_400(app: &TestApp) {
    let root = app.root_token().await;
    let created = app
        .send(
            app.client.post(app.url("/api/users")).json(&json!({
                "username": "alice", "password": TEST_PASSWORD, "email": "alice@example.com",
                "full_name": "Alice", "role": "admin",
            })),
            &root,
        )
        .await;
    assert_eq!(created.status(), 200);
    let alice: Value = created.json().await.unwrap();
    assert_eq!(alice["role"], "admin");
    assert_eq!(alice["is_active"], true);
    assert_eq!(alice["email"], "alice@example.com");

    // Default role is `viewer` (as the original); is_active may start false.
    let bob = app
        .send(
            app.client
                .post(app.url("/api/users"))
                .json(&json!({"username": "bob", "password": TEST_PASSWORD, "is_active": false})),
            &root,
        )
        .await;
    let bob: Value = bob.json().await.unwrap();
    assert_eq!(bob["role"], "viewer");
    assert_eq!(bob["is_active"], false);

    for body in [
        json!({"username": "ALICE", "password": TEST_PASSWORD}),
        json!({"username": "carol", "password": TEST_PASSWORD, "email": "Alice@Example.com"}),
    ] {
        let response = app
            .send(app.client.post(app.url("/api/users")).json(&body), &root)
            .await;
        let error = assert_error(response, 400).await;
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("already exists"),
            "{error}"
        );
        assert!(
            !error["message"].as_str().unwrap().contains("UNIQUE"),
            "no SQL in {error}"
        );
    }
}

async fn create_validates_every_field_and_stores_nothing(app: &TestApp) {
    let root = app.root_token().await;
    let cases = [
        (json!({"password": TEST_PASSWORD}), "username"),
        (json!({"username": "x"}), "password"),
        (
            json!({"username": "bad name", "password": TEST_PASSWORD}),
            "username",
        ),
        (json!({"username": "x", "password": "short"}), "password"),
        (
            json!({"username": "x", "password": TEST_PASSWORD, "email": "nope"}),
            "email",
        ),
        (
            json!({"username": "x", "password": TEST_PASSWORD, "role": "root"}),
            "role",
        ),
        (
            json!({"username": "x", "password": TEST_PASSWORD, "is_active": "yes"}),
            "is_active",
        ),
        (
            json!({"username": "x", "password": TEST_PASSWORD, "full_name": 5}),
            "full_name",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .send(app.client.post(app.url("/api/users")).json(&body), &root)
            .await;
        let error = assert_error(response, 422).await;
        assert!(
            error["details"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{body} → {error}"
        );
    }
    let list: Value = app
        .send(app.client.get(app.url("/api/users")), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 1);
}

async fn only_superusers_create_users(app: &TestApp) {
    let root = app.root_token().await;
    let body = json!({"username": "newbie", "password": TEST_PASSWORD});
    for role in ["admin", "user", "viewer"] {
        let (_, token) = app.user_with_role(&root, &format!("a-{role}"), role).await;
        let response = app
            .send(app.client.post(app.url("/api/users")).json(&body), &token)
            .await;
        assert_error(response, 403).await;
    }
    let anonymous = app.post_json("/api/users", &body).await;
    assert_error(anonymous, 401).await;
}

async fn listing_depends_on_role(app: &TestApp) {
    let root = app.root_token().await;
    let (_, admin) = app.user_with_role(&root, "adm", "admin").await;
    let (_, user) = app.user_with_role(&root, "usr", "user").await;
    let (_, viewer) = app.user_with_role(&root, "vwr", "viewer").await;

    let full: Value = app
        .send(app.client.get(app.url("/api/users")), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(full["count"], 4);
    let viewer_row = full["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "vwr")
        .unwrap();
    assert_eq!(viewer_row["role"], "viewer");
    assert_eq!(viewer_row["email"], "vwr@example.com");

    let limited: Value = app
        .send(app.client.get(app.url("/api/users")), &user)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(limited["count"], 4);
    for row in limited["data"].as_array().unwrap() {
        assert_eq!(row["email"], Value::Null);
        assert_eq!(row["role"], "user");
        assert_eq!(row["is_active"], true);
        assert!(
            row["username"].is_string() && row["id"].is_string() && row["created_at"].is_string()
        );
    }

    assert_error(
        app.send(app.client.get(app.url("/api/users")), &viewer)
            .await,
        403,
    )
    .await;
    assert_error(app.get("/api/users").await, 401).await;
}

async fn listing_paginates_and_validates_the_window(app: &TestApp) {
    let root = app.root_token().await;
    for name in ["u1", "u2", "u3"] {
        app.user_with_role(&root, name, "user").await;
    }
    let page: Value = app
        .send(app.client.get(app.url("/api/users?skip=1&limit=2")), &root)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["count"], 4);
    let names: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["u1", "u2"]);
    for query in ["limit=0", "limit=1001", "skip=-1", "limit=abc"] {
        let response = app
            .send(
                app.client.get(app.url(&format!("/api/users?{query}"))),
                &root,
            )
            .await;
        assert_error(response, 422).await;
    }
}

async fn get_is_for_self_or_superuser(app: &TestApp) {
    let root = app.root_token().await;
    let (alice, alice_token) = app.user_with_role(&root, "alice", "admin").await;
    let (bob, _) = app.user_with_role(&root, "bob", "user").await;
    let own = app
        .send(
            app.client
                .get(app.url(&format!("/api/users/{}", id(&alice)))),
            &alice_token,
        )
        .await;
    assert_eq!(own.status(), 200);
    let other = app
        .send(
            app.client.get(app.url(&format!("/api/users/{}", id(&bob)))),
            &alice_token,
        )
        .await;
    assert_error(other, 403).await;
    let by_root = app
        .send(
            app.client.get(app.url(&format!("/api/users/{}", id(&bob)))),
            &root,
        )
        .await;
    assert_eq!(by_root.json::<Value>().await.unwrap(), bob);
    let missing = app
        .send(
            app.client
                .get(app.url(&format!("/api/users/{}", uuid::Uuid::new_v4()))),
            &root,
        )
        .await;
    assert_error(missing, 404).await;
    let me: Value = app
        .send(app.client.get(app.url("/api/users/me")), &alice_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me, alice);
}

async fn superuser_patches_any_field_and_clashes_are_409(app: &TestApp) {
    let root = app.root_token().await;
    let (alice, _) = app.user_with_role(&root, "alice", "user").await;
    app.user_with_role(&root, "bob", "user").await;
    let url = app.url(&format!("/api/users/{}", id(&alice)));
    let patched: Value = app
        .send(
            app.client.patch(&url).json(&json!({
                "username": "alice2", "email": "", "full_name": "Alice Two", "role": "admin",
                "password": "another-horse-7",
            })),
            &root,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patched["username"], "alice2");
    assert_eq!(patched["email"], Value::Null);
    assert_eq!(patched["full_name"], "Alice Two");
    assert_eq!(patched["role"], "admin");
    app.token("alice2", "another-horse-7").await;

    let clash = app
        .send(
            app.client.patch(&url).json(&json!({"username": "BOB"})),
            &root,
        )
        .await;
    assert_error(clash, 409).await;
    let bad = app
        .send(app.client.patch(&url).json(&json!({"role": "god"})), &root)
        .await;
    assert_error(bad, 422).await;
    let missing = app
        .send(
            app.client
                .patch(app.url(&format!("/api/users/{}", uuid::Uuid::new_v4())))
                .json(&json!({"full_name": "x"})),
            &root,
        )
        .await;
    assert_error(missing, 404).await;
}

async fn admin_changes_only_role_and_active_of_non_superusers(app: &TestApp) {
    let root = app.root_token().await;
    let (_, admin) = app.user_with_role(&root, "adm", "admin").await;
    let (bob, bob_token) = app.user_with_role(&root, "bob", "user").await;
    let (other_root, _) = app.user_with_role(&root, "root2", "superuser").await;
    let bob_url = app.url(&format!("/api/users/{}", id(&bob)));

    let ok: Value = app
        .send(
            app.client
                .patch(&bob_url)
                .json(&json!({"role": "viewer", "is_active": true})),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["role"], "viewer");

    for body in [
        json!({"full_name": "Bobby"}),
        json!({"password": "x-horse-long"}),
        json!({"role": "superuser"}),
    ] {
        let response = app
            .send(app.client.patch(&bob_url).json(&body), &admin)
            .await;
        assert_error(response, 403).await;
    }
    let on_superuser = app
        .send(
            app.client
                .patch(app.url(&format!("/api/users/{}", id(&other_root))))
                .json(&json!({"role": "user"})),
            &admin,
        )
        .await;
    assert_error(on_superuser, 403).await;
    // Bob's old token ended with his lower role; a new one acts as the
    // viewer he now is.
    let old_token = app
        .send(
            app.client.patch(&bob_url).json(&json!({"role": "admin"})),
            &bob_token,
        )
        .await;
    assert_error(old_token, 401).await;
    let bob_token = app.token("bob", TEST_PASSWORD).await;
    let by_user = app
        .send(
            app.client.patch(&bob_url).json(&json!({"role": "admin"})),
            &bob_token,
        )
        .await;
    assert_error(by_user, 403).await;
}

async fn the_last_superuser_stays(app: &TestApp) {
    let root = app.root_token().await;
    let me: Value = app
        .send(app.client.get(app.url("/api/users/me")), &root)
        .await
        .json()
        .await
        .unwrap();
    let url = app.url(&format!("/api/users/{}", id(&me)));
    for body in [json!({"role": "admin"}), json!({"is_active": false})] {
        let response = app.send(app.client.patch(&url).json(&body), &root).await;
        let error = assert_error(response, 400).await;
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("last active superuser"),
            "{error}"
        );
    }
    // With a second superuser, the first may step down.
    app.user_with_role(&root, "root2", "superuser").await;
    let response = app
        .send(
            app.client.patch(&url).json(&json!({"role": "admin"})),
            &root,
        )
        .await;
    assert_eq!(response.status(), 200);
}

async fn delete_rules(app: &TestApp) {
    let root = app.root_token().await;
    let (admin, admin_token) = app.user_with_role(&root, "adm", "admin").await;
    let (bob, _) = app.user_with_role(&root, "bob", "user").await;
    let bob_url = app.url(&format!("/api/users/{}", id(&bob)));
    assert_error(
        app.send(app.client.delete(&bob_url), &admin_token).await,
        403,
    )
    .await;

    let me: Value = app
        .send(app.client.get(app.url("/api/users/me")), &root)
        .await
        .json()
        .await
        .unwrap();
    let own = app
        .send(
            app.client
                .delete(app.url(&format!("/api/users/{}", id(&me)))),
            &root,
        )
        .await;
    assert_error(own, 403).await;

    let deleted = app.send(app.client.delete(&bob_url), &root).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        deleted.json::<Value>().await.unwrap()["message"],
        "User deleted successfully"
    );
    assert_error(app.send(app.client.delete(&bob_url), &root).await, 404).await;
    // Admins are deleted like anyone else.
    let admin_url = app.url(&format!("/api/users/{}", id(&admin)));
    assert_eq!(
        app.send(app.client.delete(&admin_url), &root)
            .await
            .status(),
        200
    );
}

async fn deactivated_and_deleted_users_lose_access(app: &TestApp) {
    let root = app.root_token().await;
    let (bob, bob_token) = app.user_with_role(&root, "bob", "user").await;
    let url = app.url(&format!("/api/users/{}", id(&bob)));
    app.send(
        app.client.patch(&url).json(&json!({"is_active": false})),
        &root,
    )
    .await;
    assert_error(
        app.send(app.client.get(app.url("/api/auth/me")), &bob_token)
            .await,
        401,
    )
    .await;
    let login = app
        .client
        .post(app.url("/api/auth/login"))
        .form(&[("username", "bob"), ("password", TEST_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_error(login, 401).await;

    let (carol, carol_token) = app.user_with_role(&root, "carol", "user").await;
    app.send(
        app.client
            .delete(app.url(&format!("/api/users/{}", id(&carol)))),
        &root,
    )
    .await;
    assert_error(
        app.send(app.client.get(app.url("/api/auth/me")), &carol_token)
            .await,
        401,
    )
    .await;
}

async fn own_profile_and_password(app: &TestApp) {
    let root = app.root_token().await;
    let (_, viewer) = app.user_with_role(&root, "vwr", "viewer").await;
    app.user_with_role(&root, "taken", "user").await;
    let patched: Value = app
        .send(
            app.client
                .patch(app.url("/api/users/me"))
                .json(&json!({"full_name": "Vera Viewer", "email": "vera@example.com"})),
            &viewer,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patched["full_name"], "Vera Viewer");
    assert_eq!(patched["role"], "viewer", "the role cannot be changed here");
    let clash = app
        .send(
            app.client
                .patch(app.url("/api/users/me"))
                .json(&json!({"username": "taken"})),
            &viewer,
        )
        .await;
    assert_error(clash, 409).await;
    let sneaky = app
        .send(
            app.client
                .patch(app.url("/api/users/me"))
                .json(&json!({"role": "superuser"})),
            &viewer,
        )
        .await;
    assert_eq!(sneaky.json::<Value>().await.unwrap()["role"], "viewer");

    let password = app.url("/api/users/me/password");
    let wrong = app
        .send(
            app.client
                .patch(&password)
                .json(&json!({"current_password": "nope-nope", "new_password": "brand-new-pass"})),
            &viewer,
        )
        .await;
    assert_error(wrong, 400).await;
    let short = app
        .send(
            app.client
                .patch(&password)
                .json(&json!({"current_password": TEST_PASSWORD, "new_password": "short"})),
            &viewer,
        )
        .await;
    let error = assert_error(short, 422).await;
    assert_eq!(error["details"], "new_password");
    let ok = app
        .send(
            app.client.patch(&password).json(
                &json!({"current_password": TEST_PASSWORD, "new_password": "brand-new-pass"}),
            ),
            &viewer,
        )
        .await;
    assert_eq!(ok.status(), 200);
    app.token("vwr", "brand-new-pass").await;
}

async fn malformed_ids_are_422(app: &TestApp) {
    let root = app.root_token().await;
    for path in ["/api/users/not-a-uuid", "/api/users/123"] {
        let response = app.send(app.client.get(app.url(path)), &root).await;
        assert_error(response, 422).await;
    }
}
