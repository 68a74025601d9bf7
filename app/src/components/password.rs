//! New passwords: the input with its show/hide button and strength meter,
//! and the confirmation that must match it.

use leptos::prelude::*;

/// How hard a password would be to guess, roughly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Shorter than the minimum the server accepts.
    TooShort,
    Weak,
    Fair,
    Strong,
}

/// The minimum password length the server accepts.
pub const MIN_PASSWORD_LEN: usize = shared::limits::PASSWORD_MIN;

impl Strength {
    /// A short label for the meter.
    pub fn label(self) -> &'static str {
        match self {
            Strength::TooShort => "Too short",
            Strength::Weak => "Weak",
            Strength::Fair => "Fair",
            Strength::Strong => "Strong",
        }
    }

    /// The meter's fill, 0 to 3.
    pub fn level(self) -> u8 {
        self as u8
    }
}

/// Scores a password by length and by how many kinds of character it mixes.
pub fn password_strength(password: &str) -> Strength {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Strength::TooShort;
    }
    let kinds = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_numeric()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .into_iter()
    .filter(|&present| present)
    .count();
    match (length, kinds) {
        (16.., 2..) | (12.., 3..) => Strength::Strong,
        (12.., _) | (_, 3..) => Strength::Fair,
        _ => Strength::Weak,
    }
}

/// A new password with a show/hide button and a strength meter; with
/// `confirm`, also a second input that must repeat it. `name`s are the
/// form field names, for forms that post without JavaScript.
#[component]
pub fn NewPasswordInput(
    /// The input's id and form field name.
    id: &'static str,
    /// The label above it.
    label: &'static str,
    value: RwSignal<String>,
    /// The confirmation's id/name and value, when the form has one.
    #[prop(optional)]
    confirm: Option<(&'static str, RwSignal<String>)>,
    /// Whether it may be left empty (e.g. "keep the current password").
    #[prop(optional)]
    optional: bool,
    /// The server's error about this field, if any.
    #[prop(optional, into)]
    invalid: Option<Signal<String>>,
) -> impl IntoView {
    let reveal = RwSignal::new(false);
    let strength = Memo::new(move |_| value.with(|p| password_strength(p)));
    let kind = move || if reveal.get() { "text" } else { "password" };
    let meter_id = format!("{id}-strength");
    let shown = move || !optional || value.with(|v| !v.is_empty());
    let confirmation = confirm.map(|(confirm_id, confirm_value)| {
        let mismatch = move || confirm_value.with(|c| value.with(|v| mismatched(v, c)));
        view! {
            <label for=confirm_id>"Confirm password"</label>
            <input
                id=confirm_id
                name=confirm_id
                type=kind
                autocomplete="new-password"
                required=!optional
                aria-invalid=move || mismatch().to_string()
                bind:value=confirm_value
            />
            <Show when=mismatch>
                <p class="field-error" role="alert">"The passwords do not match."</p>
            </Show>
        }
    });
    view! {
        <label for=id>{label} {optional.then(|| view! { " " <span class="muted">"(leave empty to keep)"</span> })}</label>
        <div class="password-field">
            <input
                id=id
                name=id
                type=kind
                autocomplete="new-password"
                required=!optional
                minlength=MIN_PASSWORD_LEN
                aria-describedby=format!("{meter_id} {id}-error")
                aria-invalid=move || invalid.map(|i| i.get()).unwrap_or_else(|| "false".into())
                bind:value=value
            />
            <button
                type="button"
                class="reveal"
                aria-controls=id
                aria-pressed=move || reveal.get().to_string()
                on:click=move |_| reveal.update(|shown| *shown = !*shown)
            >
                {move || if reveal.get() { "Hide" } else { "Show" }}
            </button>
        </div>
        <div
            id=meter_id
            class="strength"
            class:hidden=move || !shown()
            data-level=move || strength.get().level().to_string()
            aria-live="polite"
        >
            <span class="meter"><span class="fill"></span></span>
            <span class="label">{move || strength.get().label()}</span>
        </div>
        {confirmation}
    }
}

/// Whether a password and its confirmation differ (once one is typed).
pub fn mismatched(password: &str, confirmation: &str) -> bool {
    !confirmation.is_empty() && password != confirmation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_too_short() {
        assert_eq!(password_strength(""), Strength::TooShort);
        assert_eq!(password_strength("Ab1!xyz"), Strength::TooShort);
    }

    #[test]
    fn length_and_variety_raise_the_score() {
        assert_eq!(password_strength("abcdefgh"), Strength::Weak);
        assert_eq!(password_strength("abcdefgh1!"), Strength::Fair);
        assert_eq!(password_strength("abcdefghijkl"), Strength::Fair);
        assert_eq!(password_strength("Abcdefgh12!x"), Strength::Strong);
        assert_eq!(password_strength("correcthorse battery"), Strength::Strong);
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(password_strength("ééééééé"), Strength::TooShort);
    }
}
