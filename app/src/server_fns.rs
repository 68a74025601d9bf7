//! Server functions: the browser's typed calls into the service layer.
//!
//! Each body runs on the server only: it takes the signed-in user from the
//! browser session and calls the service, which holds every rule (the
//! `backend` crate; [`crate::call`] has the helpers). Errors travel as the
//! API's [`ErrorBody`] (status, message, field), with the error's HTTP status.

use leptos::prelude::*;
use shared::ids::{AgentId, ClusterId, DeviceId, EnrollmentKeyId, UserId};

#[cfg(feature = "ssr")]
use crate::call;

use shared::types::{
    AccountSettings, AgentInstall, AgentPublic, AgentRegistrationConfig, AgentsOverview,
    ClusterCreate, ClusterMembers, ClusterPage, ClusterPublic, ClusterUpdate, ClusterWakeResult,
    ClustersOverview, Dashboard, DeviceChoices, DeviceCreate, DevicePage, DevicePublic,
    DeviceQuery, DeviceUpdate, DeviceWakeResult, EnrollmentKeyCreate, EnrollmentKeyCreated,
    ErrorBody, Message, OidcConfigPublic, OidcConfigUpdate, SetupStatus, UserCreate, UserPublic,
    UserUpdate, UserUpdateMe, UsersOverview,
};

/// Refuses a form whose password and its confirmation differ (only forms
/// have a confirmation; every other password rule is the service's).
#[cfg(feature = "ssr")]
fn confirmed(password: &str, confirmation: &str, field: &str) -> Result<(), ErrorBody> {
    if password == confirmation {
        Ok(())
    } else {
        Err(call::fail(ErrorBody::with_details(
            422,
            "The passwords do not match.",
            field,
        )))
    }
}

/// Whether the first-run setup has been completed.
#[server(name = GetSetupStatus, prefix = "/fn", endpoint = "setup_status")]
pub async fn setup_status() -> Result<SetupStatus, ErrorBody> {
    call::answer(call::services()?.setup_status().await)
}

/// Creates the first account from the setup form and signs in as it.
///
/// `password_confirm` is checked here because only the form has it; every
/// other rule is the service's.
#[server(prefix = "/fn", endpoint = "init_setup")]
pub async fn init_setup(
    username: String,
    email: String,
    full_name: String,
    password: String,
    password_confirm: String,
    #[server(default)] setup_code: Option<String>,
) -> Result<UserPublic, ErrorBody> {
    confirmed(&password, &password_confirm, "password_confirm")?;
    let request = shared::types::SetupInitRequest {
        username,
        password,
        email: Some(email),
        full_name: Some(full_name),
        oidc: None,
        setup_code,
    };
    let services = call::services()?;
    let client = call::sign_in_client(&services).await?;
    let user = call::answer(services.init_setup(request, client.ip).await)?;
    call::start_session(&user).await?;
    call::remember_device(&services, &client, &user);
    Ok(user.to_public())
}

/// The signed-in user of this browser, if any.
#[server(prefix = "/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserPublic>, ErrorBody> {
    let services = call::services()?;
    Ok(call::session_user(&services)
        .await?
        .map(|user| user.to_public()))
}

/// Signs this browser in. Without JavaScript (a plain form post) it answers
/// with a redirect: to `next` (a path on this site) on success, else back to
/// the sign-in page with the reason.
#[server(prefix = "/fn", endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<UserPublic, ErrorBody> {
    let result = async {
        let services = call::services()?;
        let client = call::sign_in_client(&services).await?;
        let user = call::answer(
            services
                .verify_credentials(&username, &password, &client)
                .await,
        )?;
        call::start_session(&user).await?;
        call::remember_device(&services, &client, &user);
        Ok(user.to_public())
    }
    .await;
    match &result {
        Ok(_) => leptos_axum::redirect(shared::routing::safe_next(next.as_deref())),
        // A script shows the error in place; a plain form gets it in the URL.
        Err(error)
            if use_context::<http::request::Parts>()
                .is_some_and(|r| shared::server_fn_status::is_plain_form_post(&r)) =>
        {
            leptos_axum::redirect(&shared::routing::login_url_with_error(
                error,
                next.as_deref(),
            ))
        }
        Err(_) => {}
    }
    result
}

/// Ends this browser session.
#[server(prefix = "/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ErrorBody> {
    call::end_session().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The dashboard's summary: counts and the filters' choices.
#[server(name = LoadDashboard, prefix = "/fn", endpoint = "dashboard")]
pub async fn dashboard() -> Result<Dashboard, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.dashboard(&actor).await)
}

/// The devices a search and filters find, one page of them.
#[server(prefix = "/fn", endpoint = "find_devices", input = leptos::server_fn::codec::Json)]
pub async fn find_devices(#[server(default)] query: DeviceQuery) -> Result<DevicePage, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.find_devices(&actor, &query).await)
}

/// What the device form offers: clusters and agents.
#[server(name = LoadDeviceChoices, prefix = "/fn", endpoint = "device_choices")]
pub async fn device_choices() -> Result<DeviceChoices, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.device_choices(&actor).await)
}

/// Adds a device.
#[server(prefix = "/fn", endpoint = "create_device", input = leptos::server_fn::codec::Json)]
pub async fn create_device(request: DeviceCreate) -> Result<DevicePublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.create_device(&actor, request).await)
}

/// Changes a device.
#[server(prefix = "/fn", endpoint = "update_device", input = leptos::server_fn::codec::Json)]
pub async fn update_device(id: DeviceId, request: DeviceUpdate) -> Result<DevicePublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.update_device(&actor, id, request).await)
}

/// Deletes a device.
#[server(prefix = "/fn", endpoint = "delete_device")]
pub async fn delete_device(id: DeviceId) -> Result<Message, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.delete_device(&actor, id).await)
}

/// Makes the address a device is up at its `ip_address` (managers).
#[server(prefix = "/fn", endpoint = "adopt_device_address")]
pub async fn adopt_device_address(id: DeviceId) -> Result<DevicePublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.adopt_address(&actor, id).await)
}

/// Wakes a device through its agents. A plain form post (the Wake button)
/// is answered with a redirect to the wake's page, which follows it to its
/// verdict.
#[server(prefix = "/fn", endpoint = "wake_device")]
pub async fn wake_device(id: DeviceId) -> Result<DeviceWakeResult, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    let result = call::answer(services.wake_device(&actor, id, Default::default()).await);
    follow_without_script(
        result
            .as_ref()
            .map_or_else(|e| e.wake_id, |r| Some(r.wake_id)),
    );
    result
}

/// After a wake asked by a plain form post: on to the wake's page.
#[cfg(feature = "ssr")]
fn follow_without_script(wake: Option<shared::ids::WakeId>) {
    let plain = use_context::<http::request::Parts>()
        .is_some_and(|r| shared::server_fn_status::is_plain_form_post(&r));
    if let (true, Some(wake)) = (plain, wake) {
        leptos_axum::redirect(&format!("/wakes/{wake}"));
    }
}

/// Everything the agents page shows.
#[server(name = LoadAgentsOverview, prefix = "/fn", endpoint = "agents_overview")]
pub async fn agents_overview() -> Result<AgentsOverview, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    let base = call::base_url(&services).unwrap_or_default();
    call::answer(services.agents_overview(&actor, &base).await)
}

/// Approves a pending agent.
#[server(prefix = "/fn", endpoint = "approve_agent")]
pub async fn approve_agent(id: AgentId) -> Result<AgentPublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.approve_agent(&actor, id).await)
}

/// Forgets an agent.
#[server(prefix = "/fn", endpoint = "delete_agent")]
pub async fn delete_agent(id: AgentId) -> Result<Message, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.delete_agent(&actor, id).await)
}

/// Creates an enrollment key; the answer holds its only full showing.
#[server(prefix = "/fn", endpoint = "create_enrollment_key", input = leptos::server_fn::codec::Json)]
pub async fn create_enrollment_key(
    request: EnrollmentKeyCreate,
) -> Result<EnrollmentKeyCreated, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.create_enrollment_key(&actor, request).await)
}

/// Revokes an enrollment key.
#[server(prefix = "/fn", endpoint = "revoke_enrollment_key")]
pub async fn revoke_enrollment_key(id: EnrollmentKeyId) -> Result<Message, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.revoke_enrollment_key(&actor, id).await)
}

/// A fresh key and the install command line.
#[server(name = InstallCommand, prefix = "/fn", endpoint = "agent_install", input = leptos::server_fn::codec::Json)]
pub async fn agent_install(request: EnrollmentKeyCreate) -> Result<AgentInstall, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    let base = call::answer(call::base_url(&services))?;
    call::answer(services.agent_install(&actor, &base, request).await)
}

/// Switches open registration on or off (admins).
#[server(prefix = "/fn", endpoint = "update_agent_registration_config")]
pub async fn update_agent_registration_config(
    open_registration: bool,
) -> Result<AgentRegistrationConfig, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    let config = AgentRegistrationConfig { open_registration };
    call::answer(
        services
            .update_agent_registration_config(&actor, config)
            .await,
    )
}

/// Everything the clusters page shows.
#[server(name = LoadClusters, prefix = "/fn", endpoint = "clusters_overview")]
pub async fn clusters_overview() -> Result<ClustersOverview, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.clusters_overview(&actor).await)
}

/// Everything a cluster's page shows.
#[server(name = LoadCluster, prefix = "/fn", endpoint = "cluster_page")]
pub async fn cluster_page(id: ClusterId) -> Result<ClusterPage, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.cluster_page(&actor, id).await)
}

/// What the cluster form offers: for a new cluster, or for cluster `id`.
#[server(prefix = "/fn", endpoint = "cluster_form_choices")]
pub async fn cluster_form_choices(
    #[server(default)] id: Option<ClusterId>,
) -> Result<ClusterMembers, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.cluster_form_choices(&actor, id).await)
}

/// Creates a cluster.
#[server(prefix = "/fn", endpoint = "create_cluster", input = leptos::server_fn::codec::Json)]
pub async fn create_cluster(request: ClusterCreate) -> Result<ClusterPublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.create_cluster(&actor, request).await)
}

/// Changes a cluster; member lists replace.
#[server(prefix = "/fn", endpoint = "update_cluster", input = leptos::server_fn::codec::Json)]
pub async fn update_cluster(
    id: ClusterId,
    request: ClusterUpdate,
) -> Result<ClusterPublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.update_cluster(&actor, id, request).await)
}

/// Deletes a cluster; its devices and agents stay, detached.
#[server(prefix = "/fn", endpoint = "delete_cluster")]
pub async fn delete_cluster(id: ClusterId) -> Result<Message, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.delete_cluster(&actor, id).await)
}

/// Wakes every device of a cluster; a plain form post goes on to the
/// wake's page.
#[server(prefix = "/fn", endpoint = "wake_cluster")]
pub async fn wake_cluster(id: ClusterId) -> Result<ClusterWakeResult, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    let result = call::answer(services.wake_cluster(&actor, id, Default::default()).await);
    follow_without_script(
        result
            .as_ref()
            .map_or_else(|e| e.wake_id, |r| Some(r.wake_id)),
    );
    result
}

/// Everything the users page shows.
#[server(name = LoadUsers, prefix = "/fn", endpoint = "users_overview")]
pub async fn users_overview() -> Result<UsersOverview, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.users_overview(&actor).await)
}

/// Creates a user.
#[server(prefix = "/fn", endpoint = "create_user", input = leptos::server_fn::codec::Json)]
pub async fn create_user(request: UserCreate) -> Result<UserPublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.create_user(&actor, request).await)
}

/// Changes a user.
#[server(prefix = "/fn", endpoint = "update_user", input = leptos::server_fn::codec::Json)]
pub async fn update_user(id: UserId, request: UserUpdate) -> Result<UserPublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.update_user(&actor, id, request).await)
}

/// Deletes a user.
#[server(prefix = "/fn", endpoint = "delete_user")]
pub async fn delete_user(id: UserId) -> Result<Message, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.delete_user(&actor, id).await)
}

/// Everything the settings page shows.
#[server(name = LoadSettings, prefix = "/fn", endpoint = "account_settings")]
pub async fn account_settings() -> Result<AccountSettings, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.account_settings(&actor).await)
}

/// Changes the signed-in user's own profile.
#[server(prefix = "/fn", endpoint = "update_me", input = leptos::server_fn::codec::Json)]
pub async fn update_me(request: UserUpdateMe) -> Result<UserPublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.update_me(&actor, request).await)
}

/// Changes the signed-in user's own password.
#[server(prefix = "/fn", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirm: String,
) -> Result<UserPublic, ErrorBody> {
    confirmed(&new_password, &new_password_confirm, "new_password_confirm")?;
    let (services, actor) = call::signed_in().await?;
    let client = call::client_ip(&services).await?;
    let request = shared::types::UpdatePassword {
        current_password,
        new_password,
    };
    let user = call::answer(services.change_password(&actor, request, client).await)?;
    // Every other session of the user has ended; this one goes on.
    call::keep_session(&user).await?;
    Ok(user.to_public())
}

/// Replaces the single sign-on configuration.
#[server(prefix = "/fn", endpoint = "update_oidc_config", input = leptos::server_fn::codec::Json)]
pub async fn update_oidc_config(request: OidcConfigUpdate) -> Result<OidcConfigPublic, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(services.update_oidc_config(&actor, request).await)
}

/// Checks that single sign-on discovery works for a metadata URL.
#[server(prefix = "/fn", endpoint = "test_sso_discovery")]
pub async fn test_sso_discovery(server_metadata_url: String) -> Result<Message, ErrorBody> {
    let (services, actor) = call::signed_in().await?;
    call::answer(
        services
            .test_sso_discovery(&actor, &server_metadata_url)
            .await,
    )
}

/// Whether the sign-in page offers single sign-on.
#[server(prefix = "/fn", endpoint = "sso_enabled")]
pub async fn sso_enabled() -> Result<bool, ErrorBody> {
    let config = call::answer(call::services()?.oidc_config().await)?;
    Ok(config.enabled)
}
