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
        // fleet and reports (console/fleet.rs, console/reports.rs)
        "technician.create" => ("添加技术员", "added a technician"),
        "enrollment.create" => ("生成激活码", "made an enrollment code"),
        "device.revoke" => ("吊销设备", "revoked a device"),
        "key.create" => ("创建集成密钥", "created an integration key"),
        "key.revoke" => ("吊销集成密钥", "revoked an integration key"),
        "export.daily" => ("导出每日报修汇总", "exported the daily summary"),
        "export.monthly" => ("导出月度报表", "exported the monthly report"),
        other => return other.to_string(),
    };
    match lang {
        Lang::ZhCn => zh.into(),
        Lang::En => en.into(),
    }
}
