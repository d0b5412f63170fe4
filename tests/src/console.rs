//! The console over real HTTP, as a browser without JavaScript uses it: a
//! person signs in (their session cookie kept), reads pages and posts forms
//! with the CSRF secret the page gave. For role, CSRF and bad-input tests;
//! the browser suite drives Chromium itself.

use chrono::Utc;
use onsite_hq::centre::audit::Actor;
use onsite_hq::centre::people::{hash_password, Person, Role};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

use crate::harness::Hq;

/// The password every test account gets.
pub const PASSWORD: &str = "a test password";

/// Creates an account on HQ's database (as `onsite hq user add` does).
pub fn add_person(hq: &Hq, username: &str, display_name: &str, role: Role) {
    let hash = hash_password(PASSWORD).unwrap();
    hq.rt
        .block_on(async {
            let store = onsite_hq::open(&hq.backend.url()).await?;
            store
                .create_person(
                    &Actor::Operator,
                    Person {
                        username: username.into(),
                        display_name: display_name.into(),
                        role,
                    },
                    hash,
                    Utc::now(),
                )
                .await
        })
        .unwrap();
}

/// An answer: status, body, and where a redirect points.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub body: String,
    pub location: Option<String>,
}

impl Page {
    /// The CSRF secret the page's forms carry.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        let end = self.body[at..].find('"')? + at;
        Some(self.body[at..end].to_string())
    }
}

/// A signed-in person's browser (no JavaScript, no redirects followed).
pub struct Browser<'h> {
    pub hq: &'h Hq,
    http: reqwest::Client,
    /// `name=value` of the session cookie, once signed in.
    pub cookie: Option<String>,
    /// The session's CSRF secret, from the last page that had one.
    pub csrf: Option<String>,
}

impl<'h> Browser<'h> {
    pub fn new(hq: &'h Hq) -> Browser<'h> {
        Browser {
            hq,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            csrf: None,
        }
    }

    /// Signs `username` in with [`PASSWORD`]; panics if that fails.
    pub fn signed_in(hq: &'h Hq, username: &str) -> Browser<'h> {
        let mut b = Browser::new(hq);
        let p = b.login(username, PASSWORD);
        assert_eq!(
            p.status,
            StatusCode::SEE_OTHER,
            "sign-in of {username}: {}",
            p.body
        );
        b.get("/");
        b
    }

    /// Posts the sign-in form (with its own CSRF cookie, as a browser would).
    pub fn login(&mut self, username: &str, password: &str) -> Page {
        let form = self
            .hq
            .rt
            .block_on(self.http.get(format!("{}/login", self.hq.url)).send())
            .unwrap();
        let login_cookie = form
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("onsite_login="))
            .map(|v| v.split(';').next().unwrap_or("").to_string())
            .unwrap();
        let page = Page {
            status: form.status(),
            location: None,
            body: self.hq.rt.block_on(form.text()).unwrap(),
        };
        let csrf = page.csrf().unwrap();
        let res = self
            .hq
            .rt
            .block_on(
                self.http
                    .post(format!("{}/login", self.hq.url))
                    .header(COOKIE, login_cookie)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("username", username),
                        ("password", password),
                    ])
                    .send(),
            )
            .unwrap();
        if let Some(c) = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("onsite_session="))
        {
            self.cookie = Some(c.split(';').next().unwrap_or("").to_string());
        }
        self.page(res)
    }

    fn page(&mut self, res: reqwest::Response) -> Page {
        let status = res.status();
        let location = res
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = self.hq.rt.block_on(res.text()).unwrap();
        let page = Page {
            status,
            body,
            location,
        };
        if let Some(c) = page.csrf() {
            self.csrf = Some(c);
        }
        page
    }

    fn with_cookie(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => rb.header(COOKIE, c),
            None => rb,
        }
    }

    pub fn get(&mut self, path: &str) -> Page {
        let rb = self.with_cookie(self.http.get(format!("{}{path}", self.hq.url)));
        let res = self.hq.rt.block_on(rb.send()).unwrap();
        self.page(res)
    }

    /// Posts a form with the session's CSRF secret added.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all)
    }

    /// Posts exactly these fields (a test of a missing or wrong CSRF secret).
    pub fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let rb = self.with_cookie(
            self.http
                .post(format!("{}{path}", self.hq.url))
                .form(fields),
        );
        let res = self.hq.rt.block_on(rb.send()).unwrap();
        self.page(res)
    }
}
