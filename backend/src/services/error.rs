//! The service layer's error, which maps one-to-one onto the API's error body.

use shared::types::{ErrorBody, WakeAgentResult};

use crate::domain::Invalid;
use crate::storage::StorageError;

/// Why a service call failed, in words a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is not acceptable as a whole (400).
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in or bad credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// It clashes with something that exists (409).
    #[error("{0}")]
    Conflict(String),
    /// A field is invalid (422); `details` names the field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Too many failed attempts; try again after `retry_after` (429).
    #[error("Too many failed attempts; try again in {} seconds.", retry_after.as_secs().max(1))]
    TooManyAttempts { retry_after: std::time::Duration },
    /// A dependency is down (503).
    #[error("{0}")]
    Unavailable(String),
    /// No agent carried out a wake request (503): each agent's part in
    /// `agents`, summed up in `details`.
    #[error("{message}")]
    NotDispatched {
        message: String,
        details: Option<String>,
        agents: Vec<WakeAgentResult>,
        /// The wake's record (verdict `not_sent`).
        wake_id: Option<shared::ids::WakeId>,
    },
    /// A bug or an unexpected failure below (500), with its cause when it
    /// has one; logged with the whole chain of causes where it becomes a
    /// 500 ([`ServiceError::to_body`]), never shown.
    #[error("internal error: {context}")]
    Internal {
        context: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
}

impl ServiceError {
    /// A 500 about `context`, with no cause below it (a bug).
    pub fn internal(context: impl Into<String>) -> Self {
        ServiceError::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// A 500 about `context`, caused by `source` (kept for the log).
    pub fn internal_from(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        ServiceError::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// `Ok` when `allowed`, else 403 with `message`: how a service refuses
    /// what [`shared::access`] does not allow.
    pub fn forbidden_unless(allowed: bool, message: impl Into<String>) -> Result<(), Self> {
        if allowed {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(message.into()))
        }
    }

    /// The HTTP status this error is reported with.
    pub fn status_code(&self) -> u16 {
        match self {
            ServiceError::BadRequest(_) => 400,
            ServiceError::Unauthorized(_) => 401,
            ServiceError::Forbidden(_) => 403,
            ServiceError::NotFound(_) => 404,
            ServiceError::Conflict(_) => 409,
            ServiceError::Invalid(_) => 422,
            ServiceError::TooManyAttempts { .. } => 429,
            ServiceError::Unavailable(_) | ServiceError::NotDispatched { .. } => 503,
            ServiceError::Internal { .. } => 500,
        }
    }

    /// The documented error body. Internal details are logged here and replaced
    /// by a generic message.
    pub fn to_body(&self) -> ErrorBody {
        let (message, details) = match self {
            ServiceError::Invalid(invalid) => {
                (invalid.message.clone(), Some(invalid.field.to_string()))
            }
            ServiceError::NotDispatched {
                message, details, ..
            } => (message.clone(), details.clone()),
            ServiceError::Internal { .. } => {
                tracing::error!(error = %error_chain(self), "internal error");
                ("Internal server error.".to_string(), None)
            }
            other => (other.to_string(), None),
        };
        let (agents, wake_id) = match self {
            ServiceError::NotDispatched {
                agents, wake_id, ..
            } => (agents.clone(), *wake_id),
            _ => (Vec::new(), None),
        };
        ErrorBody {
            agents,
            wake_id,
            ..ErrorBody::new(self.status_code(), message).with_optional_details(details)
        }
    }
}

impl From<StorageError> for ServiceError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Unavailable(_) => {
                tracing::warn!(%error, "storage unavailable");
                ServiceError::Unavailable("The database is unreachable; try again shortly.".into())
            }
            // Callers that expect a particular clash map it to a message of
            // their own before this fallback is reached.
            StorageError::Conflict(_) => {
                ServiceError::Conflict("This conflicts with an existing record.".into())
            }
            other => ServiceError::internal_from("storage", other),
        }
    }
}

/// An error and its causes, outermost first: `a: b: c`.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::UniqueKey;

    #[test]
    fn invalid_fields_become_422_naming_the_field() {
        let body = ServiceError::from(Invalid::new("email", "Bad email.")).to_body();
        assert_eq!(body.status_code, 422);
        assert_eq!(body.message, "Bad email.");
        assert_eq!(body.details.as_deref(), Some("email"));
    }

    #[test]
    fn internal_details_are_hidden() {
        let body = ServiceError::internal("SELECT * FROM secrets failed").to_body();
        assert_eq!(body.status_code, 500);
        assert!(!body.message.contains("SELECT"));
    }

    #[test]
    fn internal_errors_keep_their_cause() {
        let io = std::io::Error::other("disk on fire");
        let error = ServiceError::internal_from("reading the agent binary", io);
        assert_eq!(
            error_chain(&error),
            "internal error: reading the agent binary: disk on fire"
        );
        let storage = ServiceError::from(StorageError::Corrupt("bad role".into()));
        assert_eq!(
            error_chain(&storage),
            "internal error: storage: corrupt row: bad role"
        );
    }

    #[test]
    fn storage_conflicts_never_show_sql() {
        let error = ServiceError::from(StorageError::Conflict(UniqueKey::Username));
        assert_eq!(error.status_code(), 409);
        assert!(!error.to_body().message.contains("users_"));
    }
}
