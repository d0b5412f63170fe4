//! Checklists as data: templates per service category and visit phase.
//!
//! The templates ship in the crate (`data/checklists.json`, zh-CN and en) so a
//! technician in a basement has them without network. Required items gate the
//! transition out of their phase (DOMAIN.md steps 1, 2, 6 and 7): the core, not
//! the shell, refuses to move on while one is unanswered. Conditional items are
//! shown only when an earlier answer matches, and only shown items are required.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{AnswerKind, Error, Problem, Result};
use crate::locale::{tr, Lang, Text};

/// The service lines the procedure books describe (docs/DOMAIN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Property management repairs (water, electricity, fittings).
    PropertyRepair,
    /// Appliance after-sales service.
    Appliance,
    /// GPS terminal installation on vehicles.
    GpsInstall,
    /// Furniture delivery and assembly.
    Furniture,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::PropertyRepair,
        Category::Appliance,
        Category::GpsInstall,
        Category::Furniture,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::PropertyRepair => "property_repair",
            Category::Appliance => "appliance",
            Category::GpsInstall => "gps_install",
            Category::Furniture => "furniture",
        }
    }
}

/// The phases of a visit that have a checklist, each gating one transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Gates leaving for the site.
    BeforeLeaving,
    /// Gates the assessment (entering, introducing, shoe covers).
    Arrival,
    /// Gates reporting the work as done.
    WorkRules,
    /// Gates the customer's acceptance.
    Completion,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::BeforeLeaving,
        Phase::Arrival,
        Phase::WorkRules,
        Phase::Completion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::BeforeLeaving => "before_leaving",
            Phase::Arrival => "arrival",
            Phase::WorkRules => "work_rules",
            Phase::Completion => "completion",
        }
    }

    /// The phase's name, as in "the {label} checklist".
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Phase::BeforeLeaving => tr(lang, "出发前", "before-leaving"),
            Phase::Arrival => tr(lang, "到达入户", "arrival"),
            Phase::WorkRules => tr(lang, "施工规范", "work rules"),
            Phase::Completion => tr(lang, "完工", "completion"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChoiceOption {
    pub id: String,
    pub label: Text,
}

/// What kind of answer an item takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemKind {
    /// Ticked when done; the answer is "true".
    Check,
    /// "yes" or "no".
    YesNo,
    /// A measurement with a unit and an allowed range (a sane bound against
    /// absurd input). Outside `flag_min..=flag_max`, when given, the reading is
    /// recorded all the same and flagged with `flag` (a supply voltage outside
    /// 180-250 V is a likely cause of the fault, never a refusal).
    Number {
        unit: Option<Text>,
        min: f64,
        max: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flag_min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flag_max: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flag: Option<Text>,
    },
    Text {
        max_len: usize,
    },
    Choice {
        options: Vec<ChoiceOption>,
    },
    /// The SHA-256 of a photo processed and stored by the core.
    Photo,
}

/// Shown only when an earlier item's answer equals `equals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Condition {
    pub item: String,
    pub equals: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    pub id: String,
    pub label: Text,
    pub kind: ItemKind,
    pub required: bool,
    pub show_if: Option<Condition>,
}

/// A required item that is still unanswered, named for the technician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MissingItem {
    pub id: String,
    pub label: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Template {
    pub id: String,
    pub category: Category,
    pub phase: Phase,
    pub title: Text,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct TemplateFile {
    version: u32,
    templates: Vec<Template>,
}

/// An answer as the technician gives it; validated against the item's kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Check(bool),
    YesNo(bool),
    Number(f64),
    Text(String),
    Choice(String),
    Photo(String),
}

impl Answer {
    /// The string `show_if.equals` is compared with.
    pub fn as_condition_value(&self) -> String {
        match self {
            Answer::Check(b) => b.to_string(),
            Answer::YesNo(b) => if *b { "yes" } else { "no" }.to_string(),
            Answer::Number(n) => n.to_string(),
            Answer::Text(s) | Answer::Choice(s) | Answer::Photo(s) => s.clone(),
        }
    }

    /// Whether the answer counts for a required item (an unticked check does not).
    fn satisfies_required(&self) -> bool {
        match self {
            Answer::Check(b) => *b,
            Answer::Text(s) => !s.trim().is_empty(),
            _ => true,
        }
    }
}

impl Item {
    /// Checks an answer against this item's kind, range and options.
    pub fn check_answer(&self, answer: &Answer) -> Result<()> {
        let bad = |problem: Problem| Error::InvalidAnswer {
            item_id: self.id.clone(),
            label: self.label.clone(),
            problem,
        };
        match (&self.kind, answer) {
            (ItemKind::Check, Answer::Check(_)) | (ItemKind::YesNo, Answer::YesNo(_)) => Ok(()),
            (ItemKind::Number { min, max, .. }, Answer::Number(n)) => {
                if !n.is_finite() {
                    Err(bad(Problem::NotFinite))
                } else if n < min || n > max {
                    Err(bad(Problem::OutOfRange {
                        min: *min,
                        max: *max,
                    }))
                } else {
                    Ok(())
                }
            }
            (ItemKind::Text { max_len }, Answer::Text(s)) => {
                if s.chars().count() > *max_len {
                    Err(bad(Problem::TooLong { max: *max_len }))
                } else {
                    Ok(())
                }
            }
            (ItemKind::Choice { options }, Answer::Choice(c)) => {
                if options.iter().any(|o| &o.id == c) {
                    Ok(())
                } else {
                    Err(bad(Problem::NotAnOption))
                }
            }
            (ItemKind::Photo, Answer::Photo(h)) => {
                if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(())
                } else {
                    Err(bad(Problem::NotPhotoHash))
                }
            }
            (kind, _) => Err(bad(Problem::WrongKind {
                expected: answer_kind(kind),
            })),
        }
    }
}

impl Item {
    /// The flag a recorded answer raises (a reading outside its normal range), if any.
    pub fn flag(&self, answer: &Answer) -> Option<Text> {
        match (&self.kind, answer) {
            (
                ItemKind::Number {
                    flag_min,
                    flag_max,
                    flag,
                    ..
                },
                Answer::Number(n),
            ) => {
                let below = flag_min.is_some_and(|lo| *n < lo);
                let above = flag_max.is_some_and(|hi| *n > hi);
                (below || above).then(|| {
                    flag.clone().unwrap_or_else(|| {
                        Text::new("读数超出正常范围", "Reading outside the normal range")
                    })
                })
            }
            _ => None,
        }
    }
}

/// A recorded answer that raises a flag, for the work order and HQ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flag {
    pub template_id: String,
    pub item_id: String,
    pub answer: Answer,
    pub flag: Text,
}

impl Template {
    /// The flags this template's recorded answers raise.
    pub fn flags(&self, answers: &Answers) -> Vec<Flag> {
        self.items
            .iter()
            .filter_map(|i| {
                let a = answers.get(&i.id)?;
                Some(Flag {
                    template_id: self.id.clone(),
                    item_id: i.id.clone(),
                    answer: a.clone(),
                    flag: i.flag(a)?,
                })
            })
            .collect()
    }
}

fn answer_kind(k: &ItemKind) -> AnswerKind {
    match k {
        ItemKind::Check => AnswerKind::Check,
        ItemKind::YesNo => AnswerKind::YesNo,
        ItemKind::Number { .. } => AnswerKind::Number,
        ItemKind::Text { .. } => AnswerKind::Text,
        ItemKind::Choice { .. } => AnswerKind::Choice,
        ItemKind::Photo => AnswerKind::Photo,
    }
}

/// Answers recorded for one template, latest answer per item.
pub type Answers = BTreeMap<String, Answer>;

impl Template {
    pub fn item(&self, item_id: &str) -> Result<&Item> {
        self.items
            .iter()
            .find(|i| i.id == item_id)
            .ok_or_else(|| Error::UnknownChecklistItem {
                template_id: self.id.clone(),
                item_id: item_id.to_string(),
            })
    }

    /// Whether an item is shown, given the answers so far.
    pub fn is_visible(&self, item: &Item, answers: &Answers) -> bool {
        match &item.show_if {
            None => true,
            Some(cond) => {
                // A condition on a hidden item is itself not met.
                let parent_visible = self
                    .items
                    .iter()
                    .find(|i| i.id == cond.item)
                    .is_some_and(|p| p.id != item.id && self.is_visible(p, answers));
                parent_visible
                    && answers
                        .get(&cond.item)
                        .is_some_and(|a| a.as_condition_value() == cond.equals)
            }
        }
    }

    /// Items shown given the answers, in template order.
    pub fn visible_items<'a>(&'a self, answers: &'a Answers) -> impl Iterator<Item = &'a Item> {
        self.items
            .iter()
            .filter(move |i| self.is_visible(i, answers))
    }

    /// Required, shown items that still lack an answer: what blocks the phase.
    fn unanswered<'a>(&'a self, answers: &'a Answers) -> impl Iterator<Item = &'a Item> {
        self.visible_items(answers)
            .filter(|i| i.required)
            .filter(|i| !answers.get(&i.id).is_some_and(Answer::satisfies_required))
    }

    /// The ids of the items that block the phase.
    pub fn missing_required(&self, answers: &Answers) -> Vec<String> {
        self.unanswered(answers).map(|i| i.id.clone()).collect()
    }

    /// The refusal to leave the phase while items are unanswered, naming
    /// them with their titles; `None` when nothing blocks it.
    pub fn incomplete(&self, answers: &Answers) -> Option<Error> {
        let items: Vec<MissingItem> = self
            .unanswered(answers)
            .map(|i| MissingItem {
                id: i.id.clone(),
                label: i.label.clone(),
            })
            .collect();
        (!items.is_empty()).then_some(Error::ChecklistIncomplete {
            phase: self.phase,
            items,
        })
    }

    /// Validates an answer for an item of this template given earlier answers.
    pub fn check_answer(&self, item_id: &str, answer: &Answer, answers: &Answers) -> Result<()> {
        let item = self.item(item_id)?;
        if !self.is_visible(item, answers) {
            return Err(Error::ChecklistItemHidden {
                item_id: item_id.to_string(),
                label: item.label.clone(),
            });
        }
        item.check_answer(answer)
    }
}

/// The shipped set of templates, parsed once.
#[derive(Debug)]
pub struct Checklists {
    templates: Vec<Template>,
}

static SHIPPED: OnceLock<std::result::Result<Checklists, String>> = OnceLock::new();

impl Checklists {
    /// The templates shipped in the crate.
    pub fn shipped() -> Result<&'static Checklists> {
        SHIPPED
            .get_or_init(|| {
                Checklists::from_json(include_str!("../data/checklists.json"))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|reason| Error::Corrupt {
                reason: format!("shipped checklists: {reason}"),
            })
    }

    pub fn from_json(json: &str) -> Result<Checklists> {
        let file: TemplateFile = serde_json::from_str(json)?;
        if file.version != 1 {
            return Err(Error::Corrupt {
                reason: format!("checklist data version {} is unknown", file.version),
            });
        }
        Ok(Checklists {
            templates: file.templates,
        })
    }

    pub fn template(&self, category: Category, phase: Phase) -> Option<&Template> {
        self.templates
            .iter()
            .find(|t| t.category == category && t.phase == phase)
    }

    pub fn by_id(&self, template_id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == template_id)
    }

    pub fn templates(&self) -> &[Template] {
        &self.templates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        serde_json::from_value(serde_json::json!({
            "id": "t.completion", "category": "property_repair", "phase": "completion",
            "title": {"zh-CN": "完工", "en": "Completion"},
            "items": [
                {"id": "leak", "label": {"zh-CN": "有漏水?", "en": "Leak?"}, "kind": {"type": "yes_no"}, "required": true, "show_if": null},
                {"id": "leak_photo", "label": {"zh-CN": "漏水照片", "en": "Leak photo"}, "kind": {"type": "photo"}, "required": true, "show_if": {"item": "leak", "equals": "yes"}},
                {"id": "pressure", "label": {"zh-CN": "水压", "en": "Pressure"}, "kind": {"type": "number", "unit": {"zh-CN": "兆帕", "en": "MPa"}, "min": 0.0, "max": 1.6}, "required": false, "show_if": null},
                {"id": "tidy", "label": {"zh-CN": "清理现场", "en": "Tidy"}, "kind": {"type": "check"}, "required": true, "show_if": null},
                {"id": "where", "label": {"zh-CN": "位置", "en": "Where"}, "kind": {"type": "choice", "options": [{"id": "kitchen", "label": {"zh-CN": "厨房", "en": "Kitchen"}}, {"id": "bath", "label": {"zh-CN": "卫生间", "en": "Bathroom"}}]}, "required": false, "show_if": null}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn conditional_items_are_required_only_when_shown() {
        let t = template();
        let mut a = Answers::new();
        assert_eq!(t.missing_required(&a), vec!["leak", "tidy"]);
        a.insert("leak".into(), Answer::YesNo(true));
        assert_eq!(t.missing_required(&a), vec!["leak_photo", "tidy"]);
        a.insert("leak".into(), Answer::YesNo(false));
        a.insert("tidy".into(), Answer::Check(true));
        assert!(t.missing_required(&a).is_empty());
        assert!(matches!(
            t.check_answer("leak_photo", &Answer::Photo("ab".repeat(32)), &a),
            Err(Error::ChecklistItemHidden { .. })
        ));
    }

    #[test]
    fn an_unticked_check_does_not_satisfy_a_required_item() {
        let t = template();
        let mut a = Answers::new();
        a.insert("leak".into(), Answer::YesNo(false));
        a.insert("tidy".into(), Answer::Check(false));
        assert_eq!(t.missing_required(&a), vec!["tidy"]);
    }

    #[test]
    fn answers_must_fit_their_item() {
        let t = template();
        let a = Answers::new();
        let err = |item: &str, ans: Answer| t.check_answer(item, &ans, &a).unwrap_err();
        assert!(matches!(
            err("pressure", Answer::Number(2.0)),
            Error::InvalidAnswer { .. }
        ));
        assert!(matches!(
            err("pressure", Answer::Number(f64::NAN)),
            Error::InvalidAnswer { .. }
        ));
        assert!(matches!(
            err("pressure", Answer::Text("1".into())),
            Error::InvalidAnswer { .. }
        ));
        assert!(matches!(
            err("where", Answer::Choice("garage".into())),
            Error::InvalidAnswer { .. }
        ));
        assert!(matches!(
            err("nope", Answer::Check(true)),
            Error::UnknownChecklistItem { .. }
        ));
        assert!(t.check_answer("pressure", &Answer::Number(0.8), &a).is_ok());
    }

    #[test]
    fn shipped_conditions_refer_to_earlier_items_with_possible_answers() {
        for t in Checklists::shipped().unwrap().templates() {
            for (i, item) in t.items.iter().enumerate() {
                assert!(
                    t.items[..i].iter().all(|o| o.id != item.id),
                    "duplicate {}",
                    item.id
                );
                match &item.kind {
                    ItemKind::Number { min, max, .. } => assert!(min < max, "{}", item.id),
                    ItemKind::Choice { options } => assert!(options.len() >= 2, "{}", item.id),
                    _ => {}
                }
                if let Some(c) = &item.show_if {
                    let parent = t.items[..i]
                        .iter()
                        .find(|p| p.id == c.item)
                        .unwrap_or_else(|| panic!("{}: {} is not an earlier item", t.id, c.item));
                    let possible: Vec<String> = match &parent.kind {
                        ItemKind::YesNo => vec!["yes".into(), "no".into()],
                        ItemKind::Check => vec!["true".into()],
                        ItemKind::Choice { options } => {
                            options.iter().map(|o| o.id.clone()).collect()
                        }
                        _ => vec![c.equals.clone()],
                    };
                    assert!(possible.contains(&c.equals), "{}: {}", t.id, item.id);
                }
            }
        }
    }

    #[test]
    fn shipped_templates_cover_every_category_and_phase_in_both_languages() {
        let c = Checklists::shipped().unwrap();
        for cat in Category::ALL {
            for phase in Phase::ALL {
                let t = c
                    .template(cat, phase)
                    .unwrap_or_else(|| panic!("no template for {cat:?} {phase:?}"));
                assert!(!t.items.is_empty());
                for i in &t.items {
                    assert!(!i.label.zh.is_empty() && !i.label.en.is_empty(), "{}", i.id);
                }
            }
        }
    }
}
