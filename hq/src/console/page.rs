//! What every page shares: the layout (header, navigation by role, language
//! switch, sign-out), words in both languages, times in China time, money
//! in yuan, and the failure page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use onsite_core::locale::Lang;

use super::session::Signed;
use crate::centre::people::Action;
use crate::error::HqError;

/// China Standard Time (UTC+8, no daylight saving): every time a person reads.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()))
}

/// `zh` or `en`, as the language asks.
pub fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// A time as a person reads it: `2026-11-28 20:30` (China time).
pub fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Only the clock: `20:30` (China time).
pub fn clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%H:%M").to_string()
}

/// Today in China.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china()).date_naive()
}

/// A stored RFC 3339 time as a person reads it (the text itself if it is not one).
pub fn local_str(s: &str) -> String {
    DateTime::parse_from_rfc3339(s).map_or_else(|_| s.to_string(), |t| local(t.with_timezone(&Utc)))
}

/// Fen as yuan: `¥1,234.50`, `-¥3.00`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", abs % 100)
}

/// The text a person reads for a refusal of HQ's rules. Chinese never
/// quotes the rule's English detail; forms check what they can first and
/// say it in the person's language.
pub fn problem(lang: Lang, e: &HqError) -> String {
    let zh = match e {
        HqError::NotFound(_) => "找不到该记录,请检查编号。",
        HqError::Conflict(_) => "与现有记录冲突(可能已被他人处理),请刷新后再试。",
        HqError::BadRequest(_)
        | HqError::AmountOverflow(_)
        | HqError::TooLarge(_)
        | HqError::BlobMismatch
        | HqError::UnsupportedEncoding(_) => "输入不符合要求,请检查后再试。",
        HqError::Forbidden(_) | HqError::Unauthorized | HqError::Wipe => "您无权执行此操作。",
        HqError::TooManyRequests(_) => "尝试次数过多,请稍后再试。",
        HqError::Unavailable(_) | HqError::Internal(_) => {
            "系统暂时出错,请稍后再试;如仍出错请联系管理员。"
        }
    };
    match lang {
        Lang::ZhCn => zh.to_string(),
        Lang::En => match e {
            HqError::Unavailable(_) | HqError::Internal(_) => {
                "Something went wrong at HQ; try again, and tell the administrator if it goes on."
                    .into()
            }
            other => {
                let s = other.to_string();
                let mut c = s.chars();
                c.next().map_or(s.clone(), |f| {
                    f.to_uppercase().chain(c).collect::<String>() + "."
                })
            }
        },
    }
}

/// A page a handler answers with, or why it cannot.
pub type PageResult = Result<Response, Failure>;

/// A request the console cannot answer with the page asked for.
#[derive(Debug)]
pub struct Failure {
    pub lang: Lang,
    pub status: StatusCode,
    pub message: String,
}

impl Failure {
    pub fn new(lang: Lang, status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            lang,
            status,
            message: message.into(),
        }
    }

    /// 403: the person's role may not do this.
    pub fn forbidden(lang: Lang) -> Failure {
        Failure::new(
            lang,
            StatusCode::FORBIDDEN,
            tr(
                lang,
                "您的角色不能执行此操作。",
                "Your role may not do this.",
            ),
        )
    }

    /// A refusal of HQ's rules or a failure of its database.
    pub fn store(lang: Lang, e: &HqError) -> Failure {
        let status = match e {
            HqError::NotFound(_) => StatusCode::NOT_FOUND,
            HqError::Conflict(_) => StatusCode::CONFLICT,
            HqError::BadRequest(_) | HqError::AmountOverflow(_) | HqError::BlobMismatch => {
                StatusCode::BAD_REQUEST
            }
            HqError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HqError::UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HqError::Forbidden(_) | HqError::Unauthorized | HqError::Wipe => StatusCode::FORBIDDEN,
            HqError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            HqError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HqError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "console page failed");
        }
        Failure::new(lang, status, problem(lang, e))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let lang = self.lang;
        let title = match self.status {
            StatusCode::FORBIDDEN => tr(lang, "不能执行", "Not allowed"),
            StatusCode::NOT_FOUND => tr(lang, "找不到", "Not found"),
            s if s.is_server_error() => tr(lang, "系统出错", "Something went wrong"),
            _ => tr(lang, "无法完成", "Could not be done"),
        };
        let body = bare(
            lang,
            title,
            html! {
                main.narrow {
                    h1 { (title) }
                    p.problem role="alert" { (self.message) }
                    p { a href="/" { (tr(lang, "返回首页", "Back to the start page")) } }
                }
            },
        );
        (self.status, body).into_response()
    }
}

/// A page without navigation (sign-in, failures).
pub fn bare(lang: Lang, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(html_lang(lang)) {
            (head(lang, title))
            body { (main) }
        }
    }
}

fn html_lang(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "zh-CN",
        Lang::En => "en",
    }
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (tr(lang, "Onsite 客服中心", "Onsite service centre")) }
            link rel="stylesheet" href="/assets/console.css";
            script src="/assets/console.js" defer {}
        }
    }
}

/// A navigation entry: where, its names, and the action that shows it.
struct NavItem {
    href: &'static str,
    zh: &'static str,
    en: &'static str,
    needs: Action,
}

/// The console's pages in the order of a day's work.
const NAV: &[NavItem] = &[
    NavItem {
        href: "/reception",
        zh: "接待",
        en: "Reception",
        needs: Action::TakeCall,
    },
    NavItem {
        href: "/board",
        zh: "派工看板",
        en: "Dispatch board",
        needs: Action::View,
    },
    NavItem {
        href: "/approvals",
        zh: "审批",
        en: "Approvals",
        needs: Action::Approve,
    },
    NavItem {
        href: "/followups",
        zh: "回访",
        en: "Follow-ups",
        needs: Action::RecordFollowUp,
    },
    NavItem {
        href: "/complaints",
        zh: "投诉",
        en: "Complaints",
        needs: Action::RecordComplaint,
    },
    NavItem {
        href: "/handover",
        zh: "交接对账",
        en: "Handover",
        needs: Action::RecordHandover,
    },
    NavItem {
        href: "/reports",
        zh: "报表",
        en: "Reports",
        needs: Action::ViewReports,
    },
    NavItem {
        href: "/access",
        zh: "查阅记录",
        en: "Access log",
        needs: Action::ReadAccessLog,
    },
    NavItem {
        href: "/leaks",
        zh: "泄露处置",
        en: "Leak response",
        needs: Action::RespondToLeak,
    },
    NavItem {
        href: "/technicians",
        zh: "技术员与设备",
        en: "Technicians",
        needs: Action::ManageTechnicians,
    },
    NavItem {
        href: "/people",
        zh: "人员",
        en: "People",
        needs: Action::ManagePeople,
    },
    NavItem {
        href: "/keys",
        zh: "密钥",
        en: "Keys",
        needs: Action::ManageKeys,
    },
];

/// A page with the header: who is signed in, the pages their role opens
/// (`current` marks this one), the language switch and sign-out.
pub fn layout(who: &Signed, current: &str, title: &str, main: Markup) -> Markup {
    let lang = who.lang;
    let (zh_role, en_role) = who.person.role.names();
    html! {
        (DOCTYPE)
        html lang=(html_lang(lang)) {
            (head(lang, title))
            // 「未经许可,任何人不得随意查阅客户档案」 (GPS book): a printed list of
            // customers is an export, a manager's (`Action::Export`); for
            // everyone else the print stylesheet leaves `.customer-list` out.
            body class=[(!who.may(Action::Export)).then_some("lists-unprintable")] {
                header.top.no-print {
                    a.brand href="/" { (tr(lang, "Onsite 客服中心", "Onsite service centre")) }
                    nav {
                        @for item in NAV {
                            @if who.may(item.needs) {
                                a href=(item.href) aria-current=[(item.href == current).then_some("page")] {
                                    (tr(lang, item.zh, item.en))
                                }
                            }
                        }
                    }
                    div.me {
                        a href="/account" { (who.person.display_name) }
                        span.role { (tr(lang, zh_role, en_role)) }
                        (lang_switch(lang, current))
                        form.inline method="post" action="/logout" {
                            (who.csrf_field())
                            button.link type="submit" { (tr(lang, "退出", "Sign out")) }
                        }
                    }
                }
                main {
                    p.list-print-refused {
                        (tr(lang, "客户清单仅限经理打印,本页打印时不含清单。", "Lists of customers are printed by a manager only: this printout leaves them out."))
                    }
                    (main)
                    // Every printout says who printed it and when.
                    p.print-only.printed-by {
                        (tr(lang, "打印人:", "Printed by "))
                        (who.person.display_name) " (" (who.person.username) ") · "
                        (local(chrono::Utc::now()))
                    }
                }
            }
        }
    }
}

/// Links to the other language, back to this page.
pub fn lang_switch(lang: Lang, back: &str) -> Markup {
    let back = urlencode(back);
    html! {
        span.lang {
            @match lang {
                Lang::ZhCn => a href={ "/lang/en?back=" (back) } lang="en" { "English" },
                Lang::En => a href={ "/lang/zh?back=" (back) } lang="zh-CN" { "中文" },
            }
        }
    }
}

/// A query-string value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A form's message after a refused input: the form is shown again with it.
pub fn form_problem(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.problem role="alert" { (m) }
        }
    }
}

/// A note after an action went through (e.g. "Order WO-… written").
pub fn notice(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.notice role="status" { (m) }
        }
    }
}

/// Raw markup the console itself wrote (an SVG rendered by the core); never
/// a person's or a phone's text.
pub fn trusted(s: String) -> PreEscaped<String> {
    PreEscaped(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_yuan_with_thousands() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(-300), "-¥3.00");
        assert_eq!(yuan(i64::MIN), "-¥92,233,720,368,547,758.08");
    }

    #[test]
    fn times_read_in_china_time() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local(t), "2026-11-29 00:30");
        assert_eq!(today(t).to_string(), "2026-11-29");
    }

    #[test]
    fn a_chinese_page_never_quotes_an_english_rule() {
        let e = HqError::BadRequest("a password has 10 to 200 characters".into());
        assert!(!problem(Lang::ZhCn, &e).contains("password"));
        assert_eq!(
            problem(Lang::En, &e),
            "A password has 10 to 200 characters."
        );
    }
}
