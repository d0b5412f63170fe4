//! The console in a real browser: Debian's Chromium, headless at 1366x768,
//! driven through chromedriver (WebDriver) against a real `onsite hq serve`
//! process, as a person at the service centre uses it.
//!
//! [`HqServe`] is the `onsite` binary serving a fresh SQLite file on a free
//! port, whose accounts are made with `onsite hq user add` as an operator
//! makes them. [`Chromium`] is one browser session with blocking helpers
//! (sign in, fill a field by name, click a button by its text, read text,
//! bounded waits, screenshots under `target/console-screenshots/`). Both kill
//! their processes when dropped, also when a test panics, so a failed run
//! leaves no Chromium behind.
//!
//! A story adds a page step as: go or click there, wait for what the person
//! would see ([`Chromium::wait_text`], [`Chromium::wait_path`]), assert on
//! it, then [`Chromium::screenshot`]. Every wait is bounded by [`WAIT`] and
//! its failure names the page and what was awaited.
//!
//! Needs `chromium` and `chromedriver` on the PATH (Debian's `chromium` and
//! `chromium-driver`; scripts/test.sh installs them) and the `onsite` binary
//! built (`cargo build -p onsite-cli`; scripts/test.sh does it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::console::PASSWORD;
use crate::harness::free_port;

/// How long any wait lasts before the test fails: generous for a 2-core CI
/// machine building other things, short enough that a broken page fails fast.
pub const WAIT: Duration = Duration::from_secs(15);

/// How often a bounded wait looks again.
const POLL: Duration = Duration::from_millis(50);

/// The office screen the console is made for.
pub const SCREEN: (u32, u32) = (1366, 768);

/// The workspace's target directory: `$CARGO_TARGET_DIR`, else the one this
/// test binary was built in (`<target>/debug/deps/<test>`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// The `onsite` binary: `$ONSITE_BIN`, else the one built beside this test
/// (`<target>/debug/onsite`). Another package's binary has no
/// `CARGO_BIN_EXE_*` here, so it must be built first.
pub fn onsite_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("ONSITE_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("onsite");
    assert!(
        bin.exists(),
        "{} is missing: build it first with `cargo build -p onsite-cli` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// Waits until something listens on `port`, or fails naming `what` and its log.
fn wait_for_port(port: u16, child: &mut Child, what: &str, log: &Path) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited ({status}) before listening on port {port}:\n{}",
                read_log(log)
            );
        }
        assert!(
            started.elapsed() < WAIT * 2,
            "{what} did not listen on port {port} within {:?}:\n{}",
            WAIT * 2,
            read_log(log)
        );
        std::thread::sleep(POLL);
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A real `onsite hq serve` on a fresh SQLite file and a free port, killed on drop.
pub struct HqServe {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The SQLite file it serves (for `onsite hq` operator commands).
    pub db: PathBuf,
    /// For the dispatch API (`onsite_hq::client`), as the operator has it.
    pub admin_token: String,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl HqServe {
    pub fn start() -> HqServe {
        let bin = onsite_bin();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hq.sqlite3");
        let port = free_port();
        let admin_token = format!("browser-admin-{port}-{}", std::process::id());
        let log = dir.path().join("hq.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(&bin)
            .args(["hq", "serve", "--db"])
            .arg(&db)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--admin-token", &admin_token])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        wait_for_port(port, &mut child, "onsite hq serve", &log);
        HqServe {
            child,
            url: format!("http://127.0.0.1:{port}"),
            db,
            admin_token,
            bin,
            dir,
        }
    }

    /// Creates an account as the operator does: `onsite hq user add NAME
    /// --role ROLE --display-name SHOWN --password-stdin`, the password
    /// [`PASSWORD`] on standard input. `role` as the command takes it
    /// (front_desk, supervisor, manager, admin).
    pub fn add_person(&self, name: &str, shown: &str, role: &str) {
        self.onsite(
            &[
                "hq",
                "user",
                "add",
                name,
                "--role",
                role,
                "--display-name",
                shown,
                "--password-stdin",
            ],
            Some(PASSWORD),
        );
    }

    /// Runs `onsite ARGS` as the operator beside this HQ (its directory; its
    /// database as `$ONSITE_HQ_DB`, its admin token as `$ONSITE_ADMIN_TOKEN`;
    /// commands that call HQ also need `--hq` [`HqServe::url`]), with `stdin`
    /// as one line of standard input; fails unless it succeeds; gives what it printed.
    pub fn onsite(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut child = Command::new(&self.bin)
            .args(args)
            .env("ONSITE_HQ_DB", &self.db)
            .env("ONSITE_ADMIN_TOKEN", &self.admin_token)
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(line) = stdin {
            writeln!(input, "{line}").unwrap();
        }
        drop(input);
        let out = child.wait_with_output().unwrap();
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "onsite {}: {printed}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        printed
    }

    /// What HQ printed and logged, for a failure message.
    pub fn log(&self) -> String {
        read_log(&self.dir.path().join("hq.log"))
    }
}

impl Drop for HqServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether this process runs as root (Chromium's sandbox refuses root).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// The first `name` on the PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// One headless Chromium session through chromedriver, on `base` (HQ's URL).
/// Dropping it ends the session and kills chromedriver and Chromium (their
/// own process group), also when the test panics.
pub struct Chromium {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    base: String,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub fn start(base: &str) -> Chromium {
        let driver_bin = std::env::var_os("ONSITE_CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| on_path("chromedriver"))
            .expect("chromedriver is not on the PATH: apt-get install chromium chromium-driver (scripts/test.sh does)");
        let profile = tempfile::tempdir().unwrap();
        let log = profile.path().join("chromedriver.log");
        let port = free_port();
        let mut cmd = Command::new(&driver_bin);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        // Its own process group, so that dropping kills Chromium with it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut driver = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver_bin.display()));
        wait_for_port(port, &mut driver, "chromedriver", &log);

        let mut args = vec![
            "--headless=new".to_string(),
            format!("--window-size={},{}", SCREEN.0, SCREEN.1),
            // /dev/shm is small in containers; Chromium then crashes on big pages.
            "--disable-dev-shm-usage".to_string(),
            "--disable-gpu".to_string(),
            "--no-first-run".to_string(),
            format!(
                "--user-data-dir={}",
                profile.path().join("profile").display()
            ),
        ];
        if running_as_root() {
            args.push("--no-sandbox".to_string());
        }
        let mut options = json!({ "args": args });
        if let Some(chromium) = on_path("chromium") {
            options["binary"] = json!(chromium);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut browser = Chromium {
            rt,
            client: None,
            driver,
            base: base.trim_end_matches('/').to_string(),
            _profile: profile,
        };
        let connected = browser.rt.block_on(async {
            tokio::time::timeout(
                WAIT * 2,
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(caps)
                    .connect(&format!("http://127.0.0.1:{port}")),
            )
            .await
        });
        match connected {
            Ok(Ok(client)) => browser.client = Some(client),
            Ok(Err(e)) => panic!("Chromium did not start: {e}\n{}", read_log(&log)),
            Err(_) => panic!(
                "Chromium did not start within {:?}\n{}",
                WAIT * 2,
                read_log(&log)
            ),
        }
        browser.fit_page_to_screen();
        browser
    }

    /// Makes the page area (what pages lay out in and screenshots show)
    /// exactly [`SCREEN`]: `--window-size` sizes the window, whose frame
    /// takes some of it.
    fn fit_page_to_screen(&self) {
        let inner = || {
            let v = self.js("return [window.innerWidth, window.innerHeight]");
            (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
        };
        let (w, h) = inner();
        let (want_w, want_h) = (u64::from(SCREEN.0), u64::from(SCREEN.1));
        let (outer_w, outer_h) =
            self.run("reading the window size", self.client().get_window_size());
        let fit_w = u32::try_from(outer_w + want_w - w).unwrap();
        let fit_h = u32::try_from(outer_h + want_h - h).unwrap();
        self.run(
            "sizing the window",
            self.client().set_window_size(fit_w, fit_h),
        );
        assert_eq!(inner(), (want_w, want_h), "the page area is not {SCREEN:?}");
    }

    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Runs one WebDriver command, failing with `what` and the page it was on.
    fn run<T, E: std::fmt::Display>(
        &self,
        what: &str,
        f: impl std::future::Future<Output = Result<T, E>>,
    ) -> T {
        match self
            .rt
            .block_on(async { tokio::time::timeout(WAIT * 2, f).await })
        {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => panic!("{what} (on {}): {e}", self.here()),
            Err(_) => panic!(
                "{what} (on {}): no answer within {:?}",
                self.here(),
                WAIT * 2
            ),
        }
    }

    /// The path (and query) of the page shown, e.g. `/login?next=%2F`.
    pub fn here(&self) -> String {
        let url = self
            .rt
            .block_on(async { tokio::time::timeout(WAIT, self.client().current_url()).await });
        match url {
            Ok(Ok(u)) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            _ => "(an unknown page)".to_string(),
        }
    }

    /// Polls `probe` until it gives a value, at most [`WAIT`]; else fails
    /// naming the page and `what` was awaited.
    pub fn wait_until<T>(&self, what: &str, mut probe: impl FnMut(&Self) -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(t) = probe(self) {
                return t;
            }
            assert!(
                started.elapsed() < WAIT,
                "waited {WAIT:?} on {} for {what}",
                self.here()
            );
            self.rt.block_on(async { tokio::time::sleep(POLL).await });
        }
    }

    /// Opens `path` on HQ (e.g. `/account`), as typing it in the address bar.
    pub fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.run(&format!("opening {path}"), self.client().goto(&url));
    }

    /// Waits until the page shown is `path` (without the query); returns the
    /// full path with its query.
    pub fn wait_path(&self, path: &str) -> String {
        self.wait_until(&format!("the page {path}"), |b| {
            let here = b.here();
            (here.split('?').next() == Some(path)).then_some(here)
        })
    }

    /// The visible elements matching `css` now (none if there are none).
    fn visible(&self, css: &str) -> Vec<Element> {
        let all = self
            .rt
            .block_on(self.client().find_all(Locator::Css(css)))
            .unwrap_or_default();
        all.into_iter()
            .filter(|e| self.rt.block_on(e.is_displayed()).unwrap_or(false))
            .collect()
    }

    /// Waits for a visible element matching `css`.
    pub fn wait_for(&self, css: &str) -> Element {
        self.wait_until(&format!("an element {css}"), |b| {
            b.visible(css).into_iter().next()
        })
    }

    /// Whether a visible element matches `css` now (no wait).
    pub fn has(&self, css: &str) -> bool {
        !self.visible(css).is_empty()
    }

    /// The text of the first visible element matching `css` (waited for;
    /// read again if the page reloaded in between, as the board does).
    pub fn text(&self, css: &str) -> String {
        self.wait_until(&format!("an element {css}"), |b| {
            let e = b.visible(css).into_iter().next()?;
            b.rt.block_on(e.text()).ok()
        })
    }

    /// The texts of every visible element matching `css` now.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.visible(css)
            .iter()
            .map(|e| self.run(&format!("reading {css}"), e.text()))
            .collect()
    }

    /// Waits until the first visible `css` element's text contains `wanted`.
    pub fn wait_text(&self, css: &str, wanted: &str) -> String {
        self.wait_until(&format!("{css} to read {wanted:?}"), |b| {
            let e = b.visible(css).into_iter().next()?;
            let text = b.rt.block_on(e.text()).ok()?;
            text.contains(wanted).then_some(text)
        })
    }

    /// Waits until a visible `css` element (a table row, a card) whose text
    /// contains `key` also contains `wanted`; gives its text. For what a
    /// person reads on one order's line, whatever else the page lists.
    pub fn wait_row(&self, css: &str, key: &str, wanted: &str) -> String {
        self.wait_until(&format!("{css} with {key:?} to read {wanted:?}"), |b| {
            b.visible(css).into_iter().find_map(|e| {
                let text = b.rt.block_on(e.text()).ok()?;
                (text.contains(key) && text.contains(wanted)).then_some(text)
            })
        })
    }

    /// Sets the field named `name` to `value` as its picker would: for a
    /// `datetime-local` or `date` field, whose typed keys depend on the
    /// browser's locale (a person picks the time; the form posts the value).
    pub fn set_value(&self, name: &str, value: &str) {
        self.wait_for(&format!("[name=\"{name}\"]"));
        let script = format!(
            "document.querySelector('[name=\"{name}\"]').value = {}; return null",
            serde_json::to_string(value).unwrap()
        );
        self.js(&script);
        assert_eq!(
            self.prop(&format!("[name=\"{name}\"]"), "value").as_deref(),
            Some(value),
            "the field {name} did not take {value:?}"
        );
    }

    /// A property (`value` of a field, `href` of a link) of the first visible `css`.
    pub fn prop(&self, css: &str, name: &str) -> Option<String> {
        self.wait_until(&format!("an element {css}"), |b| {
            let e = b.visible(css).into_iter().next()?;
            b.rt.block_on(e.prop(name)).ok()
        })
    }

    /// Types `value` into the visible form field named `name` (replacing what it held).
    pub fn fill(&self, name: &str, value: &str) {
        let e = self.wait_for(&format!("[name=\"{name}\"]"));
        self.run(&format!("clearing the field {name}"), e.clear());
        self.run(&format!("typing into the field {name}"), e.send_keys(value));
    }

    /// Chooses the option with `value` in the `<select>` named `name`.
    pub fn select(&self, name: &str, value: &str) {
        let e = self.wait_for(&format!("select[name=\"{name}\"]"));
        self.run(
            &format!("choosing {value:?} in {name}"),
            e.select_by_value(value),
        );
    }

    /// Clicks the visible button (or submit input) whose text is `label`.
    pub fn click_button(&self, label: &str) {
        let button = self.wait_until(&format!("a button {label:?}"), |b| {
            b.visible("button, input[type=submit]")
                .into_iter()
                .find(|e| {
                    let text = b.rt.block_on(e.text()).unwrap_or_default();
                    let value = b.rt.block_on(e.prop("value")).ok().flatten();
                    text.trim() == label || (text.is_empty() && value.as_deref() == Some(label))
                })
        });
        self.run(&format!("clicking the button {label:?}"), button.click());
    }

    /// Clicks the visible link whose text is `label`.
    pub fn click_link(&self, label: &str) {
        let link = self.wait_until(&format!("a link {label:?}"), |b| {
            b.visible("a")
                .into_iter()
                .find(|e| b.rt.block_on(e.text()).is_ok_and(|t| t.trim() == label))
        });
        self.run(&format!("clicking the link {label:?}"), link.click());
    }

    /// Clicks the first visible element matching `css`.
    pub fn click(&self, css: &str) {
        let e = self.wait_for(css);
        self.run(&format!("clicking {css}"), e.click());
    }

    /// Answers "OK" to the confirmation a `data-confirm` button asks
    /// (console.js), after checking it asks `question`: click the button
    /// first, then call this.
    pub fn accept_confirm(&self, question: &str) {
        let asked = self.wait_until(&format!("a confirmation {question:?}"), |b| {
            b.rt.block_on(b.client().get_alert_text()).ok()
        });
        assert!(
            asked.contains(question),
            "the confirmation on {} asks {asked:?}, not {question:?}",
            self.here()
        );
        self.run("accepting the confirmation", self.client().accept_alert());
    }

    /// Runs JavaScript in the page and gives its `return` value.
    pub fn js(&self, script: &str) -> Value {
        self.run(
            &format!("running {script:?}"),
            self.client().execute(script, vec![]),
        )
    }

    /// Signs `username` in with [`PASSWORD`] through the sign-in form, in
    /// whatever language it is shown, and waits until the console lets them in.
    pub fn sign_in(&self, username: &str) {
        self.goto("/login");
        self.fill("username", username);
        self.fill("password", PASSWORD);
        self.click("form[action=\"/login\"] button[type=submit]");
        self.wait_until(&format!("{username} to be let in"), |b| {
            (!b.here().starts_with("/login")).then_some(())
        });
    }

    /// Signs out with the header's button and waits for the sign-in page.
    pub fn sign_out(&self) {
        self.click("form[action=\"/logout\"] button[type=submit]");
        self.wait_path("/login");
    }

    /// Saves what the screen shows as `<target>/console-screenshots/<name>.png`
    /// for people to look at; returns the file.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "a screenshot name is a-z, 0-9, '-' and '_': {name:?}"
        );
        let png = self.run(
            &format!("taking the screenshot {name}"),
            self.client().screenshot(),
        );
        assert!(
            png.starts_with(b"\x89PNG"),
            "screenshot {name} is not a PNG"
        );
        let dir = target_dir().join("console-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{name}.png"));
        std::fs::write(&file, png).unwrap();
        file
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), client.close()).await
            });
        }
        // chromedriver and the Chromium it started, whatever state they are in.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
