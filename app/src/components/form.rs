//! What every form shares: the server's error shown next to the field it
//! names (or above the form), and the parsing of typed text.

use leptos::prelude::*;

use shared::types::ErrorBody;

/// The last error a form's submission got.
#[derive(Debug, Clone, Copy)]
pub struct FormError(RwSignal<Option<ErrorBody>>);

impl Default for FormError {
    fn default() -> Self {
        Self::new()
    }
}

impl FormError {
    pub fn new() -> Self {
        Self(RwSignal::new(None))
    }

    pub fn set(self, error: Option<ErrorBody>) {
        self.0.set(error);
    }

    /// The message under `field`, when the error names it. Its id is
    /// `{field}-error`, for the input's `aria-describedby`.
    pub fn under(self, field: &'static str) -> impl Fn() -> Option<AnyView> + Send + Sync {
        move || {
            self.0
                .get()
                .filter(|error| error.field() == Some(field))
                .map(|error| {
                    view! {
                        <p class="field-error" role="alert" id=format!("{field}-error")>
                            {error.message}
                        </p>
                    }
                    .into_any()
                })
        }
    }

    /// `aria-invalid` of `field`'s input.
    pub fn invalid(self, field: &'static str) -> impl Fn() -> String + Send + Sync {
        move || {
            self.0
                .get()
                .is_some_and(|error| error.field() == Some(field))
                .to_string()
        }
    }

    /// The message above the form, when the error names none of `fields`
    /// (the fields that show their own).
    pub fn above(
        self,
        fields: &'static [&'static str],
    ) -> impl Fn() -> Option<AnyView> + Send + Sync {
        move || {
            self.0
                .get()
                .filter(|error| error.field().is_none_or(|field| !fields.contains(&field)))
                .map(|error| {
                    view! { <p class="alert error" role="alert">{error.message}</p> }.into_any()
                })
        }
    }
}

/// A person's username, email and full name, with the server's limits and
/// its errors under each field. `prefix` makes the ids (`{prefix}-username`,
/// …); `own` is for one's own profile (the browser may fill it in);
/// `readonly` shows them without letting them change.
#[component]
pub fn ProfileFields(
    prefix: &'static str,
    username: RwSignal<String>,
    email: RwSignal<String>,
    full_name: RwSignal<String>,
    error: FormError,
    #[prop(optional)] own: bool,
    #[prop(optional)] readonly: bool,
) -> impl IntoView {
    let id = |field: &str| format!("{prefix}-{field}");
    let autocomplete = move |what: &'static str| if own { what } else { "off" };
    view! {
        <label for=id("username")>"Username"</label>
        <input
            id=id("username")
            required
            maxlength=shared::limits::USERNAME_MAX
            autocomplete=autocomplete("username")
            readonly=readonly
            value=username.get_untracked()
            bind:value=username
            aria-invalid=error.invalid("username")
            aria-describedby="username-error"
        />
        {error.under("username")}
        <label for=id("email")>"Email " <span class="muted">"(optional)"</span></label>
        <input
            id=id("email")
            type="email"
            maxlength=shared::limits::EMAIL_MAX
            autocomplete=autocomplete("email")
            readonly=readonly
            value=email.get_untracked()
            bind:value=email
            aria-invalid=error.invalid("email")
            aria-describedby="email-error"
        />
        {error.under("email")}
        <label for=id("full-name")>"Full name " <span class="muted">"(optional)"</span></label>
        <input
            id=id("full-name")
            maxlength=shared::limits::FULL_NAME_MAX
            autocomplete=autocomplete("name")
            readonly=readonly
            value=full_name.get_untracked()
            bind:value=full_name
            aria-invalid=error.invalid("full_name")
            aria-describedby="full_name-error"
        />
        {error.under("full_name")}
    }
}

/// Tags as typed: comma-separated, blanks dropped.
pub fn parse_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_string)
        .collect()
}

/// Typed text, trimmed; blank is `None`.
pub fn blank_to_none(text: String) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_on_commas() {
        assert_eq!(parse_tags(" office, storage ,,"), ["office", "storage"]);
        assert!(parse_tags("  ").is_empty());
    }

    #[test]
    fn blank_text_is_none() {
        assert_eq!(blank_to_none("  ".into()), None);
        assert_eq!(blank_to_none(" a b ".into()), Some("a b".into()));
    }
}
