//! Building blocks shared by the pages.

pub mod agent_link;
pub mod confirm;
pub mod copy;
pub mod form;
pub mod layout;
pub mod modal;
pub mod password;
pub mod presence;
pub mod theme;
pub mod toast;
pub mod wake;
