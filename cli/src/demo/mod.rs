//! The demo: a complete visit of one service line on sample data, narrated
//! step by step.
//!
//! It drives the same public API a phone shell does, on a real SQLite file,
//! against a real HQ started in this process on 127.0.0.1. The parts every
//! line shares (HQ, enrollment, dispatch, going offline, syncing back and
//! showing what HQ holds) live here in [`Session`]; each service line's visit
//! is its own module, showing the rules of that line's procedure book.

mod appliance;
mod furniture;
mod gps;
mod property;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Duration, FixedOffset, Timelike, Utc};
use onsite_core::checklist::{Answer, Phase};
use onsite_core::clock::ManualClock;
use onsite_core::locale::Lang;
use onsite_core::order::WorkOrder;
use onsite_core::payment::Method;
use onsite_core::sample;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::visit::{Opinion, Rating, Visit};
use onsite_core::{AcceptanceInput, Profile, SignInput, Technician};
use onsite_hq::api::{FollowQuery, NewEnrollment, NewTechnician, OldPartsQuery};
use onsite_hq::client::{Client, ClientError};

use crate::hq::wait;

/// The technician's local time: China Standard Time.
fn cst() -> FixedOffset {
    onsite_core::documents::china_time()
}

pub struct Narrator {
    pub lang: Lang,
    step: u32,
}

impl Narrator {
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }

    pub fn step(&mut self, zh: &str, en: &str) {
        self.step += 1;
        println!("\n[{:02}] {}", self.step, self.t(zh, en));
    }

    pub fn line(&self, zh: &str, en: &str) {
        println!("     {}", self.t(zh, en));
    }

    pub fn show(&self, s: impl AsRef<str>) {
        println!("     {}", s.as_ref());
    }

    /// A refusal as the technician sees it: the rule, in their language.
    pub fn refused(&self, e: &onsite_core::Error) {
        println!("     × {}", e.message(self.lang));
    }

    pub fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&cst()).format("%Y-%m-%d %H:%M").to_string()
    }

    pub fn status(&self, v: &Visit) {
        let label = self.t("状态", "Status");
        println!("     → {label}: {}", v.status.label(self.lang));
    }

    /// Answers every shown item of a phase and lists them as ticked.
    pub fn checklist(&self, tech: &Technician, job: &str, phase: Phase) -> Result<()> {
        sample::complete_checklist(tech, job, phase)?;
        let view = tech.checklist(job, phase)?;
        println!("     {}:", view.template.title.get(self.lang));
        for item in &view.visible {
            let shown = match view.answers.get(&item.id) {
                Some(Answer::Check(true)) => "✓".to_string(),
                Some(Answer::YesNo(b)) => self
                    .t(if *b { "是" } else { "否" }, if *b { "yes" } else { "no" })
                    .to_string(),
                Some(Answer::Number(n)) => format!("{n}"),
                Some(Answer::Choice(c)) => c.clone(),
                Some(Answer::Photo(h)) => format!("photo {}", &h[..8.min(h.len())]),
                Some(Answer::Text(s)) => s.clone(),
                _ => "-".into(),
            };
            println!("       [{shown}] {}", item.label.get(self.lang));
        }
        Ok(())
    }
}

/// The service line a demo visit belongs to (`--line`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Line {
    /// 物业维修: a kitchen leak in a flat.
    Property,
    /// 家电售后: a fridge in warranty, and a second one out of warranty with a disputed charge.
    Appliance,
    /// GPS 安装维修: a terminal installed in a van.
    Gps,
    /// 家具配送安装: a delivery checked item by item, balance collected in cash.
    Furniture,
}

/// Runs the demo of one service line and prints what HQ holds afterwards.
pub fn run(
    line: Line,
    lang: Lang,
    store: Option<PathBuf>,
    out: Option<PathBuf>,
    console: bool,
) -> Result<()> {
    // With --out the phone's (encrypted) store is kept there too.
    let store = match (store, &out) {
        (Some(s), _) => Some(s),
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            Some(dir.join("technician.sqlite3"))
        }
        (None, None) => None,
    };
    let mut s = Session::start(line, lang, store)?;
    match line {
        Line::Property => property::visit(&mut s)?,
        Line::Appliance => appliance::visit(&mut s)?,
        Line::Gps => gps::visit(&mut s)?,
        Line::Furniture => furniture::visit(&mut s)?,
    }
    s.finish(out, console)
}

/// The password of the demo's console accounts (printed: a demo only).
pub const DEMO_PASSWORD: &str = "onsite-demo-2026";

/// The demo's console accounts: one per role.
pub const DEMO_PEOPLE: [(&str, &str, &str, onsite_hq::centre::people::Role); 4] = {
    use onsite_hq::centre::people::Role;
    [
        ("desk", "王芳", "Wang Fang", Role::FrontDesk),
        ("supervisor", "李主管", "Supervisor Li", Role::Supervisor),
        ("manager", "赵经理", "Manager Zhao", Role::Manager),
        ("admin", "系统管理员", "Administrator", Role::Admin),
    ]
};

/// What every line's demo shares: the in-process HQ, the enrolled phone with
/// its store and scripted clock, and the jobs the visit worked.
pub struct Session {
    pub n: Narrator,
    pub rt: tokio::runtime::Runtime,
    hq_db: PathBuf,
    pub admin: &'static str,
    /// HQ's typed client with the admin token: the service centre's desk.
    pub api: Client,
    addr: std::net::SocketAddr,
    server: Option<onsite_hq::Server>,
    /// The scripted clock: starts at the next full hour.
    pub clock: Arc<ManualClock>,
    pub start: DateTime<Utc>,
    pub profile: Profile,
    pub tech: Technician,
    pub sync: SyncClient,
    /// Jobs shown at HQ and written with `--out`, in order.
    pub jobs: Vec<String>,
    /// Holds the stores; declared last so it is removed after everything using it.
    _tmp: tempfile::TempDir,
}

impl Session {
    /// Starts HQ on 127.0.0.1, registers and enrolls the technician and opens the phone's store.
    fn start(line: Line, lang: Lang, store: Option<PathBuf>) -> Result<Session> {
        let mut n = Narrator { lang, step: 0 };
        let rt = tokio::runtime::Runtime::new()?;
        let tmp = tempfile::tempdir().context("creating a temporary directory")?;
        let path = store.unwrap_or_else(|| tmp.path().join("technician.sqlite3"));
        let now = Utc::now();
        let start = now
            - Duration::minutes(i64::from(now.minute()))
            - Duration::seconds(i64::from(now.second()));
        let clock = Arc::new(ManualClock::new(start));
        let (zh, en) = match line {
            Line::Property => (
                "Onsite 演示:一次完整的物业上门维修",
                "Onsite demo: one complete property repair visit",
            ),
            Line::Appliance => (
                "Onsite 演示:家电售后(保内免费维修、超保收费争议)",
                "Onsite demo: appliance after-sales (a free warranty repair, a disputed out-of-warranty charge)",
            ),
            Line::Gps => (
                "Onsite 演示:GPS 终端上门安装",
                "Onsite demo: a GPS terminal installed on site",
            ),
            Line::Furniture => (
                "Onsite 演示:家具配送安装",
                "Onsite demo: furniture delivery and assembly",
            ),
        };
        println!("{}", n.t(zh, en));

        n.step("总部(HQ)在本机启动", "HQ starts on this machine");
        let hq_db = tmp.path().join("hq.sqlite3");
        let admin = "demo-admin-token";
        let (hq_path, listen) = (hq_db.display().to_string(), "127.0.0.1:0".parse()?);
        let server = rt.block_on(async {
            let store = onsite_hq::open(&hq_path).await?;
            onsite_hq::Server::start(store, admin, listen).await
        })?;
        let hq_url = server.url();
        let addr = server.addr;
        n.show(format!("HQ: {hq_url} (SQLite {})", hq_db.display()));

        n.step(
            "客服中心登记技术员并生成绑定码",
            "The service centre registers the technician and issues an enrollment code",
        );
        let (tech_id, tech_name) = match line {
            Line::Property => ("T-0107", "李师傅"),
            Line::Appliance => ("T-0211", "赵工程师"),
            Line::Gps => ("T-0305", "孙师傅"),
            Line::Furniture => ("T-0412", "周师傅"),
        };
        let api = Client::new(&hq_url, admin)?;
        wait(
            &rt,
            api.create_technician(&NewTechnician {
                technician_id: tech_id.into(),
                name: tech_name.into(),
            }),
        )?;
        let code = wait(
            &rt,
            api.create_enrollment(&NewEnrollment {
                technician_id: tech_id.into(),
            }),
        )?
        .code;
        n.show(format!("{}: {code}", n.t("绑定码", "Enrollment code")));

        n.step("手机用绑定码注册", "The phone enrolls with the code");
        let enrolled = SyncClient::enroll_blocking(&hq_url, &code, "DEV-7F3A")?;
        let profile = Profile {
            technician_id: enrolled.technician_id.clone(),
            technician_name: enrolled.technician_name.clone(),
            device_id: enrolled.device_id.clone(),
            approval_key: enrolled.approval_key.clone(),
        };
        // The phone's store is encrypted with its key (a phone's keystore
        // keeps it; here the key file beside the store or ONSITE_STORE_KEY).
        let key = crate::store_key::for_store(&path)?;
        let tech =
            Technician::open_encrypted_with_clock(&path, &key, profile.clone(), clock.clone())
                .with_context(|| format!("opening the store at {}", path.display()))?;
        let mut config = SyncConfig::new(&hq_url, &enrolled.token);
        config.max_attempts = 2;
        config.base_backoff_ms = 100;
        config.request_timeout_ms = 2_000;
        let sync = SyncClient::new(config)?;
        n.show(format!(
            "{}: {}",
            n.t("本地存储", "Local store"),
            path.display()
        ));
        n.show(format!(
            "{}: {} ({})",
            n.t("技术员", "Technician"),
            profile.technician_name,
            profile.technician_id
        ));
        Ok(Session {
            n,
            rt,
            _tmp: tmp,
            hq_db,
            admin,
            api,
            addr,
            server: Some(server),
            clock,
            start,
            profile,
            tech,
            sync,
            jobs: Vec::new(),
        })
    }

    /// Waits for a call of [`Session::api`], as the service centre makes it.
    pub fn hq<T>(&self, call: impl Future<Output = Result<T, ClientError>>) -> Result<T> {
        wait(&self.rt, call)
    }

    /// The service centre writes and dispatches an order.
    pub fn dispatch(&mut self, order: &WorkOrder) -> Result<()> {
        self.hq(self.api.create_order(order))?;
        self.jobs.push(order.job_id.clone());
        Ok(())
    }

    /// Syncs now and says what came down.
    pub fn sync(&self) -> Result<()> {
        let r = self.sync.sync_now(&self.tech, None)?;
        let n = &self.n;
        n.show(format!(
            "{}: {} {}, {} {}, {} {}",
            n.t("同步", "Sync"),
            r.ops_pushed,
            n.t("条操作上传", "op(s) pushed"),
            r.changes_pulled,
            n.t("条变更", "change(s) pulled"),
            r.receipt_blocks,
            n.t("个收据号段", "receipt number block(s)")
        ));
        Ok(())
    }

    /// Prints the order as the phone holds it.
    pub fn show_order(&self, job: &str) -> Result<Visit> {
        let v = self.tech.job(job)?;
        let (n, o) = (&self.n, &v.order);
        n.show(format!("{}: {}", n.t("工单号", "Order"), o.job_id));
        n.show(format!(
            "{}: {} {}",
            n.t("地点", "Where"),
            o.site,
            o.location
        ));
        n.show(format!(
            "{}: {} {}",
            n.t("客户", "Customer"),
            o.customer.name,
            o.customer.phone
        ));
        n.show(format!("{}: {}", n.t("服务项目", "Service"), o.service));
        n.show(format!("{}: {}", n.t("故障", "Fault"), o.fault));
        if let Some(p) = &o.product {
            n.show(format!(
                "{}: {} / {} ({})",
                n.t("产品", "Product"),
                p.model,
                p.serial,
                if p.in_warranty {
                    n.t("保修期内", "in warranty")
                } else {
                    n.t("超保", "out of warranty")
                }
            ));
        }
        n.show(format!(
            "{}: {}",
            n.t("预约时间", "Appointment"),
            n.local(o.appointment_at)
        ));
        n.status(&v);
        Ok(v)
    }

    /// HQ stops answering: the phone works on its local store only.
    pub fn offline(&mut self, zh: &str, en: &str) -> Result<()> {
        self.n.step(zh, en);
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.stop());
        }
        self.n.line(
            "以下每一步都只写入手机本地存储",
            "Every step below is written to the phone's local store only",
        );
        Ok(())
    }

    /// The network returns: HQ answers again at the same address.
    pub fn online(&mut self) -> Result<()> {
        if self.server.is_none() {
            let hq_path = self.hq_db.display().to_string();
            let (admin, addr) = (self.admin, self.addr);
            self.server = Some(self.rt.block_on(async {
                let store = onsite_hq::open(&hq_path).await?;
                onsite_hq::Server::start(store, admin, addr).await
            })?);
        }
        Ok(())
    }

    /// Back online: sync, show what HQ holds for every job, write the documents.
    fn finish(mut self, out: Option<PathBuf>, console: bool) -> Result<()> {
        let n = &mut self.n;
        n.step(
            "回到有信号的地方:网络恢复,同步到总部",
            "Back where there is signal: the network returns, sync to HQ",
        );
        let queued = self.tech.outbox_len()?;
        n.show(format!(
            "{}: {queued} (seq 1..{})",
            n.t("待上传操作", "Ops queued for HQ"),
            self.tech.last_seq()?
        ));
        self.online()?;
        let r = self.sync.sync_now(&self.tech, None)?;
        let n = &mut self.n;
        n.show(format!(
            "{}: {} {}, {} {}, {} {}",
            n.t("已上传", "Pushed"),
            r.ops_pushed,
            n.t("条操作", "ops"),
            r.ops_applied,
            n.t("条已应用", "applied"),
            self.tech.outbox_len()?,
            n.t("条待传", "left")
        ));
        n.show(format!(
            "{}: {}",
            n.t("已上传照片(按SHA-256)", "Photos uploaded (by SHA-256)"),
            r.blobs_uploaded
        ));

        n.step("总部现在保存的内容", "What HQ now holds");
        for job in &self.jobs {
            let hq_view: Visit = self.hq(self.api.get_order(job))?;
            let n = &self.n;
            n.show(format!(
                "{} {job}: {}",
                n.t("工单", "Order"),
                hq_view.status.label(n.lang)
            ));
            if let Some(t) = &hq_view.quote_totals {
                n.show(format!("  {}: {}", n.t("合计", "Total"), t.total));
            }
            if let Some(p) = &hq_view.payment {
                n.show(format!(
                    "  {}: {} {}",
                    n.t("收款", "Payment"),
                    p.method.label(n.lang),
                    p.collected()
                ));
            }
            if let Some(r) = &hq_view.receipt {
                n.show(format!("  {}: {}", n.t("收据号", "Receipt"), r.number));
            }
            if let Some(i) = &hq_view.charge_instruction {
                n.show(format!(
                    "  {}: {} ({})",
                    n.t("收费批示", "Charge instruction"),
                    i.instruction.label(n.lang),
                    i.by
                ));
            }
            if let Some(v) = &hq_view.order.vehicle {
                n.show(format!(
                    "  {}: {} {} {}",
                    n.t("车辆", "Vehicle"),
                    v.plate,
                    v.driver_name,
                    v.driver_phone
                ));
            }
            for (template, answers) in &hq_view.answers {
                for id in ["terminal_number", "sim_number"] {
                    if let Some(onsite_core::checklist::Answer::Text(t)) = answers.get(id) {
                        let label = self
                            .tech
                            .checklists()
                            .by_id(template)
                            .and_then(|t| t.item(id).ok())
                            .map_or(id, |i| i.label.get(n.lang));
                        n.show(format!("  {label}: {t}"));
                    }
                }
            }
            for p in &hq_view.parts_short {
                n.show(format!(
                    "  {}: {} ({})",
                    n.t("缺件口头批准", "Parts short, approved by phone"),
                    p.what_short,
                    p.approver
                ));
            }
            if let Some(sig) = hq_view.customer_signature() {
                n.show(format!(
                    "  {}: {} / {}: {}",
                    n.t("客户签字", "Customer signature"),
                    sig.signer_name,
                    n.t("总部校验", "verifies at HQ"),
                    hq_view.verify_signature()?
                ));
            }
        }
        let old_parts = self.hq(self.api.old_parts(&OldPartsQuery::default()))?;
        let n = &self.n;
        for p in &old_parts {
            n.show(format!(
                "{}: {} {} ({} {} → {})",
                n.t("旧件登记(待审核)", "Old part registered (for review)"),
                p.registration,
                p.description,
                p.job_id,
                p.old_serial,
                p.new_serial
            ));
        }
        let followups = self.hq(self.api.followups(&FollowQuery::default()))?;
        let n = &self.n;
        for f in &followups {
            n.show(format!(
                "{}: {} ({}) {} {}",
                n.t("回访队列", "Follow-up queue"),
                f.job_id,
                f.reason,
                n.t("截止", "due"),
                DateTime::parse_from_rfc3339(&f.due_at)
                    .map(|t| n.local(t.with_timezone(&Utc)))
                    .unwrap_or_default()
            ));
        }
        n.show(format!(
            "{}: {}",
            n.t("收据链校验", "Receipt chain intact"),
            self.tech.verify_receipt_chain()?.is_none()
        ));
        if let Some(dir) = out {
            self.n.step("写出单据", "Write the documents");
            for (i, job) in self.jobs.iter().enumerate() {
                // The first job's documents in DIR, any further job's in DIR/<job>.
                let d = if i == 0 { dir.clone() } else { dir.join(job) };
                write_documents(&self.tech, job, self.n.lang, &d)?;
                self.n.show(format!(
                    "{}: {}",
                    self.n.t("目录", "Directory"),
                    d.display()
                ));
            }
        }
        if console {
            self.console()?;
        }
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.stop());
        }
        println!();
        Ok(())
    }

    /// Opens the service centre's console on the demo's HQ: one account per
    /// role, then HQ keeps serving until Ctrl-C.
    fn console(&mut self) -> Result<()> {
        use onsite_hq::centre::audit::Actor;
        use onsite_hq::centre::people::{hash_password, Person};
        self.n.step(
            "客服中心控制台:用浏览器打开,按角色登录",
            "The service centre's console: open it in a browser, sign in by role",
        );
        let hash = hash_password(DEMO_PASSWORD)?;
        let hq_path = self.hq_db.display().to_string();
        let lang = self.n.lang;
        self.rt.block_on(async {
            let store = onsite_hq::open(&hq_path).await?;
            for (username, zh, en, role) in DEMO_PEOPLE {
                let display_name = if lang == Lang::En { en } else { zh };
                let person = Person {
                    username: username.into(),
                    display_name: display_name.into(),
                    role,
                };
                store
                    .create_person(&Actor::Operator, person, hash.clone(), Utc::now())
                    .await?;
            }
            Ok::<_, onsite_hq::HqError>(())
        })?;
        let n = &self.n;
        n.show(format!("{}: http://{}/", n.t("地址", "Address"), self.addr));
        for (username, _, _, role) in DEMO_PEOPLE {
            let (zh, en) = role.names();
            n.show(format!("  {username} / {DEMO_PASSWORD}  ({})", n.t(zh, en)));
        }
        n.show(n.t("按 Ctrl-C 结束", "Ctrl-C ends it"));
        self.rt.block_on(onsite_hq::watch::shutdown_signal());
        Ok(())
    }
}

/// receipt.txt, receipt.html, receipt-58mm.bin, receipt-80mm.bin (when money
/// was taken), signature.png, signature.svg and work-order.html for the job.
fn write_documents(tech: &Technician, job: &str, lang: Lang, dir: &std::path::Path) -> Result<()> {
    use onsite_core::documents::{self, escpos::PrinterProfile};
    use onsite_core::signature::{render_png, render_svg, Background, Ink};
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let v = tech.job(job)?;
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes).with_context(|| format!("writing {name}"))
    };
    // A job where no money was taken (a free warranty repair) has no receipt.
    if let Some(r) = &v.receipt {
        let receipt = tech.receipt_document(&r.number, lang)?;
        write("receipt.txt", documents::to_text(&receipt).as_bytes())?;
        write("receipt.html", documents::to_html(&receipt).as_bytes())?;
        write(
            "receipt-58mm.bin",
            &documents::to_escpos(&receipt, &PrinterProfile::mm58()),
        )?;
        write(
            "receipt-80mm.bin",
            &documents::to_escpos(&receipt, &PrinterProfile::mm80()),
        )?;
    }
    write(
        "work-order.html",
        documents::to_html(&tech.work_order_copy(job, lang)?).as_bytes(),
    )?;
    if let Some(sig) = v.customer_signature() {
        use base64::Engine as _;
        let ink = Ink::decode(&base64::engine::general_purpose::STANDARD.decode(&sig.ink)?)?;
        write(
            "signature.png",
            &render_png(&ink, 600, 200, Background::White)?,
        )?;
        write("signature.svg", render_svg(&ink, 600, 200)?.as_bytes())?;
    }
    Ok(())
}

/// The customer's signature strokes, encoded as the phone would send them.
pub fn customer_ink() -> Vec<u8> {
    onsite_core::signature::demo_ink_bytes()
}

/// Prints the quote's lines.
pub fn show_quote(n: &Narrator, v: &Visit) {
    for l in &v.quote_lines {
        n.show(format!(
            "#{} {} × {} {} = {}{}",
            l.line_no,
            l.description.get(n.lang),
            l.qty,
            l.unit.get(n.lang),
            l.line_total,
            match (l.free, l.needs_approval()) {
                (Some(why), _) => format!("  ({})", why.label(n.lang)),
                (None, true) => n.t("  (标准外)", "  (off schedule)").to_string(),
                (None, false) => String::new(),
            }
        ));
    }
}

/// The end of every visit: completion checklist, the customer's acceptance
/// and signature, payment in cash with change, the receipt, the handover.
pub fn accept_pay_hand_over(s: &mut Session, job: &str, fix_uncertain: bool) -> Result<()> {
    let (n, tech) = (&mut s.n, &s.tech);
    n.step(
        "完工检查与客户验收签字",
        "Completion checklist, customer acceptance and signature",
    );
    n.checklist(tech, job, Phase::Completion)?;
    let name = tech.job(job)?.order.customer.name;
    let v = tech.record_acceptance(
        job,
        AcceptanceInput {
            // Repair quality and service attitude, each rated by the customer.
            quality: Opinion::Rated {
                rating: Rating::Satisfied,
            },
            attitude: Opinion::Rated {
                rating: Rating::Satisfied,
            },
            comment: "师傅很专业,现场很干净".into(),
            // The technician is not sure the fix holds: HQ calls back within 3 hours.
            fix_uncertain,
            sign: SignInput::Sign {
                signer_name: name,
                ink: customer_ink(),
            },
            // The technician signs the order too.
            technician_ink: Some(technician_ink()),
        },
    )?;
    if let Some(a) = &v.acceptance {
        n.show(format!(
            "{}: {}",
            n.t("维修质量", "Repair quality"),
            a.quality.label(n.lang)
        ));
        if let Some(attitude) = &a.attitude {
            n.show(format!(
                "{}: {}",
                n.t("服务态度", "Service attitude"),
                attitude.label(n.lang)
            ));
        }
    }
    if let Some(sig) = v.technician_signature() {
        n.show(format!(
            "{}: {}",
            n.t("技术员签字", "Technician's signature"),
            sig.signer_name
        ));
    }
    if let Some(sig) = v.customer_signature() {
        n.show(format!(
            "{}: {} (SHA-256 {}…)",
            n.t("签字绑定内容", "Signature bound to content"),
            sig.signer_name,
            &sig.content_sha256[..16]
        ));
    }
    n.show(format!(
        "{}: {}",
        n.t("签字校验", "Signature verifies"),
        tech.verify_signature(job)?
    ));
    n.status(&v);

    n.step("收费与收据", "Payment and receipt");
    let due = v.due_on_site();
    n.show(format!(
        "{}: {due}",
        n.t("应收(业主)", "Due from the owner")
    ));
    // Paid with ¥50 notes when anything is due (and change given).
    let received = match due.fen() {
        0 => 0,
        d => d + 5_000 - d % 5_000,
    };
    let v = tech.take_payment(
        job,
        Method::Cash,
        received,
        None,
        // Checked for counterfeits and counted in front of the customer.
        true,
    )?;
    let balance = v.balance_due()?;
    if balance.fen() > 0 {
        n.show(format!(
            "{}: {balance}",
            n.t(
                "其中尾款(单列一行)",
                "of which the balance due (its own line)"
            )
        ));
    }
    if let Some(p) = &v.payment {
        n.show(format!(
            "{}: {}  {}: {}  {}: {}",
            n.t("方式", "Method"),
            p.method.label(n.lang),
            n.t("实收", "Received"),
            p.received,
            n.t("找零", "Change"),
            p.change
        ));
        if p.cash_checked {
            n.line(
                "现金已当面验明真伪并点清",
                "Cash checked for counterfeits and counted in front of the customer",
            );
        }
    }
    let r = tech.issue_receipt(job, false)?;
    n.show(format!("{}: {}", n.t("收据号", "Receipt number"), r.number));
    n.status(&tech.job(job)?);

    n.step("交回客服中心", "Hand over to the service centre");
    n.status(&tech.hand_over(job)?);
    Ok(())
}

/// The technician's own signature on the order: a short zigzag initial.
pub fn technician_ink() -> Vec<u8> {
    use onsite_core::signature::{Canvas, Ink, Point, Stroke};
    let points = (0..60u16)
        .map(|i| {
            let u = f32::from(i) / 59.0;
            Point {
                x: 80.0 + 360.0 * u,
                y: 100.0 + if i % 12 < 6 { -30.0 } else { 30.0 } * (1.0 - u),
                t_ms: u32::from(i) * 10,
                pressure: 0.0,
            }
        })
        .collect();
    Ink {
        canvas: Canvas {
            width: 600.0,
            height: 200.0,
            density: 2.0,
        },
        strokes: vec![Stroke { points }],
    }
    .encode()
}
