//! Figure 7: the console's busiest pages on a big service centre. 200
//! technicians, 10 000 orders a day, 1 000 000 orders in HQ's database
//! (SQLite and PostgreSQL): the dispatch board and the order search, timed
//! over real HTTP on 127.0.0.1 by a signed-in person, beside a trivial
//! signed-in page (the account page) in the same run.
//!
//! The database is built by bulk SQL straight into HQ's tables after HQ
//! created its schema (a generated series, not a million dispatches through
//! the rules, which would take hours): the projected columns the lists read
//! are realistic (names, phones, rooms, states, late and urgent orders), and
//! each order's visit is a real dispatched visit serialised once, with its
//! job id and technician substituted, so the order page opens too.

use std::time::{Duration, Instant};

use chrono::{Duration as Span, NaiveDate, Utc};
use onsite_core::visit::Visit;
use onsite_hq::centre::people::Role;
use onsite_hq::console::page::urlencode;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::onsite_hq_pg::{Client as PgClient, NoTls};
use onsite_tests::harness::{Backend, Hq};
use reqwest::header::COOKIE;

use crate::local::disk_dir;
use crate::report::{ms, percentile, Figure, Report};

/// The size of the centre.
pub struct Centre {
    pub technicians: i64,
    pub per_day: i64,
    pub total: i64,
    /// Requests timed per page.
    pub samples: usize,
}

impl Centre {
    pub fn new(quick: bool, samples: usize) -> Centre {
        if quick {
            Centre {
                technicians: 20,
                per_day: 500,
                total: 10_000,
                samples,
            }
        } else {
            Centre {
                technicians: 200,
                per_day: 10_000,
                total: 1_000_000,
                samples,
            }
        }
    }

    fn days(&self) -> i64 {
        self.total / self.per_day
    }
}

/// Surnames and given-name characters: 18 000 distinct names, each on
/// about 55 of the million orders (a common name finds many orders).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
const GIVEN1: &str = "建国秀兰志明丽华俊杰晓春玉海文静红伟芳敏雪梅云飞宏涛德安庆永";
const GIVEN2: &str = "强英平军霞峰娟刚燕斌琳鹏霖洁颖磊婷超娜勇萍辉璐慧晨宇欣然琪杰";

/// One row of the series, as Rust computes it: what the timed searches look
/// for must exist (the SQL below computes the same from `n`).
struct Row {
    job_id: String,
    name: String,
    phone: String,
    room: String,
}

fn row(c: &Centre, first: NaiveDate, n: i64) -> Row {
    let (d, k) = (n / c.per_day, n % c.per_day);
    let day = first + Span::days(d);
    let ch = |s: &str, i: i64| s.chars().nth(i as usize).unwrap_or('?');
    Row {
        job_id: format!("WO-{}-{:04}", day.format("%Y%m%d"), k + 1),
        name: format!(
            "{}{}{}",
            ch(SURNAMES, n % 20),
            ch(GIVEN1, (n / 20) % 30),
            ch(GIVEN2, (n / 600) % 30)
        ),
        phone: format!("13{:09}", (n * 7919 + 12345) % 1_000_000_000),
        room: format!(
            "{}栋{}单元{}{:02}",
            n / 5 % 30 + 1,
            n / 150 % 4 + 1,
            n / 600 % 33 + 1,
            n / 19800 % 4 + 1
        ),
    }
}

/// The visit stored with every order: a real one, placeholders for the
/// job id and technician.
fn visit_template() -> anyhow::Result<String> {
    let at = Utc::now();
    let order = onsite_core::sample::leak_order("ZZJOBZZ", "ZZTECHZZ", at);
    let (visit, _) = Visit::dispatched(order)?;
    Ok(serde_json::to_string(&visit)?)
}

fn work_order_template() -> anyhow::Result<String> {
    let order = onsite_core::sample::leak_order("ZZJOBZZ", "T000", Utc::now());
    Ok(serde_json::to_string(&order)?)
}

/// The series, for SQLite: n -> day d, k-th order of the day. Today's
/// orders are in every state of the board; past days are handed over (1 in
/// 97 cancelled). Appointments 08:00-17:59 China time, reported 20 h
/// before; 1 in 20 urgent (due 30 min after the call, else 5 min after the
/// appointment); arrivals from 4 min early to 8 min late.
const SQLITE_ORDERS: &str = "
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < :total),
x AS (SELECT n, n % :per_day AS k, date(:first, '+' || (n / :per_day) || ' days') AS day,
             n / :per_day = :days - 1 AS today, printf('T%03d', n % :per_day % :techs) AS tech FROM s),
y AS (SELECT *, 'WO-' || replace(day, '-', '') || '-' || printf('%04d', k + 1) AS job,
             strftime('%Y-%m-%dT%H:%M:%fZ', day, '+' || (k % 600) || ' minutes') AS appt,
             k % 20 = 0 AS urg,
             CASE WHEN NOT today THEN CASE WHEN k % 97 = 0 THEN 'cancelled' ELSE 'handed_over' END
                  ELSE CASE k % 8 WHEN 0 THEN 'dispatched' WHEN 1 THEN 'accepted' WHEN 2 THEN 'en_route'
                      WHEN 3 THEN 'arrived' WHEN 4 THEN 'in_progress' WHEN 5 THEN 'work_done'
                      WHEN 6 THEN 'settled' ELSE 'handed_over' END END AS status FROM x)
INSERT INTO orders(job_id, technician_id, status, visit, created_at, updated_at,
    appointment_day, appointment_at, reported_at, due_at, customer_name, phone_digits,
    site, location, urgent, arrived_at, awaiting_approval)
SELECT job, tech, status, replace(replace(:visit, 'ZZJOBZZ', job), 'ZZTECHZZ', tech),
    strftime('%Y-%m-%dT%H:%M:%fZ', appt, '-20 hours'), appt, day, appt,
    strftime('%Y-%m-%dT%H:%M:%fZ', appt, '-20 hours'),
    CASE WHEN urg THEN strftime('%Y-%m-%dT%H:%M:%fZ', appt, '-20 hours', '+30 minutes')
         ELSE strftime('%Y-%m-%dT%H:%M:%fZ', appt, '+5 minutes') END,
    substr(:s, n % 20 + 1, 1) || substr(:g1, n / 20 % 30 + 1, 1) || substr(:g2, n / 600 % 30 + 1, 1),
    '13' || printf('%09d', (n * 7919 + 12345) % 1000000000),
    CASE n % 5 WHEN 0 THEN '翠湖花园' WHEN 1 THEN '金域华府' WHEN 2 THEN '阳光新城' WHEN 3 THEN '锦绣江南' ELSE '滨江一号' END,
    (n / 5 % 30 + 1) || '栋' || (n / 150 % 4 + 1) || '单元' || (n / 600 % 33 + 1) || printf('%02d', n / 19800 % 4 + 1) || '室 厨房',
    urg,
    CASE WHEN status IN ('dispatched', 'accepted', 'en_route') OR status = 'cancelled' THEN NULL
         ELSE strftime('%Y-%m-%dT%H:%M:%fZ', appt, '+' || (k % 13 - 4) || ' minutes') END,
    today AND k % 8 = 4 AND k % 5 = 0
FROM y";

/// The same series for PostgreSQL.
const POSTGRES_ORDERS: &str = "
INSERT INTO orders(job_id, technician_id, status, visit, created_at, updated_at,
    appointment_day, appointment_at, reported_at, due_at, customer_name, phone_digits,
    site, location, urgent, arrived_at, awaiting_approval)
SELECT job, tech, status, replace(replace($1, 'ZZJOBZZ', job), 'ZZTECHZZ', tech),
    ts(a - interval '20 hours'), ts(a), to_char(day, 'YYYY-MM-DD'), ts(a), ts(a - interval '20 hours'),
    CASE WHEN urg THEN ts(a - interval '20 hours' + interval '30 minutes') ELSE ts(a + interval '5 minutes') END,
    substr($2, (n % 20 + 1)::int, 1) || substr($3, (n / 20 % 30 + 1)::int, 1) || substr($4, (n / 600 % 30 + 1)::int, 1),
    '13' || lpad(((n * 7919 + 12345) % 1000000000)::text, 9, '0'),
    CASE n % 5 WHEN 0 THEN '翠湖花园' WHEN 1 THEN '金域华府' WHEN 2 THEN '阳光新城' WHEN 3 THEN '锦绣江南' ELSE '滨江一号' END,
    (n / 5 % 30 + 1) || '栋' || (n / 150 % 4 + 1) || '单元' || (n / 600 % 33 + 1) || lpad((n / 19800 % 4 + 1)::text, 2, '0') || '室 厨房',
    CASE WHEN urg THEN 1 ELSE 0 END,
    CASE WHEN status IN ('dispatched', 'accepted', 'en_route', 'cancelled') THEN NULL
         ELSE ts(a + make_interval(mins => (k % 13 - 4)::int)) END,
    CASE WHEN today AND k % 8 = 4 AND k % 5 = 0 THEN 1 ELSE 0 END
FROM (SELECT *, 'WO-' || to_char(day, 'YYYYMMDD') || '-' || lpad((k + 1)::text, greatest(4, length((k + 1)::text)), '0') AS job,
             day::timestamp + make_interval(mins => (k % 600)::int) AS a, k % 20 = 0 AS urg,
             CASE WHEN NOT today THEN CASE WHEN k % 97 = 0 THEN 'cancelled' ELSE 'handed_over' END
                  ELSE CASE k % 8 WHEN 0 THEN 'dispatched' WHEN 1 THEN 'accepted' WHEN 2 THEN 'en_route'
                      WHEN 3 THEN 'arrived' WHEN 4 THEN 'in_progress' WHEN 5 THEN 'work_done'
                      WHEN 6 THEN 'settled' ELSE 'handed_over' END END AS status
      FROM (SELECT n, n % $6::bigint AS k, $5::text::date + (n / $6::bigint)::int AS day,
                   n / $6::bigint = $8::bigint - 1 AS today,
                   'T' || lpad((n % $6::bigint % $7::bigint)::text, 3, '0') AS tech
            FROM generate_series(0::bigint, $9::bigint - 1) n) x) y";

const PG_TS: &str = "CREATE OR REPLACE FUNCTION ts(t timestamp) RETURNS text IMMUTABLE LANGUAGE sql
    AS $$ SELECT to_char(t, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') $$";

/// Technicians, their phones (last seen in the last 200 minutes), 50 orders
/// waiting in the unassigned queue, and the order number counters.
fn others(c: &Centre, first: NaiveDate) -> anyhow::Result<Vec<String>> {
    let now = Utc::now();
    let stamp = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let today = first + Span::days(c.days() - 1);
    let wo = work_order_template()?.replace('\'', "''");
    let mut sql = Vec::new();
    for t in 0..c.technicians {
        sql.push(format!(
            "INSERT INTO technicians(technician_id, name, approval_key, created_at) VALUES ('T{t:03}', '师傅{t}', 'k', '{}')",
            stamp(now)
        ));
        sql.push(format!(
            "INSERT INTO devices(device_id, technician_id, token_hash, revoked, last_seq, enrolled_at, last_seen_at)
             VALUES ('D{t:03}', 'T{t:03}', 'bench-{t}', 0, 0, '{}', '{}')",
            stamp(now),
            stamp(now - Span::minutes(t))
        ));
    }
    for q in 0..50 {
        let job = format!("WO-{}-{:04}", today.format("%Y%m%d"), c.per_day + 1 + q);
        let appt = today.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Span::minutes(q * 10);
        sql.push(format!(
            "INSERT INTO unassigned_orders(job_id, work_order, appointment_day, appointment_at, reported_at,
                 due_at, customer_name, phone_digits, site, location, urgent, created_at)
             VALUES ('{job}', '{}', '{today}', '{}', '{}', '{}', '王女士', '13800138000', '翠湖花园', '3栋2单元1502室 厨房', 0, '{}')",
            wo.replace("ZZJOBZZ", &job),
            stamp(appt),
            stamp(appt - Span::hours(20)),
            stamp(appt + Span::minutes(5)),
            stamp(now)
        ));
    }
    for d in 0..c.days() {
        let day = first + Span::days(d);
        let last = if day == today {
            c.per_day + 50
        } else {
            c.per_day
        };
        sql.push(format!(
            "INSERT INTO order_numbers(day, last) VALUES ('{day}', {last})"
        ));
    }
    Ok(sql)
}

fn build_sqlite(c: &Centre, path: &std::path::Path, first: NaiveDate) -> anyhow::Result<()> {
    let mut db = rusqlite::Connection::open(path)?;
    db.busy_timeout(Duration::from_secs(30))?;
    let tx = db.transaction()?;
    tx.execute(
        SQLITE_ORDERS,
        rusqlite::named_params! {
            ":total": c.total, ":per_day": c.per_day, ":first": first.to_string(),
            ":days": c.days(), ":techs": c.technicians, ":visit": visit_template()?,
            ":s": SURNAMES, ":g1": GIVEN1, ":g2": GIVEN2,
        },
    )?;
    for s in others(c, first)? {
        tx.execute(&s, [])?;
    }
    tx.commit()?;
    Ok(())
}

fn build_postgres(c: &Centre, url: &str, first: NaiveDate) -> anyhow::Result<()> {
    let mut db = PgClient::connect(url, NoTls)?;
    let mut tx = db.transaction()?;
    tx.batch_execute(PG_TS)?;
    tx.execute(
        POSTGRES_ORDERS,
        &[
            &visit_template()?,
            &SURNAMES,
            &GIVEN1,
            &GIVEN2,
            &first.to_string(),
            &c.per_day,
            &c.technicians,
            &c.days(),
            &c.total,
        ],
    )?;
    tx.batch_execute("DROP FUNCTION ts(timestamp)")?;
    for s in others(c, first)? {
        tx.batch_execute(&s)?;
    }
    tx.commit()?;
    // What autovacuum does within a minute of such an insert, done now so
    // the timings do not depend on when it runs.
    db.batch_execute("ANALYZE")?;
    Ok(())
}

/// A database of its own in the cluster the bench script started.
fn fresh_database(base: &str) -> anyhow::Result<String> {
    let db = format!("onsite_bench_console_{}", std::process::id());
    let mut admin = PgClient::connect(base, NoTls)?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))?;
    admin.batch_execute(&format!("CREATE DATABASE {db}"))?;
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    Ok(match base[scheme_end..].rfind('/') {
        Some(i) => format!("{}/{db}", &base[..scheme_end + i]),
        None => format!("{base}/{db}"),
    })
}

/// Median and p95 of `samples` GETs of `path` (after two warm-ups), each
/// answer checked: 200 and containing `expect`.
fn time_page(
    hq: &Hq,
    cookie: &str,
    path: &str,
    expect: &str,
    samples: usize,
) -> anyhow::Result<(Duration, Duration, usize)> {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", hq.url);
    let get = || -> anyhow::Result<(Duration, String)> {
        let t = Instant::now();
        let body = hq.rt.block_on(async {
            let res = http.get(&url).header(COOKIE, cookie).send().await?;
            anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
            Ok(res.text().await?)
        })?;
        Ok((t.elapsed(), body))
    };
    let (_, body) = get()?;
    anyhow::ensure!(
        body.contains(expect),
        "{path}: the page does not show {expect:?}"
    );
    get()?;
    let mut times = (0..samples.max(1))
        .map(|_| get().map(|(t, _)| t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    times.sort();
    Ok((
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        body.len(),
    ))
}

pub fn pages(r: &mut Report, c: &Centre, name: &str, pg_url: Option<&str>) -> anyhow::Result<()> {
    let dir = disk_dir();
    let backend = match pg_url {
        Some(base) => Backend::Postgres(fresh_database(base)?),
        None => Backend::Sqlite(dir.path().join("hq.sqlite3")),
    };
    // HQ creates (migrates) the schema; the orders go straight in after.
    let hq = Hq::start(backend);
    let today = onsite_hq::centre::desk::china_day(Utc::now());
    let first = today - Span::days(c.days() - 1);
    let t = Instant::now();
    match &hq.backend {
        Backend::Sqlite(path) => build_sqlite(c, path, first)?,
        Backend::Postgres(url) => build_postgres(c, url, first)?,
    }
    let built = t.elapsed();
    let size = match &hq.backend {
        Backend::Sqlite(path) => std::fs::metadata(path)?.len(),
        Backend::Postgres(url) => {
            let mut db = PgClient::connect(url, NoTls)?;
            let n: i64 = db
                .query_one("SELECT pg_database_size(current_database())", &[])?
                .get(0);
            n as u64
        }
    };
    r.note(format!(
        "figure 7 on {name}: {} orders ({} a day over {} days, {} technicians) built by bulk SQL in {:.0} s, database {} MB",
        c.total,
        c.per_day,
        c.days(),
        c.technicians,
        built.as_secs_f64(),
        size / 1_000_000
    ));

    add_person(&hq, "desk", "客服 张敏", Role::FrontDesk);
    let browser = Browser::signed_in(&hq, "desk");
    let cookie = browser.cookie.clone().unwrap_or_default();

    let (base50, base95, _) = time_page(&hq, &cookie, "/account", "desk", c.samples)?;
    let baseline = format!("{} / {} (account page)", ms(base50), ms(base95));

    // What each search looks for is an order of the series, found by
    // number, customer, phone or room; the date search lists today's.
    let n_today = (c.days() - 1) * c.per_day + 4242 % c.per_day;
    let o = row(c, first, n_today);
    let d = today.to_string();
    let name_q = urlencode(&o.name);
    let room_q = urlencode(&o.room);
    let surname = urlencode(&o.name.chars().take(1).collect::<String>());
    let tech = "T007";
    let pages: Vec<(String, String, String)> = vec![
        (
            format!("board of a day of {} orders", c.per_day),
            format!("/board?day={d}"),
            tech.into(),
        ),
        (
            format!(
                "board with one technician's lines ({})",
                c.per_day / c.technicians
            ),
            format!("/board?day={d}&tech={tech}"),
            row(c, first, (c.days() - 1) * c.per_day + 7).job_id,
        ),
        (
            "search by order number".into(),
            format!("/orders?q={}", o.job_id),
            o.job_id.clone(),
        ),
        (
            "search by customer name (~55 orders)".into(),
            format!("/orders?q={name_q}"),
            o.job_id.clone(),
        ),
        (
            "search by phone digits".into(),
            format!("/orders?q={}", o.phone),
            o.job_id.clone(),
        ),
        (
            "search by room".into(),
            format!("/orders?q={room_q}"),
            "WO-".into(),
        ),
        (
            format!("search by date (a day of {} orders)", c.per_day),
            format!("/orders?day={d}"),
            "WO-".into(),
        ),
        (
            format!("search by surname within a day of {} orders", c.per_day),
            format!("/orders?q={surname}&day={d}"),
            "WO-".into(),
        ),
        (
            "search by surname only (1 in 20 orders)".into(),
            format!("/orders?q={surname}"),
            "WO-".into(),
        ),
    ];
    for (what, path, expect) in pages {
        let (p50, p95, bytes) = time_page(&hq, &cookie, &path, &expect, c.samples)?;
        r.add(Figure {
            name: format!(
                "7. {name}, {} orders: {what}, median / p95 ({} KB page)",
                c.total,
                bytes / 1000
            ),
            value: format!("{} / {}", ms(p50), ms(p95)),
            baseline: baseline.clone(),
            ratio: p50.as_secs_f64() / base50.as_secs_f64(),
            target: "median < 50 ms".into(),
            met: Some(p50 < Duration::from_millis(50)),
        });
    }
    let url = hq.backend.url();
    drop(browser);
    drop(hq);
    if let Some(base) = pg_url {
        let db = url.rsplit('/').next().unwrap_or_default().to_string();
        let mut admin = PgClient::connect(base, NoTls)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
    }
    Ok(())
}
