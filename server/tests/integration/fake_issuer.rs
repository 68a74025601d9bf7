//! An OpenID Connect identity provider on 127.0.0.1 for the single sign-on
//! tests: discovery, JWKS, `/authorize` (which signs in at once and sends
//! the browser back with a code) and `/token` (which checks the code, the
//! PKCE verifier and the client's credentials, then issues an RS256 ID
//! token from a fixed test key — or a flawed one, when told to).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "powerbeacon";
pub const CLIENT_SECRET: &str = "s3cret";
const KID: &str = "test-key";
/// A fixed RSA key (PKCS#1 DER), made once with `openssl genrsa`.
const KEY_DER: &[u8] = include_bytes!("../fixtures/oidc_test_rsa.der");
/// Another key, to sign tokens whose signature must not check out.
const OTHER_KEY_DER: &[u8] = include_bytes!("../fixtures/oidc_other_rsa.der");

/// What is wrong with the next ID tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    None,
    WrongNonce,
    WrongAudience,
    WrongIssuer,
    Expired,
    /// Signed with another key under the published key's id.
    BadSignature,
    /// Signed with a key id the JWKS does not have.
    UnknownKid,
}

/// Who the provider signs in.
#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub preferred_username: String,
    pub email: Option<String>,
    /// Whether the provider vouches for the email.
    pub email_verified: bool,
    pub name: Option<String>,
}

impl Person {
    pub fn new(subject: &str, preferred_username: &str) -> Self {
        Self {
            subject: subject.into(),
            preferred_username: preferred_username.into(),
            email: Some(format!("{preferred_username}@idp.example")),
            email_verified: true,
            name: Some(format!("{preferred_username} from the IdP")),
        }
    }
}

struct Grant {
    nonce: String,
    code_challenge: String,
    redirect_uri: String,
}

struct Shared {
    /// The address, without a trailing slash.
    base: String,
    /// What the provider calls itself: the base, with a `/` if told so.
    issuer: String,
    key: EncodingKey,
    other_key: EncodingKey,
    jwks: Value,
    flaw: Mutex<Flaw>,
    person: Mutex<Person>,
    grants: Mutex<HashMap<String, Grant>>,
}

/// The provider; stops when dropped.
pub struct FakeIssuer {
    pub issuer: String,
    base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeIssuer {
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// A provider whose issuer ends in `/` (as some do), when `trailing_slash`.
    pub async fn start_with(trailing_slash: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let issuer = if trailing_slash {
            format!("{base}/")
        } else {
            base.clone()
        };
        let key = EncodingKey::from_rsa_der(KEY_DER);
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(KID.into());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let shared = Arc::new(Shared {
            base: base.clone(),
            issuer: issuer.clone(),
            key,
            other_key: EncodingKey::from_rsa_der(OTHER_KEY_DER),
            jwks: serde_json::to_value(JwkSet { keys: vec![jwk] }).unwrap(),
            flaw: Mutex::new(Flaw::None),
            person: Mutex::new(Person::new("subject-1", "alice")),
            grants: Mutex::new(HashMap::new()),
        });
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(discovery),
            )
            .route("/jwks", axum::routing::get(jwks))
            .route("/authorize", axum::routing::get(authorize))
            .route("/token", axum::routing::post(token))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            issuer,
            base,
            shared,
            task,
        }
    }

    /// The discovery document's URL, as an administrator configures it.
    pub fn metadata_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.base)
    }

    pub fn set_flaw(&self, flaw: Flaw) {
        *self.shared.flaw.lock().unwrap() = flaw;
    }

    pub fn set_person(&self, person: Person) {
        *self.shared.person.lock().unwrap() = person;
    }
}

impl Drop for FakeIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let base = &shared.base;
    Json(json!({
        "issuer": shared.issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(shared.jwks.clone())
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    nonce: String,
    code_challenge: String,
    code_challenge_method: String,
}

/// Signs the person in at once and sends them back with a code.
async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    let scopes: Vec<&str> = query.scope.split(' ').collect();
    let acceptable = query.response_type == "code"
        && query.client_id == CLIENT_ID
        && query.code_challenge_method == "S256"
        && ["openid", "profile", "email"]
            .iter()
            .all(|scope| scopes.contains(scope));
    if !acceptable {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let code = uuid::Uuid::new_v4().simple().to_string();
    shared.grants.lock().unwrap().insert(
        code.clone(),
        Grant {
            nonce: query.nonce,
            code_challenge: query.code_challenge,
            redirect_uri: query.redirect_uri.clone(),
        },
    );
    let mut back = url::Url::parse(&query.redirect_uri).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &query.state);
    Redirect::to(back.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: String,
}

/// Trades a code for tokens, after checking everything a provider checks.
async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let refuse = |what: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": what})),
        )
            .into_response()
    };
    let credentials = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let expected_auth = format!("Basic {}", BASE64_STANDARD.encode(credentials));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected_auth) {
        return refuse("client authentication failed");
    }
    let Some(grant) = shared.grants.lock().unwrap().remove(&form.code) else {
        return refuse("unknown or used code");
    };
    let verifier = openidconnect::PkceCodeVerifier::new(form.code_verifier);
    let challenge = openidconnect::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    if form.grant_type != "authorization_code"
        || form.redirect_uri != grant.redirect_uri
        || challenge.as_str() != grant.code_challenge
    {
        return refuse("grant does not match");
    }
    let flaw = *shared.flaw.lock().unwrap();
    let person = shared.person.lock().unwrap().clone();
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = json!({
        "iss": if flaw == Flaw::WrongIssuer { "http://other-issuer.example" } else { shared.issuer.as_str() },
        "sub": person.subject,
        "aud": if flaw == Flaw::WrongAudience { "someone-else" } else { CLIENT_ID },
        "iat": now - 10,
        "exp": if flaw == Flaw::Expired { now - 5 } else { now + 300 },
        "nonce": if flaw == Flaw::WrongNonce { "not-the-nonce" } else { grant.nonce.as_str() },
        "preferred_username": person.preferred_username,
    });
    if let Some(email) = person.email {
        claims["email"] = json!(email);
        claims["email_verified"] = json!(person.email_verified);
    }
    if let Some(name) = person.name {
        claims["name"] = json!(name);
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(
        if flaw == Flaw::UnknownKid {
            "rotated-away"
        } else {
            KID
        }
        .into(),
    );
    let key = if flaw == Flaw::BadSignature {
        &shared.other_key
    } else {
        &shared.key
    };
    let id_token = jsonwebtoken::encode(&header, &claims, key).unwrap();
    Json(json!({
        "access_token": "access-token",
        "token_type": "Bearer",
        "expires_in": 3600,
        "id_token": id_token,
    }))
    .into_response()
}
