//! The OpenAPI document and Swagger UI, both served from the binary.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";

/// The API description, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "PowerBeacon API",
        description = "Wake-on-LAN orchestration: devices, clusters, agents and users. \
            Authenticate with `Authorization: Bearer <token>` from `POST /api/auth/login`."
    ),
    paths(
        super::health::health,
        super::setup::status,
        super::setup::init,
        super::auth::login,
        super::auth::me,
        crate::web::sso::login,
        crate::web::sso::callback,
        super::users::list,
        super::users::create,
        super::users::me,
        super::users::get,
        super::users::update,
        super::users::delete,
        super::users::update_me,
        super::users::change_password,
        super::config::oidc,
        super::config::update_oidc,
        super::config::about,
        super::config::agent_registration,
        super::config::update_agent_registration,
        super::devices::list,
        super::devices::get,
        super::devices::create,
        super::devices::update,
        super::devices::delete,
        super::devices::wake,
        super::devices::wakes,
        super::devices::presence,
        super::devices::adopt_address,
        super::clusters::list,
        super::clusters::get,
        super::clusters::create,
        super::clusters::update,
        super::clusters::delete,
        super::clusters::wake,
        super::wakes::get,
        super::events::stream,
        super::agents::register,
        super::agents::heartbeat,
        super::agents::presence,
        super::agents::list,
        super::agents::get,
        super::agents::delete,
        super::agents::approve,
        super::agents::create_enrollment_key,
        super::agents::list_enrollment_keys,
        super::agents::revoke_enrollment_key,
        super::agents::install,
        super::downloads::install_script,
        super::downloads::agent_binary,
    ),
    components(schemas(shared::types::ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness and database reachability"),
        (name = "setup", description = "First-run setup"),
        (name = "auth", description = "Signing in"),
        (name = "users", description = "Accounts and roles"),
        (name = "config", description = "Instance configuration"),
        (name = "devices", description = "Machines to wake"),
        (name = "clusters", description = "Groups of devices and agents"),
        (name = "agents", description = "Agents and their enrollment keys"),
        (name = "wakes", description = "Every wake, what each agent did, and whether the machines woke"),
        (name = "events", description = "Live events: presence, wakes, agents, devices and clusters as they change"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme used by the protected endpoints.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Swagger UI at `/api/docs`, with its assets embedded in the binary.
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/api/docs").config(Config::new([OPENAPI_PATH]).persist_authorization(true))
}
