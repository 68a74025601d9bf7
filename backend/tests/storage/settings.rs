//! `SettingStore`: named values; the first value of a generated secret
//! wins, also under concurrent starts.

use backend::storage::{Store, keys};

use crate::fixtures::{TestDb, on_both_engines};

on_both_engines!(
    settings_are_stored_and_replaced,
    the_first_value_is_kept_by_every_caller,
);

async fn settings_are_stored_and_replaced(store: &dyn Store, _db: &TestDb) {
    assert_eq!(store.setting("missing").await.unwrap(), None);
    store
        .put_setting(keys::OPEN_REGISTRATION, "true")
        .await
        .unwrap();
    store
        .put_setting(keys::OPEN_REGISTRATION, "false")
        .await
        .unwrap();
    assert_eq!(
        store
            .setting(keys::OPEN_REGISTRATION)
            .await
            .unwrap()
            .as_deref(),
        Some("false")
    );
}

async fn the_first_value_is_kept_by_every_caller(store: &dyn Store, _db: &TestDb) {
    let (one, two) = tokio::join!(
        store.setting_or_insert(keys::JWT_SECRET, "one"),
        store.setting_or_insert(keys::JWT_SECRET, "two"),
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one, two, "both callers see the one stored value");
    assert_eq!(
        store
            .setting_or_insert(keys::JWT_SECRET, "three")
            .await
            .unwrap(),
        one
    );
    assert_eq!(store.setting(keys::JWT_SECRET).await.unwrap(), Some(one));
}
