//! Password strength, as shown next to a new password.

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
pub const MIN_PASSWORD_LEN: usize = 8;

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
