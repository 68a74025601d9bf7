//! `/api/users`: accounts and one's own profile.

use axum::Json;
use axum::extract::State;
use shared::ids::UserId;
use shared::types::{
    Message, UpdatePassword, UserCreate, UserPublic, UserUpdate, UserUpdateMe, UsersPublic,
};

use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, AuthUser, ClientIp, Pagination};
use crate::state::AppState;

type ErrorBody = shared::types::ErrorBody;

/// Lists users (`user` role and up; plain users see names only).
#[utoipa::path(
    get, path = "/api/users", tag = "users", security(("bearer" = [])),
    params(("skip" = Option<u64>, Query, description = "Rows to skip (default 0)"),
           ("limit" = Option<u64>, Query, description = "Rows to return, 1–1000 (default 100)")),
    responses(
        (status = 200, body = UsersPublic),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Pagination(page): Pagination,
) -> ApiResult<Json<UsersPublic>> {
    Ok(Json(state.services.list_users(&actor, page).await?))
}

/// Creates a user (superuser only).
#[utoipa::path(
    post, path = "/api/users", tag = "users", security(("bearer" = [])), request_body = UserCreate,
    responses(
        (status = 200, body = UserPublic),
        (status = 400, description = "Username or email taken", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(request): ApiJson<UserCreate>,
) -> ApiResult<Json<UserPublic>> {
    Ok(Json(state.services.create_user(&actor, request).await?))
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = UserPublic), (status = 401, body = ErrorBody))
)]
pub async fn me(AuthUser(actor): AuthUser) -> Json<UserPublic> {
    Json(actor.to_public())
}

/// One user (oneself, or anyone for a superuser).
#[utoipa::path(
    get, path = "/api/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = UserPublic),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<UserPublic>> {
    Ok(Json(state.services.get_user(&actor, id).await?))
}

/// Changes a user (superuser: any field; admin: role and is_active of non-superusers).
#[utoipa::path(
    patch, path = "/api/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UserUpdate,
    responses(
        (status = 200, body = UserPublic),
        (status = 400, description = "Would remove the last superuser", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Username or email taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(request): ApiJson<UserUpdate>,
) -> ApiResult<Json<UserPublic>> {
    Ok(Json(state.services.update_user(&actor, id, request).await?))
}

/// Deletes a user (superuser only; not oneself; never the last superuser).
#[utoipa::path(
    delete, path = "/api/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Message),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.services.delete_user(&actor, id).await?))
}

/// Changes one's own username, email or full name.
#[utoipa::path(
    patch, path = "/api/users/me", tag = "users", security(("bearer" = [])), request_body = UserUpdateMe,
    responses(
        (status = 200, body = UserPublic), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn update_me(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(request): ApiJson<UserUpdateMe>,
) -> ApiResult<Json<UserPublic>> {
    Ok(Json(state.services.update_me(&actor, request).await?))
}

/// Changes one's own password, given the current one.
#[utoipa::path(
    patch, path = "/api/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = UpdatePassword,
    responses(
        (status = 200, body = UserPublic),
        (status = 400, description = "Wrong current password", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ClientIp(client): ClientIp,
    ApiJson(request): ApiJson<UpdatePassword>,
) -> ApiResult<Json<UserPublic>> {
    let user = state
        .services
        .change_password(&actor, request, client)
        .await?;
    Ok(Json(user.to_public()))
}
