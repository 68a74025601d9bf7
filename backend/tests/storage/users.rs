//! `UserStore`: accounts, single sign-on identities, and the last active
//! superuser.

use backend::domain::{Email, FullName, Username};
use backend::storage::{NewUser, Page, StorageError, Store, UniqueKey, UserChanges};
use shared::ids::UserId;
use shared::types::Role;

use crate::fixtures::{TestDb, new_user, on_both_engines};

on_both_engines!(
    the_first_user_is_created_once,
    users_are_found_by_id_and_by_name_in_any_case,
    pages_of_users_oldest_first_with_the_count,
    single_sign_on_identities_find_their_user,
    a_change_writes_only_its_own_fields,
    concurrent_demotions_keep_one_superuser,
    deleting_a_user,
);

async fn the_first_user_is_created_once(store: &dyn Store, _db: &TestDb) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let created = store
        .create_first_user(new_user("root"))
        .await
        .unwrap()
        .expect("first user");
    assert_eq!(created.role, Role::Superuser);
    assert!(created.is_active);
    let read = store.user_by_id(created.id).await.unwrap().expect("stored");
    assert_eq!(read, created, "what is returned is what is stored");
    assert_eq!(
        read.email.as_ref().map(Email::as_str),
        Some("root@example.com")
    );
    assert_eq!(read.password_hash.as_deref(), Some("$argon2id$dummy"));

    assert!(
        store
            .create_first_user(new_user("second"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert!(
        store
            .setting(backend::storage::keys::SETUP_COMPLETED_AT)
            .await
            .unwrap()
            .is_some()
    );
}

async fn users_are_found_by_id_and_by_name_in_any_case(store: &dyn Store, _db: &TestDb) {
    let ann = store.insert_user(new_user("Ann")).await.unwrap();
    for name in ["Ann", "ann", "ANN"] {
        let found = store.user_by_username(name).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(ann.id), "{name}");
    }
    assert!(store.user_by_username("anne").await.unwrap().is_none());
    assert!(
        store
            .user_by_id(UserId::generate())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
}

async fn pages_of_users_oldest_first_with_the_count(store: &dyn Store, _db: &TestDb) {
    for name in ["u1", "u2", "u3", "u4"] {
        store.insert_user(new_user(name)).await.unwrap();
    }
    let (users, count) = store.list_users(Page { skip: 1, limit: 2 }).await.unwrap();
    assert_eq!(count, 4);
    let names: Vec<_> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["u2", "u3"]);
    let (users, count) = store.list_users(Page { skip: 9, limit: 2 }).await.unwrap();
    assert_eq!((users.len(), count), (0, 4));
    let clash = NewUser {
        email: None,
        ..new_user("U1")
    };
    assert!(matches!(
        store.insert_user(clash).await,
        Err(StorageError::Conflict(UniqueKey::Username))
    ));
}

async fn single_sign_on_identities_find_their_user(store: &dyn Store, _db: &TestDb) {
    const ISSUER: &str = "https://id.example.org";
    let sso = NewUser {
        password_hash: None,
        role: Role::Viewer,
        ..new_user("sso-user")
    };
    let created = store
        .insert_sso_user(sso.clone(), ISSUER, "subject-1")
        .await
        .unwrap();
    assert_eq!(created.password_hash, None);
    let found = store.user_by_identity(ISSUER, "subject-1").await.unwrap();
    assert_eq!(found, Some(created));
    assert!(
        store
            .user_by_identity(ISSUER, "subject-2")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .user_by_identity("https://other.example", "subject-1")
            .await
            .unwrap()
            .is_none()
    );
    // One identity, one account.
    let again = NewUser {
        username: Username::parse("sso-user-2").unwrap(),
        email: None,
        ..sso
    };
    assert!(matches!(
        store.insert_sso_user(again, ISSUER, "subject-1").await,
        Err(StorageError::Conflict(UniqueKey::SsoIdentity))
    ));
}

async fn a_change_writes_only_its_own_fields(store: &dyn Store, _db: &TestDb) {
    store
        .create_first_user(new_user("root"))
        .await
        .unwrap()
        .unwrap();
    let user = store.insert_user(new_user("ann")).await.unwrap();
    // Read, then someone else deactivates; a change made from the stale
    // read (the full name) keeps both.
    let stale = store.user_by_id(user.id).await.unwrap().unwrap();
    let deactivate = UserChanges {
        is_active: Some(false),
        end_sessions: true,
        ..UserChanges::default()
    };
    store
        .update_user(user.id, deactivate)
        .await
        .unwrap()
        .unwrap();
    let full_name = UserChanges {
        full_name: Some(Some(FullName::parse("Ann").unwrap())),
        ..UserChanges::default()
    };
    let after = store
        .update_user(stale.id, full_name)
        .await
        .unwrap()
        .unwrap();
    assert!(!after.is_active, "the deactivation stands");
    assert_eq!(after.full_name.as_ref().map(FullName::as_str), Some("Ann"));
    assert_eq!(after.token_version, stale.token_version + 1);
    assert!(after.updated_at >= stale.updated_at);
    let cleared = UserChanges {
        full_name: Some(None),
        email: Some(None),
        username: Some(Username::parse("ann2").unwrap()),
        role: Some(Role::Admin),
        password_hash: Some("$argon2id$other".into()),
        ..UserChanges::default()
    };
    let after = store.update_user(user.id, cleared).await.unwrap().unwrap();
    assert_eq!((after.full_name, after.email), (None, None));
    assert_eq!(after.username.as_str(), "ann2");
    assert_eq!(after.role, Role::Admin);
    assert_eq!(after.password_hash.as_deref(), Some("$argon2id$other"));
    assert!(
        store
            .update_user(UserId::generate(), UserChanges::default())
            .await
            .unwrap()
            .is_none()
    );
}

async fn concurrent_demotions_keep_one_superuser(store: &dyn Store, _db: &TestDb) {
    let a = store
        .create_first_user(new_user("a"))
        .await
        .unwrap()
        .unwrap();
    let b = store.insert_user(new_user("b")).await.unwrap();
    let role = |role: Role| UserChanges {
        role: Some(role),
        ..UserChanges::default()
    };
    for _ in 0..5 {
        let (ra, rb) = tokio::join!(
            store.update_user(a.id, role(Role::Admin)),
            store.update_user(b.id, role(Role::Admin))
        );
        let refused = [&ra, &rb]
            .iter()
            .filter(|r| matches!(r, Err(StorageError::LastSuperuser)))
            .count();
        assert_eq!(refused, 1, "{ra:?} / {rb:?}");
        // Promote both back for the next round.
        for id in [a.id, b.id] {
            store
                .update_user(id, role(Role::Superuser))
                .await
                .unwrap()
                .unwrap();
        }
    }
    let deactivate = UserChanges {
        is_active: Some(false),
        ..UserChanges::default()
    };
    store
        .update_user(b.id, deactivate.clone())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        store.update_user(a.id, deactivate).await,
        Err(StorageError::LastSuperuser)
    ));
    assert!(matches!(
        store.delete_user(a.id).await,
        Err(StorageError::LastSuperuser)
    ));
    assert!(store.user_by_id(a.id).await.unwrap().is_some());
}

async fn deleting_a_user(store: &dyn Store, _db: &TestDb) {
    store
        .create_first_user(new_user("root"))
        .await
        .unwrap()
        .unwrap();
    let ann = store.insert_user(new_user("ann")).await.unwrap();
    assert!(store.delete_user(ann.id).await.unwrap());
    assert!(!store.delete_user(ann.id).await.unwrap(), "already gone");
    assert!(store.user_by_id(ann.id).await.unwrap().is_none());
    assert_eq!(store.count_users().await.unwrap(), 1);
}
