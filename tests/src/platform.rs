//! A platform-like HTTP backend for the core (`onsite_core::sync::http`):
//! what the phone's shells hand the core (Android's `HttpURLConnection`,
//! iOS's `URLSession`), here over reqwest, blocking as theirs do, with their
//! quirks switchable, and counting what it saw.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use onsite_core::sync::encoding::{self, BodyCoding};
use onsite_core::sync::{runtime, HttpBackend, HttpHeader, HttpRequest, HttpResponse};

/// A platform-like backend over real HTTP: sends what the core built, as
/// given, and reports what it saw.
pub struct Platform {
    pub http: reqwest::Client,
    /// Chunk uploads go as POST (Java's `HttpURLConnection` has no PATCH).
    pub patch_as_post: bool,
    /// Inflates compressed answers itself but keeps `Content-Encoding`
    /// (iOS's `URLSession` does that for gzip).
    pub inflates: bool,
    /// No answer: every request fails as a dead link does.
    pub dead: AtomicBool,
    /// Requests as sent (`METHOD url`), and answers that came compressed.
    pub sent: Mutex<Vec<String>>,
    pub compressed: AtomicUsize,
}

impl Platform {
    pub fn new(patch_as_post: bool, inflates: bool) -> Arc<Platform> {
        Arc::new(Platform {
            // Decodes nothing itself: what came is what the core gets.
            http: reqwest::Client::builder()
                .no_gzip()
                .no_zstd()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            patch_as_post,
            inflates,
            dead: AtomicBool::new(false),
            sent: Mutex::new(Vec::new()),
            compressed: AtomicUsize::new(0),
        })
    }

    /// Requests sent with `method` to a URL containing `path`.
    pub fn sent(&self, method: &str, path: &str) -> usize {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|m| {
                m.split_once(' ')
                    .is_some_and(|(k, url)| k == method && url.contains(path))
            })
            .count()
    }
}

impl HttpBackend for Platform {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        if self.dead.load(Ordering::SeqCst) {
            return Err("connect: Connection refused (os error 111)".into());
        }
        let method = if self.patch_as_post && request.method == "PATCH" {
            "POST".to_string()
        } else {
            request.method.clone()
        };
        self.sent
            .lock()
            .unwrap()
            .push(format!("{method} {}", request.url));
        // Blocking, as a platform stack is: the core calls this off its tasks.
        runtime::block_on(async {
            let mut req = self
                .http
                .request(method.parse().unwrap(), &request.url)
                .timeout(std::time::Duration::from_millis(request.timeout_ms));
            for h in &request.headers {
                req = req.header(&h.name, &h.value);
            }
            let resp = req
                .body(request.body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let headers: Vec<HttpHeader> = resp
                .headers()
                .iter()
                .map(|(k, v)| HttpHeader {
                    name: k.to_string(),
                    value: v.to_str().unwrap().to_string(),
                })
                .collect();
            let mut body = resp.bytes().await.map_err(|e| e.to_string())?.to_vec();
            let coding = headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-encoding"))
                .map(|h| h.value.clone());
            if let BodyCoding::Coded(c) = encoding::body_coding(coding.as_deref()) {
                self.compressed.fetch_add(1, Ordering::SeqCst);
                if self.inflates {
                    body = encoding::decode(c, &body, 64 << 20).unwrap();
                }
            }
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
        .map_err(|e| e.to_string())?
    }
}
