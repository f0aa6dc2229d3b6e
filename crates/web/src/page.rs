//! What every page shares: the request's context (language, who is signed in, the CSRF
//! token), the layout, flash messages, errors and the formatting of money and time.

use crate::WebState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use daihuo_domain::account::Role;
use daihuo_service::accounts::UserView;
use daihuo_service::{Actor, ServiceError, ServiceResult};
use hmac::{Hmac, Mac};
use maud::{html, Markup, DOCTYPE};
use serde::de::DeserializeOwned;
use sha2::Sha256;

/// The cookie holding the session token; `HttpOnly`, so page scripts never see it.
pub const SESSION_COOKIE: &str = "dh_session";
/// The cookie holding a signed-out visitor's CSRF token (for the sign-in and sign-up forms).
const ANONYMOUS_CSRF_COOKIE: &str = "dh_csrf";
/// The cookie holding the chosen language.
const LANG_COOKIE: &str = "dh_lang";
/// The cookie carrying one message to the next page after a redirect.
const FLASH_COOKIE: &str = "dh_flash";
/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// The header fetch() calls from page scripts send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A form body larger than this is refused; the CSV import has its own, larger limit.
pub const FORM_BODY_MAX_BYTES: usize = 64 * 1024;
/// What the CSRF token of a session is derived from; changing it signs every form out.
const CSRF_CONTEXT: &[u8] = b"daihuo web csrf v1";
/// Pages are shown in China's time (UTC+8) whatever the server's zone.
const CHINA_OFFSET: time::UtcOffset = time::macros::offset!(+8);

/// The language a page is shown in: Chinese by default, English on request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese (zh-CN), the default.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// One of two texts, by language. Every visible string goes through here (or `tr!`).
    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The `lang` attribute of the page.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    fn from_cookie(raw: Option<&str>) -> Lang {
        match raw {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// A message shown once at the top of the next page: what a form did.
#[derive(Clone, Debug)]
pub enum Flash {
    /// It worked.
    Ok(String),
    /// It did not; the code is the service's stable error code.
    Error {
        /// Stable snake_case code.
        code: String,
        /// Explanation.
        message: String,
    },
}

impl Flash {
    /// The flash of a service error.
    pub fn from_error(error: &ServiceError) -> Flash {
        if let ServiceError::Internal(cause) = error {
            tracing::error!(error = %cause, "internal error behind a page");
        }
        Flash::Error {
            code: error.code().to_owned(),
            message: error.to_string(),
        }
    }

    fn encode(&self) -> String {
        // Hex keeps any text cookie-safe without a second escaping scheme.
        let raw = match self {
            Flash::Ok(text) => format!("ok\u{1f}{text}"),
            Flash::Error { code, message } => format!("error\u{1f}{code}\u{1f}{message}"),
        };
        hex::encode(raw.as_bytes())
    }

    fn decode(raw: &str) -> Option<Flash> {
        let bytes = hex::decode(raw).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split('\u{1f}');
        match parts.next()? {
            "ok" => Some(Flash::Ok(parts.next()?.to_owned())),
            "error" => Some(Flash::Error {
                code: parts.next()?.to_owned(),
                message: parts.next()?.to_owned(),
            }),
            _ => None,
        }
    }
}

/// The request's context, extracted by every page handler.
pub struct Page {
    /// The language to show.
    pub lang: Lang,
    /// Who is signed in, if anyone.
    pub actor: Option<Actor>,
    /// Their account, for the header.
    pub user: Option<UserView>,
    /// The token forms must carry back.
    pub csrf: String,
    /// The path and query of this request, to come back to after signing in.
    pub path: String,
    /// The message the previous request left, shown once.
    pub flash: Option<Flash>,
    /// A new anonymous CSRF cookie to set, when the visitor had none.
    new_anonymous_csrf: Option<String>,
}

impl FromRequestParts<WebState> for Page {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, PageError> {
        let lang = Lang::from_cookie(cookie(&parts.headers, LANG_COOKIE));
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let flash = cookie(&parts.headers, FLASH_COOKIE).and_then(Flash::decode);
        let session = cookie(&parts.headers, SESSION_COOKIE);
        // An expired or revoked session reads as signed out; the sign-in page follows.
        let actor = match session {
            Some(token) => state.services.authenticate(token).await.ok(),
            None => None,
        };
        let user = match &actor {
            Some(actor) => state.services.me(actor).await.ok(),
            None => None,
        };
        let (csrf, new_anonymous_csrf) = match (session, &actor) {
            (Some(token), Some(_)) => (session_csrf(token), None),
            _ => match cookie(&parts.headers, ANONYMOUS_CSRF_COOKIE) {
                Some(existing) if existing.len() == 32 => (existing.to_owned(), None),
                _ => {
                    let fresh = random_hex(16);
                    (fresh.clone(), Some(fresh))
                }
            },
        };
        Ok(Page {
            lang,
            actor,
            user,
            csrf,
            path,
            flash,
            new_anonymous_csrf,
        })
    }
}

impl Page {
    /// The signed-in actor with `role`, or a redirect to sign in (or `forbidden` when signed
    /// in with another role).
    pub fn require(&self, role: Role) -> Result<&Actor, PageError> {
        match &self.actor {
            None => Err(PageError::SignIn {
                next: self.path.clone(),
            }),
            Some(actor) if actor.role == role => Ok(actor),
            Some(_) => Err(PageError::Service(ServiceError::Forbidden)),
        }
    }

    /// The signed-in actor of any role, or a redirect to sign in.
    pub fn signed_in(&self) -> Result<&Actor, PageError> {
        self.actor.as_ref().ok_or_else(|| PageError::SignIn {
            next: self.path.clone(),
        })
    }

    /// The text in this page's language.
    pub fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        self.lang.t(zh, en)
    }

    /// The hidden field every form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name=(CSRF_FIELD) value=(self.csrf); }
    }

    /// The whole page: `body` inside the layout, with this request's cookies settled.
    pub fn render(&self, title: &str, body: Markup) -> Response {
        let markup = html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="csrf-token" content=(self.csrf);
                    title { (title) " · daihuo 带货" }
                    link rel="stylesheet" href="/static/app.css";
                }
                body data-lang=(self.lang.code()) {
                    (self.header())
                    main {
                        @if let Some(flash) = &self.flash {
                            @match flash {
                                Flash::Ok(text) => p.flash.ok role="status" { (text) },
                                Flash::Error { code, message } => p.flash.error role="alert" {
                                    (message) " " code { (code) }
                                },
                            }
                        }
                        (body)
                    }
                }
            }
        };
        let mut response = (
            [(
                axum::http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            )],
            axum::response::Html(markup.into_string()),
        )
            .into_response();
        let headers = response.headers_mut();
        if self.flash.is_some() {
            append_cookie(headers, &format!("{FLASH_COOKIE}=; Path=/; Max-Age=0"));
        }
        if let Some(token) = &self.new_anonymous_csrf {
            append_cookie(
                headers,
                &format!("{ANONYMOUS_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"),
            );
        }
        response
    }

    fn header(&self) -> Markup {
        let role = self.actor.as_ref().map(|a| a.role);
        html! {
            header.top {
                a.brand href=(home_of(role)) { "daihuo " span { "带货" } }
                nav {
                    @for (href, zh, en) in nav_of(role) {
                        a href=(href) { (self.t(zh, en)) }
                    }
                }
                div.who {
                    @match self.lang {
                        Lang::Zh => a.lang href={ "/lang?to=en&back=" (encode_component(&self.path)) } { "English" },
                        Lang::En => a.lang href={ "/lang?to=zh&back=" (encode_component(&self.path)) } { "中文" },
                    }
                    @if let Some(user) = &self.user {
                        span.name { (user.display_name) }
                        form.inline method="post" action="/logout" {
                            (self.csrf_field())
                            button.link type="submit" { (self.t("退出", "Sign out")) }
                        }
                    } @else {
                        a href={ "/login?next=" (encode_component(&self.path)) } { (self.t("登录", "Sign in")) }
                    }
                }
            }
        }
    }
}

/// Where a role lands after signing in.
pub fn home_of(role: Option<Role>) -> &'static str {
    match role {
        None | Some(Role::Viewer) => "/",
        Some(Role::Anchor) => "/anchor",
        Some(Role::SupplierStaff) => "/supplier",
        Some(Role::Operator) => "/operator",
    }
}

/// The header's links for a role: (path, Chinese, English).
fn nav_of(role: Option<Role>) -> &'static [(&'static str, &'static str, &'static str)] {
    match role {
        None => &[("/", "直播", "Live")],
        Some(Role::Viewer) => &[("/", "直播", "Live"), ("/orders", "我的订单", "My orders")],
        Some(Role::Anchor) => &[
            ("/anchor", "工作台", "Dashboard"),
            ("/anchor/selection", "选品中心", "Selection"),
            ("/anchor/sessions", "直播场次", "Sessions"),
            ("/anchor/data", "数据", "Data"),
            ("/anchor/earnings", "收益", "Earnings"),
        ],
        Some(Role::SupplierStaff) => &[
            ("/supplier", "商品", "Catalogue"),
            ("/supplier/orders", "待发货", "Orders"),
            ("/supplier/after-sales", "售后", "After-sales"),
            ("/supplier/statements", "结算", "Statements"),
            ("/supplier/forecast", "预测补货", "Forecast"),
            ("/supplier/data", "数据", "Data"),
            ("/supplier/c2m", "C2M 需求", "C2M demand"),
        ],
        Some(Role::Operator) => &[
            ("/operator", "大盘", "Dashboard"),
            ("/operator/data", "直播数据", "Live data"),
            ("/operator/review", "审核", "Review"),
            ("/operator/suppliers", "供应商", "Suppliers"),
            ("/operator/campaigns", "活动", "Campaigns"),
            ("/operator/disputes", "纠纷", "Disputes"),
            ("/operator/dead-letters", "死信", "Dead letters"),
            ("/operator/settlement", "结算", "Settlement"),
        ],
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session expired): go to the sign-in page and come back.
    SignIn {
        /// Where to come back to.
        next: String,
    },
    /// A service refused.
    Service(ServiceError),
    /// A form came without the right CSRF token, or from another origin.
    Csrf,
    /// A form could not be read.
    BadForm(String),
}

impl From<ServiceError> for PageError {
    fn from(error: ServiceError) -> Self {
        PageError::Service(error)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            PageError::SignIn { next } => {
                return redirect(&format!("/login?next={}", encode_component(&next)));
            }
            PageError::Service(ServiceError::Unauthenticated) => {
                return redirect("/login");
            }
            PageError::Service(error) => {
                let status = match &error {
                    ServiceError::Unauthenticated | ServiceError::BadCredentials => {
                        StatusCode::UNAUTHORIZED
                    }
                    ServiceError::Forbidden | ServiceError::Denied { .. } => StatusCode::FORBIDDEN,
                    ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                    ServiceError::Conflict { .. } => StatusCode::CONFLICT,
                    ServiceError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                    ServiceError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
                    ServiceError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
                    ServiceError::Internal(cause) => {
                        tracing::error!(error = %cause, "internal error behind a page");
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                };
                let message = match &error {
                    ServiceError::Internal(_) => "internal error".to_owned(),
                    other => other.to_string(),
                };
                (status, error.code().to_owned(), message)
            }
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "csrf_failed".to_owned(),
                "the form was stale or came from another site; reload the page and try again"
                    .to_owned(),
            ),
            PageError::BadForm(why) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_form".into(), why),
        };
        // Without the request's context the error page speaks both languages.
        let markup = html! {
            (DOCTYPE)
            html lang="zh-CN" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { "出错了 · Error" }
                    link rel="stylesheet" href="/static/app.css";
                }
                body {
                    main.error-page {
                        h1 { "出错了 · Something went wrong" }
                        p { (message) }
                        p { code { (code) } }
                        p { a href="/" { "返回首页 · Home" } }
                    }
                }
            }
        };
        (status, axum::response::Html(markup.into_string())).into_response()
    }
}

/// A form body of `T`, accepted only with the right CSRF token in its `_csrf` field (or the
/// `X-CSRF-Token` header) and, when the browser says where it came from, from this origin.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<WebState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, PageError> {
        let (mut parts, body) = request.into_parts();
        let expected = expected_csrf(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, FORM_BODY_MAX_BYTES)
            .await
            .map_err(|_| PageError::BadForm("the form is too large".into()))?;
        let header = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let field = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .map_err(|e| PageError::BadForm(e.to_string()))?
            .into_iter()
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value);
        let given = header.or(field).ok_or(PageError::Csrf)?;
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(PageError::Csrf);
        }
        let value =
            serde_urlencoded::from_bytes(&bytes).map_err(|e| PageError::BadForm(e.to_string()))?;
        Ok(CsrfForm(value))
    }
}

/// A request from a page script (`fetch`), accepted only with the right `X-CSRF-Token`
/// header; its body is left for the handler.
pub struct CsrfChecked;

impl FromRequestParts<WebState> for CsrfChecked {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, PageError> {
        let expected = expected_csrf(parts, state).await?;
        let given = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(PageError::Csrf)?;
        if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            Ok(CsrfChecked)
        } else {
            Err(PageError::Csrf)
        }
    }
}

/// The CSRF token this request must carry, after checking its origin.
async fn expected_csrf(parts: &mut Parts, state: &WebState) -> Result<String, PageError> {
    check_origin(&parts.headers)?;
    match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => {
            // A form posted after the session expired signs in again rather than failing
            // as forged.
            if state.services.authenticate(token).await.is_err() {
                return Err(PageError::SignIn {
                    next: referer_path(&parts.headers),
                });
            }
            Ok(session_csrf(token))
        }
        None => cookie(&parts.headers, ANONYMOUS_CSRF_COOKIE)
            .map(str::to_owned)
            .ok_or(PageError::Csrf),
    }
}

/// A cross-site post is refused when the browser names its origin (every current browser
/// does on POST); SameSite cookies and the token cover the rest.
fn check_origin(headers: &HeaderMap) -> Result<(), PageError> {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest == host);
    if same {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

fn referer_path(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
        .unwrap_or_else(|| "/".to_owned())
}

/// The CSRF token of a session: an HMAC keyed by the session token itself, which only the
/// browser holding the `HttpOnly` cookie knows, so no server-side secret is needed and any
/// node can check it.
fn session_csrf(session_token: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(session_token.as_bytes()) else {
        return String::new();
    };
    mac.update(CSRF_CONTEXT);
    hex::encode(&mac.finalize().into_bytes()[..16])
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buffer = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn append_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(SET_COOKIE, value);
    }
}

/// A `303 See Other` to `to`.
pub fn redirect(to: &str) -> Response {
    // Only paths of this site: a `next` from a query string may not send anyone elsewhere.
    let to = if to.starts_with('/') && !to.starts_with("//") && !to.contains('\\') {
        to
    } else {
        "/"
    };
    // A header carries ASCII only: a search for 空调 goes back as %E7%A9%BA%E8%B0%83.
    let encoded = percent_encoding::utf8_percent_encode(to, LOCATION_UNSAFE).to_string();
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&encoded) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// What a `Location` path may not hold as it is: controls and spaces (non-ASCII bytes are
/// always encoded); `%`, `?`, `&`, `=` and `/` keep their meaning.
const LOCATION_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`');

/// A redirect to `to` that shows `flash` there.
pub fn redirect_with(to: &str, flash: Flash) -> Response {
    let mut response = redirect(to);
    append_cookie(
        response.headers_mut(),
        &format!(
            "{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax",
            flash.encode()
        ),
    );
    response
}

/// The answer to a form: back to `to` saying `ok` when the service did it, or its error.
pub fn after_form<T>(to: &str, result: ServiceResult<T>, ok: &str) -> Response {
    match result {
        Ok(_) => redirect_with(to, Flash::Ok(ok.to_owned())),
        Err(error) => redirect_with(to, Flash::from_error(&error)),
    }
}

/// Sets the session cookie for `token`, valid until `expires_at_ms`.
pub fn set_session(response: &mut Response, token: &str, max_age_seconds: i64) {
    append_cookie(
        response.headers_mut(),
        &format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}"
        ),
    );
}

/// Clears the session cookie.
pub fn clear_session(response: &mut Response) {
    append_cookie(
        response.headers_mut(),
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
}

/// Sets the language cookie.
pub fn set_lang(response: &mut Response, lang: Lang) {
    let value = match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    };
    append_cookie(
        response.headers_mut(),
        &format!("{LANG_COOKIE}={value}; Path=/; SameSite=Lax; Max-Age=31536000"),
    );
}

/// `s` percent-encoded for a query string.
pub fn encode_component(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|pair| pair.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// An amount in fen as yuan: `¥8,999.00`; negative amounts keep their sign in front.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// The most a price typed in yuan may be: ¥100,000,000.00, far above any pool price, so a
/// slip of the keyboard is refused here rather than overflowing later.
const YUAN_INPUT_MAX_FEN: i64 = 10_000_000_000;

/// A price typed in yuan (`8999`, `8999.5`, `8,999.00`, `¥8999`) as fen; `None` when it is
/// not a non-negative amount with at most two decimals.
pub fn parse_yuan(raw: &str) -> Option<i64> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, fraction) = match cleaned.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (cleaned.as_str(), ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || fraction.len() > 2 || !digits(whole) {
        return None;
    }
    if !digits(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    let fen = whole.checked_mul(100)?.checked_add(fraction)?;
    (fen <= YUAN_INPUT_MAX_FEN).then_some(fen)
}

/// Basis points as a percentage: `2000` → `20%`, `1250` → `12.5%`.
pub fn percent(bps: i64) -> String {
    if bps % 100 == 0 {
        format!("{}%", bps / 100)
    } else {
        format!("{:.1}%", bps as f64 / 100.0)
    }
}

/// Unix milliseconds as China time, `2026-11-23 20:00`.
pub fn when(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.to_offset(CHINA_OFFSET))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// A `datetime-local` input's value (China time) as Unix milliseconds.
pub fn parse_local_datetime(raw: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let local = time::PrimitiveDateTime::parse(raw, &format).ok()?;
    let at = local.assume_offset(CHINA_OFFSET);
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
    )
    .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_rates_read_as_people_write_them() {
        assert_eq!(yuan(899_900), "¥8,999.00");
        assert_eq!(yuan(1_589_901), "¥15,899.01");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(-12_345), "-¥123.45");
        assert_eq!(yuan(100_000_000), "¥1,000,000.00");
        assert_eq!(percent(2000), "20%");
        assert_eq!(percent(1250), "12.5%");
    }

    #[test]
    fn times_are_shown_and_read_in_china_time() {
        // 2026-11-23 12:00 UTC is 20:00 in Beijing.
        let ms = 1_795_435_200_000;
        assert_eq!(when(ms), "2026-11-23 20:00");
        assert_eq!(parse_local_datetime("2026-11-23T20:00"), Some(ms));
        assert_eq!(parse_local_datetime("23/11/2026"), None);
    }

    #[test]
    fn flash_survives_the_cookie_and_redirects_stay_on_site() {
        let flash = Flash::Error {
            code: "sold_out".into(),
            message: "已售罄; try; =again".into(),
        };
        match Flash::decode(&flash.encode()) {
            Some(Flash::Error { code, message }) => {
                assert_eq!(code, "sold_out");
                assert_eq!(message, "已售罄; try; =again");
            }
            other => panic!("flash came back as {other:?}"),
        }
        let location = |to: &str| {
            redirect(to)
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(location("/orders?x=1").as_deref(), Some("/orders?x=1"));
        assert_eq!(location("//evil.example").as_deref(), Some("/"));
        assert_eq!(location("https://evil.example").as_deref(), Some("/"));
        assert_eq!(
            location("/anchor/selection?q=空调").as_deref(),
            Some("/anchor/selection?q=%E7%A9%BA%E8%B0%83")
        );
    }

    #[test]
    fn the_csrf_token_depends_on_the_session() {
        let a = session_csrf("dhs_a");
        assert_eq!(a, session_csrf("dhs_a"));
        assert_ne!(a, session_csrf("dhs_b"));
        assert_eq!(a.len(), 32);
    }
}
