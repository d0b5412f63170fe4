//! The service centre's records (page 8): the daily repair summary
//! (每日报修记录汇总表) and the monthly figures a manager reads, and their
//! CSV exports (each audited, with who exported it and when in the file).
//!
//! The figures are rules over the orders HQ holds (each order's visit as the
//! phones synced it), the follow-up queue and the complaints received. SQL
//! narrows by time range on an index; the counting is here, unit-tested.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::console::page::tr;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use onsite_core::checklist::Category;
use onsite_core::locale::Lang;
use onsite_core::order::Payer;
use onsite_core::punctuality::Verdict;
use onsite_core::visit::{Opinion, Rating, Status, Visit};
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::storage::records::Records;

/// One line of the daily repair summary: the work order's fields the front
/// desk fills in, completed when the order comes back, with its follow-up.
// 「接业户报修电话,则填写《维修服务工作联系单》及《每日报修记录汇总表》……前台接单后归档并同时完善《每日报修记录汇总表》,并及时进行回访。回访结果亦需在《每H服务报修记录汇总表》上反映出来」 (property book)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyLine {
    pub job_id: String,
    /// 楼盘名称
    pub site: String,
    /// 报修人
    pub customer: String,
    /// 房号/地点
    pub location: String,
    /// 报修时间
    pub reported_at: DateTime<Utc>,
    /// 预约时间
    pub appointment_at: DateTime<Utc>,
    pub category: Category,
    /// 报修内容
    pub service: String,
    pub technician_id: String,
    pub status: Status,
    /// When the customer accepted the work (完成时间), if they have.
    pub completed_at: Option<DateTime<Utc>>,
    /// The customer's rating of the repair quality, if given.
    pub quality: Option<Opinion>,
    /// Why HQ calls the customer back (回访), if it does.
    pub followups: Vec<String>,
}

/// The daily repair summary of one day (China time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySummary {
    pub day: NaiveDate,
    pub lines: Vec<DailyLine>,
}

/// Ratings counted: a declined opinion is counted apart, never as a rating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingCounts {
    pub satisfied: u64,
    pub average: u64,
    pub dissatisfied: u64,
    /// The customer would not give an opinion.
    // 「不要强迫用户签名」 (appliance book)
    pub declined: u64,
}

impl RatingCounts {
    fn add(&mut self, o: &Opinion) {
        match o {
            Opinion::Rated { rating } => match rating {
                Rating::Satisfied => self.satisfied += 1,
                Rating::Average => self.average += 1,
                Rating::Dissatisfied => self.dissatisfied += 1,
            },
            Opinion::Declined { .. } => self.declined += 1,
        }
    }

    /// Customers who gave a rating.
    pub fn rated(&self) -> u64 {
        self.satisfied + self.average + self.dissatisfied
    }
}

/// A month's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monthly {
    /// The month's first day.
    pub month: NaiveDate,
    pub orders: u64,
    /// Orders by line (category) and state.
    pub by_line: BTreeMap<Category, HashMap<Status, u64>>,
    /// Arrivals judged, and those judged late.
    pub arrivals: u64,
    pub late: u64,
    pub quality: RatingCounts,
    pub attitude: RatingCounts,
    /// Orders the customer accepted (completed), and those with a follow-up.
    pub completed: u64,
    pub followed_up: u64,
    /// Complaints received, soft and hard.
    pub complaints_soft: u64,
    pub complaints_hard: u64,
    /// Of the month's complaints, those whose every clock was kept so far
    /// (steps taken within the books' limits, none overdue now).
    pub complaints_within_limits: u64,
    /// Quoted money of completed orders by who pays, in fen.
    pub money_by_payer: BTreeMap<Payer, i64>,
}

/// A share as a person reads it: `66.7%`, or `-` when there is nothing to divide.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    // Tenths of a percent, rounded half up, in integers.
    let tenths = (u128::from(part) * 2000 + u128::from(whole)) / (2 * u128::from(whole));
    format!("{}.{}%", tenths / 10, tenths % 10)
}

impl Monthly {
    /// Arrivals not late among those judged (early is on time: furniture arrives early on purpose).
    pub fn punctuality(&self) -> String {
        percent(self.arrivals - self.late, self.arrivals)
    }

    /// Completed orders that were followed up.
    pub fn followup_rate(&self) -> String {
        percent(self.followed_up, self.completed)
    }
}

/// The UTC instants a China day starts and ends at, as stored times compare.
pub fn day_range(day: NaiveDate) -> (String, String) {
    let start = |d: NaiveDate| {
        let t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        crate::console::page::china()
            .from_local_datetime(&t)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    (start(day), start(day.succ_opt().unwrap_or(day)))
}

/// A month written `YYYY-MM`, as its first day.
pub fn parse_month(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
        .ok()
        .filter(|_| s.trim().len() == 7)
        .ok_or_else(|| HqError::BadRequest("a month is written YYYY-MM".into()))
}

/// The first day of the month after `month`.
fn next_month(month: NaiveDate) -> NaiveDate {
    let (y, m) = if month.month() == 12 {
        (month.year() + 1, 1)
    } else {
        (month.year(), month.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(month)
}

/// What a month's figures read from one order's visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    pub job_id: String,
    pub category: Category,
    pub status: Status,
    /// The arrival's punctuality verdict, once arrived.
    pub arrival: Option<Verdict>,
    pub quality: Option<Opinion>,
    pub attitude: Option<Opinion>,
    /// The quote's money by who pays, in fen.
    pub money: Vec<(Payer, i64)>,
}

impl OrderFacts {
    pub fn of(v: &Visit) -> OrderFacts {
        OrderFacts {
            job_id: v.order.job_id.clone(),
            category: v.order.category,
            status: v.status,
            arrival: v.punctuality.as_ref().map(|p| p.verdict),
            quality: v.acceptance.as_ref().map(|a| a.quality.clone()),
            attitude: v.acceptance.as_ref().and_then(|a| a.attitude.clone()),
            money: v
                .quote_totals
                .as_ref()
                .map(|t| t.by_payer.iter().map(|(p, f)| (*p, f.fen())).collect())
                .unwrap_or_default(),
        }
    }
}

/// A month's counting over its orders, the jobs with a follow-up and the
/// complaints' kinds. Completed means the customer accepted the work (and
/// after: settled, handed over); money is counted for completed orders.
pub fn count_month(
    month: NaiveDate,
    orders: &[OrderFacts],
    followed: &HashSet<String>,
    complaint_kinds: &[String],
) -> Monthly {
    let mut m = Monthly {
        month,
        orders: 0,
        by_line: BTreeMap::new(),
        arrivals: 0,
        late: 0,
        quality: RatingCounts::default(),
        attitude: RatingCounts::default(),
        completed: 0,
        followed_up: 0,
        complaints_soft: 0,
        complaints_hard: 0,
        complaints_within_limits: 0,
        money_by_payer: BTreeMap::new(),
    };
    for o in orders {
        m.orders += 1;
        *m.by_line
            .entry(o.category)
            .or_default()
            .entry(o.status)
            .or_default() += 1;
        if let Some(verdict) = o.arrival {
            m.arrivals += 1;
            if verdict == Verdict::Late {
                m.late += 1;
            }
        }
        if let Some(q) = &o.quality {
            m.quality.add(q);
        }
        if let Some(a) = &o.attitude {
            m.attitude.add(a);
        }
        if o.status.sealed() {
            m.completed += 1;
            if followed.contains(&o.job_id) {
                m.followed_up += 1;
            }
            for (payer, fen) in &o.money {
                let slot = m.money_by_payer.entry(*payer).or_default();
                *slot = slot.saturating_add(*fen);
            }
        }
    }
    for k in complaint_kinds {
        match k.as_str() {
            "hard" => m.complaints_hard += 1,
            _ => m.complaints_soft += 1,
        }
    }
    m
}

#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait ReportsRecords {
    /// The visits (JSON) of orders HQ received in `[from, to)`, oldest first.
    async fn visits_received(&mut self, from: &str, to: &str) -> Result<Vec<String>>;
    /// (job, reason) of follow-ups of orders received in `[from, to)`.
    async fn followups_of_received(
        &mut self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String)>>;
    /// The kinds of complaints received in `[from, to)`.
    async fn complaint_kinds(&mut self, from: &str, to: &str) -> Result<Vec<String>>;
}

/// The records' reads (and audited exports) on HQ's database.
#[async_trait::async_trait]
pub trait ReportsStore {
    async fn daily_summary(&self, day: NaiveDate) -> Result<DailySummary>;
    /// The month's figures; complaints' clocks are judged at `now`.
    async fn monthly_figures(&self, month: NaiveDate, now: DateTime<Utc>) -> Result<Monthly>;
    /// The daily summary for a CSV download, audited `export.daily`, each
    /// order's row logged as an `export` look from `origin`; confidential
    /// orders are left out altogether.
    async fn export_daily(
        &self,
        by: &Actor,
        origin: &crate::centre::access::Origin,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<DailySummary>;
    /// The month's figures for a CSV download, audited `export.monthly`.
    async fn export_monthly(
        &self,
        by: &Actor,
        month: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Monthly>;
}

/// The `impl ReportsStore` each database module invokes with its own `rule!` in scope.
macro_rules! reports_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::reports::ReportsStore for $ty {
            async fn daily_summary(
                &self,
                day: chrono::NaiveDate,
            ) -> Result<$crate::centre::reports::DailySummary> {
                rule!(self, |r| $crate::centre::reports::daily(r, day))
            }
            async fn monthly_figures(
                &self,
                month: chrono::NaiveDate,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::reports::Monthly> {
                rule!(self, |r| $crate::centre::reports::monthly(r, month, now))
            }
            async fn export_daily(
                &self,
                by: &$crate::centre::audit::Actor,
                origin: &$crate::centre::access::Origin,
                day: chrono::NaiveDate,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::reports::DailySummary> {
                let (by, origin) = (by.clone(), origin.clone());
                rule!(self, |r| $crate::centre::reports::export_daily(
                    r, &by, &origin, day, now
                ))
            }
            async fn export_monthly(
                &self,
                by: &$crate::centre::audit::Actor,
                month: chrono::NaiveDate,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::reports::Monthly> {
                let by = by.clone();
                rule!(self, |r| $crate::centre::reports::export_monthly(
                    r, &by, month, now
                ))
            }
        }
    };
}
pub(crate) use reports_operations;

fn visit_of(json: &str) -> Result<Visit> {
    serde_json::from_str(json).map_err(|e| HqError::Internal(format!("stored visit: {e}")))
}

pub(crate) async fn daily<R: Records>(r: &mut R, day: NaiveDate) -> Result<DailySummary> {
    let (from, to) = day_range(day);
    let mut reasons: HashMap<String, Vec<String>> = HashMap::new();
    for (job, reason) in r.followups_of_received(&from, &to).await? {
        reasons.entry(job).or_default().push(reason);
    }
    let mut lines = Vec::new();
    for json in r.visits_received(&from, &to).await? {
        let v = visit_of(&json)?;
        let o = &v.order;
        lines.push(DailyLine {
            followups: reasons.remove(&o.job_id).unwrap_or_default(),
            job_id: o.job_id.clone(),
            site: o.site.clone(),
            customer: o.customer.name.clone(),
            location: o.location.clone(),
            reported_at: o.reported_at,
            appointment_at: o.appointment_at,
            category: o.category,
            service: o.service.clone(),
            technician_id: o.technician_id.clone(),
            status: v.status,
            completed_at: v.accepted_by_customer_at,
            quality: v.acceptance.as_ref().map(|a| a.quality.clone()),
        });
    }
    Ok(DailySummary { day, lines })
}

pub(crate) async fn monthly<R: Records>(
    r: &mut R,
    month: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Monthly> {
    let (from, _) = day_range(month);
    let (to, _) = day_range(next_month(month));
    let orders = r
        .visits_received(&from, &to)
        .await?
        .iter()
        .map(|j| visit_of(j).map(|v| OrderFacts::of(&v)))
        .collect::<Result<Vec<_>>>()?;
    let followed = r
        .followups_of_received(&from, &to)
        .await?
        .into_iter()
        .map(|(job, _)| job)
        .collect();
    let kinds = r.complaint_kinds(&from, &to).await?;
    let mut m = count_month(month, &orders, &followed, &kinds);
    // 「投诉处理时限」: each complaint of the month against its clocks
    // (centre::complaints), as the complaints page judges them.
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    m.complaints_within_limits = crate::centre::complaints::book(r)
        .await?
        .iter()
        .filter(|c| (from.as_str()..to.as_str()).contains(&stamp(c.received_at).as_str()))
        .filter(|c| !c.clocks(now).iter().any(|k| k.breached))
        .count() as u64;
    Ok(m)
}

pub(crate) async fn export_daily<R: Records>(
    r: &mut R,
    by: &Actor,
    origin: &crate::centre::access::Origin,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DailySummary> {
    use crate::centre::access::{self, Look, Reader};
    let mut s = daily(r, day).await?;
    // 「凡属“机密”、“绝密”的客户资料……其他人员未经许可不得查阅。」 (GPS book):
    // a confidential order never leaves HQ in a file, not even masked.
    let ids: Vec<String> = s.lines.iter().map(|l| l.job_id.clone()).collect();
    let secret = r.confidential_among(&ids).await?;
    s.lines.retain(|l| !secret.contains(&l.job_id));
    let exported: Vec<String> = s.lines.iter().map(|l| l.job_id.clone()).collect();
    access::looked(
        r,
        &Reader::of_actor(by),
        origin,
        Look::Export,
        &exported,
        access::Sight::Everything,
        now,
    )
    .await?;
    let detail = format!("{day} ({} orders)", exported.len());
    audit::record(r, by, "export.daily", None, &detail, now).await?;
    Ok(s)
}

pub(crate) async fn export_monthly<R: Records>(
    r: &mut R,
    by: &Actor,
    month: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Monthly> {
    let m = monthly(r, month, now).await?;
    audit::record(
        r,
        by,
        "export.monthly",
        None,
        &month.format("%Y-%m").to_string(),
        now,
    )
    .await?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_in_integers() {
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(0, 0), "-");
        assert_eq!(percent(5, 5), "100.0%");
    }

    #[test]
    fn a_china_day_starts_at_16_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            day_range(d),
            (
                "2026-11-27T16:00:00.000Z".to_string(),
                "2026-11-28T16:00:00.000Z".to_string()
            )
        );
        assert_eq!(
            next_month(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).to_string(),
            "2027-01-01"
        );
        assert_eq!(parse_month("2026-11").unwrap().to_string(), "2026-11-01");
        for bad in ["2026-13", "2026-1", "", "<script>", "2026-11-01"] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn declined_opinions_are_counted_apart_never_as_ratings() {
        let mut c = RatingCounts::default();
        c.add(&Opinion::Rated {
            rating: Rating::Satisfied,
        });
        c.add(&Opinion::Declined {
            reason: "赶时间".into(),
        });
        c.add(&Opinion::Rated {
            rating: Rating::Dissatisfied,
        });
        assert_eq!(
            (c.satisfied, c.dissatisfied, c.declined, c.rated()),
            (1, 1, 1, 2)
        );
    }

    #[test]
    fn a_month_counts_lines_states_lateness_ratings_followups_money_and_complaints() {
        let facts = |job: &str, status, arrival, quality: Option<Opinion>, money| OrderFacts {
            job_id: job.into(),
            category: Category::PropertyRepair,
            status,
            arrival,
            quality: quality.clone(),
            attitude: quality,
            money,
        };
        let sat = Some(Opinion::Rated {
            rating: Rating::Satisfied,
        });
        let orders = [
            facts(
                "J-1",
                Status::Settled,
                Some(Verdict::OnTime),
                sat.clone(),
                vec![(Payer::Owner, 5000)],
            ),
            facts(
                "J-2",
                Status::CustomerAccepted,
                Some(Verdict::Late),
                Some(Opinion::Declined {
                    reason: "忙".into(),
                }),
                vec![(Payer::Property, 300), (Payer::Owner, 100)],
            ),
            facts(
                "J-3",
                Status::Dispatched,
                None,
                None,
                vec![(Payer::Owner, 9999)],
            ),
            OrderFacts {
                category: Category::Furniture,
                ..facts("J-4", Status::HandedOver, Some(Verdict::Early), sat, vec![])
            },
        ];
        let followed: HashSet<String> = ["J-2".to_string(), "J-3".to_string()].into();
        let m = count_month(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            &orders,
            &followed,
            &["soft".into(), "hard".into(), "soft".into()],
        );
        assert_eq!(m.orders, 4);
        assert_eq!(m.by_line[&Category::PropertyRepair][&Status::Settled], 1);
        assert_eq!(m.by_line[&Category::Furniture][&Status::HandedOver], 1);
        // Early counts as on time (furniture arrives early on purpose); J-3 has not arrived.
        assert_eq!(
            (m.arrivals, m.late, m.punctuality()),
            (3, 1, "66.7%".to_string())
        );
        assert_eq!(
            (m.quality.satisfied, m.quality.declined, m.quality.rated()),
            (2, 1, 2)
        );
        // Only completed orders count for follow-up and money.
        assert_eq!(
            (m.completed, m.followed_up, m.followup_rate()),
            (3, 1, "33.3%".to_string())
        );
        assert_eq!(m.money_by_payer[&Payer::Owner], 5100);
        assert_eq!(m.money_by_payer[&Payer::Property], 300);
        assert_eq!((m.complaints_soft, m.complaints_hard), (2, 1));
    }
}

// --- names and the CSV files ----------------------------------------------------------------

/// A line's name.
pub fn category_label(lang: Lang, c: Category) -> &'static str {
    match c {
        Category::PropertyRepair => tr(lang, "物业维修", "Property repair"),
        Category::Appliance => tr(lang, "家电售后", "Appliance service"),
        Category::GpsInstall => tr(lang, "GPS安装", "GPS installation"),
        Category::Furniture => tr(lang, "家具配送安装", "Furniture delivery"),
    }
}

/// Who pays, in the books' words.
pub fn payer_label(lang: Lang, p: Payer) -> &'static str {
    match p {
        Payer::Owner => tr(lang, "业户付费", "Owner"),
        Payer::Property => tr(lang, "物业", "Property"),
        Payer::MaintenanceFund => tr(lang, "维修基金", "Maintenance fund"),
    }
}

/// An opinion as the summary shows it.
pub fn opinion_label(lang: Lang, o: &Opinion) -> &'static str {
    match o {
        Opinion::Rated { rating } => rating.label(lang),
        Opinion::Declined { .. } => tr(lang, "拒绝评价", "Declined to rate"),
    }
}

fn local(t: DateTime<Utc>) -> String {
    crate::console::page::local(t)
}

fn yuan_plain(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// One CSV field: quoted when it must be, and a leading `= + - @` made
/// inert so a spreadsheet never runs a customer's words as a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn row(out: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// The file's first lines: what it is, who exported it and when.
fn header(out: &mut String, lang: Lang, title: &str, by: &str, now: DateTime<Utc>) {
    // UTF-8 with a byte-order mark: Excel in China opens it as UTF-8.
    out.push('\u{feff}');
    row(out, &[title.to_string()]);
    row(
        out,
        &[tr(lang, "导出人", "Exported by").into(), by.to_string()],
    );
    row(
        out,
        &[tr(lang, "导出时间", "Exported at").into(), local(now)],
    );
}

/// The daily summary as CSV; `by` names the person who exported it.
/// A leak's customers as a file (the report to the customers and the
/// authority starts from it), with who exported it and when.
pub fn leak_csv(
    r: &crate::centre::leaks::LeakReport,
    lang: Lang,
    by: &str,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let title = format!(
        "{} #{}",
        tr(
            lang,
            "泄露处置:可能涉及的客户",
            "Leak response: customers concerned"
        ),
        r.leak.id
    );
    header(&mut out, lang, &title, by, now);
    row(
        &mut out,
        &[
            tr(lang, "查阅记录时间段", "Reads between").into(),
            local(r.leak.from),
            local(r.leak.to),
        ],
    );
    row(
        &mut out,
        &[
            tr(lang, "工单号", "Order"),
            tr(lang, "客户", "Customer"),
            tr(lang, "电话", "Phone"),
            tr(lang, "地点", "Place"),
            tr(lang, "首次查阅", "First read"),
            tr(lang, "最后查阅", "Last read"),
            tr(lang, "次数", "Reads"),
            tr(lang, "方式", "How"),
            tr(lang, "查阅者", "By"),
            tr(lang, "只见到隐去后的资料", "Saw it masked only"),
        ]
        .map(String::from),
    );
    for e in &r.exposed {
        let kinds: Vec<String> = e
            .kinds
            .iter()
            .map(|k| {
                crate::centre::access::Look::parse(k)
                    .map_or(k.clone(), |l| l.label(lang).to_string())
            })
            .collect();
        let readers: Vec<String> = e
            .readers
            .iter()
            .map(crate::centre::access::Reader::as_stored)
            .collect();
        row(
            &mut out,
            &[
                e.job_id.clone(),
                e.customer_name.clone().unwrap_or_default(),
                e.customer_phone.clone().unwrap_or_default(),
                e.location.clone().unwrap_or_default(),
                local(e.first_read),
                local(e.last_read),
                e.reads.to_string(),
                kinds.join(" / "),
                readers.join(" / "),
                if e.masked_only {
                    tr(lang, "是", "yes")
                } else {
                    tr(lang, "否", "no")
                }
                .into(),
            ],
        );
    }
    out
}

pub fn daily_csv(s: &DailySummary, lang: Lang, by: &str, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let title = format!(
        "{} {}",
        tr(lang, "每日报修记录汇总表", "Daily repair summary"),
        s.day
    );
    header(&mut out, lang, &title, by, now);
    row(
        &mut out,
        &[
            tr(lang, "工单号", "Order"),
            tr(lang, "楼盘名称", "Site"),
            tr(lang, "报修人", "Reported by"),
            tr(lang, "房号/地点", "Room or place"),
            tr(lang, "报修时间", "Reported at"),
            tr(lang, "预约时间", "Appointment"),
            tr(lang, "类别", "Line"),
            tr(lang, "报修内容", "Request"),
            tr(lang, "技术员", "Technician"),
            tr(lang, "状态", "State"),
            tr(lang, "完成时间", "Completed"),
            tr(lang, "维修质量评价", "Quality rating"),
            tr(lang, "回访", "Follow-up"),
        ]
        .map(String::from),
    );
    for l in &s.lines {
        row(
            &mut out,
            &[
                l.job_id.clone(),
                l.site.clone(),
                l.customer.clone(),
                l.location.clone(),
                local(l.reported_at),
                local(l.appointment_at),
                category_label(lang, l.category).into(),
                l.service.clone(),
                l.technician_id.clone(),
                l.status.label(lang).into(),
                l.completed_at.map(local).unwrap_or_default(),
                l.quality
                    .as_ref()
                    .map(|o| opinion_label(lang, o).to_string())
                    .unwrap_or_default(),
                l.followups.join(" "),
            ],
        );
    }
    out
}

/// The month's figures as CSV (one figure a row).
pub fn monthly_csv(m: &Monthly, lang: Lang, by: &str, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let title = format!(
        "{} {}",
        tr(lang, "月度报表", "Monthly report"),
        m.month.format("%Y-%m")
    );
    header(&mut out, lang, &title, by, now);
    let mut fig = |a: &str, b: String, c: String| row(&mut out, &[a.to_string(), b, c]);
    fig(
        tr(lang, "工单总数", "Orders"),
        String::new(),
        m.orders.to_string(),
    );
    for (cat, states) in &m.by_line {
        for st in Status::ALL {
            if let Some(n) = states.get(&st) {
                fig(
                    category_label(lang, *cat),
                    st.label(lang).into(),
                    n.to_string(),
                );
            }
        }
    }
    fig(
        tr(lang, "准时率", "Punctuality"),
        format!("{}/{}", m.arrivals - m.late, m.arrivals),
        m.punctuality(),
    );
    for (name, c) in [
        (tr(lang, "维修质量", "Repair quality"), &m.quality),
        (tr(lang, "服务态度", "Service attitude"), &m.attitude),
    ] {
        for (what, n) in [
            (Rating::Satisfied.label(lang), c.satisfied),
            (Rating::Average.label(lang), c.average),
            (Rating::Dissatisfied.label(lang), c.dissatisfied),
            (tr(lang, "拒绝评价", "Declined to rate"), c.declined),
        ] {
            fig(name, what.into(), n.to_string());
        }
    }
    fig(
        tr(lang, "回访率", "Follow-up rate"),
        format!("{}/{}", m.followed_up, m.completed),
        m.followup_rate(),
    );
    fig(
        tr(lang, "投诉", "Complaints"),
        tr(lang, "软投诉", "soft").into(),
        m.complaints_soft.to_string(),
    );
    fig(
        tr(lang, "投诉", "Complaints"),
        tr(lang, "硬投诉", "hard").into(),
        m.complaints_hard.to_string(),
    );
    fig(
        tr(lang, "投诉", "Complaints"),
        tr(lang, "处理时限内", "within their limits").into(),
        m.complaints_within_limits.to_string(),
    );
    for (p, fen) in &m.money_by_payer {
        fig(
            tr(lang, "金额(元)", "Money (yuan)"),
            payer_label(lang, *p).into(),
            yuan_plain(*fen),
        );
    }
    out
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_made_inert() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("王芳"), "王芳");
        assert_eq!(yuan_plain(-12345), "-123.45");
    }

    #[test]
    fn the_file_starts_with_a_bom_and_says_who_exported_it_when() {
        let s = DailySummary {
            day: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            lines: vec![],
        };
        let now = DateTime::parse_from_rfc3339("2026-11-28T13:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let csv = daily_csv(&s, Lang::ZhCn, "赵经理 (zhao)", now);
        assert!(csv.starts_with("\u{feff}每日报修记录汇总表 2026-11-28\r\n导出人,赵经理 (zhao)\r\n导出时间,2026-11-28 21:00\r\n"), "{csv}");
    }
}
