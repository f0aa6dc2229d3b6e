//! Signing in and out, signing up as a viewer or anchor, and the language switch.

use crate::page::{
    clear_session, home_of, now_ms, redirect, redirect_with, set_lang, set_session, CsrfForm,
    Flash, Lang, Page, PageError, SESSION_COOKIE,
};
use crate::WebState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use daihuo_domain::account::Role;
use daihuo_service::accounts::SignUp;
use maud::html;
use serde::Deserialize;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/signup", get(signup_page).post(signup))
        .route("/lang", get(switch_lang))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

async fn login_page(page: Page, Query(next): Query<Next>) -> Response {
    let next = next.next.unwrap_or_default();
    page.render(
        page.t("登录", "Sign in"),
        html! {
            section.card.narrow {
                h1 { (page.t("登录 daihuo", "Sign in to daihuo")) }
                form method="post" action="/login" {
                    (page.csrf_field())
                    input type="hidden" name="next" value=(next);
                    label { (page.t("用户名", "Username"))
                        input name="username" autocomplete="username" required autofocus; }
                    label { (page.t("密码", "Password"))
                        input name="password" type="password" autocomplete="current-password" required; }
                    button.primary type="submit" { (page.t("登录", "Sign in")) }
                }
                p.muted { (page.t("还没有账号？", "No account yet?")) " "
                    a href="/signup" { (page.t("注册观众或主播账号", "Sign up as a viewer or an anchor")) } }
            }
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<WebState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    match state.services.sign_in(&form.username, &form.password).await {
        Ok(grant) => {
            let to = match form.next.as_deref() {
                Some(next) if next.starts_with('/') && !next.starts_with("/login") => {
                    next.to_owned()
                }
                _ => home_of(Some(grant.user.role)).to_owned(),
            };
            let mut response = redirect(&to);
            let max_age = (grant.expires_at_ms - now_ms()).max(0) / 1000;
            set_session(&mut response, &grant.token, max_age);
            Ok(response)
        }
        Err(error) => Ok(redirect_with(
            &format!(
                "/login?next={}",
                crate::page::encode_component(form.next.as_deref().unwrap_or(""))
            ),
            Flash::from_error(&error),
        )),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(state): State<WebState>,
    headers: HeaderMap,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Response {
    if let Some(token) = crate::page::cookie(&headers, SESSION_COOKIE) {
        // Signing out ends the session on the server, not only in this browser.
        if let Err(error) = state.services.sign_out(token).await {
            tracing::warn!(code = error.code(), "sign-out failed");
        }
    }
    let mut response = redirect("/");
    clear_session(&mut response);
    response
}

async fn signup_page(page: Page) -> Response {
    page.render(
        page.t("注册", "Sign up"),
        html! {
            section.card.narrow {
                h1 { (page.t("注册", "Sign up")) }
                form method="post" action="/signup" {
                    (page.csrf_field())
                    label { (page.t("用户名（3–32 位小写字母、数字、_ 或 -）", "Username (3–32 of a–z, 0–9, _ and -)"))
                        input name="username" autocomplete="username" required; }
                    label { (page.t("昵称", "Display name")) input name="display_name" required; }
                    label { (page.t("密码（至少 8 位）", "Password (8 or more characters)"))
                        input name="password" type="password" autocomplete="new-password" required minlength="8"; }
                    fieldset {
                        legend { (page.t("我是", "I am")) }
                        label.inline { input type="radio" name="role" value="viewer" checked; (page.t("观众", "a viewer")) }
                        label.inline { input type="radio" name="role" value="anchor"; (page.t("主播", "an anchor")) }
                    }
                    button.primary type="submit" { (page.t("注册", "Sign up")) }
                }
            }
        },
    )
}

#[derive(Deserialize)]
struct SignUpForm {
    username: String,
    display_name: String,
    password: String,
    role: String,
}

async fn signup(
    State(state): State<WebState>,
    CsrfForm(form): CsrfForm<SignUpForm>,
) -> Result<Response, PageError> {
    let role = match form.role.as_str() {
        "anchor" => Role::Anchor,
        _ => Role::Viewer,
    };
    let made = state
        .services
        .sign_up(SignUp {
            username: form.username.clone(),
            password: form.password.clone(),
            display_name: form.display_name,
            role,
        })
        .await;
    if let Err(error) = made {
        return Ok(redirect_with("/signup", Flash::from_error(&error)));
    }
    let grant = state
        .services
        .sign_in(&form.username, &form.password)
        .await?;
    let mut response = redirect(home_of(Some(role)));
    set_session(
        &mut response,
        &grant.token,
        (grant.expires_at_ms - now_ms()).max(0) / 1000,
    );
    Ok(response)
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    back: Option<String>,
}

async fn switch_lang(Query(query): Query<LangQuery>) -> Response {
    let lang = if query.to == "en" { Lang::En } else { Lang::Zh };
    let mut response = redirect(query.back.as_deref().unwrap_or("/"));
    set_lang(&mut response, lang);
    response
}
