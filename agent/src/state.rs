//! The agent's identity (id and token from the server), kept in a state
//! file readable only by the agent's user, so a restart keeps it.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What the agent must remember across restarts.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The server that issued the identity; another server means a new one.
    pub server_url: String,
    pub agent_id: String,
    pub token: String,
}

impl std::fmt::Debug for Identity {
    // The token never shows up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("server_url", &self.server_url)
            .field("agent_id", &self.agent_id)
            .finish_non_exhaustive()
    }
}

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the state file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the state file {path} is not valid: {source}")]
    Corrupt {
        path: String,
        source: serde_json::Error,
    },
    #[error("cannot write the state file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Reads the identity; `None` when the file does not exist.
pub fn load(path: &Path) -> Result<Option<Identity>, StateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Read {
                path: path.display().to_string(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| StateError::Corrupt {
            path: path.display().to_string(),
            source,
        })
}

/// Writes the identity atomically: a new, uniquely named temporary file in
/// the same directory (created exclusively, mode 0600 from the start, so no
/// planted file or symlink is ever written through), renamed over the old
/// one. Creates the directory if needed.
pub fn save(path: &Path, identity: &Identity) -> Result<(), StateError> {
    let fail = |source| StateError::Write {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut file = tempfile::Builder::new()
        .prefix(".agent-state")
        .tempfile_in(dir)
        .map_err(fail)?;
    let json = serde_json::to_vec_pretty(identity).expect("an identity serialises");
    file.write_all(&json).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|error| fail(error.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            server_url: "http://127.0.0.1:3000".into(),
            agent_id: "0b9f7a46-51f2-4a5c-9d6e-6f0c9e1d2a3b".into(),
            token: "secret-token".into(),
        }
    }

    #[test]
    fn identity_round_trips_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/state.json");
        assert_eq!(load(&path).unwrap(), None);
        save(&path, &identity()).unwrap();
        assert_eq!(load(&path).unwrap(), Some(identity()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{:?}", identity()).contains("secret-token"));
    }

    #[cfg(unix)]
    #[test]
    fn saving_never_writes_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        // The names a predictable temporary file would have had.
        for name in ["state.tmp", "state.json.tmp"] {
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        save(&path, &identity()).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(load(&path).unwrap(), Some(identity()));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|entry| entry.ok())
            .filter(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".agent-state")
            })
            .collect();
        assert!(leftovers.is_empty(), "no temporary file left behind");
    }

    #[test]
    fn a_corrupt_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(load(&path), Err(StateError::Corrupt { .. })));
    }
}
