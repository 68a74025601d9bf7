//! `/users`: who can sign in, with what role. The controls shown are the
//! ones the signed-in user may use (the server checks them anyway).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::confirm::ConfirmDelete;
use crate::components::form::{FormError, ProfileFields, blank_to_none};
use crate::components::layout::{SignedIn, use_current_user};
use crate::components::modal::Modal;
use crate::components::password::NewPasswordInput;
use crate::components::toast::{ToastKind, use_toasts};
use crate::format::day;
use crate::server_fns::{create_user, delete_user, update_user, users_overview};
use shared::types::{
    Role, UserCreate, UserEditScope, UserPublic, UserRow, UserUpdate, UsersOverview,
};

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <SignedIn>
            <Title text="Users" />
            <UsersContent />
        </SignedIn>
    }
}

/// What dialog is open.
#[derive(Debug, Clone)]
enum Dialog {
    Add,
    Edit(UserRow),
    Delete(UserPublic),
}

/// The list's search and role filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct UserFilter {
    search: String,
    role: Option<Role>,
}

impl UserFilter {
    /// Username, full name or email contains the search; role is the one chosen.
    fn matches(&self, user: &UserPublic) -> bool {
        let needle = self.search.trim().to_lowercase();
        let text = |field: Option<&str>| field.is_some_and(|f| f.to_lowercase().contains(&needle));
        (needle.is_empty()
            || text(Some(&user.username))
            || text(user.full_name.as_deref())
            || text(user.email.as_deref()))
            && self.role.is_none_or(|role| user.role == role)
    }
}

#[component]
fn UsersContent() -> impl IntoView {
    let data = Resource::new(|| (), |_| users_overview());
    let query = use_query_map();
    let filter = RwSignal::new(query.with_untracked(|q| UserFilter {
        search: q.get("q").unwrap_or_default(),
        role: q.get("role").and_then(|role| Role::parse(&role)),
    }));
    let reload = Callback::new(move |()| data.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted page-loading">"Loading users…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(overview) => view! { <UsersView overview filter reload /> }.into_any(),
                        Err(error) => {
                            view! { <p class="alert error" role="alert">{error.message}</p> }.into_any()
                        }
                    })
            }}
        </Transition>
    }
}

#[component]
fn UsersView(
    overview: UsersOverview,
    filter: RwSignal<UserFilter>,
    reload: Callback<()>,
) -> impl IntoView {
    let toasts = use_toasts();
    let me = use_current_user().id;
    let dialog = RwSignal::new(None::<Dialog>);
    let UsersOverview {
        users,
        count,
        can_create,
        assignable_roles,
        shows_details,
    } = overview;
    let total = users.len();
    let users = StoredValue::new(users);
    let roles = StoredValue::new(assignable_roles);
    let visible = Memo::new(move |_| {
        let filter = filter.get();
        users.with_value(|users| {
            users
                .iter()
                .filter(|row| filter.matches(&row.user))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    // The table stays in place while the search changes; only an empty
    // result swaps it for a message.
    let none_match = Memo::new(move |_| visible.with(Vec::is_empty));
    let close = Callback::new(move |()| dialog.set(None));
    let saved = Callback::new(move |user: UserPublic| {
        dialog.set(None);
        toasts.show(
            ToastKind::Success,
            format!("Saved {}", user.username),
            Vec::new(),
        );
        reload.run(());
    });
    let more = (count > total as u64).then(
        || view! { <p class="muted">"Showing the first " {total} " of " {count} " users."</p> },
    );
    view! {
        <div class="page-head">
            <h1>"Users"</h1>
            {can_create
                .then(|| {
                    view! {
                        <button type="button" class="button accent" on:click=move |_| dialog.set(Some(Dialog::Add))>
                            "Add user"
                        </button>
                    }
                })}
        </div>
        <form class="toolbar" method="get" action="/users" role="search" on:submit=|event| event.prevent_default()>
            <label class="visually-hidden" for="user-search">"Search users"</label>
            <input
                id="user-search"
                name="q"
                type="search"
                placeholder="Search username, name or email"
                value=filter.with_untracked(|f| f.search.clone())
                prop:value=move || filter.with(|f| f.search.clone())
                on:input=move |event| filter.update(|f| f.search = event_target_value(&event))
            />
            {shows_details
                .then(|| {
                    view! {
                        <label class="visually-hidden" for="filter-role">"Role"</label>
                        <select
                            id="filter-role"
                            name="role"
                            on:change=move |event| filter.update(|f| f.role = Role::parse(&event_target_value(&event)))
                        >
                            <option value="" selected=move || filter.with(|f| f.role.is_none())>"Any role"</option>
                            {[Role::Superuser, Role::Admin, Role::User, Role::Viewer]
                                .into_iter()
                                .map(|role| {
                                    view! {
                                        <option value=role.as_str() selected=move || filter.with(|f| f.role == Some(role))>
                                            {role.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    }
                })}
            <noscript>
                <button type="submit" class="button">"Search"</button>
            </noscript>
        </form>
        {more}
        {move || {
            if none_match.get() {
                return view! {
                    <div class="empty">
                        <h2>"No user matches"</h2>
                        <button type="button" class="button" on:click=move |_| filter.set(UserFilter::default())>
                            "Clear search and filter"
                        </button>
                    </div>
                }
                    .into_any();
            }
            view! {
                <p class="result-count muted" aria-live="polite">{move || format!("{} of {} users", visible.with(Vec::len), total)}</p>
                <div class="table-wrap">
                    <table class="table users-table">
                        <thead>
                            <tr>
                                <th scope="col">"Username"</th>
                                <th scope="col">"Name"</th>
                                {shows_details
                                    .then(|| {
                                        view! {
                                            <th scope="col">"Email"</th>
                                            <th scope="col">"Role"</th>
                                            <th scope="col">"Status"</th>
                                        }
                                    })}
                                <th scope="col">"Since"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || visible.get() key=|row| row.user.id let:row>
                                <UserLine row dialog shows_details me />
                            </For>
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        {move || {
            dialog
                .get()
                .map(|open| match open {
                    Dialog::Add => {
                        view! { <UserForm existing=None roles=roles.get_value() on_saved=saved on_close=close /> }
                            .into_any()
                    }
                    Dialog::Edit(row) => {
                        view! { <UserForm existing=Some(row) roles=roles.get_value() on_saved=saved on_close=close /> }
                            .into_any()
                    }
                    Dialog::Delete(user) => {
                        let id = user.id;
                        let delete = Action::new(move |_: &()| delete_user(id));
                        view! {
                            <ConfirmDelete
                                title="Delete user"
                                name=user.username
                                consequence="The devices and clusters they own stay, without an owner."
                                delete
                                on_close=close
                                on_deleted=reload
                            />
                        }
                            .into_any()
                    }
                })
        }}
    }
}

#[component]
fn UserLine(
    row: UserRow,
    dialog: RwSignal<Option<Dialog>>,
    shows_details: bool,
    me: shared::ids::UserId,
) -> impl IntoView {
    let user = row.user.clone();
    let edit_row = row.clone();
    let delete_user = row.user.clone();
    view! {
        <tr data-user-id=user.id.to_string()>
            <th scope="row">
                {user.username.clone()}
                {(user.id == me).then(|| view! { " " <span class="badge">"you"</span> })}
            </th>
            <td>{user.full_name.clone().unwrap_or_else(|| "—".into())}</td>
            {shows_details
                .then(|| {
                    view! {
                        <td>{user.email.clone().unwrap_or_else(|| "—".into())}</td>
                        <td><span class="badge" data-role=user.role.as_str()>{user.role.label()}</span></td>
                        <td>
                            {if user.is_active {
                                view! { <span>"Active"</span> }.into_any()
                            } else {
                                view! { <span class="muted">"Deactivated"</span> }.into_any()
                            }}
                        </td>
                    }
                })}
            <td>{day(user.created_at)}</td>
            <td class="actions">
                {(row.edit != UserEditScope::None)
                    .then(|| {
                        view! {
                            <button type="button" class="button small" on:click=move |_| dialog.set(Some(Dialog::Edit(edit_row.clone())))>
                                "Edit"
                            </button>
                        }
                    })}
                {row.can_delete
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button small danger-outline"
                                on:click=move |_| dialog.set(Some(Dialog::Delete(delete_user.clone())))
                            >
                                "Delete"
                            </button>
                        }
                    })}
            </td>
        </tr>
    }
}

/// Adds a user (superusers) or changes one: every field for superusers,
/// role and active state for admins.
#[component]
fn UserForm(
    existing: Option<UserRow>,
    roles: Vec<Role>,
    on_saved: Callback<UserPublic>,
    on_close: Callback<()>,
) -> impl IntoView {
    let scope = existing
        .as_ref()
        .map_or(UserEditScope::Full, |row| row.edit);
    let user = existing.map(|row| row.user);
    let id = user.as_ref().map(|u| u.id);
    let full = scope == UserEditScope::Full;
    let text = |value: Option<&str>| RwSignal::new(value.unwrap_or_default().to_string());
    let username = text(user.as_ref().map(|u| u.username.as_str()));
    let email = text(user.as_ref().and_then(|u| u.email.as_deref()));
    let full_name = text(user.as_ref().and_then(|u| u.full_name.as_deref()));
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(user.as_ref().map_or(Role::User, |u| u.role));
    let active = RwSignal::new(user.as_ref().is_none_or(|u| u.is_active));
    // A superuser shown to an admin keeps its role in the list.
    let mut roles = roles;
    if !roles.contains(&role.get_untracked()) {
        roles.push(role.get_untracked());
    }
    let error = FormError::new();
    let saving = RwSignal::new(false);
    let title = if id.is_some() {
        "Edit user"
    } else {
        "Add user"
    };

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        error.set(None);
        let (role, is_active) = (role.get_untracked(), active.get_untracked());
        let password = password.get_untracked();
        let (username, email, full_name) = (
            username.get_untracked(),
            email.get_untracked(),
            full_name.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            let result = match id {
                None => {
                    create_user(UserCreate {
                        username,
                        password,
                        email: blank_to_none(email),
                        full_name: blank_to_none(full_name),
                        role: Some(role),
                        is_active: Some(is_active),
                    })
                    .await
                }
                Some(id) if full => {
                    let update = UserUpdate {
                        username: Some(username),
                        // Empty clears them.
                        email: Some(email.trim().to_string()),
                        full_name: Some(full_name.trim().to_string()),
                        password: (!password.is_empty()).then_some(password),
                        role: Some(role),
                        is_active: Some(is_active),
                    };
                    update_user(id, update).await
                }
                Some(id) => {
                    let update = UserUpdate {
                        role: Some(role),
                        is_active: Some(is_active),
                        ..UserUpdate::default()
                    };
                    update_user(id, update).await
                }
            };
            saving.set(false);
            match result {
                Ok(user) => on_saved.run(user),
                Err(failure) => error.set(Some(failure)),
            }
        });
    };

    view! {
        <Modal title=title on_close=on_close>
            <form class="form user-form" on:submit=on_submit novalidate>
                {error.above(&["username", "email", "full_name", "password"])}
                <ProfileFields prefix="user" username email full_name error readonly=!full />
                {full
                    .then(|| {
                        view! {
                            <NewPasswordInput
                                id="user-password"
                                label=if id.is_some() { "New password" } else { "Password" }
                                value=password
                                optional=id.is_some()
                                invalid=Signal::derive(error.invalid("password"))
                            />
                            {error.under("password")}
                        }
                    })}
                <label for="user-role">"Role"</label>
                <select
                    id="user-role"
                    on:change=move |event| {
                        if let Some(chosen) = Role::parse(&event_target_value(&event)) {
                            role.set(chosen);
                        }
                    }
                >
                    {roles
                        .into_iter()
                        .map(|choice| {
                            view! {
                                <option value=choice.as_str() selected=move || role.get() == choice>
                                    {choice.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p class="hint muted">
                    "Viewers see devices and clusters; users also wake and manage their own; admins manage everything but superusers; superusers also manage users and settings."
                </p>
                <label class="check">
                    <input type="checkbox" id="user-active" bind:checked=active />
                    "Active: may sign in"
                </label>
                <div class="form-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button type="submit" class="button primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save user" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(
        username: &str,
        full_name: Option<&str>,
        email: Option<&str>,
        role: Role,
    ) -> UserPublic {
        UserPublic {
            id: shared::ids::UserId::from_uuid(uuid::Uuid::new_v4()),
            username: username.into(),
            email: email.map(str::to_string),
            is_active: true,
            role,
            full_name: full_name.map(str::to_string),
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn search_and_role_filter_combine() {
        let ada = user(
            "ada",
            Some("Ada Lovelace"),
            Some("ada@example.com"),
            Role::Admin,
        );
        let search = |text: &str, role| UserFilter {
            search: text.into(),
            role,
        };
        assert!(search("", None).matches(&ada));
        assert!(search("LOVE", None).matches(&ada));
        assert!(search("example", Some(Role::Admin)).matches(&ada));
        assert!(!search("example", Some(Role::Viewer)).matches(&ada));
        assert!(!search("grace", None).matches(&ada));
    }
}
