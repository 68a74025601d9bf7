//! Access tokens: HS256 JWTs whose subject is the user id.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use shared::ids::UserId;

/// The claims PowerBeacon puts in an access token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user id.
    sub: String,
    /// Issued at, seconds since the epoch.
    iat: u64,
    /// Expires at, seconds since the epoch.
    exp: u64,
    /// The user's token version when issued (absent in older tokens: 0).
    #[serde(default)]
    ver: i64,
}

/// Whose a valid token is, and under which of their token versions it was
/// issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: UserId,
    pub version: i64,
}

/// Why a token was refused. Deliberately vague towards clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

/// Signs and checks access tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl TokenKeys {
    /// Keys from the instance secret; tokens live for `lifetime`.
    pub fn new(secret: &SecretString, lifetime: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            lifetime,
        }
    }

    /// How long a new token is valid.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A new token for `subject`.
    pub fn issue(&self, subject: TokenSubject) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.user_id.to_string(),
            iat: now,
            exp: now + self.lifetime.as_secs(),
            ver: subject.version,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key cannot fail")
    }

    /// The subject of a valid, unexpired token signed with our secret.
    pub fn verify(&self, token: &str) -> Result<TokenSubject, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|error| {
                match error.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                    _ => TokenError::Invalid,
                }
            })?;
        Ok(TokenSubject {
            user_id: data.claims.sub.parse().map_err(|_| TokenError::Invalid)?,
            version: data.claims.ver,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str, lifetime: Duration) -> TokenKeys {
        TokenKeys::new(&SecretString::from(secret.to_string()), lifetime)
    }

    fn subject(version: i64) -> TokenSubject {
        TokenSubject {
            user_id: UserId::generate(),
            version,
        }
    }

    #[test]
    fn issued_tokens_verify_to_their_user_and_version() {
        let keys = keys("s3cret", Duration::from_secs(60));
        let subject = subject(7);
        assert_eq!(keys.verify(&keys.issue(subject)), Ok(subject));
    }

    #[test]
    fn tampered_foreign_and_garbage_tokens_are_invalid() {
        let ours = keys("s3cret", Duration::from_secs(60));
        let theirs = keys("other", Duration::from_secs(60));
        let token = ours.issue(subject(0));
        assert_eq!(theirs.verify(&token), Err(TokenError::Invalid));
        let mut tampered = token.clone();
        tampered.replace_range(tampered.len() - 3.., "abc");
        assert_eq!(ours.verify(&tampered), Err(TokenError::Invalid));
        assert_eq!(ours.verify("not.a.token"), Err(TokenError::Invalid));
        assert_eq!(ours.verify(""), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = keys("s3cret", Duration::from_secs(60));
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: UserId::generate().to_string(),
            iat: now - 120,
            exp: now - 60,
            ver: 0,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert_eq!(keys.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        let keys = keys("s3cret", Duration::from_secs(60));
        // {"alg":"none"} . {"sub":…,"exp":far future} . (no signature)
        let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        let payload =
            "eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiLCJleHAiOjk5OTk5OTk5OTl9";
        assert_eq!(
            keys.verify(&format!("{header}.{payload}.")),
            Err(TokenError::Invalid)
        );
    }
}
