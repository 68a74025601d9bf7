//! The service layer as the browser app's server functions see it: the
//! signed-in user comes from the request's browser session.

use std::net::SocketAddr;

use app::backend::Backend;
use app::types::{
    AccountSettings, AgentInstall, AgentPublic, AgentsOverview, ClusterCreate, ClusterPage,
    ClusterPublic, ClusterUpdate, ClusterWakeResult, ClustersOverview, Dashboard, DeviceCreate,
    DevicePublic, DeviceUpdate, DeviceWakeResult, EnrollmentKeyCreate, EnrollmentKeyCreated,
    ErrorBody, Message, OidcConfigPublic, OidcConfigUpdate, SetupInitRequest, SetupStatus,
    UpdatePassword, UserCreate, UserPublic, UserUpdate, UserUpdateMe, UsersOverview,
};
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use leptos::prelude::use_context;
use tower_sessions::Session;
use uuid::Uuid;

use super::sessions::{TOKEN_VERSION, USER_ID, keep_session, sign_in_session};
use crate::api::extract::request_address;
use crate::security::tokens::TokenSubject;
use crate::services::{ServiceError, Services};
use crate::storage::UserRecord;

/// [`Backend`] over the services, for one request at a time.
pub struct BrowserBackend {
    services: Services,
}

impl BrowserBackend {
    pub fn new(services: Services) -> Self {
        Self { services }
    }

    /// Turns a service error into the error body (whose status the
    /// response gets from [`super::status`]).
    fn refuse(&self, error: ServiceError) -> ErrorBody {
        error.to_body()
    }

    /// A service's answer, its error refused as [`Self::refuse`] does.
    fn answer<T>(&self, result: Result<T, ServiceError>) -> Result<T, ErrorBody> {
        result.map_err(|error| self.refuse(error))
    }

    async fn session(&self) -> Result<Session, ErrorBody> {
        leptos_axum::extract::<Session>()
            .await
            .map_err(|error| self.refuse(ServiceError::Internal(format!("no session: {error}"))))
    }

    /// The signed-in user, if the session has one whose account is active.
    async fn session_user(&self) -> Result<Option<UserRecord>, ErrorBody> {
        let session = self.session().await?;
        let id: Option<Uuid> = session
            .get(USER_ID)
            .await
            .map_err(|error| self.refuse(ServiceError::Internal(error.to_string())))?;
        let Some(id) = id else { return Ok(None) };
        let version: Option<i64> = session
            .get(TOKEN_VERSION)
            .await
            .map_err(|error| self.refuse(ServiceError::Internal(error.to_string())))?;
        let subject = TokenSubject {
            user_id: id,
            version: version.unwrap_or_default(),
        };
        match self.services.active_user(subject).await {
            Ok(user) => Ok(Some(user)),
            Err(ServiceError::Unauthorized(_)) => {
                // Deleted or deactivated since: the session is over.
                let _ = session.flush().await;
                Ok(None)
            }
            Err(error) => Err(self.refuse(error)),
        }
    }

    /// The signed-in user, or 401.
    async fn actor(&self) -> Result<UserRecord, ErrorBody> {
        self.session_user().await?.ok_or_else(|| {
            self.refuse(ServiceError::Unauthorized(
                "Your session has ended; sign in again.".into(),
            ))
        })
    }

    /// The server's public address, as for the REST API's install command.
    fn base_url(&self) -> Result<String, ErrorBody> {
        let parts = use_context::<Parts>();
        let address = parts
            .as_ref()
            .map(|parts| request_address(&parts.headers, &parts.uri))
            .unwrap_or_default();
        self.answer(self.services.public_base_url(address))
    }

    /// The client's address, as the REST API's [`crate::api::extract::ClientIp`] finds it.
    async fn client_ip(&self) -> Result<std::net::IpAddr, ErrorBody> {
        let ConnectInfo(peer) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map_err(|error| self.refuse(ServiceError::Internal(error.to_string())))?;
        let headers = use_context::<Parts>()
            .map(|parts| parts.headers)
            .unwrap_or_default();
        Ok(self.services.client_ip(peer.ip(), &headers))
    }

    /// Makes this browser session `user`'s.
    async fn start_session(&self, user: &UserRecord) -> Result<(), ErrorBody> {
        let session = self.session().await?;
        sign_in_session(&session, user)
            .await
            .map_err(|error| self.refuse(ServiceError::Internal(error.to_string())))
    }
}

#[async_trait::async_trait]
impl Backend for BrowserBackend {
    async fn setup_status(&self) -> Result<SetupStatus, ErrorBody> {
        self.answer(self.services.setup_status().await)
    }

    async fn init_setup(&self, request: SetupInitRequest) -> Result<UserPublic, ErrorBody> {
        let client = self.client_ip().await?;
        let created = self.answer(self.services.init_setup(request, client).await)?;
        let subject = TokenSubject {
            user_id: created.id,
            version: 0,
        };
        let user = self.answer(self.services.active_user(subject).await)?;
        self.start_session(&user).await?;
        Ok(created)
    }

    async fn current_user(&self) -> Result<Option<UserPublic>, ErrorBody> {
        Ok(self.session_user().await?.map(|user| user.to_public()))
    }

    async fn sign_in(&self, username: String, password: String) -> Result<UserPublic, ErrorBody> {
        let client = self.client_ip().await?;
        let user = self.answer(
            self.services
                .verify_credentials(&username, &password, client)
                .await,
        )?;
        self.start_session(&user).await?;
        Ok(user.to_public())
    }

    async fn sign_out(&self) -> Result<(), ErrorBody> {
        let session = self.session().await?;
        session
            .flush()
            .await
            .map_err(|error| self.refuse(ServiceError::Internal(error.to_string())))
    }

    async fn dashboard(&self) -> Result<Dashboard, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.dashboard(&actor).await)
    }

    async fn create_device(&self, request: DeviceCreate) -> Result<DevicePublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.create_device(&actor, request).await)
    }

    async fn update_device(
        &self,
        id: Uuid,
        request: DeviceUpdate,
    ) -> Result<DevicePublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.update_device(&actor, id, request).await)
    }

    async fn delete_device(&self, id: Uuid) -> Result<Message, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.delete_device(&actor, id).await)
    }

    async fn wake_device(&self, id: Uuid) -> Result<DeviceWakeResult, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.wake_device(&actor, id).await)
    }

    async fn agents_overview(&self) -> Result<AgentsOverview, ErrorBody> {
        let actor = self.actor().await?;
        let base = self.base_url().unwrap_or_default();
        self.answer(self.services.agents_overview(&actor, &base).await)
    }

    async fn approve_agent(&self, id: Uuid) -> Result<AgentPublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.approve_agent(&actor, id).await)
    }

    async fn delete_agent(&self, id: Uuid) -> Result<Message, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.delete_agent(&actor, id).await)
    }

    async fn create_enrollment_key(
        &self,
        request: EnrollmentKeyCreate,
    ) -> Result<EnrollmentKeyCreated, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.create_enrollment_key(&actor, request).await)
    }

    async fn revoke_enrollment_key(&self, id: Uuid) -> Result<Message, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.revoke_enrollment_key(&actor, id).await)
    }

    async fn agent_install(&self, request: EnrollmentKeyCreate) -> Result<AgentInstall, ErrorBody> {
        let actor = self.actor().await?;
        let base = self.base_url()?;
        self.answer(self.services.agent_install(&actor, &base, request).await)
    }
    async fn clusters_overview(&self) -> Result<ClustersOverview, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.clusters_overview(&actor).await)
    }

    async fn cluster_page(&self, id: Uuid) -> Result<ClusterPage, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.cluster_page(&actor, id).await)
    }

    async fn create_cluster(&self, request: ClusterCreate) -> Result<ClusterPublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.create_cluster(&actor, request).await)
    }

    async fn update_cluster(
        &self,
        id: Uuid,
        request: ClusterUpdate,
    ) -> Result<ClusterPublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.update_cluster(&actor, id, request).await)
    }

    async fn delete_cluster(&self, id: Uuid) -> Result<Message, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.delete_cluster(&actor, id).await)
    }

    async fn wake_cluster(&self, id: Uuid) -> Result<ClusterWakeResult, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.wake_cluster(&actor, id).await)
    }

    async fn users_overview(&self) -> Result<UsersOverview, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.users_overview(&actor).await)
    }

    async fn create_user(&self, request: UserCreate) -> Result<UserPublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.create_user(&actor, request).await)
    }

    async fn update_user(&self, id: Uuid, request: UserUpdate) -> Result<UserPublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.update_user(&actor, id, request).await)
    }

    async fn delete_user(&self, id: Uuid) -> Result<Message, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.delete_user(&actor, id).await)
    }

    async fn settings(&self) -> Result<AccountSettings, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.account_settings(&actor).await)
    }

    async fn update_profile(&self, request: UserUpdateMe) -> Result<UserPublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.update_me(&actor, request).await)
    }

    async fn change_password(&self, request: UpdatePassword) -> Result<UserPublic, ErrorBody> {
        let actor = self.actor().await?;
        let client = self.client_ip().await?;
        let changed = self.answer(self.services.change_password(&actor, request, client).await)?;
        // Every other session of the user has ended; this one goes on.
        let subject = TokenSubject {
            user_id: actor.id,
            version: actor.token_version + 1,
        };
        let user = self.answer(self.services.active_user(subject).await)?;
        let session = self.session().await?;
        keep_session(&session, &user)
            .await
            .map_err(|error| self.refuse(ServiceError::Internal(error.to_string())))?;
        Ok(changed)
    }

    async fn update_oidc_config(
        &self,
        request: OidcConfigUpdate,
    ) -> Result<OidcConfigPublic, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(self.services.update_oidc_config(&actor, request).await)
    }

    async fn test_sso_discovery(&self, metadata_url: String) -> Result<Message, ErrorBody> {
        let actor = self.actor().await?;
        self.answer(
            self.services
                .test_sso_discovery(&actor, &metadata_url)
                .await,
        )
    }

    async fn sso_enabled(&self) -> Result<bool, ErrorBody> {
        let config = self.answer(self.services.oidc_config().await)?;
        Ok(config.enabled)
    }
}
