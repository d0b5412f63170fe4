//! Shared steps for the end-to-end stories: a technician on a store file in a
//! temporary directory, with a clock the test moves, walked through a visit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use onsite_core::checklist::Phase;
use onsite_core::clock::ManualClock;
use onsite_core::material::{ConcessionNote, Inspection, MaterialRequest, Source, Verdict};
use onsite_core::payment::Method;
use onsite_core::quote::{approval_code, LineItem, LineKind, LineRequest};
use onsite_core::receipt::NumberBlock;
use onsite_core::sample;
use onsite_core::visit::{Assessment, Rating, Status, Visit};
use onsite_core::{AcceptanceInput, SignInput, Technician};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub tech: Technician,
    pub clock: Arc<ManualClock>,
}

pub fn appointment() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap()
}

pub fn fixture() -> Fixture {
    fixture_with_block(NumberBlock {
        series: "SH01".into(),
        first: 1,
        last: 100,
    })
}

pub fn fixture_with_block(block: NumberBlock) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(appointment() - Duration::hours(2)));
    let tech = Technician::open_with_clock(
        dir.path().join("tech.sqlite3"),
        sample::profile(),
        clock.clone(),
    )
    .unwrap();
    tech.grant_receipt_block(&block).unwrap();
    Fixture { dir, tech, clock }
}

/// Encoded signature strokes for the customer.
pub fn ink() -> Vec<u8> {
    onsite_core::signature::demo_ink_bytes()
}

impl Fixture {
    pub fn dispatch(&self, job: &str) -> Visit {
        self.tech
            .receive_order(sample::leak_order(job, "T-0107", appointment()))
            .unwrap()
    }

    pub fn to_arrived(&self, job: &str) -> Visit {
        self.dispatch(job);
        self.tech.accept_job(job).unwrap();
        sample::complete_checklist(&self.tech, job, Phase::BeforeLeaving).unwrap();
        self.tech.depart(job).unwrap();
        self.clock.set(appointment() + Duration::minutes(3));
        self.tech.arrive(job).unwrap()
    }

    pub fn to_assessed(&self, job: &str) -> Visit {
        self.to_arrived(job);
        sample::complete_checklist(&self.tech, job, Phase::Arrival).unwrap();
        self.tech
            .assess(
                job,
                Assessment {
                    inspected_parts: vec!["水槽下方角阀".into()],
                    findings: "角阀老化,密封圈失效".into(),
                    repair_items: vec!["更换角阀".into()],
                    solution: "关闭总阀,更换角阀并做通水试验".into(),
                    estimated_minutes: 40,
                    withheld: false,
                },
            )
            .unwrap()
    }

    /// Quote: one schedule service line, one approved off-schedule line; shown to the customer.
    pub fn to_quoted(&self, job: &str) -> Visit {
        self.to_assessed(job);
        sample::add_schedule_line(&self.tech, job, 1).unwrap();
        let v = self
            .tech
            .add_quote_line(
                job,
                &LineRequest {
                    item: LineItem::OffSchedule {
                        kind: LineKind::Service,
                        description: "拆装地柜底板".into(),
                        unit_price_fen: 8_000,
                    },
                    qty: 1,
                    payer: None,
                },
            )
            .unwrap();
        let line = v.quote_lines.last().unwrap().clone();
        let code = approval_code(sample::profile().approval_key.as_bytes(), job, &line);
        self.tech
            .approve_quote_line(job, line.line_no, "主管 陈工", &code)
            .unwrap();
        self.tech.present_quote(job).unwrap()
    }

    pub fn to_in_progress(&self, job: &str) -> Visit {
        self.to_quoted(job);
        self.tech.customer_consents(job, "王女士").unwrap();
        self.tech.start_work(job).unwrap()
    }

    /// Work done with a customer-supplied valve that failed inspection and was used by concession.
    pub fn to_work_done(&self, job: &str) -> Visit {
        self.to_in_progress(job);
        let t = &self.tech;
        t.add_material(
            job,
            &MaterialRequest {
                material_id: "m1".into(),
                source: Source::CustomerSupplied,
                description: "客户自购角阀".into(),
                qty: 1,
                part_code: None,
            },
        )
        .unwrap();
        t.inspect_material(
            job,
            "m1",
            Inspection {
                verdict: Verdict::Fail,
                findings: "阀芯为塑料材质,耐压偏低".into(),
                photos: vec![],
                at: self.clock.now_utc(),
            },
        )
        .unwrap();
        t.note_concession(
            job,
            "m1",
            ConcessionNote {
                defect: "塑料阀芯,耐压偏低".into(),
                explanation: "已告知可能提前老化漏水,建议使用铜芯角阀".into(),
                customer_name: "王女士".into(),
                customer_consents: true,
                consented_at: self.clock.now_utc(),
            },
        )
        .unwrap();
        t.use_material(job, "m1").unwrap();
        sample::complete_checklist(t, job, Phase::WorkRules).unwrap();
        self.clock.advance(Duration::minutes(45));
        t.finish_work(job, 45, "更换角阀,通水试验无渗漏").unwrap()
    }

    pub fn to_customer_accepted(&self, job: &str) -> Visit {
        self.to_work_done(job);
        sample::complete_checklist(&self.tech, job, Phase::Completion).unwrap();
        self.tech
            .record_acceptance(
                job,
                AcceptanceInput {
                    quality: onsite_core::visit::Opinion::Rated {
                        rating: Rating::Satisfied,
                    },
                    attitude: onsite_core::visit::Opinion::Rated {
                        rating: Rating::Satisfied,
                    },
                    technician_ink: None,
                    comment: "师傅很专业".into(),
                    fix_uncertain: false,
                    sign: SignInput::Sign {
                        signer_name: "王女士".into(),
                        ink: ink(),
                    },
                },
            )
            .unwrap()
    }

    pub fn to_settled(&self, job: &str) -> Visit {
        let v = self.to_customer_accepted(job);
        let due = v.due_on_site().fen();
        self.tech
            .take_payment(job, Method::Cash, due + 2_000, None, true)
            .unwrap();
        self.tech.issue_receipt(job, false).unwrap();
        let v = self.tech.job(job).unwrap();
        assert_eq!(v.status, Status::Settled);
        v
    }
}

pub trait NowUtc {
    fn now_utc(&self) -> chrono::DateTime<Utc>;
}

impl NowUtc for ManualClock {
    fn now_utc(&self) -> chrono::DateTime<Utc> {
        onsite_core::clock::Clock::now(self)
    }
}
