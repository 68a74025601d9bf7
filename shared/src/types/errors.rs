//! Errors and plain answers shared by every area: the error body of every
//! failed request, a plain message, and a stored spelling that names nothing.

use super::WakeAgentResult;
use crate::ids::WakeId;
use serde::{Deserialize, Serialize};

/// The body of every error response (docs/API.md, "Conventions").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The HTTP status code, repeated in the body.
    pub status_code: u16,
    /// What went wrong, in words a person can act on.
    pub message: String,
    /// More detail, such as the name of the offending field.
    pub details: Option<String>,
    /// A wake that no agent carried out (503): each agent's part, the
    /// reasons `details` sums up. Absent from the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<WakeAgentResult>,
    /// That wake's record (`GET /api/wakes/{id}`), verdict `not_sent`.
    /// The browser app does not read it (a page carries only what it shows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "ssr"), serde(skip_deserializing))]
    pub wake_id: Option<WakeId>,
}

impl ErrorBody {
    /// An error with a status and a message.
    pub fn new(status_code: u16, message: impl Into<String>) -> Self {
        Self {
            status_code,
            message: message.into(),
            details: None,
            agents: Vec::new(),
            wake_id: None,
        }
    }

    /// An error with a status, a message and details (a field's name for 422).
    pub fn with_details(
        status_code: u16,
        message: impl Into<String>,
        details: impl Into<String>,
    ) -> Self {
        Self {
            details: Some(details.into()),
            ..Self::new(status_code, message)
        }
    }

    /// This error with `details` (none when `None`).
    pub fn with_optional_details(self, details: Option<String>) -> Self {
        Self { details, ..self }
    }

    /// The field a validation error names, if any.
    pub fn field(&self) -> Option<&str> {
        (self.status_code == 422)
            .then_some(self.details.as_deref())
            .flatten()
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ErrorBody {}

/// Server functions answer errors as the API's error body, so the browser
/// gets the status, message and field, not just text.
#[cfg(feature = "server-fn")]
impl server_fn::error::FromServerFnError for ErrorBody {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(error: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        let status_code = match error {
            // On the server, a request body that does not decode.
            E::Args(_) | E::MissingArg(_) | E::Deserialization(_) => 400,
            E::UnsupportedRequestMethod(_) => 405,
            E::Request(_) => 0,
            _ => 500,
        };
        let message = match &error {
            E::Request(_) => {
                "The server cannot be reached; check the connection and retry.".to_string()
            }
            other => other.to_string(),
        };
        // On the server this is an argument that did not decode: the
        // response gets the status too.
        #[cfg(feature = "ssr")]
        crate::server_fn_status::set(status_code);
        Self::new(status_code, message)
    }
}

/// A plain confirmation, e.g. after a delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub message: String,
}

impl Message {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A stored spelling that names none of an enum's values (a role, an OS type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSpelling {
    /// What was being read, e.g. `"role"`.
    pub of: &'static str,
    /// The text found (at most 32 characters of it).
    pub text: String,
}

impl UnknownSpelling {
    pub(crate) fn new(of: &'static str, text: &str) -> Self {
        Self {
            of,
            text: text.chars().take(32).collect(),
        }
    }
}

impl std::fmt::Display for UnknownSpelling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} {:?}", self.of, self.text)
    }
}

impl std::error::Error for UnknownSpelling {}
