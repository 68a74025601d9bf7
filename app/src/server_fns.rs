//! Server functions: the browser's typed calls into the service layer.
//!
//! Each body runs on the server only and does nothing but call the
//! [`Backend`](crate::backend::Backend); the rules live in the server's
//! services. Errors travel as the API's [`ErrorBody`] (status, message, field).

use leptos::prelude::*;
use uuid::Uuid;

use crate::types::{
    AccountSettings, AgentInstall, AgentPublic, AgentsOverview, ClusterCreate, ClusterPage,
    ClusterPublic, ClusterUpdate, ClusterWakeResult, ClustersOverview, Dashboard, DeviceCreate,
    DevicePublic, DeviceUpdate, DeviceWakeResult, EnrollmentKeyCreate, EnrollmentKeyCreated,
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
        Err(ErrorBody {
            status_code: 422,
            message: "The passwords do not match.".into(),
            details: Some(field.into()),
        })
    }
}

/// Whether the first-run setup has been completed.
#[server(prefix = "/fn", endpoint = "setup_status")]
pub async fn get_setup_status() -> Result<SetupStatus, ErrorBody> {
    crate::backend::backend()?.setup_status().await
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
    let blank_to_none = |text: String| {
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    };
    let request = crate::types::SetupInitRequest {
        username,
        password,
        email: blank_to_none(email),
        full_name: blank_to_none(full_name),
        oidc: None,
        setup_code: setup_code.and_then(blank_to_none),
    };
    crate::backend::backend()?.init_setup(request).await
}

/// The signed-in user of this browser, if any.
#[server(prefix = "/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserPublic>, ErrorBody> {
    crate::backend::backend()?.current_user().await
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
    let result = crate::backend::backend()?.sign_in(username, password).await;
    match &result {
        Ok(_) => leptos_axum::redirect(crate::routing::safe_next(next.as_deref())),
        // A script shows the error in place; a plain form gets it in the URL.
        Err(error)
            if use_context::<http::request::Parts>().is_some_and(|r| is_plain_form_post(&r)) =>
        {
            leptos_axum::redirect(&crate::routing::login_url_with_error(
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
    crate::backend::backend()?.sign_out().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Everything the dashboard shows.
#[server(prefix = "/fn", endpoint = "dashboard")]
pub async fn load_dashboard() -> Result<Dashboard, ErrorBody> {
    crate::backend::backend()?.dashboard().await
}

/// Adds a device.
#[server(prefix = "/fn", endpoint = "create_device", input = leptos::server_fn::codec::Json)]
pub async fn create_device(request: DeviceCreate) -> Result<DevicePublic, ErrorBody> {
    crate::backend::backend()?.create_device(request).await
}

/// Changes a device.
#[server(prefix = "/fn", endpoint = "update_device", input = leptos::server_fn::codec::Json)]
pub async fn update_device(id: Uuid, request: DeviceUpdate) -> Result<DevicePublic, ErrorBody> {
    crate::backend::backend()?.update_device(id, request).await
}

/// Deletes a device.
#[server(prefix = "/fn", endpoint = "delete_device")]
pub async fn delete_device(id: Uuid) -> Result<Message, ErrorBody> {
    crate::backend::backend()?.delete_device(id).await
}

/// Wakes a device through its agents.
#[server(prefix = "/fn", endpoint = "wake_device")]
pub async fn wake_device(id: Uuid) -> Result<DeviceWakeResult, ErrorBody> {
    crate::backend::backend()?.wake_device(id).await
}

/// Everything the agents page shows.
#[server(prefix = "/fn", endpoint = "agents_overview")]
pub async fn load_agents_overview() -> Result<AgentsOverview, ErrorBody> {
    crate::backend::backend()?.agents_overview().await
}

/// Approves a pending agent.
#[server(prefix = "/fn", endpoint = "approve_agent")]
pub async fn approve_agent(id: Uuid) -> Result<AgentPublic, ErrorBody> {
    crate::backend::backend()?.approve_agent(id).await
}

/// Forgets an agent.
#[server(prefix = "/fn", endpoint = "delete_agent")]
pub async fn delete_agent(id: Uuid) -> Result<Message, ErrorBody> {
    crate::backend::backend()?.delete_agent(id).await
}

/// Creates an enrollment key; the answer holds its only full showing.
#[server(prefix = "/fn", endpoint = "create_enrollment_key", input = leptos::server_fn::codec::Json)]
pub async fn create_enrollment_key(
    request: EnrollmentKeyCreate,
) -> Result<EnrollmentKeyCreated, ErrorBody> {
    crate::backend::backend()?
        .create_enrollment_key(request)
        .await
}

/// Revokes an enrollment key.
#[server(prefix = "/fn", endpoint = "revoke_enrollment_key")]
pub async fn revoke_enrollment_key(id: Uuid) -> Result<Message, ErrorBody> {
    crate::backend::backend()?.revoke_enrollment_key(id).await
}

/// A fresh key and the install command line.
#[server(prefix = "/fn", endpoint = "install_command", input = leptos::server_fn::codec::Json)]
pub async fn install_command(request: EnrollmentKeyCreate) -> Result<AgentInstall, ErrorBody> {
    crate::backend::backend()?.agent_install(request).await
}

/// Everything the clusters page shows.
#[server(prefix = "/fn", endpoint = "clusters_overview")]
pub async fn load_clusters() -> Result<ClustersOverview, ErrorBody> {
    crate::backend::backend()?.clusters_overview().await
}

/// Everything a cluster's page shows.
#[server(prefix = "/fn", endpoint = "cluster_page")]
pub async fn load_cluster(id: Uuid) -> Result<ClusterPage, ErrorBody> {
    crate::backend::backend()?.cluster_page(id).await
}

/// Creates a cluster.
#[server(prefix = "/fn", endpoint = "create_cluster", input = leptos::server_fn::codec::Json)]
pub async fn create_cluster(request: ClusterCreate) -> Result<ClusterPublic, ErrorBody> {
    crate::backend::backend()?.create_cluster(request).await
}

/// Changes a cluster; member lists replace.
#[server(prefix = "/fn", endpoint = "update_cluster", input = leptos::server_fn::codec::Json)]
pub async fn update_cluster(id: Uuid, request: ClusterUpdate) -> Result<ClusterPublic, ErrorBody> {
    crate::backend::backend()?.update_cluster(id, request).await
}

/// Deletes a cluster; its devices and agents stay, detached.
#[server(prefix = "/fn", endpoint = "delete_cluster")]
pub async fn delete_cluster(id: Uuid) -> Result<Message, ErrorBody> {
    crate::backend::backend()?.delete_cluster(id).await
}

/// Wakes every device of a cluster.
#[server(prefix = "/fn", endpoint = "wake_cluster")]
pub async fn wake_cluster(id: Uuid) -> Result<ClusterWakeResult, ErrorBody> {
    crate::backend::backend()?.wake_cluster(id).await
}

/// Everything the users page shows.
#[server(prefix = "/fn", endpoint = "users_overview")]
pub async fn load_users() -> Result<UsersOverview, ErrorBody> {
    crate::backend::backend()?.users_overview().await
}

/// Creates a user.
#[server(prefix = "/fn", endpoint = "create_user", input = leptos::server_fn::codec::Json)]
pub async fn create_user(request: UserCreate) -> Result<UserPublic, ErrorBody> {
    crate::backend::backend()?.create_user(request).await
}

/// Changes a user.
#[server(prefix = "/fn", endpoint = "update_user", input = leptos::server_fn::codec::Json)]
pub async fn update_user(id: Uuid, request: UserUpdate) -> Result<UserPublic, ErrorBody> {
    crate::backend::backend()?.update_user(id, request).await
}

/// Deletes a user.
#[server(prefix = "/fn", endpoint = "delete_user")]
pub async fn delete_user(id: Uuid) -> Result<Message, ErrorBody> {
    crate::backend::backend()?.delete_user(id).await
}

/// Everything the settings page shows.
#[server(prefix = "/fn", endpoint = "settings")]
pub async fn load_settings() -> Result<AccountSettings, ErrorBody> {
    crate::backend::backend()?.settings().await
}

/// Changes the signed-in user's own profile.
#[server(prefix = "/fn", endpoint = "update_profile", input = leptos::server_fn::codec::Json)]
pub async fn update_profile(request: UserUpdateMe) -> Result<UserPublic, ErrorBody> {
    crate::backend::backend()?.update_profile(request).await
}

/// Changes the signed-in user's own password.
#[server(prefix = "/fn", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirm: String,
) -> Result<UserPublic, ErrorBody> {
    confirmed(&new_password, &new_password_confirm, "new_password_confirm")?;
    crate::backend::backend()?
        .change_password(crate::types::UpdatePassword {
            current_password,
            new_password,
        })
        .await
}

/// Replaces the single sign-on configuration.
#[server(prefix = "/fn", endpoint = "update_oidc_config", input = leptos::server_fn::codec::Json)]
pub async fn update_oidc_config(request: OidcConfigUpdate) -> Result<OidcConfigPublic, ErrorBody> {
    crate::backend::backend()?.update_oidc_config(request).await
}

/// Checks that single sign-on discovery works for a metadata URL.
#[server(prefix = "/fn", endpoint = "test_oidc_discovery")]
pub async fn test_oidc_discovery(server_metadata_url: String) -> Result<Message, ErrorBody> {
    crate::backend::backend()?
        .test_sso_discovery(server_metadata_url)
        .await
}

/// Whether the sign-in page offers single sign-on.
#[server(prefix = "/fn", endpoint = "sso_enabled")]
pub async fn sso_enabled() -> Result<bool, ErrorBody> {
    crate::backend::backend()?.sso_enabled().await
}

/// Whether `request` is a plain HTML form post (no JavaScript), which
/// expects a page, not JSON: how Leptos itself tells them apart.
#[cfg(feature = "ssr")]
pub fn is_plain_form_post(request: &http::request::Parts) -> bool {
    request
        .headers
        .get(http::header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
