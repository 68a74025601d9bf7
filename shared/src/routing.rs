//! Where sign-in sends people: safe `next` targets and error codes in the
//! sign-in page's URL (for browsers without JavaScript).

use crate::types::ErrorBody;

/// Where server functions are served: every `#[server(prefix = "/fn")]`
/// (the attribute needs a literal), the server's input check and the
/// status of a failed call all mean this path.
pub const SERVER_FN_PREFIX: &str = "/fn/";

/// Where people land after signing in when no `next` is given.
pub const HOME: &str = "/dashboard";

/// `next` if it is a plain path on this site, else [`HOME`]: never another
/// site (`//evil`, `https://…`, `/\evil`), never anything with a query.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.len() <= 200
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.')) =>
        {
            path
        }
        _ => HOME,
    }
}

/// Why a sign-in failed, as a short code for the URL.
pub fn error_code(error: &ErrorBody) -> &'static str {
    match error.status_code {
        401 => "credentials",
        429 => "throttled",
        _ => "unavailable",
    }
}

/// The message for a code from [`error_code`].
pub fn error_message(code: &str) -> Option<&'static str> {
    match code {
        "credentials" => Some("Incorrect username or password."),
        "throttled" => Some("Too many failed attempts. Wait a few minutes, then try again."),
        "unavailable" => Some("Signing in is not possible right now. Try again shortly."),
        "signed_out" => Some("You are signed out."),
        "inactive" => Some("This account is deactivated. Ask an administrator."),
        "sso_disabled" => Some("Single sign-on is not enabled on this server."),
        "sso_stale" => Some(
            "That sign-in was not started in this browser, was already used or took too long. Try again.",
        ),
        "sso_denied" => Some("The identity provider did not sign you in."),
        "sso_failed" => Some(
            "Single sign-on failed. Try again, or ask an administrator to check the provider settings.",
        ),
        _ => None,
    }
}

/// The sign-in page, showing why the last attempt failed.
pub fn login_url_with_error(error: &ErrorBody, next: Option<&str>) -> String {
    let mut url = format!("/login?error={}", error_code(error));
    let next = safe_next(next);
    if next != HOME {
        url.push_str("&next=");
        url.push_str(next);
    }
    url
}

/// The sign-in page, coming back to `path` afterwards.
pub fn login_url_for(path: &str) -> String {
    match safe_next(Some(path)) {
        HOME => "/login".to_string(),
        next => format!("/login?next={next}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/clusters")), "/clusters");
        assert_eq!(safe_next(Some("/clusters/abc-1")), "/clusters/abc-1");
        for bad in [
            None,
            Some(""),
            Some("clusters"),
            Some("//evil.example"),
            Some("https://evil.example"),
            Some("/\\evil.example"),
            Some("/a?b=c"),
            Some("/a b"),
        ] {
            assert_eq!(safe_next(bad), HOME, "{bad:?}");
        }
    }

    #[test]
    fn failed_sign_ins_go_back_with_a_code() {
        let error = ErrorBody::new(429, "Too many failed attempts; try again in 60 seconds.");
        assert_eq!(
            login_url_with_error(&error, Some("/agents")),
            "/login?error=throttled&next=/agents"
        );
        let error = ErrorBody::new(401, "Incorrect username or password.");
        assert_eq!(
            login_url_with_error(&error, None),
            "/login?error=credentials"
        );
        assert!(error_message("credentials").is_some());
        assert_eq!(error_message("<script>"), None);
        assert_eq!(login_url_for("/dashboard"), "/login");
        assert_eq!(login_url_for("/users"), "/login?next=/users");
    }
}
