//! Who may do what: every role and ownership rule, in one place. The
//! server's services call these functions to decide (and refuse with 403);
//! the pages call the same functions, or read flags the services computed
//! with them, only to decide what to offer (docs/ARCHITECTURE.md, "Where
//! each rule lives").
//!
//! The roles, from least to most powerful (docs/API.md, "Roles"):
//! - viewer: sees devices and clusters (and the hostnames and states of a
//!   cluster's agents), wakes nothing;
//! - user: manages the devices and clusters they own, sees agents and
//!   users' names;
//! - admin: manages every device and cluster, approves agents, manages
//!   enrollment keys, changes the role and active state of non-superusers;
//! - superuser: everything, including accounts and single sign-on.

use crate::ids::{ClusterId, UserId};
use crate::types::{Role, UserEditScope};

/// The signed-in user a rule is decided for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
}

/// A page of the app, as the navigation offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Dashboard,
    Clusters,
    Agents,
    Users,
    Settings,
}

impl Page {
    /// Every page, in the navigation's order.
    pub const ALL: [Page; 5] = [
        Page::Dashboard,
        Page::Clusters,
        Page::Agents,
        Page::Users,
        Page::Settings,
    ];

    /// How the page reads in the navigation.
    pub fn label(self) -> &'static str {
        match self {
            Page::Dashboard => "Dashboard",
            Page::Clusters => "Clusters",
            Page::Agents => "Agents",
            Page::Users => "Users",
            Page::Settings => "Settings",
        }
    }

    /// Where the page is.
    pub fn path(self) -> &'static str {
        match self {
            Page::Dashboard => "/dashboard",
            Page::Clusters => "/clusters",
            Page::Agents => "/agents",
            Page::Users => "/users",
            Page::Settings => "/settings",
        }
    }
}

impl Actor {
    /// Whether the actor may open `page` (the others answer 403).
    pub fn may_open(self, page: Page) -> bool {
        match page {
            Page::Dashboard | Page::Clusters | Page::Settings => true,
            Page::Agents => self.may_list_agents(),
            Page::Users => self.may_list_users(),
        }
    }

    /// The pages the navigation offers the actor.
    pub fn pages(self) -> impl Iterator<Item = Page> {
        Page::ALL
            .into_iter()
            .filter(move |page| self.may_open(*page))
    }

    /// Admins and superusers.
    pub fn is_admin(self) -> bool {
        self.role >= Role::Admin
    }

    /// Superusers.
    pub fn is_superuser(self) -> bool {
        self.role == Role::Superuser
    }

    /// Whether the actor may add devices and clusters (users and up; what
    /// they add is theirs).
    pub fn may_create(self) -> bool {
        self.role >= Role::User
    }

    /// Whether the actor may change, delete and wake a device or cluster
    /// owned by `owner_id`: admins any, users their own.
    pub fn may_manage(self, owner_id: Option<UserId>) -> bool {
        self.is_admin() || (self.role >= Role::User && owner_id == Some(self.id))
    }

    /// Whether the actor may list agents with their addresses and
    /// interfaces (users and up). Viewers see only the hostname and state
    /// of a cluster's agents.
    pub fn may_list_agents(self) -> bool {
        self.role >= Role::User
    }

    /// Whether the actor may follow an agent's hostname and state in the
    /// live events: those who list agents, and viewers for the agents of a
    /// cluster (`in_cluster`).
    pub fn sees_agent(self, in_cluster: bool) -> bool {
        self.may_list_agents() || in_cluster
    }

    /// Whether the actor approves agents, manages enrollment keys and
    /// makes install commands (admins and up).
    pub fn may_administer_agents(self) -> bool {
        self.is_admin()
    }

    /// Whether the actor may put a device owned by `owner`, now in
    /// `device_cluster`, into the cluster `cluster` (`None`: a new one):
    /// devices they manage, and those already in it.
    pub fn may_move_device(
        self,
        owner: Option<UserId>,
        device_cluster: Option<ClusterId>,
        cluster: Option<ClusterId>,
    ) -> bool {
        (cluster.is_some() && device_cluster == cluster) || self.may_manage(owner)
    }

    /// Whether the actor may put an agent now in `agent_cluster` (owned by
    /// `agent_cluster_owner`) into the cluster `cluster`: agents already in
    /// it, agents of clusters the actor manages, and agents in no cluster
    /// for admins only (whoever puts an agent into a cluster makes its
    /// owner the agent's manager, and an agent in no cluster belongs to the
    /// whole instance).
    pub fn may_move_agent(
        self,
        agent_cluster: Option<ClusterId>,
        agent_cluster_owner: Option<UserId>,
        cluster: Option<ClusterId>,
    ) -> bool {
        match agent_cluster {
            None => self.is_admin(),
            Some(current) if Some(current) == cluster => true,
            Some(_) => self.may_manage(agent_cluster_owner),
        }
    }

    /// Whether the actor may list users (users and up; plain users see
    /// names only, see [`Self::sees_user_details`]).
    pub fn may_list_users(self) -> bool {
        self.role >= Role::User
    }

    /// Whether the actor sees users' emails, roles and states (admins and up).
    pub fn sees_user_details(self) -> bool {
        self.is_admin()
    }

    /// Whether the actor may create accounts (superusers).
    pub fn may_create_users(self) -> bool {
        self.is_superuser()
    }

    /// Which fields of a user with `role` the actor may change: superusers
    /// every field of anyone; admins the role and active state of
    /// non-superusers.
    pub fn user_edit_scope(self, role: Role) -> UserEditScope {
        match self.role {
            Role::Superuser => UserEditScope::Full,
            Role::Admin if role != Role::Superuser => UserEditScope::RoleAndActive,
            _ => UserEditScope::None,
        }
    }

    /// The roles the actor may give, highest first: superusers any, admins
    /// any but superuser, others none.
    pub fn assignable_roles(self) -> Vec<Role> {
        match self.role {
            Role::Superuser => vec![Role::Superuser, Role::Admin, Role::User, Role::Viewer],
            Role::Admin => vec![Role::Admin, Role::User, Role::Viewer],
            _ => Vec::new(),
        }
    }

    /// Whether the actor may delete user `id`: superusers, never themselves.
    pub fn may_delete_user(self, id: UserId) -> bool {
        self.is_superuser() && self.id != id
    }

    /// Whether the actor may read and change another user's profile
    /// (superusers; everyone may read their own).
    pub fn may_read_user(self, id: UserId) -> bool {
        self.id == id || self.is_superuser()
    }

    /// Whether the actor configures single sign-on (superusers).
    pub fn may_configure_sso(self) -> bool {
        self.is_superuser()
    }
}

/// The roles accounts made by a first single sign-on may get: any but
/// superuser (the SSO settings' default role). The default is
/// [`Role::default`], the least.
pub const SSO_ROLES: [Role; 3] = [Role::Admin, Role::User, Role::Viewer];

/// Whether an agent in `agent_cluster` may serve a device in
/// `device_cluster`: both in the same cluster, or both in none (the
/// original PowerBeacon's rule; docs/API.md). The server enforces it; the
/// device form offers only the agents it allows.
pub fn agent_may_serve(
    agent_cluster: Option<ClusterId>,
    device_cluster: Option<ClusterId>,
) -> bool {
    agent_cluster == device_cluster
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    const ME: UserId = UserId::from_uuid(Uuid::from_u128(1));

    fn actor(role: Role) -> Actor {
        Actor { id: ME, role }
    }

    const OTHER: UserId = UserId::from_uuid(Uuid::from_u128(2));

    #[test]
    fn managers_are_admins_and_owners_from_user_up() {
        let mine = Some(ME);
        assert!(actor(Role::Admin).may_manage(Some(OTHER)));
        assert!(actor(Role::Admin).may_manage(None));
        assert!(actor(Role::User).may_manage(mine));
        assert!(!actor(Role::User).may_manage(Some(OTHER)));
        assert!(!actor(Role::User).may_manage(None));
        assert!(!actor(Role::Viewer).may_manage(mine));
    }

    #[test]
    fn viewers_follow_only_the_agents_of_clusters() {
        assert!(actor(Role::Viewer).sees_agent(true));
        assert!(!actor(Role::Viewer).sees_agent(false));
        assert!(actor(Role::User).sees_agent(false));
        assert!(actor(Role::Admin).sees_agent(false));
    }

    #[test]
    fn the_navigation_offers_what_a_role_may_open() {
        let pages = |role| actor(role).pages().collect::<Vec<_>>();
        assert_eq!(
            pages(Role::Viewer),
            [Page::Dashboard, Page::Clusters, Page::Settings]
        );
        assert_eq!(pages(Role::User), Page::ALL);
        assert_eq!(pages(Role::Superuser), Page::ALL);
    }

    #[test]
    fn free_agents_join_clusters_only_through_admins() {
        let cluster = Some(ClusterId::from_uuid(Uuid::from_u128(10)));
        let elsewhere = Some(ClusterId::from_uuid(Uuid::from_u128(11)));
        assert!(actor(Role::Admin).may_move_agent(None, None, cluster));
        assert!(!actor(Role::User).may_move_agent(None, None, cluster));
        assert!(actor(Role::User).may_move_agent(cluster, Some(OTHER), cluster));
        assert!(!actor(Role::User).may_move_agent(elsewhere, Some(OTHER), cluster));
        assert!(actor(Role::User).may_move_agent(elsewhere, Some(ME), cluster));
    }

    #[test]
    fn user_edits_follow_the_role_ladder() {
        assert_eq!(
            actor(Role::Superuser).user_edit_scope(Role::Superuser),
            UserEditScope::Full
        );
        assert_eq!(
            actor(Role::Admin).user_edit_scope(Role::Admin),
            UserEditScope::RoleAndActive
        );
        assert_eq!(
            actor(Role::Admin).user_edit_scope(Role::Superuser),
            UserEditScope::None
        );
        assert_eq!(
            actor(Role::User).user_edit_scope(Role::Viewer),
            UserEditScope::None
        );
        assert!(
            !actor(Role::Admin)
                .assignable_roles()
                .contains(&Role::Superuser)
        );
        assert!(actor(Role::Superuser).may_delete_user(OTHER));
        assert!(!actor(Role::Superuser).may_delete_user(ME));
        assert!(!actor(Role::Admin).may_delete_user(OTHER));
    }

    #[test]
    fn agents_serve_devices_of_their_own_cluster_only() {
        let a = Some(ClusterId::from_uuid(Uuid::from_u128(10)));
        assert!(agent_may_serve(None, None));
        assert!(agent_may_serve(a, a));
        assert!(!agent_may_serve(a, None));
        assert!(!agent_may_serve(None, a));
    }
}
