//! Every error as the technician reads it, in zh-CN and en.
//!
//! The zh-CN sentences hold no English (item ids, codes and library errors
//! stay out: checklist items are named by their titles); the en ones hold no
//! Chinese except what people typed (names, addresses, reasons, descriptions).

use super::catalogue::capitalised;
use super::Error;
use crate::locale::Lang;
use crate::photo::PhotoError;
use crate::signature::SignatureError;

/// One sentence per language; `format!` arguments are captured by name.
macro_rules! say {
    ($lang:expr, $zh:literal, $en:literal) => {
        match $lang {
            Lang::ZhCn => format!($zh),
            Lang::En => format!($en),
        }
    };
}

/// An amount in yuan, "¥12.50", negative ones included (a refused input may be).
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", abs / 100, abs % 100)
}

impl Error {
    /// The sentence to show the technician, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Error::InvalidInput { field, problem } => {
                let problem = problem.text(lang);
                match lang {
                    Lang::ZhCn => format!("{}{problem}。", field.label(lang)),
                    Lang::En => format!("{} {problem}.", capitalised(field.label(lang))),
                }
            }
            Error::UnknownJob { job_id } => say!(
                lang,
                "本机没有工单{job_id}。",
                "There is no job {job_id} on this device."
            ),
            Error::DuplicateJob { job_id } => say!(
                lang,
                "工单{job_id}已在本机上。",
                "Job {job_id} is already on this device."
            ),
            Error::AssignedToAnother {
                job_id,
                assigned_to,
            } => say!(
                lang,
                "工单{job_id}派给了其他技术员({assigned_to}),不能在本机办理。",
                "Job {job_id} is assigned to another technician ({assigned_to})."
            ),
            Error::StoreOfAnotherTechnician { owner } => say!(
                lang,
                "本机数据属于其他技术员({owner}),不能用当前账号打开。",
                "The data on this device belongs to another technician ({owner})."
            ),
            Error::AmountOutOfRange {
                amount_fen,
                max_fen,
            } => {
                let (amount, max) = (yuan(*amount_fen), yuan(*max_fen));
                say!(
                    lang,
                    "金额{amount}超出允许的范围(¥0.00至{max})。",
                    "The amount {amount} is outside the allowed range (¥0.00 to {max})."
                )
            }
            Error::TotalOverflow => say!(
                lang,
                "金额合计超出允许的范围。",
                "The total is beyond the allowed range."
            ),
            Error::IllegalTransition {
                action,
                status,
                rule,
            } => {
                // The action by its button's label, so the technician sees which
                // button was refused.
                let (label, status, rule) =
                    (action.label(lang), status.label(lang), rule.text(*action, lang));
                say!(
                    lang,
                    "工单当前为「{status}」,不能「{label}」:{rule}。",
                    "“{label}” is not possible while the job is “{status}”: {rule}."
                )
            }
            Error::JobCancelled { reason } if reason.trim().is_empty() => {
                say!(lang, "总部已取消此工单。", "HQ cancelled this job.")
            }
            Error::JobCancelled { reason } => say!(
                lang,
                "总部已取消此工单:{reason}",
                "HQ cancelled this job: {reason}"
            ),
            Error::TooLateForHq { decision, status } => {
                let (action, status) = (decision.label(lang), status.label(lang));
                say!(
                    lang,
                    "工单已是「{status}」,总部不能再{action}。",
                    "HQ can no longer {action}: the job is already “{status}”."
                )
            }
            Error::VisitSealed => say!(
                lang,
                "客户已签字验收,上门记录不能再修改;如需更正,请另行登记。",
                "The customer's acceptance is signed; visit facts can no longer change (record a correction instead)."
            ),
            Error::ChecklistIncomplete { phase, items } => {
                let phase = phase.label(lang);
                let sep = match lang {
                    Lang::ZhCn => ";",
                    Lang::En => "; ",
                };
                let titles = items
                    .iter()
                    .map(|i| i.label.get(lang))
                    .collect::<Vec<_>>()
                    .join(sep);
                say!(
                    lang,
                    "「{phase}」检查还有必填项未完成:{titles}。",
                    "Required items of the {phase} checklist are unanswered: {titles}."
                )
            }
            Error::UnknownChecklistItem {
                template_id,
                item_id,
            } => say!(
                lang,
                "此工单的检查表中没有这一项。",
                "There is no checklist item {item_id} in {template_id}."
            ),
            Error::ChecklistItemHidden { label, .. } => {
                let label = label.get(lang);
                say!(
                    lang,
                    "按前面的回答,检查项「{label}」无需填写。",
                    "The checklist item “{label}” is not shown for this job (its condition is not met)."
                )
            }
            Error::InvalidAnswer { label, problem, .. } => {
                let (label, problem) = (label.get(lang), problem.text(lang));
                say!(
                    lang,
                    "检查项「{label}」的回答{problem}。",
                    "The answer to “{label}” {problem}."
                )
            }
            Error::PhotoNotStored { .. } => say!(
                lang,
                "照片没有保存在本机,请先添加照片。",
                "The photo is not stored on this device; add it first."
            ),
            Error::UnknownScheduleCode { code } => say!(
                lang,
                "收费标准中没有编码为{code}的项目。",
                "There is no fee schedule entry {code}."
            ),
            Error::OffScheduleNeedsApproval { line_no } => say!(
                lang,
                "报价第{line_no}项不在收费标准内,出示报价前须经主管审批。",
                "Quote line {line_no} is outside the fee schedule and needs a supervisor's approval code before the quote is shown."
            ),
            Error::ApprovalNotNeeded { line_no } => say!(
                lang,
                "报价第{line_no}项在收费标准内,无需审批。",
                "Quote line {line_no} is on the fee schedule and needs no approval."
            ),
            Error::InvalidApprovalCode { line_no } => say!(
                lang,
                "报价第{line_no}项的审批码不正确。",
                "The approval code for quote line {line_no} is not valid."
            ),
            Error::UnknownQuoteLine { line_no } => say!(
                lang,
                "报价中没有第{line_no}项。",
                "There is no quote line {line_no}."
            ),
            Error::EmptyQuote => say!(lang, "报价中还没有项目。", "The quote has no lines."),
            Error::UnknownMaterial { material_id } => say!(
                lang,
                "此工单上没有编号为{material_id}的材料。",
                "There is no material {material_id} on this job."
            ),
            Error::DuplicateMaterial { material_id } => say!(
                lang,
                "材料编号{material_id}已在此工单上。",
                "Material {material_id} is already on this job."
            ),
            Error::InspectionRequired { description, .. } => say!(
                lang,
                "客户自备材料「{description}」须先检验才能使用。",
                "Customer-supplied material “{description}” must be inspected before it is used."
            ),
            Error::ConcessionRequired { description, .. } => say!(
                lang,
                "材料「{description}」检验不合格,须经客户同意并写明让步使用说明后才能使用。",
                "Material “{description}” failed inspection; it can only be used with a concession note the customer consented to."
            ),
            Error::ConcessionIncomplete { missing } => {
                let missing = missing.label(lang);
                say!(
                    lang,
                    "让步使用说明缺少{missing}。",
                    "A concession note needs {missing}."
                )
            }
            Error::ConcessionNotNeeded { description, .. } => say!(
                lang,
                "材料「{description}」检验合格,无需让步使用。",
                "Material “{description}” passed inspection; a concession is only for failed material."
            ),
            Error::FindingsRequired { .. } => say!(
                lang,
                "材料检验不合格时,须写明存在的问题。",
                "A failed inspection must say what is wrong with the material."
            ),
            Error::MaterialInUse { description, .. } => say!(
                lang,
                "材料「{description}」已投入使用。",
                "Material “{description}” is already in use."
            ),
            Error::OldPartNotRecovered { part_code } => say!(
                lang,
                "保修期内须回收旧件({part_code})并登记。",
                "In warranty the old part ({part_code}) must be recovered and registered."
            ),
            Error::OldPartAnswerMismatch { answered_yes, .. } => {
                if *answered_yes {
                    say!(
                        lang,
                        "完工检查表答「已更换配件/旧件已收回登记」,但没有相应的配件更换记录,请更正。",
                        "The completion checklist says a part was replaced and its old part recovered and registered, but no such replacement is recorded: correct one or the other."
                    )
                } else {
                    say!(
                        lang,
                        "完工检查表答「未更换配件/旧件未收回登记」,但已记录配件更换及旧件登记,请更正。",
                        "The completion checklist says no part was replaced or recovered, but a replacement with its old part is recorded: correct one or the other."
                    )
                }
            }
            Error::RefusalReasonRequired => say!(
                lang,
                "客户拒绝签字时,须记录拒绝的原因。",
                "When the customer refuses to sign, record the reason."
            ),
            Error::MessageNoteTooEarly {
                min_wait_minutes,
                min_calls,
            } => say!(
                lang,
                "留言前须在门外至少等候{min_wait_minutes}分钟,并至少给客户打{min_calls}次电话。",
                "Before leaving a message note wait at least {min_wait_minutes} minutes at the door and phone the customer at least {min_calls} times."
            ),
            Error::LateReasonRequired { minutes_late } => say!(
                lang,
                "已迟到{minutes_late}分钟:请记录迟到原因后继续。",
                "You are {minutes_late} minutes late: record the reason, then go on."
            ),
            Error::RescheduleConsentRequired => say!(
                lang,
                "改约须经客户同意:请记录同意人、时间和方式。",
                "A new appointment needs the customer's consent: record who agreed, when and how."
            ),
            Error::ContactNotRecorded { kind } => {
                let what = kind.label(lang);
                say!(
                    lang,
                    "尚未记录{what}。",
                    "{what} is not recorded yet."
                )
            }
            Error::Underpaid {
                due_fen,
                received_fen,
            } => {
                let (due, received) = (yuan(*due_fen), yuan(*received_fen));
                say!(
                    lang,
                    "实收{received},不足应收的{due}。",
                    "A payment of {received} does not cover the {due} due."
                )
            }
            Error::NotExactAmount {
                method,
                due_fen,
                received_fen,
            } => {
                let (due, received) = (yuan(*due_fen), yuan(*received_fen));
                let method = method.label(lang);
                match lang {
                    Lang::ZhCn => format!(
                        "{method}须与应收金额{due}一致(实收{received});不收小费。"
                    ),
                    Lang::En => format!(
                        "{} must be exactly the {due} due (received {received}); Onsite records no tips.",
                        capitalised(method)
                    ),
                }
            }
            Error::ReceiptNumbersExhausted => say!(
                lang,
                "收据号已用完:请同步以领取新的号码段,或使用应急号段。",
                "No receipt number left: every block HQ granted is used up; sync to get a new one, or use the emergency series."
            ),
            Error::UnknownReceipt { number } => say!(
                lang,
                "本机没有收据{number}。",
                "There is no receipt {number} on this device."
            ),
            Error::ReceiptAlreadyVoid { number } => say!(
                lang,
                "收据{number}已作废。",
                "Receipt {number} is already void."
            ),
            Error::ReceiptNotVoided { number } => say!(
                lang,
                "收据{number}尚未作废,须先作废才能重开。",
                "Receipt {number} must be voided before it is reissued."
            ),
            Error::ReceiptNumberUsed { number } => say!(
                lang,
                "收据号{number}已经用过,号码不能重复使用。",
                "Receipt number {number} was already used; numbers are never reused."
            ),
            Error::ReceiptNotStanding { number } => say!(
                lang,
                "收据{number}不是此工单当前有效的收据。",
                "Receipt {number} is not this job's standing receipt."
            ),
            Error::ReceiptNotReissued { number } => say!(
                lang,
                "收据{number}已作废,请先重开收据再交回。",
                "Receipt {number} is void; reissue it before handing over."
            ),
            Error::Signature(e) => signature_message(e, lang),
            Error::SignatureNotBound => say!(
                lang,
                "签名与工单当前的内容不符,请客户重新签名。",
                "The signature is not bound to this job's current content; ask the customer to sign again."
            ),
            Error::NotSigned { job_id } => say!(
                lang,
                "客户尚未在工单{job_id}上签名。",
                "The customer has not signed job {job_id}."
            ),
            Error::Photo(e) => photo_message(e, lang),
            Error::Offline { .. } => say!(
                lang,
                "无法连接总部,请稍后再试;已办理的事项都保存在本机。",
                "HQ cannot be reached; try again later. Everything done is kept on this device."
            ),
            Error::Hq { status, .. } => match status {
                401 | 403 => say!(
                    lang,
                    "总部不接受本设备的凭证(状态码{status}),请联系客服中心。",
                    "HQ does not accept this device's credentials (status {status}); contact the service centre."
                ),
                500.. => say!(
                    lang,
                    "总部暂时无法处理请求(状态码{status}),请稍后再试。",
                    "HQ could not handle the request (status {status}); try again later."
                ),
                _ => say!(
                    lang,
                    "总部拒绝了请求(状态码{status})。",
                    "HQ refused the request (status {status})."
                ),
            },
            Error::Cancelled => say!(lang, "同步已取消。", "Sync was cancelled."),
            Error::Wiped => say!(
                lang,
                "总部已撤销本设备并要求擦除:未同步的工作已全部交给总部,本机数据已删除,请重新登录。",
                "HQ revoked this device and ordered it wiped: all unsynced work was handed to HQ and this device's data is deleted; sign in again."
            ),
            Error::BlockingInRuntime => say!(
                lang,
                "此操作不能在当前线程上同步执行,请改用异步接口。",
                "This call cannot block a current-thread async runtime; await the async API instead."
            ),
            Error::Storage(_) => say!(
                lang,
                "本机数据读写失败,请重试;如果反复出现,请联系客服中心。",
                "The local store failed; try again, and contact the service centre if it keeps happening."
            ),
            Error::StoreLockPoisoned => say!(
                lang,
                "本机数据在之前的故障后被锁定,请重新启动应用。",
                "The local store is locked after an earlier failure; restart the app."
            ),
            Error::Decode(_) => say!(
                lang,
                "数据无法读取,请联系客服中心。",
                "Data could not be read; contact the service centre."
            ),
            Error::Corrupt { .. } => say!(
                lang,
                "本机保存的数据已损坏,请联系客服中心。",
                "The local store holds data this version cannot read; contact the service centre."
            ),
            Error::SchemaTooNew { found, known } => say!(
                lang,
                "本机数据由更新版本的应用写入(数据版本{found},本应用只支持到{known}),请升级应用。",
                "The store was written by a newer Onsite (schema {found}, this build knows {known}); update the app."
            ),
            Error::WrongStoreKey => say!(
                lang,
                "本机数据的密钥不对,无法打开;数据没有改动。请重新登录,如果仍然不行,请联系客服中心。",
                "The local store cannot be opened with this device's key; nothing was changed. Sign in again, and contact the service centre if it keeps happening."
            ),
            Error::ChargeRulesNotExplained => say!(
                lang,
                "上报服务中心之前,请先向客户详细解释国家三包规定及保修期范围。",
                "Explain the national three-guarantees (sanbao) rules and the warranty scope to the customer before escalating."
            ),
            Error::ReductionNotBelowCharge { charge_fen, to_fen } => {
                let (charge, to) = (yuan(*charge_fen), yuan(*to_fen));
                say!(
                    lang,
                    "减收后的金额{to}不能高于应收费用{charge}。",
                    "A reduced amount of {to} is not below the charge of {charge}."
                )
            }
            Error::ChargeDisputeOpen => say!(
                lang,
                "客户对收费有异议,已上报服务中心,请等待服务中心批示后再继续。",
                "The customer disputes the charge and it went to the service centre: wait for its instruction."
            ),
            Error::NoOpenChargeDispute => say!(
                lang,
                "本工单没有等待服务中心批示的收费异议。",
                "No disputed charge on this job waits for an instruction."
            ),
            Error::ChargeAlreadyDisputed => say!(
                lang,
                "本工单的收费异议已经上报过。",
                "The charge on this job was already disputed."
            ),
            Error::NothingToDispute => say!(
                lang,
                "本工单客户无需付费,没有可异议的收费。",
                "Nothing is charged to the customer on this job: there is nothing to dispute."
            ),
            Error::InvalidChargeCode => say!(
                lang,
                "批示码与本工单、批示内容或金额不符,请与主管核对。",
                "The supervisor's code does not match this job, instruction or amount; check it with the supervisor."
            ),
            Error::CashNotChecked => say!(
                lang,
                "收取现金须当面验明真伪并点清。",
                "Cash is checked for counterfeits and counted in front of the customer first."
            ),
            Error::InvalidTaxNumber { tax_number } => say!(
                lang,
                "纳税人识别号{tax_number}不是有效的18位统一社会信用代码。",
                "Tax number {tax_number} is not a valid 18-character unified social credit code."
            ),
            Error::NothingWithheld => say!(
                lang,
                "查勘时未隐瞒故障原因和维修措施,无需补填。",
                "The assessment withheld nothing: there is nothing to fill in later."
            ),
            Error::WithheldNotFilled => say!(
                lang,
                "交回前请补填故障原因和维修措施。",
                "Fill in the fault cause and repair measures before the handover."
            ),
            Error::IdentityNotChecked => say!(
                lang,
                "卸货验收前请先核实户主身份。",
                "Check the householder's identity before unloading."
            ),
            Error::UnknownDeliveryItem { item_no } => say!(
                lang,
                "送货单上没有第{item_no}项。",
                "The delivery list has no item {item_no}."
            ),
            Error::DeliveryItemsUndecided { item_nos } => {
                let list = item_nos
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                say!(
                    lang,
                    "送货单第{list}项尚未逐项验收(接收或拒收)。",
                    "Delivery-list items {list} are not yet accepted or rejected."
                )
            }
        }
    }
}

fn signature_message(e: &SignatureError, lang: Lang) -> String {
    match e {
        SignatureError::NoStrokes => say!(
            lang,
            "签名是空的,请客户签名。",
            "The signature is empty; ask the customer to sign."
        ),
        SignatureError::TooLittleInk { .. } => say!(
            lang,
            "签名笔迹太少,请客户重新签名。",
            "There is too little ink for a signature; ask the customer to sign again."
        ),
        SignatureError::BadRenderSize { .. } => say!(
            lang,
            "签名图片的尺寸须为每边1至4096像素。",
            "A signature is drawn at 1 to 4096 pixels per side."
        ),
        SignatureError::Render(_) => say!(
            lang,
            "签名图片生成失败。",
            "The signature could not be drawn."
        ),
        SignatureError::OutsideCanvas { .. }
        | SignatureError::NotFinite { .. }
        | SignatureError::TimeBackwards { .. }
        | SignatureError::TooLarge { .. }
        | SignatureError::BadCanvas { .. }
        | SignatureError::Malformed(_) => say!(
            lang,
            "签名数据无效,请客户重新签名。",
            "The signature data is not valid; ask the customer to sign again."
        ),
    }
}

fn photo_message(e: &PhotoError, lang: Lang) -> String {
    match e {
        PhotoError::Empty => say!(lang, "照片是空的。", "The photo is empty."),
        PhotoError::TooLarge { max, .. } => {
            let mb = max / (1024 * 1024);
            say!(
                lang,
                "照片太大,最大{mb}兆字节。",
                "The photo is larger than the {mb} MB accepted."
            )
        }
        PhotoError::UnsupportedFormat => say!(
            lang,
            "只支持JPEG或PNG格式的照片。",
            "Only JPEG and PNG photos are accepted."
        ),
        PhotoError::DimensionsTooLarge { .. } => say!(
            lang,
            "照片的像素数超过相机能拍摄的范围。",
            "The photo has more pixels than a camera takes."
        ),
        PhotoError::Corrupt(_) => say!(
            lang,
            "照片已损坏或不完整。",
            "The photo is truncated or corrupt."
        ),
        PhotoError::Encode(_) => say!(lang, "照片处理失败。", "The photo could not be processed."),
    }
}
