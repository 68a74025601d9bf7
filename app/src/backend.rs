//! What the server functions need from the server (server side only).
//!
//! The server crate implements [`Backend`] on top of its service layer and
//! hands it to every page render and server-function call through Leptos
//! context, so the UI uses exactly the rules the REST API uses. The
//! implementation knows the request, so "who is asking" comes from the
//! browser session, never from an argument.

use std::sync::Arc;

use uuid::Uuid;

use crate::types::{
    AccountSettings, AgentInstall, AgentPublic, AgentsOverview, ClusterCreate, ClusterPage,
    ClusterPublic, ClusterUpdate, ClusterWakeResult, ClustersOverview, Dashboard, DeviceCreate,
    DevicePublic, DeviceUpdate, DeviceWakeResult, EnrollmentKeyCreate, EnrollmentKeyCreated,
    ErrorBody, Message, OidcConfigPublic, OidcConfigUpdate, SetupInitRequest, SetupStatus,
    UpdatePassword, UserCreate, UserPublic, UserUpdate, UserUpdateMe, UsersOverview,
};

/// The service layer, as the UI sees it.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Whether the first-run setup has been completed.
    async fn setup_status(&self) -> Result<SetupStatus, ErrorBody>;

    /// Creates the first account, a superuser, and signs the browser in as
    /// it; refused once any user exists.
    async fn init_setup(&self, request: SetupInitRequest) -> Result<UserPublic, ErrorBody>;

    /// The signed-in user of this browser session, if any.
    async fn current_user(&self) -> Result<Option<UserPublic>, ErrorBody>;

    /// Checks the credentials and signs this browser session in.
    async fn sign_in(&self, username: String, password: String) -> Result<UserPublic, ErrorBody>;

    /// Ends this browser session.
    async fn sign_out(&self) -> Result<(), ErrorBody>;

    /// Everything the dashboard shows the signed-in user.
    async fn dashboard(&self) -> Result<Dashboard, ErrorBody>;

    async fn create_device(&self, request: DeviceCreate) -> Result<DevicePublic, ErrorBody>;

    async fn update_device(
        &self,
        id: Uuid,
        request: DeviceUpdate,
    ) -> Result<DevicePublic, ErrorBody>;

    async fn delete_device(&self, id: Uuid) -> Result<Message, ErrorBody>;

    async fn wake_device(&self, id: Uuid) -> Result<DeviceWakeResult, ErrorBody>;

    /// Everything the agents page shows the signed-in user.
    async fn agents_overview(&self) -> Result<AgentsOverview, ErrorBody>;

    async fn approve_agent(&self, id: Uuid) -> Result<AgentPublic, ErrorBody>;

    async fn delete_agent(&self, id: Uuid) -> Result<Message, ErrorBody>;

    async fn create_enrollment_key(
        &self,
        request: EnrollmentKeyCreate,
    ) -> Result<EnrollmentKeyCreated, ErrorBody>;

    async fn revoke_enrollment_key(&self, id: Uuid) -> Result<Message, ErrorBody>;

    /// A fresh key and the command line that installs an agent with it.
    async fn agent_install(&self, request: EnrollmentKeyCreate) -> Result<AgentInstall, ErrorBody>;

    /// Everything the clusters page shows the signed-in user.
    async fn clusters_overview(&self) -> Result<ClustersOverview, ErrorBody>;

    /// Everything a cluster's page shows the signed-in user.
    async fn cluster_page(&self, id: Uuid) -> Result<ClusterPage, ErrorBody>;

    async fn create_cluster(&self, request: ClusterCreate) -> Result<ClusterPublic, ErrorBody>;

    async fn update_cluster(
        &self,
        id: Uuid,
        request: ClusterUpdate,
    ) -> Result<ClusterPublic, ErrorBody>;

    async fn delete_cluster(&self, id: Uuid) -> Result<Message, ErrorBody>;

    async fn wake_cluster(&self, id: Uuid) -> Result<ClusterWakeResult, ErrorBody>;

    /// Everything the users page shows the signed-in user.
    async fn users_overview(&self) -> Result<UsersOverview, ErrorBody>;

    async fn create_user(&self, request: UserCreate) -> Result<UserPublic, ErrorBody>;

    async fn update_user(&self, id: Uuid, request: UserUpdate) -> Result<UserPublic, ErrorBody>;

    async fn delete_user(&self, id: Uuid) -> Result<Message, ErrorBody>;

    /// Everything the settings page shows the signed-in user.
    async fn settings(&self) -> Result<AccountSettings, ErrorBody>;

    /// Changes the signed-in user's own profile.
    async fn update_profile(&self, request: UserUpdateMe) -> Result<UserPublic, ErrorBody>;

    /// Changes the signed-in user's own password.
    async fn change_password(&self, request: UpdatePassword) -> Result<UserPublic, ErrorBody>;

    async fn update_oidc_config(
        &self,
        request: OidcConfigUpdate,
    ) -> Result<OidcConfigPublic, ErrorBody>;

    /// Checks that discovery works for a metadata URL (superusers).
    async fn test_sso_discovery(&self, metadata_url: String) -> Result<Message, ErrorBody>;

    /// Whether single sign-on is enabled.
    async fn sso_enabled(&self) -> Result<bool, ErrorBody>;
}

/// The backend of the current request, provided by the server.
pub fn backend() -> Result<Arc<dyn Backend>, ErrorBody> {
    leptos::prelude::use_context::<Arc<dyn Backend>>().ok_or_else(|| ErrorBody {
        status_code: 500,
        message: "The server backend is missing from the context.".into(),
        details: None,
    })
}
