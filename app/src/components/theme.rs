//! Light or dark: the browser's preference until someone picks one in the
//! header; the choice is kept in a cookie the server reads, so every page is
//! rendered in it from the first byte (no flash of the wrong theme).

use leptos::prelude::*;

use shared::types::ErrorBody;

/// The cookie holding the chosen theme.
pub const THEME_COOKIE: &str = "pb_theme";

/// A chosen theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The theme value of a `Cookie` header, if it names one.
pub fn theme_in_cookies(header: &str) -> Option<Theme> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == THEME_COOKIE)
        .and_then(|(_, value)| Theme::parse(value))
}

/// The theme of the page being rendered: on the server from the request's
/// cookie, in the browser from `<html data-theme>`.
pub fn current_theme() -> Option<Theme> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .find_map(theme_in_cookies)
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .document_element()
            .and_then(|root| root.get_attribute("data-theme"))
            .and_then(|value| Theme::parse(&value))
    }
}

/// Remembers the theme for this browser (a year-long cookie).
#[server(prefix = "/fn", endpoint = "set_theme")]
pub async fn set_theme(theme: String) -> Result<(), ErrorBody> {
    let theme = Theme::parse(&theme).ok_or_else(|| {
        crate::call::fail(ErrorBody::with_details(
            422,
            "The theme is light or dark.",
            "theme",
        ))
    })?;
    let cookie = format!(
        "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        theme.as_str()
    );
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie),
    ) {
        options.append_header(http::header::SET_COOKIE, value);
    }
    Ok(())
}

/// Whether the browser prefers dark (used when no theme was picked yet).
fn system_prefers_dark() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window()
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten()
            .is_some_and(|query| query.matches())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// The header button that switches between light and dark. Without
/// JavaScript it is a form that sets the cookie and reloads the page.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(current_theme());
    // What a click switches to.
    let next = move || match theme.get() {
        Some(theme) => theme.other(),
        None if system_prefers_dark() => Theme::Light,
        None => Theme::Dark,
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let chosen = next();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", chosen.as_str());
        }
        theme.set(Some(chosen));
        leptos::task::spawn_local(async move {
            let _ = set_theme(chosen.as_str().to_string()).await;
        });
    };
    let label = move || match next() {
        Theme::Dark => "Switch to dark theme",
        Theme::Light => "Switch to light theme",
    };
    view! {
        <form class="theme-toggle" method="post" action="/fn/set_theme" on:submit=on_submit>
            <input type="hidden" name="theme" value=move || next().as_str() />
            <button type="submit" class="icon-button" aria-label=label title=label>
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <path
                        d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"
                        fill="currentColor"
                    />
                </svg>
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_theme_cookie_is_found_among_others() {
        assert_eq!(theme_in_cookies("pb_theme=dark"), Some(Theme::Dark));
        assert_eq!(
            theme_in_cookies("pb_session=abc; pb_theme=light; x=y"),
            Some(Theme::Light)
        );
        assert_eq!(theme_in_cookies("pb_theme=purple"), None);
        assert_eq!(theme_in_cookies("xpb_theme=dark"), None);
        assert_eq!(theme_in_cookies(""), None);
    }
}
