//! Building blocks shared by the pages.

pub mod copy;
pub mod layout;
pub mod modal;
pub mod password;
pub mod theme;
pub mod toast;
