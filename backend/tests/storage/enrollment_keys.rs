//! `EnrollmentKeyStore`: keys are stored by hash, listed newest first,
//! revoked once.

use backend::storage::{EnrollmentKeyRecord, Page, Store, now};
use shared::ids::EnrollmentKeyId;

use crate::fixtures::{TestDb, enrollment_key, on_both_engines};

on_both_engines!(
    keys_are_found_by_hash_and_listed_newest_first,
    a_key_is_revoked_once,
);

async fn keys_are_found_by_hash_and_listed_newest_first(store: &dyn Store, _db: &TestDb) {
    for n in 1..=3i64 {
        let key = enrollment_key(&format!("k{n}"), &format!("hash-{n}"));
        let key = EnrollmentKeyRecord {
            created_at: key.created_at + chrono::Duration::seconds(n),
            expires_at: Some(key.created_at + chrono::Duration::hours(n)),
            ..key
        };
        store.insert_enrollment_key(&key).await.unwrap();
    }
    let found = store
        .enrollment_key_by_hash("hash-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.name, "k2");
    assert!(found.expires_at.is_some() && found.revoked_at.is_none());
    assert!(
        store
            .enrollment_key_by_hash("nope")
            .await
            .unwrap()
            .is_none()
    );
    let (keys, count) = store
        .list_enrollment_keys(Page { skip: 0, limit: 2 })
        .await
        .unwrap();
    assert_eq!(count, 3);
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["k3", "k2"]);
}

async fn a_key_is_revoked_once(store: &dyn Store, _db: &TestDb) {
    let key = enrollment_key("k", "hash");
    store.insert_enrollment_key(&key).await.unwrap();
    let first = now();
    assert!(store.revoke_enrollment_key(key.id, first).await.unwrap());
    let later = first + chrono::Duration::seconds(60);
    assert!(store.revoke_enrollment_key(key.id, later).await.unwrap());
    let read = store.enrollment_key_by_hash("hash").await.unwrap().unwrap();
    assert_eq!(read.revoked_at, Some(first), "the first revocation stands");
    assert!(
        !store
            .revoke_enrollment_key(EnrollmentKeyId::generate(), first)
            .await
            .unwrap()
    );
}
