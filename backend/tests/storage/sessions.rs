//! `BrowserSessionStore`: sessions by id, until they expire.

use backend::storage::Store;

use crate::fixtures::{TestDb, on_both_engines};

on_both_engines!(browser_sessions_expire_and_are_forgotten);

async fn browser_sessions_expire_and_are_forgotten(store: &dyn Store, _db: &TestDb) {
    assert!(store.insert_session("a", "{\"x\":1}", 2_000).await.unwrap());
    assert!(
        !store.insert_session("a", "{}", 3_000).await.unwrap(),
        "a taken id is never overwritten by a new session"
    );
    assert_eq!(
        store.session("a", 1_999).await.unwrap().as_deref(),
        Some("{\"x\":1}")
    );
    assert_eq!(store.session("a", 2_000).await.unwrap(), None, "expired");
    store.save_session("a", "{\"x\":2}", 5_000).await.unwrap();
    assert_eq!(
        store.session("a", 2_000).await.unwrap().as_deref(),
        Some("{\"x\":2}")
    );
    store.save_session("b", "{}", 1_000).await.unwrap();
    assert_eq!(store.delete_expired_sessions(2_000).await.unwrap(), 1);
    assert_eq!(store.delete_expired_sessions(2_000).await.unwrap(), 0);
    store.delete_session("a").await.unwrap();
    assert_eq!(store.session("a", 0).await.unwrap(), None);
    store.delete_session("never-was").await.unwrap();
}
