//! Each page as a lazy route: its code is a wasm chunk of its own, loaded
//! by the first page that needs it, so a first visit downloads the app's
//! core and that one page (docs/ARCHITECTURE.md, "Code split per page").

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// A route whose view is `$page`, split into its own chunk.
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        #[doc = concat!("The lazy route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
}

lazy_page!(SetupRoute, super::setup::SetupPage);
lazy_page!(LoginRoute, super::login::LoginPage);
lazy_page!(DashboardRoute, super::dashboard::DashboardPage);
lazy_page!(ClustersRoute, super::clusters::ClustersPage);
lazy_page!(
    ClusterDetailRoute,
    super::clusters::detail::ClusterDetailPage
);
lazy_page!(AgentsRoute, super::agents::AgentsPage);
lazy_page!(UsersRoute, super::users::UsersPage);
lazy_page!(SettingsRoute, super::settings::SettingsPage);
