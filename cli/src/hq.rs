//! `onsite hq ...`: run HQ and drive it as the service centre would.
//!
//! `serve` starts the server (SQLite file in the working directory unless
//! `--db` says otherwise). The other commands talk to a running HQ through
//! its typed client ([`onsite_hq::client`]) with the admin token, which `serve` writes to `onsite-hq.admin-token` when
//! none is given, so a person can run a day by hand from two terminals.

use std::future::Future;
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Subcommand;
use onsite_core::charge::Instruction;
use onsite_core::checklist::Category;
use onsite_core::locale::Lang;
use onsite_core::money::Fen;
use onsite_core::order::{Customer, Payer, Vehicle, WorkOrder};
use onsite_core::payment::Method;
use onsite_core::visit::{ConsentChannel, RescheduleConsent};
use onsite_hq::api::{
    Assign, Cancel, ChargeCodeBody, ChargeInstructionBody, FollowQuery, InvoiceQuery,
    NewEnrollment, NewTechnician, OrderFilter, ReconQuery, Reschedule,
};
use onsite_hq::client::{Client, ClientError};
use onsite_hq::rules::{Reconciliation, Tally};
use serde::Serialize;
use serde_json::{json, Value};

pub const TOKEN_FILE: &str = "onsite-hq.admin-token";

/// `onsite hq serve`'s flags; with [`onsite_hq::config`] the one place
/// HQ's settings are named.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Database: a SQLite file path or postgres://... [default: onsite-hq.sqlite3]
    #[arg(long, env = "ONSITE_HQ_DB")]
    db: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "ONSITE_HQ_LISTEN")]
    listen: Option<String>,
    /// Log lines as text (for people) or json (for a log collector) [default: text]
    #[arg(long, env = "ONSITE_HQ_LOG_FORMAT", value_parser = ["text", "json"])]
    log_format: Option<String>,
    /// Admin token for the dispatch API and /metrics [default: ./onsite-hq.admin-token, else generated]
    #[arg(long, env = "ONSITE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Seconds a stop (SIGTERM, Ctrl-C) waits for requests in flight before abandoning them [default: 30]
    #[arg(long, env = "ONSITE_HQ_DRAIN_TIMEOUT")]
    drain_timeout: Option<u64>,
    /// TOML file with any of the settings above (flags and environment win over it)
    #[arg(long, env = "ONSITE_HQ_CONFIG")]
    config: Option<std::path::PathBuf>,
}

impl ServeArgs {
    /// Flags and environment over the file over the defaults.
    fn resolve(self) -> Result<onsite_hq::config::Resolved> {
        use onsite_hq::config::ServeSettings;
        let file = match &self.config {
            Some(path) => ServeSettings::read(path)?,
            None => ServeSettings::default(),
        };
        let log_format = self
            .log_format
            .map(|f| f.parse().map_err(anyhow::Error::msg))
            .transpose()?;
        let command_line = ServeSettings {
            db: self.db,
            listen: self.listen,
            log_format,
            admin_token: self.admin_token,
            drain_timeout: self.drain_timeout,
        };
        Ok(command_line.over(file).resolve())
    }
}

#[derive(Subcommand)]
pub enum HqCommand {
    /// Run the HQ server.
    ///
    /// Each setting comes from its flag, else its environment variable, else
    /// the --config file (TOML, same names with underscores: db, listen,
    /// log_format, admin_token, drain_timeout), else its default. SIGTERM or Ctrl-C stops HQ
    /// gracefully: requests in flight are answered first.
    Serve(ServeArgs),
    /// Create a technician (if new) and print a one-time enrollment code for their phone.
    Enroll {
        technician: String,
        #[arg(long, default_value = "技术员")]
        name: String,
        #[command(flatten)]
        conn: Conn,
    },
    /// Dispatch work orders and change them.
    Dispatch {
        #[command(subcommand)]
        command: DispatchCommand,
        #[command(flatten)]
        conn: Conn,
    },
    /// Revoke a device's token.
    Revoke {
        device: String,
        #[command(flatten)]
        conn: Conn,
    },
    /// Revoke a device WITH remote wipe: it hands in what it holds unsent,
    /// then deletes its data at its next contact.
    Wipe {
        device: String,
        #[command(flatten)]
        conn: Conn,
    },
    /// Set how many days phones keep a handed-over job's customer data once
    /// HQ has all of it (1-3650; phones apply it at their next sync).
    PhoneRetention {
        days: u32,
        #[command(flatten)]
        conn: Conn,
    },
    /// The follow-up queue (with --month YYYY-MM also the monthly 30% sample).
    Followups {
        #[arg(long)]
        month: Option<String>,
        #[command(flatten)]
        conn: Conn,
    },
    /// Reconcile a technician's day: receipts issued, voided and reissued and
    /// the net money, by method, against what was handed in.
    Reconcile {
        technician: String,
        /// YYYY-MM-DD (China time)
        day: String,
        /// Language of the labels: zh-CN (default) or en.
        #[arg(long, default_value = "zh-CN")]
        lang: String,
        /// Print HQ's JSON answer instead of the table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        conn: Conn,
    },
    /// The service centre's instruction on a disputed charge, sent to the phone by sync.
    ChargeInstruction {
        job: String,
        #[command(flatten)]
        instruction: InstructionArgs,
        /// Who at the service centre gives it.
        #[arg(long)]
        by: String,
        #[command(flatten)]
        conn: Conn,
    },
    /// The code a supervisor reads out to an offline technician for an instruction.
    ChargeCode {
        job: String,
        #[command(flatten)]
        instruction: InstructionArgs,
        #[command(flatten)]
        conn: Conn,
    },
    /// Invoices promised to customers and not yet handed over.
    Invoices {
        #[command(flatten)]
        conn: Conn,
    },
    /// Integration keys: create, revoke and list them, on HQ's database
    /// directly (as the operator who runs `onsite hq serve`).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The service centre's console accounts, on HQ's database directly (the
    /// first administrator is made this way; administrators add the rest in
    /// the console).
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Retention: closed orders older than the company's setting (default 3
    /// years) have their customer's personal data anonymised, keeping the
    /// figures, and photo uploads left half way for 30 days are dropped; on
    /// HQ's database directly, audited. --dry-run lists them.
    Retention {
        /// List the orders due, change nothing.
        #[arg(long, conflicts_with = "apply", required_unless_present_any = ["apply", "set_years"])]
        dry_run: bool,
        /// Anonymise the orders due.
        #[arg(long)]
        apply: bool,
        /// Set the company's retention in years (1-100) first.
        #[arg(long)]
        set_years: Option<i64>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input (one line).
    Add {
        /// Sign-in name: 1-64 of a-z, 0-9, '.', '_', '-'.
        name: String,
        /// front_desk (客服专员), supervisor (主管), manager (经理) or admin (管理员).
        #[arg(long)]
        role: String,
        /// The name colleagues see [default: the sign-in name].
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Every account with its role and state (never a password).
    List,
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create a key and print its secret, once: it is stored only hashed and
    /// cannot be shown again.
    Create {
        name: String,
        /// Comma-separated: dispatch, read, customer (customers' personal
        /// data in what it reads), admin (admin covers all).
        #[arg(long)]
        scope: String,
    },
    /// Revoke a key: HQ refuses its secret from now on.
    Revoke { name: String },
    /// Every key with its scopes and when it was created, revoked and last used (never a secret).
    List,
}

/// Which database the key commands work on: the one `onsite hq serve` uses,
/// named the same way (flag, environment, config file, default).
#[derive(clap::Args)]
pub struct DbArgs {
    /// Database: a SQLite file path or postgres://... [default: onsite-hq.sqlite3]
    #[arg(long, env = "ONSITE_HQ_DB", global = true)]
    db: Option<String>,
    /// TOML file whose `db` setting names the database (the flag and environment win over it)
    #[arg(long, env = "ONSITE_HQ_CONFIG", global = true)]
    config: Option<std::path::PathBuf>,
}

/// One of --waive, --reduce-to FEN, --insist.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct InstructionArgs {
    /// Nothing of the disputed charge is collected.
    #[arg(long)]
    waive: bool,
    /// The charge is reduced to this many fen.
    #[arg(long, value_name = "FEN")]
    reduce_to: Option<i64>,
    /// The charge stands.
    #[arg(long)]
    insist: bool,
}

impl InstructionArgs {
    fn instruction(&self) -> Result<Instruction> {
        Ok(match (self.waive, self.reduce_to, self.insist) {
            (_, Some(to), _) => Instruction::Reduce {
                to: Fen::new(to).context("--reduce-to")?,
            },
            (true, None, _) => Instruction::Waive,
            _ => Instruction::Insist,
        })
    }
}

#[derive(clap::Args)]
pub struct Conn {
    /// HQ's address.
    #[arg(long, default_value = "http://127.0.0.1:8080", global = true)]
    hq: String,
    /// Admin token (default: $ONSITE_ADMIN_TOKEN, else ./onsite-hq.admin-token).
    #[arg(long, global = true)]
    admin_token: Option<String>,
}

/// GPS: the vehicle of an order (plate, model, driver).
#[derive(Debug, clap::Args)]
pub struct VehicleArgs {
    /// GPS: the vehicle's plate number (gives the order a vehicle).
    #[arg(long)]
    plate: Option<String>,
    /// GPS: the vehicle model.
    #[arg(long, default_value = "")]
    vehicle_model: String,
    /// GPS: the driver's name.
    #[arg(long, default_value = "")]
    driver: String,
    /// GPS: the driver's phone.
    #[arg(long, default_value = "")]
    driver_phone: String,
}

#[derive(Subcommand)]
pub enum DispatchCommand {
    /// Create and dispatch an order.
    Create {
        #[arg(long)]
        job: String,
        #[arg(long)]
        technician: String,
        #[arg(long, default_value = "property_repair")]
        category: String,
        #[arg(long)]
        site: String,
        #[arg(long, default_value = "")]
        location: String,
        #[arg(long)]
        customer: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long)]
        fault: String,
        /// Appointment: RFC 3339 time, or +MINUTES from now.
        #[arg(long, default_value = "+60")]
        at: String,
        /// Arrival due within 30 minutes of the customer's call (the report time).
        #[arg(long)]
        urgent: bool,
        /// The order's outstanding balance (尾款) to collect on site, in fen.
        #[arg(long, default_value_t = 0)]
        balance_fen: i64,
        #[command(flatten)]
        vehicle: Box<VehicleArgs>,
        /// Furniture: one line of the delivery list, `MODEL|COLOUR|SIZE|QUANTITY`
        /// (repeat for each item).
        #[arg(long = "item")]
        items: Vec<String>,
        /// The customer complained before (HQ also marks it from its complaint records).
        #[arg(long)]
        complained_before: bool,
    },
    Assign {
        job: String,
        technician: String,
    },
    Reschedule {
        job: String,
        /// RFC 3339 time, or +MINUTES from now.
        at: String,
        #[arg(long, default_value = "")]
        reason: String,
        /// Who agreed to the new time (the customer's consent is required).
        #[arg(long)]
        agreed_by: String,
        /// How they agreed: phone, in_person or message.
        #[arg(long, default_value = "phone")]
        channel: String,
        /// When they agreed (RFC 3339 or +MINUTES); default now.
        #[arg(long, default_value = "+0")]
        agreed_at: String,
    },
    Cancel {
        job: String,
        reason: String,
    },
    List {
        #[arg(long)]
        technician: Option<String>,
    },
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    if let Some(m) = s.strip_prefix('+') {
        let minutes: i64 = m.parse().context("+MINUTES expects a number")?;
        return Ok(Utc::now() + Duration::minutes(minutes));
    }
    Ok(DateTime::parse_from_rfc3339(s)
        .with_context(|| format!("{s:?} is not an RFC 3339 time"))?
        .with_timezone(&Utc))
}

fn admin_token(explicit: Option<String>) -> Result<String> {
    if let Some(t) = explicit.or_else(|| std::env::var("ONSITE_ADMIN_TOKEN").ok()) {
        return Ok(t);
    }
    std::fs::read_to_string(TOKEN_FILE)
        .map(|s| s.trim().to_string())
        .with_context(|| format!("no admin token: pass --admin-token, set ONSITE_ADMIN_TOKEN, or run from the directory where `onsite hq serve` wrote {TOKEN_FILE}"))
}

impl Conn {
    /// HQ's typed client at `--hq` with the admin token.
    fn client(self) -> Result<Client> {
        Ok(Client::new(&self.hq, &admin_token(self.admin_token)?)?)
    }
}

/// Waits for one call of HQ's client; a refusal is the command's error,
/// with HQ's status, code and message.
pub fn wait<T>(
    rt: &tokio::runtime::Runtime,
    call: impl Future<Output = Result<T, ClientError>>,
) -> Result<T> {
    Ok(rt.block_on(call)?)
}

/// HQ's answer as JSON on standard output.
fn print_json(v: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub fn run(cmd: HqCommand) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    match cmd {
        HqCommand::Serve(args) => serve(&rt, args.resolve()?),
        HqCommand::Key { command, db } => key(&rt, command, db),
        HqCommand::User { command, db } => user(&rt, command, db),
        HqCommand::Retention {
            dry_run: _,
            apply,
            set_years,
            db,
        } => retention(&rt, apply, set_years, db),
        HqCommand::Enroll {
            technician,
            name,
            conn,
        } => {
            let api = conn.client()?;
            wait(
                &rt,
                api.create_technician(&NewTechnician {
                    technician_id: technician.clone(),
                    name,
                }),
            )?;
            let code = wait(
                &rt,
                api.create_enrollment(&NewEnrollment {
                    technician_id: technician.clone(),
                }),
            )?;
            println!("enrollment code for {technician}: {}", code.code);
            Ok(())
        }
        HqCommand::Revoke { device, conn } => {
            wait(&rt, conn.client()?.revoke_device(&device))?;
            println!("revoked {device}");
            Ok(())
        }
        HqCommand::Wipe { device, conn } => {
            wait(&rt, conn.client()?.wipe_device(&device))?;
            println!("revoked {device} with wipe");
            Ok(())
        }
        HqCommand::PhoneRetention { days, conn } => {
            wait(&rt, conn.client()?.set_phone_retention(days))?;
            println!("phones keep customer data {days} days after the handover");
            Ok(())
        }
        HqCommand::ChargeInstruction {
            job,
            instruction,
            by,
            conn,
        } => {
            let body = ChargeInstructionBody {
                instruction: instruction.instruction()?,
                by,
            };
            print_json(&wait(&rt, conn.client()?.charge_instruction(&job, &body))?)
        }
        HqCommand::ChargeCode {
            job,
            instruction,
            conn,
        } => {
            let body = ChargeCodeBody {
                instruction: instruction.instruction()?,
            };
            let code = wait(&rt, conn.client()?.charge_code(&job, &body))?;
            println!("code for {job}: {}", code.code);
            Ok(())
        }
        HqCommand::Invoices { conn } => {
            let pending = InvoiceQuery {
                status: Some("pending".into()),
            };
            print_json(&wait(&rt, conn.client()?.invoices(&pending))?)
        }
        HqCommand::Followups { month, conn } => print_json(&wait(
            &rt,
            conn.client()?.followups(&FollowQuery { month }),
        )?),
        HqCommand::Reconcile {
            technician,
            day,
            lang,
            json,
            conn,
        } => {
            let lang = Lang::parse(&lang)
                .with_context(|| format!("unknown language {lang:?}: use zh-CN or en"))?;
            let day: NaiveDate = day
                .parse()
                .with_context(|| format!("{day:?} is not a day like 2026-11-24"))?;
            let query = ReconQuery {
                technician_id: technician,
                day,
            };
            let r = wait(&rt, conn.client()?.reconciliation(&query))?;
            let text = if json {
                format!("{}\n", serde_json::to_string_pretty(&r)?)
            } else {
                reconciliation_table(&r, lang)
            };
            // A closed pipe (`| head`) is an error to report, not a panic.
            std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())
                .context("writing the reconciliation")?;
            Ok(())
        }
        HqCommand::Dispatch { command, conn } => {
            let api = conn.client()?;
            match command {
                DispatchCommand::Create {
                    job,
                    technician,
                    category,
                    site,
                    location,
                    customer,
                    phone,
                    fault,
                    at,
                    urgent,
                    balance_fen,
                    vehicle,
                    items,
                    complained_before,
                } => {
                    let VehicleArgs {
                        plate,
                        vehicle_model,
                        driver,
                        driver_phone,
                    } = *vehicle;
                    let delivery_items = items
                        .iter()
                        .map(|s| parse_delivery_item(s))
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    let category: Category = serde_json::from_value(json!(category)).context(
                        "category is one of property_repair, appliance, gps_install, furniture",
                    )?;
                    let now = Utc::now();
                    let order = WorkOrder {
                        job_id: job,
                        category,
                        site,
                        customer: Customer {
                            name: customer,
                            phone,
                        },
                        location,
                        reported_at: now,
                        dispatched_at: now,
                        appointment_at: parse_time(&at)?,
                        urgent,
                        service: fault.clone(),
                        fault,
                        product: None,
                        recorder: "onsite cli".into(),
                        desired_completion_at: None,
                        default_payer: Payer::Owner,
                        technician_id: technician,
                        unpaid_balance_fen: balance_fen,
                        vehicle: plate.map(|plate| Vehicle {
                            plate,
                            model: vehicle_model,
                            driver_name: driver,
                            driver_phone,
                        }),
                        delivery_items,
                        complained_before,
                    };
                    print_json(&wait(&rt, api.create_order(&order))?)
                }
                DispatchCommand::Assign { job, technician } => {
                    let to = Assign {
                        technician_id: technician,
                    };
                    print_json(&wait(&rt, api.assign(&job, &to))?)
                }
                DispatchCommand::Reschedule {
                    job,
                    at,
                    reason,
                    agreed_by,
                    channel,
                    agreed_at,
                } => {
                    let channel: ConsentChannel = serde_json::from_value(json!(channel))
                        .context("--channel is one of phone, in_person, message")?;
                    let r = Reschedule {
                        appointment_at: parse_time(&at)?,
                        reason,
                        consent: Some(RescheduleConsent {
                            agreed_by,
                            agreed_at: parse_time(&agreed_at)?,
                            channel,
                        }),
                    };
                    print_json(&wait(&rt, api.reschedule(&job, &r))?)
                }
                DispatchCommand::Cancel { job, reason } => {
                    print_json(&wait(&rt, api.cancel(&job, &Cancel { reason }))?)
                }
                DispatchCommand::List { technician } => {
                    let filter = OrderFilter {
                        technician_id: technician,
                        status: None,
                    };
                    print_json(&wait(&rt, api.list_orders(&filter))?)
                }
            }
        }
    }
}

fn serve(rt: &tokio::runtime::Runtime, settings: onsite_hq::config::Resolved) -> Result<()> {
    // HQ's log on standard error, filtered by RUST_LOG (default info).
    onsite_hq::logs::init(settings.log_format);
    let token = match settings.admin_token {
        Some(t) => t,
        None if Path::new(TOKEN_FILE).exists() => {
            std::fs::read_to_string(TOKEN_FILE)?.trim().to_string()
        }
        None => {
            let t = uuid_like();
            std::fs::write(TOKEN_FILE, &t).with_context(|| format!("writing {TOKEN_FILE}"))?;
            println!("admin token written to {TOKEN_FILE}");
            t
        }
    };
    let listen = &settings.listen;
    let addr = listen
        .parse()
        .with_context(|| format!("{listen:?} is not an address like 127.0.0.1:8080"))?;
    let db = &settings.db;
    let database = rt
        .block_on(onsite_hq::open(db))
        .with_context(|| format!("opening {db}"))?;
    let kind = database.kind();
    let limit = settings.drain_timeout;
    let accounts = rt.block_on(database.accounts(Utc::now()))?.len();
    // Never the URL itself: a PostgreSQL URL may carry a password.
    let db_flag = if db == onsite_hq::config::DEFAULT_DB {
        ""
    } else {
        " --db <the same database>"
    };
    rt.block_on(async move {
        let server = onsite_hq::Server::start(database, &token, addr).await?;
        println!("Onsite HQ on {} ({kind}); Ctrl-C stops it", server.url());
        println!("Console (客服中心): {}/ in a browser", server.url());
        if accounts == 0 {
            println!(
                "No console account yet (尚无账号). Create the first administrator (创建第一个管理员):\n  \
                 echo 'a-long-password' | onsite hq user add admin --role admin --password-stdin{db_flag}"
            );
        }
        onsite_hq::logs::serving(&server.url(), kind);
        onsite_hq::watch::shutdown_signal().await;
        if !server.stop_within(limit).await {
            bail!("requests still in flight after {limit:?} were abandoned");
        }
        Ok::<_, anyhow::Error>(())
    })
}

fn user(rt: &tokio::runtime::Runtime, cmd: UserCommand, args: DbArgs) -> Result<()> {
    use onsite_hq::centre::audit::Actor;
    use onsite_hq::centre::people::{hash_password, Person, Role};
    let store = open_db(rt, args)?;
    match cmd {
        UserCommand::Add {
            name,
            role,
            display_name,
            password_stdin: _,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: front_desk, supervisor, manager or admin")
            })?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let hash = hash_password(password)?;
            let person = Person {
                display_name: display_name.unwrap_or_else(|| name.clone()),
                username: name.clone(),
                role,
            };
            rt.block_on(store.create_person(&Actor::Operator, person, hash, Utc::now()))?;
            let (zh, en) = role.names();
            println!("{name} ({zh} / {en}) can now sign in to the console");
        }
        UserCommand::List => {
            for a in rt.block_on(store.accounts(Utc::now()))? {
                println!(
                    "{}\t{}\t{}\t{}",
                    a.person.username,
                    a.person.role.as_str(),
                    a.person.display_name,
                    if a.disabled { "disabled" } else { "active" }
                );
            }
        }
    }
    Ok(())
}

/// The database the operator commands work on, opened and migrated.
fn open_db(
    rt: &tokio::runtime::Runtime,
    args: DbArgs,
) -> Result<std::sync::Arc<dyn onsite_hq::Storage>> {
    use onsite_hq::config::ServeSettings;
    let file = match &args.config {
        Some(path) => ServeSettings::read(path)?,
        None => ServeSettings::default(),
    };
    let url = ServeSettings {
        db: args.db,
        ..Default::default()
    }
    .over(file)
    .resolve()
    .db;
    rt.block_on(onsite_hq::open(&url))
        .with_context(|| format!("opening {url}"))
}

fn key(rt: &tokio::runtime::Runtime, cmd: KeyCommand, args: DbArgs) -> Result<()> {
    use onsite_hq::centre::audit::Actor;
    use onsite_hq::keys::Scope;
    let store = open_db(rt, args)?;
    let now = Utc::now();
    match cmd {
        KeyCommand::Create { name, scope } => {
            let scopes = Scope::parse_list(&scope)?;
            let secret = rt.block_on(store.add_key(&Actor::Operator, &name, scopes, now))?;
            eprintln!("key {name} created; its secret (shown this once, HQ keeps only its hash):");
            println!("{secret}");
        }
        KeyCommand::Revoke { name } => {
            rt.block_on(store.withdraw_key(&Actor::Operator, &name, now))?;
            println!("key {name} revoked");
        }
        KeyCommand::List => {
            for k in rt.block_on(store.keys())? {
                let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
                println!(
                    "{}\t{}\tcreated {}\t{}\t{}",
                    k.name,
                    scopes.join(","),
                    k.created_at,
                    k.revoked_at
                        .map_or("active".to_string(), |t| format!("revoked {t}")),
                    k.last_used_at
                        .map_or("never used".to_string(), |t| format!("last used {t}")),
                );
            }
        }
    }
    Ok(())
}

fn retention(
    rt: &tokio::runtime::Runtime,
    apply: bool,
    set_years: Option<i64>,
    args: DbArgs,
) -> Result<()> {
    let store = open_db(rt, args)?;
    if let Some(years) = set_years {
        rt.block_on(store.set_retention_years(
            &onsite_hq::centre::audit::Actor::Operator,
            years,
            Utc::now(),
        ))?;
        println!("retention set to {years} years");
    }
    let run = rt.block_on(store.retention(
        &onsite_hq::centre::audit::Actor::Operator,
        apply,
        Utc::now(),
    ))?;
    let verb = if run.applied { "anonymised" } else { "due" };
    println!(
        "retention {} years: closed orders last changed before {}: {} {verb}",
        run.years,
        run.cutoff
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        run.orders.len()
    );
    for job in &run.orders {
        println!("{job}");
    }
    if run.applied {
        println!("photos deleted: {}", run.blobs_deleted);
    }
    let verb = if run.applied { "dropped" } else { "due" };
    println!(
        "unfinished photo uploads idle for {} days: {} {verb}",
        onsite_hq::centre::retention::IDLE_UPLOAD_DAYS,
        run.idle_uploads
    );
    Ok(())
}

/// A random admin token (two UUIDv4s from the OS's randomness).
fn uuid_like() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Signed money as "¥-12.34", for differences and nets (which may be negative).
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("¥{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Terminal columns `s` takes (a CJK character takes two).
fn columns(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// `label` padded on the right to `cols` terminal columns.
fn pad(label: &str, cols: usize) -> String {
    format!("{label}{}", " ".repeat(cols.saturating_sub(columns(label))))
}

/// `s` aligned right in `cols` terminal columns.
fn right(s: &str, cols: usize) -> String {
    format!("{}{s}", " ".repeat(cols.saturating_sub(columns(s))))
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// The day's reconciliation as a person reads it: one block per payment
/// method, then whether it balances.
pub fn reconciliation_table(r: &Reconciliation, lang: Lang) -> String {
    use std::fmt::Write;
    let t = |zh, en| pick(lang, zh, en);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {}",
        t("对账", "Reconciliation"),
        r.technician_id,
        r.day
    );
    if r.lines.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            t(
                "当日无收据、无交回",
                "no receipts and nothing handed in that day"
            )
        );
    }
    let count = |n: i64| match lang {
        Lang::ZhCn => format!("{n} 张"),
        Lang::En => format!("{n} receipt{}", if n == 1 { "" } else { "s" }),
    };
    for l in &r.lines {
        let label = serde_json::from_value::<Method>(Value::from(l.method.as_str()))
            .map_or_else(|_| l.method.clone(), |m| m.label(lang).to_string());
        let _ = writeln!(out, "{label} ({})", l.method);
        let tally = |out: &mut String, name: &str, x: &Tally| {
            let _ = writeln!(
                out,
                "  {} {}  {:>14}",
                pad(name, 10),
                right(&count(x.count), 12),
                yuan(x.fen)
            );
        };
        tally(&mut out, t("开具", "issued"), &l.issued);
        tally(&mut out, t("作废", "voided"), &l.voided);
        tally(&mut out, t("重开", "reissued"), &l.reissued);
        let money = |out: &mut String, name: &str, fen: i64| {
            let _ = writeln!(out, "  {} {:>12}  {:>14}", pad(name, 10), "", yuan(fen));
        };
        money(&mut out, t("净额", "net"), l.net_fen);
        money(&mut out, t("已交回", "handed in"), l.handed_in_fen);
        money(&mut out, t("差额", "difference"), l.difference_fen);
    }
    let _ = writeln!(
        out,
        "{}",
        if r.balanced {
            t("结果: 账目相符", "Result: balanced")
        } else {
            t(
                "结果: 账目不符 (差额为负表示少交)",
                "Result: NOT balanced (a negative difference means money is missing)",
            )
        }
    );
    out
}

/// `MODEL|COLOUR|SIZE|QUANTITY`, one line of a furniture delivery list.
fn parse_delivery_item(s: &str) -> anyhow::Result<onsite_core::order::DeliveryItem> {
    let parts: Vec<&str> = s.split('|').map(str::trim).collect();
    let [model, colour, size, quantity] = parts.as_slice() else {
        anyhow::bail!("--item is MODEL|COLOUR|SIZE|QUANTITY, not {s:?}");
    };
    Ok(onsite_core::order::DeliveryItem {
        model: (*model).to_string(),
        colour: (*colour).to_string(),
        size: (*size).to_string(),
        quantity: quantity
            .parse()
            .with_context(|| format!("the quantity of --item {s:?} is a whole number"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use onsite_hq::rules::MethodLine;

    fn sample(handed_in: i64) -> Reconciliation {
        let one = Tally {
            count: 1,
            fen: 12_000,
        };
        Reconciliation {
            technician_id: "T1".into(),
            day: "2026-11-24".into(),
            lines: vec![MethodLine {
                method: "wechat_pay".into(),
                issued: one,
                voided: one,
                reissued: Tally::default(),
                net_fen: 0,
                handed_in_fen: handed_in,
                difference_fen: handed_in,
            }],
            balanced: handed_in == 0,
        }
    }

    #[test]
    fn the_table_names_each_figure_in_both_languages() {
        let zh = reconciliation_table(&sample(12_000), Lang::ZhCn);
        for s in [
            "对账 T1 2026-11-24",
            "微信支付 (wechat_pay)",
            "开具",
            "作废",
            "重开",
            "净额",
            "已交回",
            "差额",
            "1 张",
            "¥120.00",
            "¥0.00",
            "账目不符",
        ] {
            assert!(zh.contains(s), "{s} missing from\n{zh}");
        }
        let en = reconciliation_table(&sample(0), Lang::En);
        for s in [
            "Reconciliation T1",
            "WeChat Pay (wechat_pay)",
            "issued",
            "voided",
            "reissued",
            "net",
            "handed in",
            "difference",
            "1 receipt ",
            "0 receipts",
            "Result: balanced",
        ] {
            assert!(en.contains(s), "{s} missing from\n{en}");
        }
    }

    #[test]
    fn negative_and_extreme_amounts_print_without_panicking() {
        assert_eq!(yuan(-12_345), "¥-123.45");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(i64::MIN), "¥-92233720368547758.08");
        assert_eq!(yuan(i64::MAX), "¥92233720368547758.07");
    }
}
