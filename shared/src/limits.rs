//! Field limits: how long each text a person or agent writes may be. The
//! server's validators refuse longer input and the forms set `maxlength`
//! from the same numbers.

/// A username: characters.
pub const USERNAME_MAX: usize = 64;
/// An email address: bytes.
pub const EMAIL_MAX: usize = 254;
/// A person's display name: characters.
pub const FULL_NAME_MAX: usize = 128;
/// The fewest characters a new password may have.
pub const PASSWORD_MIN: usize = 8;
/// The most characters a new password may have.
pub const PASSWORD_MAX: usize = 1024;
/// The name of a device, a cluster or an enrollment key: characters.
pub const NAME_MAX: usize = 100;
/// A description: characters.
pub const DESCRIPTION_MAX: usize = 1000;
/// One tag: characters.
pub const TAG_MAX: usize = 50;
/// The most tags a device or cluster may have.
pub const TAGS_MAX: usize = 32;
