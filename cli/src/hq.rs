//! `onsite hq ...`: run HQ and drive it as the service centre would.
//!
//! `serve` starts the server (SQLite file in the working directory unless
//! `--db` says otherwise). The other commands talk to a running HQ over HTTP
//! with the admin token, which `serve` writes to `onsite-hq.admin-token` when
//! none is given, so a person can run a day by hand from two terminals.

use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, Utc};
use clap::Subcommand;
use onsite_core::checklist::Category;
use onsite_core::order::{Customer, Payer, WorkOrder};
use serde_json::{json, Value};

pub const TOKEN_FILE: &str = "onsite-hq.admin-token";
pub const DEFAULT_DB: &str = "onsite-hq.sqlite3";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Subcommand)]
pub enum HqCommand {
    /// Run the HQ server.
    Serve {
        /// Database: a SQLite file path (default onsite-hq.sqlite3) or postgres://...
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: String,
        /// Admin token for the dispatch API (default: $ONSITE_ADMIN_TOKEN, else generated).
        #[arg(long)]
        admin_token: Option<String>,
    },
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
    /// The follow-up queue (with --month YYYY-MM also the monthly 30% sample).
    Followups {
        #[arg(long)]
        month: Option<String>,
        #[command(flatten)]
        conn: Conn,
    },
    /// Reconcile a technician's day: receipts and money by method against what was handed in.
    Reconcile {
        technician: String,
        /// YYYY-MM-DD (China time)
        day: String,
        #[command(flatten)]
        conn: Conn,
    },
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
        /// Arrival due within 30 minutes of dispatch.
        #[arg(long)]
        urgent: bool,
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

/// One admin call to HQ; prints nothing, returns the JSON body.
pub fn call(
    rt: &tokio::runtime::Runtime,
    hq: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value> {
    rt.block_on(async {
        let mut req = reqwest::Client::new()
            .request(
                method.parse()?,
                format!("{}{path}", hq.trim_end_matches('/')),
            )
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach HQ at {hq}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            bail!(
                "HQ answered {status}: {}",
                v["message"].as_str().unwrap_or("(no message)")
            );
        }
        Ok(v)
    })
}

pub fn run(cmd: HqCommand) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    match cmd {
        HqCommand::Serve {
            db,
            listen,
            admin_token,
        } => serve(&rt, &db, &listen, admin_token),
        HqCommand::Enroll {
            technician,
            name,
            conn,
        } => {
            let t = admin_token(conn.admin_token)?;
            call(
                &rt,
                &conn.hq,
                &t,
                "POST",
                "/v1/technicians",
                Some(json!({"technician_id": technician, "name": name})),
            )?;
            let v = call(
                &rt,
                &conn.hq,
                &t,
                "POST",
                "/v1/enrollments",
                Some(json!({"technician_id": technician})),
            )?;
            println!(
                "enrollment code for {technician}: {}",
                v["code"].as_str().unwrap_or_default()
            );
            Ok(())
        }
        HqCommand::Revoke { device, conn } => {
            let t = admin_token(conn.admin_token)?;
            call(
                &rt,
                &conn.hq,
                &t,
                "POST",
                &format!("/v1/devices/{device}/revoke"),
                None,
            )?;
            println!("revoked {device}");
            Ok(())
        }
        HqCommand::Followups { month, conn } => {
            let t = admin_token(conn.admin_token)?;
            let q = month.map(|m| format!("?month={m}")).unwrap_or_default();
            let v = call(&rt, &conn.hq, &t, "GET", &format!("/v1/followups{q}"), None)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        HqCommand::Reconcile {
            technician,
            day,
            conn,
        } => {
            let t = admin_token(conn.admin_token)?;
            let v = call(
                &rt,
                &conn.hq,
                &t,
                "GET",
                &format!("/v1/reconciliation?technician_id={technician}&day={day}"),
                None,
            )?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        HqCommand::Dispatch { command, conn } => {
            let t = admin_token(conn.admin_token)?;
            let v = match command {
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
                } => {
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
                        unpaid_balance_fen: 0,
                    };
                    call(
                        &rt,
                        &conn.hq,
                        &t,
                        "POST",
                        "/v1/orders",
                        Some(serde_json::to_value(order)?),
                    )?
                }
                DispatchCommand::Assign { job, technician } => call(
                    &rt,
                    &conn.hq,
                    &t,
                    "POST",
                    &format!("/v1/orders/{job}/assign"),
                    Some(json!({"technician_id": technician})),
                )?,
                DispatchCommand::Reschedule { job, at, reason } => call(
                    &rt,
                    &conn.hq,
                    &t,
                    "POST",
                    &format!("/v1/orders/{job}/reschedule"),
                    Some(json!({"appointment_at": parse_time(&at)?, "reason": reason})),
                )?,
                DispatchCommand::Cancel { job, reason } => call(
                    &rt,
                    &conn.hq,
                    &t,
                    "POST",
                    &format!("/v1/orders/{job}/cancel"),
                    Some(json!({"reason": reason})),
                )?,
                DispatchCommand::List { technician } => {
                    let q = technician
                        .map(|t| format!("?technician_id={t}"))
                        .unwrap_or_default();
                    call(&rt, &conn.hq, &t, "GET", &format!("/v1/orders{q}"), None)?
                }
            };
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
    }
}

fn serve(
    rt: &tokio::runtime::Runtime,
    db: &str,
    listen: &str,
    token: Option<String>,
) -> Result<()> {
    let token = match token.or_else(|| std::env::var("ONSITE_ADMIN_TOKEN").ok()) {
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
    let addr = listen
        .parse()
        .with_context(|| format!("{listen:?} is not an address like 127.0.0.1:8080"))?;
    let database = onsite_hq::open_db(db).with_context(|| format!("opening {db}"))?;
    let kind = database.kind();
    rt.block_on(async move {
        let server = onsite_hq::Server::start(database, &token, addr).await?;
        println!("Onsite HQ on {} ({kind}); Ctrl-C stops it", server.url());
        let _ = tokio::signal::ctrl_c().await;
        server.stop().await;
        Ok::<_, anyhow::Error>(())
    })
}

/// A random admin token (two UUIDv4s from the OS's randomness).
fn uuid_like() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
