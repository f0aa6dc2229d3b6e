//! A small browser for the web pages over real HTTP: it keeps cookies, follows no redirect
//! by itself (tests look at where a form sends them), and carries the page's CSRF token into
//! the forms it posts, as a browser submitting the page's own form would.

use std::collections::HashMap;

/// One answer: status, where it redirects (if it does) and the body as text.
#[derive(Debug)]
pub struct Shown {
    /// HTTP status code.
    pub status: u16,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
    /// The body.
    pub body: String,
    /// Response headers, lower-case names.
    pub headers: HashMap<String, String>,
}

impl Shown {
    /// Panics unless the status is `status`; returns the body.
    pub fn expect(&self, status: u16) -> &str {
        assert_eq!(
            self.status, status,
            "expected {status}, got {} at {:?}: {}",
            self.status, self.location, self.body
        );
        &self.body
    }

    /// Panics unless this is a redirect; returns where to.
    pub fn redirected(&self) -> &str {
        assert!(
            (300..400).contains(&self.status),
            "expected a redirect, got {}: {}",
            self.status,
            self.body
        );
        self.location.as_deref().expect("a Location header")
    }
}

/// A browser session against one server.
pub struct Browser {
    base_url: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    /// The CSRF token of the last page shown.
    csrf: Option<String>,
}

impl Browser {
    /// A browser with no cookies, pointed at `base_url`.
    pub fn new(base_url: &str) -> Browser {
        Browser {
            base_url: base_url.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    /// Signs in through the sign-in form; panics if the form does not sign in.
    pub async fn sign_in(base_url: &str, username: &str, password: &str) -> Browser {
        let mut browser = Browser::new(base_url);
        browser.get("/login").await.expect(200);
        let shown = browser
            .post("/login", &[("username", username), ("password", password)])
            .await;
        shown.redirected();
        assert!(
            browser.cookies.contains_key("dh_session"),
            "signing in as {username} set no session cookie: {shown:?}"
        );
        // The token of a signed-in page differs from the anonymous one.
        browser.csrf = None;
        browser
    }

    /// GET `path`.
    pub async fn get(&mut self, path: &str) -> Shown {
        let request = self.client.get(format!("{}{path}", self.base_url));
        self.send(request).await
    }

    /// GET `path`, following redirects on this site (at most 5).
    pub async fn visit(&mut self, path: &str) -> Shown {
        let mut shown = self.get(path).await;
        for _ in 0..5 {
            match (shown.status, shown.location.clone()) {
                (300..=399, Some(location)) if location.starts_with('/') => {
                    shown = self.get(&location).await;
                }
                _ => break,
            }
        }
        shown
    }

    /// POSTs a form to `path` with the CSRF token of the last page shown (a page is fetched
    /// first if none was).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Shown {
        let csrf = self.csrf().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("_csrf", &csrf));
        let request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("origin", &self.base_url)
            .form(&form);
        self.send(request).await
    }

    /// POSTs a form to `path` with no CSRF token at all, as a forged cross-site form would.
    pub async fn post_without_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> Shown {
        let request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .form(fields);
        self.send(request).await
    }

    /// POSTs `body` of `content_type` as a page script would, with the `X-CSRF-Token` header.
    pub async fn post_script(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Shown {
        let csrf = self.csrf().await;
        let request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("content-type", content_type)
            .header("x-csrf-token", csrf)
            .body(body);
        self.send(request).await
    }

    /// The value of a cookie this browser holds.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// The CSRF token the next form carries.
    pub async fn csrf(&mut self) -> String {
        if self.csrf.is_none() {
            // Every role may open the sign-in page, and it carries the session's token.
            self.get("/login").await;
        }
        self.csrf
            .clone()
            .expect("a page with a csrf-token meta tag")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Shown {
        let cookie_header = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookie_header.is_empty() {
            request
        } else {
            request.header("cookie", cookie_header)
        };
        let response = request.send().await.expect("the server answers");
        for value in response.headers().get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                // The server clears a cookie by sending it empty with Max-Age=0.
                if value.is_empty() {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response.text().await.unwrap_or_default();
        if let Some(token) = csrf_of(&body) {
            self.csrf = Some(token);
        }
        Shown {
            status,
            location,
            body,
            headers,
        }
    }
}

/// The CSRF token in a page's `<meta name="csrf-token">`.
pub fn csrf_of(body: &str) -> Option<String> {
    let start =
        body.find("name=\"csrf-token\" content=\"")? + "name=\"csrf-token\" content=\"".len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}
