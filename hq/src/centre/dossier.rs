//! An order's whole file, as the order page shows it: what the phone
//! recorded (HQ's projection of the visit), its receipts and voids,
//! follow-ups, complaints, old parts, photos and the audit trail, read in
//! one transaction so the page never mixes two moments; and the four copies
//! of the paper work order, each with what its reader may see.

use onsite_core::checklist::Answer;
use onsite_core::documents::{china_time, work_order_copy, Doc};
use onsite_core::locale::Lang;
use onsite_core::visit::Visit;
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor, AuditEntry};
use crate::error::{HqError, Result};
use crate::rules::{self, ComplaintRecord, FollowUp, OldPart};
use crate::storage::records::Records;

/// A receipt of the order as HQ recorded it, with its void if it was voided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptEntry {
    pub number: String,
    /// `original`, `emergency` or `reissue`.
    pub kind: String,
    pub method: String,
    pub amount_fen: i64,
    /// The day it was issued (YYYY-MM-DD, China time).
    pub issued_day: String,
    /// When HQ received it (RFC 3339).
    pub received_at: String,
    /// The voided receipt a reissue replaces.
    pub refers_to: Option<String>,
    pub voided_day: Option<String>,
    pub void_reason: Option<String>,
}

/// One line of the order's audit trail, with the person's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailLine {
    pub entry: AuditEntry,
    /// The person's display name (or the key's name, or `None` for HQ itself).
    pub who: Option<String>,
}

/// Everything HQ holds about one order.
#[derive(Debug, Clone)]
pub struct Dossier {
    pub visit: Visit,
    pub receipts: Vec<ReceiptEntry>,
    pub followups: Vec<FollowUp>,
    pub complaints: Vec<ComplaintRecord>,
    pub old_parts: Vec<OldPart>,
    pub trail: Vec<TrailLine>,
    /// Photos the visit names that HQ does not hold yet: the phone pushes a
    /// visit's facts before its photos, so these are still on their way.
    pub photos_pending: Vec<String>,
}

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/dossier.rs`,
/// `storage/postgres/dossier.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait DossierRecords {
    /// The order's receipts in the order HQ received them.
    async fn receipts_of_job(&mut self, job_id: &str) -> Result<Vec<ReceiptEntry>>;
    /// The order's follow-ups, soonest due first.
    async fn followups_of_job(&mut self, job_id: &str) -> Result<Vec<FollowUp>>;
    /// The order's complaints, oldest first.
    async fn complaints_of_job(&mut self, job_id: &str) -> Result<Vec<ComplaintRecord>>;
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait DossierStore {
    /// The order's whole file; `NotFound` for an order HQ does not hold.
    async fn dossier(&self, job_id: &str) -> Result<Dossier>;
    /// A photo of the order (media type, bytes); `NotFound` unless the
    /// order's visit names it (another order's photo never shows here).
    async fn order_photo(&self, job_id: &str, sha256: &str) -> Result<(String, Vec<u8>)>;
}

/// The `impl DossierStore` each database module invokes with its own `rule!` in scope.
macro_rules! dossier_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::dossier::DossierStore for $ty {
            async fn dossier(&self, job_id: &str) -> Result<$crate::centre::dossier::Dossier> {
                let job_id = job_id.to_owned();
                rule!(self, |r| $crate::centre::dossier::dossier(r, &job_id))
            }
            async fn order_photo(&self, job_id: &str, sha256: &str) -> Result<(String, Vec<u8>)> {
                let (job_id, sha256) = (job_id.to_owned(), sha256.to_owned());
                rule!(self, |r| $crate::centre::dossier::order_photo(
                    r, &job_id, &sha256
                ))
            }
        }
    };
}
pub(crate) use dossier_operations;

pub(crate) async fn dossier<R: Records>(r: &mut R, job_id: &str) -> Result<Dossier> {
    let visit = rules::get_order(r, job_id, None).await?;
    let receipts = r.receipts_of_job(job_id).await?;
    let followups = r.followups_of_job(job_id).await?;
    let complaints = r.complaints_of_job(job_id).await?;
    let old_parts = r.old_parts(Some(job_id)).await?;
    let mut trail = Vec::new();
    for entry in audit::trail(r, job_id).await? {
        let who = match &entry.actor {
            Actor::Person(name) => Some(
                r.person(name)
                    .await?
                    .map_or_else(|| name.clone(), |p| p.display_name),
            ),
            Actor::Key(name) => Some(name.clone()),
            Actor::Operator => None,
        };
        trail.push(TrailLine { entry, who });
    }
    let mut photos_pending = Vec::new();
    for sha in photos_of(&visit) {
        if !r.blob_exists(&sha).await? {
            photos_pending.push(sha);
        }
    }
    Ok(Dossier {
        visit,
        receipts,
        followups,
        complaints,
        old_parts,
        trail,
        photos_pending,
    })
}

/// Every photo the visit names: checklist photo answers and the photos of
/// material inspections, each once, in the order recorded.
pub fn photos_of(v: &Visit) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let answers = v.answers.values().flat_map(|a| a.values());
    let answered = answers.filter_map(|a| match a {
        Answer::Photo(h) => Some(h.clone()),
        _ => None,
    });
    let inspected = v
        .materials
        .iter()
        .filter_map(|m| m.inspection.as_ref())
        .flat_map(|i| i.photos.iter().cloned());
    for h in answered.chain(inspected) {
        if !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

pub(crate) async fn order_photo<R: Records>(
    r: &mut R,
    job_id: &str,
    sha256: &str,
) -> Result<(String, Vec<u8>)> {
    let visit = rules::get_order(r, job_id, None).await?;
    if !photos_of(&visit).iter().any(|h| h == sha256) {
        return Err(HqError::NotFound(format!(
            "photo {sha256} of order {job_id}"
        )));
    }
    let (media_type, bytes) = rules::get_blob(r, sha256, None).await?;
    // Only a photo is served as one: a blob of another type under a photo's
    // name would otherwise reach the browser as whatever the phone said.
    if !matches!(media_type.as_str(), "image/jpeg" | "image/png") {
        return Err(HqError::NotFound(format!(
            "photo {sha256} of order {job_id}"
        )));
    }
    Ok((media_type, bytes))
}

fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// The four copies of the paper work order.
// 「维修服务工作单设四联,分别是客户联、维修服务部门…」 (property book); the book's
// page breaks off after the first two: the other two are the service
// centre's (which files it and calls back) and the finance copy (money).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkOrderCopy {
    Customer,
    ServiceDepartment,
    ServiceCentre,
    Finance,
}

impl WorkOrderCopy {
    pub const ALL: [WorkOrderCopy; 4] = [
        WorkOrderCopy::Customer,
        WorkOrderCopy::ServiceDepartment,
        WorkOrderCopy::ServiceCentre,
        WorkOrderCopy::Finance,
    ];

    /// The copy's name, as printed at its top.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            WorkOrderCopy::Customer => tr(lang, "客户联", "Customer copy"),
            WorkOrderCopy::ServiceDepartment => {
                tr(lang, "维修服务部门联", "Service department copy")
            }
            WorkOrderCopy::ServiceCentre => tr(lang, "客服中心联", "Service centre copy"),
            WorkOrderCopy::Finance => tr(lang, "财务联", "Finance copy"),
        }
    }

    /// A class name for the copy (`copy-customer`...).
    pub fn slug(self) -> &'static str {
        match self {
            WorkOrderCopy::Customer => "customer",
            WorkOrderCopy::ServiceDepartment => "service-department",
            WorkOrderCopy::ServiceCentre => "service-centre",
            WorkOrderCopy::Finance => "finance",
        }
    }
}

/// One copy of the work order: the core's document of the order (the
/// customer's copy, which already leaves out what the assessment withheld),
/// and on the company's own copies the withheld fault cause and repair
/// measures too, as filled in after the visit (or as written on site).
// 「如故障原因及维修措施需对用户进行适当隐瞒,则这两栏可以不填,等回到维修部后再进行填写」 (appliance book)
pub fn work_order(v: &Visit, copy: WorkOrderCopy, lang: Lang) -> Doc {
    let mut doc = work_order_copy(v, lang, china_time());
    if copy == WorkOrderCopy::Customer {
        return doc;
    }
    doc.title = format!(
        "{}({})",
        tr(lang, "维修服务工作单", "Work order"),
        copy.label(lang)
    );
    if let Some(a) = v.assessment.as_ref().filter(|a| a.withheld) {
        let (findings, solution) = match &v.withheld_fill {
            Some(f) => (f.findings.clone(), f.solution.clone()),
            None => (a.findings.clone(), a.solution.clone()),
        };
        let withheld = tr(lang, "(对客户隐瞒)", " (withheld from the customer)");
        doc.fields.push((
            format!("{}{withheld}", tr(lang, "故障原因", "Fault cause")),
            findings,
        ));
        doc.fields.push((
            format!("{}{withheld}", tr(lang, "维修措施", "Solution")),
            solution,
        ));
    }
    doc
}
