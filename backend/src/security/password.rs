//! Password hashing with Argon2id, off the async runtime and bounded.
//!
//! Each Argon2 run holds 19 MiB for its duration. Runs wait for one of as
//! many permits as the machine has cores, so a burst of sign-ins costs at
//! most `cores × 19 MiB` (and queues, instead of starving the runtime's
//! blocking pool); docs/ARCHITECTURE.md, "Memory".

use std::sync::{Arc, LazyLock};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

/// One permit per core: more parallel Argon2 runs would only share the cores.
static ARGON2_PERMITS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    Arc::new(Semaphore::new(
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
    ))
});

/// Runs Argon2 `work` on a blocking thread once a permit is free. The
/// permit goes with the work, so a caller that gives up (a client that
/// disconnects) does not free it before the work ends.
async fn with_argon2_permit<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    // The semaphore is never closed, so acquiring cannot fail.
    let permit = ARGON2_PERMITS.clone().acquire_owned().await;
    let guarded = move || {
        let _permit = permit;
        work()
    };
    match tokio::task::spawn_blocking(guarded).await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// Hashes a password with Argon2id at OWASP's parameters (19 MiB, 2 passes,
/// 1 lane).
pub async fn hash_password(password: String) -> Result<String, argon2::password_hash::Error> {
    with_argon2_permit(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
}

/// Checks a password against a stored PHC string. A malformed stored hash
/// counts as a mismatch.
pub async fn verify_password(password: String, stored: String) -> bool {
    with_argon2_permit(move || {
        PasswordHash::new(&stored)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse".into(), hash).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_argon2_runs_at_once_than_there_are_cores() {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let runs = (0..cores * 4).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            with_argon2_permit(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, SeqCst);
            })
        });
        futures::future::join_all(runs).await;
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), cores);
    }
}
