//! The order page (to be written): everything the phone recorded, the
//! four-copy work order, and the audit trail.

use axum::Router;
use onsite_core::locale::Lang;

use super::Console;

pub fn routes() -> Router<Console> {
    Router::new()
}

/// What an audit action is called on a page.
pub fn action_label(lang: Lang, action: &str) -> String {
    let (zh, en) = match action {
        "session.open" => ("登录", "signed in"),
        "session.close" => ("退出", "signed out"),
        "session.close_all" => ("在所有设备上退出", "signed out everywhere"),
        "person.create" => ("添加人员", "added a person"),
        "person.role" => ("更改角色", "changed a role"),
        "person.disable" => ("停用账号", "disabled an account"),
        "person.enable" => ("启用账号", "enabled an account"),
        "person.password" => ("重设密码", "reset a password"),
        "person.locked" => ("账号被锁定", "account locked"),
        // desk (reception and the dispatch board)
        "call.record" => ("记录来电来访", "recorded a call or visit"),
        "order.create" => ("开工单", "wrote the order"),
        "order.assign" => ("派工", "assigned the order"),
        "order.reassign" => ("改派", "reassigned the order"),
        "order.reschedule" => ("改约(客户同意)", "rescheduled (customer agreed)"),
        "order.cancel" => ("取消工单", "cancelled the order"),
        other => return other.to_string(),
    };
    match lang {
        Lang::ZhCn => zh.into(),
        Lang::En => en.into(),
    }
}
