//! The web app's common ground over real HTTP on both stores: signing in and out with the
//! session cookie, CSRF refusals, security headers, the language switch and role homes.

mod common;

use common::web::Browser;
use common::TestApp;

/// Each role's sign-in lands on its own home, and signing out ends the session on the
/// server.
async fn case_sign_in_lands_each_role_home(app: &TestApp) {
    app.account("web-anchor", "anchor").await;
    app.account("web-viewer", "viewer").await;
    let mut anchor = Browser::new(&app.base_url);
    anchor.get("/login").await.expect(200);
    let shown = anchor
        .post(
            "/login",
            &[("username", "web-anchor"), ("password", common::PASSWORD)],
        )
        .await;
    assert_eq!(shown.redirected(), "/anchor");

    let mut viewer = Browser::sign_in(&app.base_url, "web-viewer", common::PASSWORD).await;
    let home = viewer.visit("/").await;
    assert!(
        home.expect(200).contains("web-viewer"),
        "the header names who is signed in"
    );
    viewer.post("/logout", &[]).await.redirected();
    let after = viewer.get("/").await;
    assert!(!after.expect(200).contains("web-viewer"));

    // A wrong password comes back to the form with the service's code.
    let mut stranger = Browser::new(&app.base_url);
    stranger.get("/login").await.expect(200);
    let refused = stranger
        .post(
            "/login",
            &[("username", "web-viewer"), ("password", "not-it-at-all")],
        )
        .await;
    let back = refused.redirected().to_owned();
    assert!(back.starts_with("/login"), "{back}");
    assert!(stranger
        .get(&back)
        .await
        .expect(200)
        .contains("bad_credentials"));
}
store_case!(
    case_sign_in_lands_each_role_home,
    sqlite_sign_in_lands_each_role_home,
    postgres_sign_in_lands_each_role_home
);

/// A form without the page's token, or with another session's, or from another origin, is
/// refused and changes nothing.
async fn case_forms_without_the_token_are_refused(app: &TestApp) {
    app.account("csrf-viewer", "viewer").await;
    let mut viewer = Browser::sign_in(&app.base_url, "csrf-viewer", common::PASSWORD).await;
    let forged = viewer.post_without_csrf("/logout", &[]).await;
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("csrf_failed"));
    // Still signed in: the forged sign-out did nothing.
    assert!(viewer.get("/").await.expect(200).contains("csrf-viewer"));

    // Another visitor's token is not this session's: the first `_csrf` field is the one read.
    let mut other = Browser::new(&app.base_url);
    other.get("/login").await.expect(200);
    let stolen_token = other.csrf().await;
    let wrong = viewer.post("/logout", &[("_csrf", &stolen_token)]).await;
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert!(viewer.get("/").await.expect(200).contains("csrf-viewer"));

    // A page script sends the session's own token in the header, and it passes.
    let by_script = viewer
        .post_script("/logout", "application/x-www-form-urlencoded", Vec::new())
        .await;
    assert_eq!(by_script.redirected(), "/");
    assert!(!viewer.get("/").await.expect(200).contains("csrf-viewer"));
}
store_case!(
    case_forms_without_the_token_are_refused,
    sqlite_forms_without_the_token_are_refused,
    postgres_forms_without_the_token_are_refused
);

/// Pages carry the security headers, speak Chinese by default and English on request, and a
/// console asks a signed-out visitor to sign in first and come back.
async fn case_headers_language_and_sign_in_redirects(app: &TestApp) {
    let mut visitor = Browser::new(&app.base_url);
    let login = visitor.get("/login").await;
    login.expect(200);
    let csp = login.headers.get("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(
        login.headers.get("x-frame-options").map(String::as_str),
        Some("DENY")
    );
    assert!(login.body.contains("lang=\"zh-CN\""));
    assert!(login.body.contains("登录"));

    let switched = visitor.get("/lang?to=en&back=/login").await;
    assert_eq!(switched.redirected(), "/login");
    let english = visitor.get("/login").await;
    assert!(english.expect(200).contains("lang=\"en\""));
    assert!(english.body.contains("Sign in"));
    // The switch never sends anyone off the site.
    assert_eq!(
        visitor
            .get("/lang?to=zh&back=//evil.example")
            .await
            .redirected(),
        "/"
    );

    for console in ["/anchor", "/supplier", "/operator", "/orders"] {
        let shown = visitor.get(console).await;
        let to = shown.redirected();
        assert!(
            to.starts_with("/login?next="),
            "{console} sent a visitor to {to}"
        );
    }
}
store_case!(
    case_headers_language_and_sign_in_redirects,
    sqlite_headers_language_and_sign_in_redirects,
    postgres_headers_language_and_sign_in_redirects
);

/// A session that expired sends the browser to sign in and back; the JSON API never takes
/// the page's cookie as a credential.
async fn case_expired_sessions_sign_in_again(app: &TestApp) {
    app.account("expiring-viewer", "viewer").await;
    let mut viewer = Browser::sign_in(&app.base_url, "expiring-viewer", common::PASSWORD).await;
    let cookie = format!(
        "dh_session={}",
        viewer.cookie("dh_session").expect("a session")
    );
    let api = app
        .client
        .get(format!("{}/api/me", app.base_url))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(
        api.status().as_u16(),
        401,
        "the API ignores the page cookie"
    );

    tokio::time::sleep(SHORT_SESSION + std::time::Duration::from_millis(500)).await;
    let shown = viewer.get("/orders").await;
    assert_eq!(shown.redirected(), "/login?next=%2Forders");
}

/// How long sessions last in [`case_expired_sessions_sign_in_again`].
const SHORT_SESSION: std::time::Duration = std::time::Duration::from_secs(2);

fn short_sessions() -> daihuo_service::ServiceConfig {
    let mut config = common::test_config();
    config.session_ttl = SHORT_SESSION;
    config
}
store_case_with!(
    case_expired_sessions_sign_in_again,
    short_sessions(),
    sqlite_expired_sessions_sign_in_again,
    postgres_expired_sessions_sign_in_again
);
