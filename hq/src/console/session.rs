//! The signed-in person a handler asks for ([`Signed`]), and a posted form
//! checked against the session's CSRF secret ([`Posted`]).
//!
//! The session cookie (`onsite_session`) is HttpOnly and SameSite=Strict
//! (`Secure` too when the request came over HTTPS through a proxy); HQ
//! stores only its SHA-256. Every form a session shows carries the
//! session's own CSRF secret in a hidden field, and every POST is refused
//! (403) unless the field is there and equal. Only the cookie is read: a
//! device token or an integration key in `Authorization` opens no page.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use onsite_core::locale::Lang;
use serde::de::DeserializeOwned;

use super::page::{tr, urlencode, Failure};
use super::Console;
use crate::centre::audit::Actor;
use crate::centre::people::{allows, Action, Person};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "onsite_session";
/// The language cookie's name (`zh` or `en`).
pub const LANG_COOKIE: &str = "onsite_lang";
/// Largest form body (the longest form is a work order).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The language the person chose (zh-CN unless they switched).
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|v| Lang::parse(&v))
        .unwrap_or_default()
}

/// Whether the request reached HQ over HTTPS (through a proxy that says so).
pub fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for a console cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_s: i64,
    headers: &HeaderMap,
    http_only: bool,
) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age_s}; SameSite=Strict{}{}",
        if http_only { "; HttpOnly" } else { "" },
        if over_https(headers) { "; Secure" } else { "" }
    )
}

/// A person signed in to the console, in the language they chose.
#[derive(Debug, Clone)]
pub struct Signed {
    pub person: Person,
    /// The session's CSRF secret, for the forms this page shows.
    pub csrf: String,
    pub lang: Lang,
    pub expires_at: DateTime<Utc>,
    /// The session cookie's secret (signing out needs it).
    pub(crate) token: String,
    /// Where the request came from, for the access log.
    pub origin: crate::centre::access::Origin,
}

impl Signed {
    /// Whether the person's role allows `action` ([`crate::centre::people::PERMISSIONS`]).
    pub fn may(&self, action: Action) -> bool {
        allows(self.person.role, action)
    }

    /// 403 unless the person's role allows `action`.
    pub fn require(&self, action: Action) -> Result<(), Failure> {
        if self.may(action) {
            Ok(())
        } else {
            tracing::info!(
                role = self.person.role.as_str(),
                ?action,
                "console action refused"
            );
            Err(Failure::forbidden(self.lang))
        }
    }

    /// The person as the audit trail names them.
    pub fn actor(&self) -> Actor {
        Actor::Person(self.person.username.clone())
    }

    /// The person as the access log names them.
    pub fn reader(&self) -> crate::centre::access::Reader {
        crate::centre::access::Reader::Person(self.person.username.clone())
    }

    /// Logs that this person is shown these orders (a list is a read of
    /// every order it lists) and returns which are confidential; the page
    /// fails rather than show what could not be logged.
    pub async fn looked(
        &self,
        console: &super::Console,
        look: crate::centre::access::Look,
        job_ids: &[String],
    ) -> Result<std::collections::HashSet<String>, Failure> {
        console
            .store
            .looked(
                &self.reader(),
                &self.origin,
                look,
                job_ids,
                crate::centre::access::Sight::of_role(self.person.role),
                Utc::now(),
            )
            .await
            .map_err(|e| self.fail(&e))
    }

    /// The hidden field every form of this session carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    /// A store error as the page this person reads.
    pub fn fail(&self, e: &crate::HqError) -> Failure {
        Failure::store(self.lang, e)
    }

    /// `zh` or `en` in this person's language.
    pub fn tr(&self, zh: &'static str, en: &'static str) -> &'static str {
        tr(self.lang, zh, en)
    }
}

/// Why there is no signed-in person: sign in first (a page is redirected to
/// the sign-in page, coming back afterwards), or the check failed.
pub enum NotSigned {
    SignIn { next: String },
    Failed(Failure),
}

impl IntoResponse for NotSigned {
    fn into_response(self) -> Response {
        match self {
            NotSigned::SignIn { next } => {
                Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
            }
            NotSigned::Failed(f) => f.into_response(),
        }
    }
}

impl FromRequestParts<Console> for Signed {
    type Rejection = NotSigned;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, NotSigned> {
        let lang = lang_of(&parts.headers);
        let next = parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        let sign_in = || NotSigned::SignIn { next: next.clone() };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(sign_in());
        };
        let now = Utc::now();
        match console.store.session(&token, now).await {
            Ok(Some(s)) => {
                tracing::Span::current().record("caller", "person");
                Ok(Signed {
                    person: s.person,
                    csrf: s.csrf,
                    lang,
                    expires_at: s.expires_at,
                    token,
                    origin: crate::extract::origin_of(parts),
                })
            }
            Ok(None) => Err(sign_in()),
            Err(e) => Err(NotSigned::Failed(Failure::store(lang, &e))),
        }
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The `csrf` field of a urlencoded body.
fn csrf_of(body: &[u8]) -> Option<String> {
    form_urlencoded_pairs(body)
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

/// A form a signed-in person posted, its CSRF secret checked, its fields
/// decoded into `T` (a field of the wrong type is a 400 page in the
/// person's language; forms that show their own message take `String`s).
pub struct Posted<T> {
    pub who: Signed,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<Console> for Posted<T> {
    type Rejection = NotSigned;

    async fn from_request(req: Request, console: &Console) -> Result<Self, NotSigned> {
        let (mut parts, body) = req.into_parts();
        let who = Signed::from_request_parts(&mut parts, console).await?;
        let lang = who.lang;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), console)
            .await
            .map_err(|_| {
                NotSigned::Failed(Failure::new(
                    lang,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    tr(lang, "提交的内容过长。", "The form is too long."),
                ))
            })?;
        if bytes.len() > MAX_FORM_BYTES {
            return Err(NotSigned::Failed(Failure::new(
                lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                tr(lang, "提交的内容过长。", "The form is too long."),
            )));
        }
        if !csrf_of(&bytes).is_some_and(|c| same_secret(&c, &who.csrf)) {
            tracing::warn!("console form without its session's CSRF secret refused");
            return Err(NotSigned::Failed(Failure::new(
                lang,
                StatusCode::FORBIDDEN,
                tr(
                    lang,
                    "表单已失效(可能来自其他网站或已过期),请返回页面刷新后重新提交。",
                    "This form is no longer valid (it came from elsewhere or expired): go back, reload the page and send it again.",
                ),
            )));
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|_| {
            NotSigned::Failed(Failure::new(
                lang,
                StatusCode::BAD_REQUEST,
                tr(
                    lang,
                    "表单内容格式不对,请检查各项后重新提交。",
                    "Some fields of the form are not in the right form: check them and send it again.",
                ),
            ))
        })?;
        Ok(Posted { who, form })
    }
}
