//! `ThrottleStore`: sign-in counters, claimed by compare-and-set so that
//! concurrent attempts (on any replica) never pass one another.

use backend::storage::{LoginAttempts, Store};

use crate::fixtures::{TestDb, on_both_engines};

on_both_engines!(
    counters_change_only_from_what_was_seen,
    attempts_are_given_back_and_counters_forgotten,
    concurrent_claims_from_one_reading_let_one_through,
);

fn at(attempts: i64, last_at_ms: i64) -> LoginAttempts {
    LoginAttempts {
        attempts,
        last_at_ms,
    }
}

async fn counters_change_only_from_what_was_seen(store: &dyn Store, _db: &TestDb) {
    assert_eq!(store.login_attempts("k").await.unwrap(), None);
    assert!(
        store
            .claim_login_attempt("k", None, at(1, 10))
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_login_attempt("k", None, at(1, 11))
            .await
            .unwrap(),
        "it exists now: a claim that saw none loses"
    );
    assert_eq!(store.login_attempts("k").await.unwrap(), Some(at(1, 10)));
    assert!(
        !store
            .claim_login_attempt("k", Some(at(1, 9)), at(2, 12))
            .await
            .unwrap(),
        "a stale reading loses"
    );
    assert!(
        store
            .claim_login_attempt("k", Some(at(1, 10)), at(2, 12))
            .await
            .unwrap()
    );
    assert_eq!(store.login_attempts("k").await.unwrap(), Some(at(2, 12)));
}

async fn attempts_are_given_back_and_counters_forgotten(store: &dyn Store, _db: &TestDb) {
    store
        .claim_login_attempt("a", None, at(1, 100))
        .await
        .unwrap();
    store.give_back_login_attempt("a").await.unwrap();
    store.give_back_login_attempt("a").await.unwrap();
    assert_eq!(
        store.login_attempts("a").await.unwrap(),
        Some(at(0, 100)),
        "never below zero"
    );
    store.give_back_login_attempt("missing").await.unwrap();
    assert_eq!(store.login_attempts("missing").await.unwrap(), None);
    store.forget_login_attempts("a").await.unwrap();
    assert_eq!(store.login_attempts("a").await.unwrap(), None);
    store
        .claim_login_attempt("old", None, at(3, 1_000))
        .await
        .unwrap();
    store
        .claim_login_attempt("new", None, at(3, 5_000))
        .await
        .unwrap();
    assert_eq!(store.delete_stale_login_attempts(2_000).await.unwrap(), 1);
    assert_eq!(store.login_attempts("old").await.unwrap(), None);
    assert!(store.login_attempts("new").await.unwrap().is_some());
}

async fn concurrent_claims_from_one_reading_let_one_through(store: &dyn Store, _db: &TestDb) {
    store
        .claim_login_attempt("c", None, at(1, 1))
        .await
        .unwrap();
    let seen = store.login_attempts("c").await.unwrap();
    let claims = (0..8).map(|i| store.claim_login_attempt("c", seen, at(2, 10 + i)));
    let won = futures::future::join_all(claims)
        .await
        .into_iter()
        .filter(|result| *result.as_ref().unwrap())
        .count();
    assert_eq!(won, 1);
    assert_eq!(
        store.login_attempts("c").await.unwrap().unwrap().attempts,
        2
    );
}
