//! Building blocks shared by the pages.

pub mod layout;
pub mod modal;
pub mod password;
pub mod theme;
pub mod toast;
