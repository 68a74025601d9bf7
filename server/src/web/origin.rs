//! CSRF protection for the browser app: a state-changing request (anything
//! but GET, HEAD, OPTIONS) must come from a page of this server. Browsers
//! send `Origin` with every such request; scripts without a browser send
//! neither `Origin` nor `Sec-Fetch-Site` and are not at risk. Together with
//! the SameSite=Lax session cookie this keeps other sites from acting for a
//! signed-in user.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;
use backend::services::ServiceError;

/// The hosts (`name[:port]`) pages of this server are served from, besides
/// the request's own Host.
#[derive(Debug, Clone, Default)]
pub struct TrustedOrigins {
    public_host: Option<String>,
}

impl TrustedOrigins {
    /// Trusts the host of the configured public address, if any.
    pub fn new(public_url: Option<&str>) -> Self {
        Self {
            public_host: public_url.and_then(authority),
        }
    }

    fn allows(&self, headers: &HeaderMap) -> bool {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let source = text(header::ORIGIN.as_str()).or_else(|| text(header::REFERER.as_str()));
        let Some(source) = source else {
            return match text("sec-fetch-site") {
                Some(site) => matches!(site, "same-origin" | "none"),
                // Nothing tells where it came from: only a client without
                // our session cookie (a script, curl) is let through, since
                // it acts for nobody.
                None => !carries_session(headers),
            };
        };
        let Some(source_host) = authority(source) else {
            return false; // "null" origins (sandboxed frames, files)
        };
        text(header::HOST.as_str()).is_some_and(|host| host.eq_ignore_ascii_case(&source_host))
            || self
                .public_host
                .as_deref()
                .is_some_and(|host| host.eq_ignore_ascii_case(&source_host))
    }
}

/// Whether the request sends a browser session cookie.
fn carries_session(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .any(|cookie| {
            cookie
                .trim()
                .strip_prefix(super::sessions::COOKIE_NAME)
                .is_some_and(|rest| rest.starts_with('='))
        })
}

/// `name[:port]` of an absolute http(s) URL.
fn authority(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// The middleware: refuses cross-site state changes with 403.
pub async fn same_origin(
    State(trusted): State<TrustedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || trusted.allows(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "cross-site request refused");
    ApiError::from(ServiceError::Forbidden(
        "This request did not come from a PowerBeacon page.".into(),
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn same_site_requests_pass_and_others_do_not() {
        let trusted = TrustedOrigins::new(Some("https://wol.example.org"));
        let host = ("host", "127.0.0.1:3000");
        assert!(trusted.allows(&headers(&[host, ("origin", "http://127.0.0.1:3000")])));
        assert!(trusted.allows(&headers(&[
            host,
            ("referer", "http://127.0.0.1:3000/login")
        ])));
        assert!(trusted.allows(&headers(&[host, ("origin", "https://wol.example.org")])));
        assert!(trusted.allows(&headers(&[host])), "curl and friends");
        assert!(trusted.allows(&headers(&[host, ("sec-fetch-site", "same-origin")])));
        assert!(trusted.allows(&headers(&[host, ("cookie", "pb_theme=dark")])));

        // A session cookie with no sign of where the request came from.
        assert!(!trusted.allows(&headers(&[
            host,
            ("cookie", "pb_theme=dark; pb_session=abc")
        ])));
        assert!(!trusted.allows(&headers(&[host, ("sec-fetch-site", "same-site")])));

        assert!(!trusted.allows(&headers(&[host, ("origin", "http://evil.example")])));
        assert!(!trusted.allows(&headers(&[host, ("origin", "http://127.0.0.1:3001")])));
        assert!(!trusted.allows(&headers(&[host, ("origin", "null")])));
        assert!(!trusted.allows(&headers(&[host, ("sec-fetch-site", "cross-site")])));
        assert!(
            !trusted.allows(&headers(&[("origin", "http://127.0.0.1:3000")])),
            "no Host"
        );
    }
}
