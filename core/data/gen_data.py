#!/usr/bin/env python3
"""Writes checklists.json, service_lines.json and fee_schedule.json from the tables below.

The content follows the source procedures in shared/seeds (property repairs,
appliance after-sales, GPS terminal installation, furniture delivery). Edit the
tables here, run `python3 core/data/gen_data.py`, and commit both outputs.
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))

def T(zh, en): return {"zh-CN": zh, "en": en}
def check(i, zh, en, req=True, show=None): return item(i, zh, en, {"type": "check"}, req, show)
def yn(i, zh, en, req=True, show=None): return item(i, zh, en, {"type": "yes_no"}, req, show)
def num(i, zh, en, unit, lo, hi, req=True, show=None, flag=None):
    kind = {"type": "number", "unit": unit, "min": lo, "max": hi}
    if flag is not None:  # recorded, but flagged outside [flag_min, flag_max]
        kind.update({"flag_min": flag[0], "flag_max": flag[1], "flag": flag[2]})
    return item(i, zh, en, kind, req, show)
def text(i, zh, en, req=False, show=None, max_len=500): return item(i, zh, en, {"type": "text", "max_len": max_len}, req, show)
def choice(i, zh, en, opts, req=True, show=None):
    return item(i, zh, en, {"type": "choice", "options": [{"id": o, "label": T(z, e)} for o, z, e in opts]}, req, show)
def photo(i, zh, en, req=True, show=None): return item(i, zh, en, {"type": "photo"}, req, show)
def item(i, zh, en, kind, req, show):
    return {"id": i, "label": T(zh, en), "kind": kind, "required": req,
            "show_if": None if show is None else {"item": show[0], "equals": show[1]}}

# Each item follows a line of the books (quoted in the comment beside it).
# Helpers: `old_part_taken` / `old_part_bagged` keep their ids (old-part rules
# elsewhere); no cash item here (payment rules elsewhere).
COMMON_BEFORE = [
    # 「根據實際情況,預約上門查看或提供服務」 (property book 4.2.2)
    check("appointment_confirmed", "已电话与客户确认预约时间", "Appointment confirmed with the customer by phone"),
    # 「對所需材料及工具一次性配帶齊全」 (property book 4.3.2)
    check("tools_ready", "工具齐全、完好", "Tools complete and in working order"),
    # 「做好收据、留言条、送货单‘客户联’、零钱」 (furniture book 三.3)
    check("forms_ready", "携带工单、收据、留言条", "Work order, receipt book and message notes packed"),
    # 「备用配件:合页、《客户满意度反馈表》、毛巾、手套、鞋套等」 (furniture book 三.1)
    check("shoe_covers", "携带鞋套、垫布、抹布", "Shoe covers, floor cloth and rags packed"),
    # 「做好收据、留言条、送货单‘客户联’、零钱」 (furniture book 三.3)
    check("change_ready", "备好零钱", "Change for cash payments ready"),
    # 「查看客户是否有尾款未收」 (furniture book 一.1)
    yn("unpaid_balance", "客户是否有尾款未收", "Is there an outstanding balance to collect?"),
    text("balance_plan", "尾款收取说明", "How the outstanding balance will be collected", req=True, show=("unpaid_balance", "yes")),
]
# Punctuality is computed from the clock and the line's window (service_lines.json), never ticked.
COMMON_ARRIVAL = [
    # 「工作人員上門必須:服裝穿戴整潔、干凈、無異味,胸前佩戴工卡」 (property book 4.3.1)
    check("uniform_badge", "服装整洁、干净、无异味,胸前佩戴工卡", "Clean, tidy uniform; ID badge worn on the chest"),
    # 「按門鈴或輕敲門三聲…等待開門」 (property book 4.3.4)
    check("knocked", "按门铃或轻敲门三声,立于门外0.5~1米处等候", "Rang or knocked three times lightly, waited 0.5-1 m from the door"),
    # 「若客戶未聽見,間隔約半分鐘再次按門鈴或敲門」 (property book 4.3.4): only when nobody answered
    yn("answered_first_time", "客户是否听到并开门", "Did the customer hear and open the door?"),
    check("knocked_again", "间隔约半分钟再次按门铃或敲门", "Rang or knocked again about half a minute later", show=("answered_first_time", "no")),
    # 「主動問候客戶並介紹自己…出示《客戶請修單》,說明來意」 (property book 4.3.5)
    check("introduced", "问候客户、自我介绍并出示请修单,说明来意", "Greeted the customer, introduced myself, showed the order and said why I came"),
    # 「經客戶同意後再進門服務」 (property book 4.3.5)
    check("consent_to_enter", "征得客户同意后进门", "Entered only with the customer's consent"),
    # 「尊重客戶的家居習慣…(如:進門脫鞋…)」 (property book 4.3.6)
    check("shoe_covers_on", "进门穿鞋套(尊重客户家居习惯)", "Put on shoe covers at the door (respecting the customer's habits)"),
]
COMMON_RULES = [
    # 「盡量不破壞房屋原樣」 (property book 4.3.14)
    check("protect_property", "尽量不破坏房屋原样,保护地面家具", "Kept the home as it was; protected floors and furniture"),
    # 「文明操作維修,盡量減小噪音」 (property book 4.3.14)
    check("low_noise", "文明操作,尽量减小噪音", "Worked considerately, kept noise to a minimum"),
    # 「尽可能不借用用户东西,特殊情况下需要借,必须征得用户同意」 (furniture book 七.2)
    check("borrow_nothing", "不借用客户物品,确需借用先征得同意", "Borrowed nothing, or only with the customer's consent"),
    # 「工作人員不得隨意坐客戶沙發,喝客戶的水、飲料及抽煙等」 (property book 4.3.7)
    check("no_smoking", "不随意坐客户沙发,不喝客户的水、饮料,不抽烟", "No sitting on the customer's sofa, no drinking their water or drinks, no smoking"),
    # 「維修完後,將所有原物復位」 (property book 4.3.14)
    check("put_back", "所有原物已复位", "Put everything back where it was"),
]
COMMON_COMPLETION = [
    # 「保持維修場所整潔…將工作中的垃圾清理乾淨」 (property book 4.3.14)
    check("cleaned", "清理现场,擦拭产品和地面", "Cleaned the product, floor and work area"),
    # 「如屬較多(大)垃圾,則清理出戶」 (property book 4.3.14)
    check("waste_removed", "清理工作垃圾,较多(大)垃圾清理出户", "Cleared the work's rubbish; large amounts taken out of the home"),
    # 「对工具箱自检一遍,防止…工具遗漏在用户家」 (appliance book)
    check("tools_checked", "自检工具箱,无工具遗留", "Checked the toolbox: no tool left behind"),
    # 「向用户培训产品的基本使用常识及保养常识」 (appliance book)
    check("customer_trained", "向客户讲解使用和保养常识", "Showed the customer how to use and maintain the product"),
    photo("finished_photo", "完工照片", "Photo of the finished work"),
]

# GPS work is on a vehicle: no door, no shoe covers, no floors; the vehicle is protected.
GPS_ARRIVAL = [
    # 「工作人員上門必須:服裝穿戴整潔、干凈、無異味,胸前佩戴工卡」 (property book 4.3.1, the common rule)
    check("uniform_badge", "服装整洁,佩戴工卡", "Clean, tidy uniform; ID badge worn"),
    # 「出发前须核对安装维修信息」 (GPS book 四.4)
    check("introduced", "问候司机/车主、自我介绍并出示派工单", "Greeted the driver or owner, introduced myself, showed the order"),
    # consent before work (common step 3; the GPS book has no entering rule)
    check("consent_to_work", "征得车主同意后开始作业", "Began only with the owner's consent"),
    # 「不损坏其他物品」 (GPS book 四.8)
    check("vehicle_checked", "与车主共同检查车辆外观并记录", "Checked the vehicle's condition with the owner"),
    check("seat_covers_on", "铺好座椅套、方向盘套和脚垫", "Seat, steering-wheel and floor covers on"),
]
GPS_RULES = [
    # 「不损坏其他物品」 (GPS book 四.8)
    check("vehicle_protected", "保护车辆内饰与漆面,不损坏其他物品", "Protected the vehicle's interior and paint; damaged nothing else"),
    check("borrow_nothing", "未经允许不动用车上物品", "Used nothing in the vehicle without asking"),
    check("no_smoking", "车内不抽烟", "No smoking in the vehicle"),
]

SPEC = {
    "property_repair": {
        "before_leaving": COMMON_BEFORE + [check("materials_ready", "根据报修内容备好常用材料(角阀、软管、开关)", "Common materials for the reported fault packed (valves, hoses, switches)")],
        "arrival": COMMON_ARRIVAL,
        "work_rules": COMMON_RULES + [
            yn("water_or_power_cut", "是否需要停水/停电", "Does the work need water or power shut off?"),
            check("cut_notified", "已告知客户及相邻住户停水停电时间", "Customer and neighbours told when water or power is off", show=("water_or_power_cut", "yes")),
        ],
        "completion": COMMON_COMPLETION + [
            yn("leak_found", "试水后是否仍有渗漏", "Any leak left after the water test?"),
            photo("leak_photo", "渗漏位置照片", "Photo of the leak", show=("leak_found", "yes")),
            choice("leak_location", "渗漏位置", "Where is the leak?", [("joint", "接口", "Joint"), ("valve", "阀门", "Valve"), ("pipe", "管身", "Pipe body")], show=("leak_found", "yes")),
            num("water_pressure", "试压读数", "Pressure test reading", T("兆帕", "MPa"), 0, 1.6, req=False),
        ],
    },
    "appliance": {
        # 「保修条件内」 warranty decides the charge (appliance book 第六部)
        "before_leaving": COMMON_BEFORE + [check("parts_ready", "根据故障备好配件,核对保修信息", "Parts for the fault packed; warranty checked")],
        "arrival": COMMON_ARRIVAL,
        "work_rules": COMMON_RULES + [check("power_off", "维修前断开电源", "Unplugged the appliance before opening it")],
        "completion": COMMON_COMPLETION + [
            # Recorded, never refused: outside 180-250 V it is flagged as a likely cause.
            num("supply_voltage", "电源电压", "Supply voltage", T("伏", "V"), 0, 500, flag=(180, 250,
                T("电源电压超出180~250伏,可能是故障原因", "Supply voltage outside 180-250 V: a likely cause of the fault"))),
            # 「服务工程师在通检后」 (appliance book)
            check("test_run", "通电试机,功能正常", "Test run: works as it should"),
            # 「服务工程师要将产品恢复原位,用自带干净抹布将产品内外清擦干净」 (appliance book)
            check("product_restored", "产品恢复原位,内外清擦干净", "Product back in place, wiped clean inside and out"),
            # Must agree with the parts recorded as replaced (checked at acceptance).
            yn("old_part_taken", "是否更换了配件", "Was a part replaced?"),
            # 「经销商服务中心应收旧配件收回,并给予登记编号」 (appliance book)
            yn("old_part_bagged", "旧件是否已收回并登记编号", "Old part recovered and given a registration number?", show=("old_part_taken", "yes")),
        ],
    },
    "gps_install": {
        "before_leaving": [i for i in COMMON_BEFORE if i["id"] != "shoe_covers"] + [
            check("vehicle_covers", "携带座椅套、方向盘套、脚垫", "Seat, steering-wheel and floor covers packed"),
            # 「准备好工具,备品配件及相关文件等」 (GPS book 四.4)
            check("terminal_ready", "携带GPS终端、SIM卡及备品配件,核对型号", "GPS terminal, SIM card and spare parts packed, model checked"),
            # 「出发前须核对安装维修信息」 (GPS book 四.4)
            check("vehicle_confirmed", "核对安装维修信息(车辆、司机、安装位置)", "Job details checked (vehicle, driver, mounting position)"),
        ],
        "arrival": GPS_ARRIVAL,
        "work_rules": GPS_RULES + [
            check("battery_safe", "接线前断开电瓶负极", "Disconnected the battery's negative terminal before wiring"),
            check("wiring_hidden", "线束隐藏固定,不影响原车功能", "Wiring hidden and fixed; original functions unaffected"),
        ],
        "completion": [
            text("terminal_number", "终端编号", "Terminal number", req=True, max_len=40),
            text("sim_number", "SIM卡号", "SIM card number", req=True, max_len=40),
            num("satellites", "可见卫星数", "Satellites in view", None, 0, 40),
            choice("signal", "信号强度", "Signal strength", [("strong", "强", "Strong"), ("medium", "中", "Medium"), ("weak", "弱", "Weak")]),
            yn("platform_online", "平台显示设备在线", "Does the platform show the device online?"),
            text("offline_reason", "不在线原因及处理", "Why it is offline and what was done", req=True, show=("platform_online", "no")),
            # 「保证终端产品外观整洁」 (GPS book 四.5)
            check("terminal_tidy", "终端外观整洁,车内已清理", "Terminal clean and tidy; vehicle cleaned"),
            check("tools_checked", "自检工具,无遗留在车内", "Checked tools: none left in the vehicle"),
            photo("install_photo", "安装位置照片", "Photo of the installation"),
        ],
    },
    "furniture": {
        "before_leaving": COMMON_BEFORE + [
            # 「根据订单检查货品附件是否携带齐全」 (furniture book 三.1)
            check("fittings_checked", "根据订单检查货品附件携带齐全", "Fittings for the goods packed as the order lists"),
            # 「到仓库提货,并核对型号、颜色、尺寸、件数」 (furniture book 三.2)
            check("goods_checked", "提货时核对型号、颜色、尺寸、件数", "Goods checked at the warehouse: model, colour, size and quantity"),
            # 「必须确认在家等候的客户联系电话(手机)」 (furniture book 二.2)
            check("waiting_phone_confirmed", "已确认在家等候客户的手机号码", "Mobile number of the person waiting at home confirmed"),
            # 「做好收据、留言条、送货单‘客户联’、零钱、会员卡」 (furniture book 三.3)
            check("delivery_note_ready", "携带送货单客户联、会员卡、《客户满意度反馈表》", "Delivery note (customer copy), membership card and satisfaction form packed"),
        ],
        "arrival": [
            # 「仪容仪表自我检查」 (furniture book 四.1)
            check("appearance_checked", "仪容仪表自我检查", "Checked my appearance before knocking"),
            # 「联系轻敲2次,每次连续3下为度,有门铃要先按门铃」 (furniture book 四.2)
            check("knocked", "有门铃先按门铃;轻敲2次,每次连续3下", "Rang the bell first if any; knocked lightly twice, three knocks each"),
            yn("answered_first_time", "客户是否开门", "Did the customer open the door?"),
            # 「每隔30秒钟重复1次」 (furniture book 四.2.1)
            check("knocked_again", "每隔30秒重复敲门", "Repeated the knock every 30 seconds", show=("answered_first_time", "no")),
            # 「证实对方身份」 (furniture book 五.1)
            check("introduced", "自我介绍并证实对方身份", "Introduced myself and confirmed who the householder is"),
            # 「先穿一只鞋套,踏进用户家,再穿另一只鞋套」 (furniture book 五.2)
            check("shoe_covers_on", "进门穿鞋套(先穿一只踏进,再穿另一只)", "Put on shoe covers one foot at a time at the door"),
            # 「取出垫布铺在地上…用盖布盖在附近可能因安装而弄脏的物品」 (furniture book 六.1)
            check("floor_protected", "铺垫布放工具,用盖布盖住附近物品", "Laid a cloth for the tools and covered nearby things"),
            check("route_checked", "确认搬运路线和电梯", "Checked the carrying route and lift"),
        ],
        "work_rules": [
            # 「按包装箱上的指示搬运…轻拿轻放、勿重压,摆放时箭头标识向上」 (furniture book 三.4)
            check("carried_per_marks", "按包装箱指示搬运,轻拿轻放,箭头向上", "Carried per the box markings, gently, arrows up"),
            COMMON_RULES[0], COMMON_RULES[2],
            # 「不在用户家中抽烟,不嚼口香糖;严禁酒后上岗」 (furniture book 七.3)
            check("no_smoking", "不在用户家中抽烟,不嚼口香糖,未酒后上岗", "No smoking or chewing gum in the home; no work after drinking"),
            # 「不准吃拿客户的任何东西或接受客户的吃请」 (furniture book 五不准 2)
            check("no_gifts", "不吃拿客户东西,不接受吃请、烟酒", "Took no food, gifts, cigarettes or drink from the customer"),
            check("walls_protected", "搬运时保护墙角、门框", "Protected corners and door frames while carrying"),
            COMMON_RULES[4],
        ],
        "completion": COMMON_COMPLETION + [
            check("level_checked", "家具水平、稳固,门抽顺滑", "Furniture level and stable; doors and drawers run smoothly"),
            yn("damage_found", "是否发现货损", "Any damage to the goods?"),
            photo("damage_photo", "货损照片", "Photo of the damage", show=("damage_found", "yes")),
        ],
    },
}

TITLES = {
    "before_leaving": T("出发前准备", "Before leaving"),
    "arrival": T("到达与入户", "Arrival and entering"),
    "work_rules": T("施工规范", "Work rules"),
    "completion": T("完工检查", "Completion"),
}

templates = []
for cat, phases in SPEC.items():
    for phase in ["before_leaving", "arrival", "work_rules", "completion"]:
        templates.append({"id": f"{cat}.{phase}", "category": cat, "phase": phase,
                          "title": TITLES[phase], "items": phases[phase]})

def S(code, cat, zh, en, uzh, uen, yuan, charge="schedule"):
    # charge: "schedule" (out of warranty at the schedule price, free in warranty),
    # "free" (never charged), "parts_only" (labour not charged; the parts are).
    assert charge == "schedule" or yuan == 0, code
    return {"code": code, "category": cat, "name": T(zh, en), "unit": T(uzh, uen),
            "price_fen": round(yuan * 100), "charge": charge}

services = [
    S("PR-S-001", "property_repair", "上门检查", "Call-out inspection", "次", "visit", 30),
    S("PR-S-002", "property_repair", "更换角阀", "Replace an angle valve", "个", "pc", 20),
    S("PR-S-003", "property_repair", "更换水龙头", "Replace a faucet", "个", "pc", 30),
    S("PR-S-004", "property_repair", "疏通下水道", "Unblock a drain", "次", "job", 80),
    S("PR-S-005", "property_repair", "更换开关/插座", "Replace a switch or socket", "个", "pc", 15),
    S("PR-S-006", "property_repair", "更换断路器", "Replace a circuit breaker", "个", "pc", 30),
    S("PR-S-007", "property_repair", "更换灯具", "Replace a light fitting", "套", "set", 25),
    S("PR-S-008", "property_repair", "水管改造", "Pipe rework", "米", "m", 35),
    S("AP-S-001", "appliance", "上门检测", "On-site diagnosis", "次", "visit", 50),
    S("AP-S-002", "appliance", "更换压缩机", "Replace a compressor", "次", "job", 200),
    S("AP-S-003", "appliance", "加注制冷剂", "Refrigerant recharge", "次", "job", 150),
    S("AP-S-004", "appliance", "更换主控板", "Replace the control board", "次", "job", 80),
    S("AP-S-005", "appliance", "清洗保养", "Cleaning and maintenance", "次", "job", 120),
    # GPS book: 「免费上门设计、安装」; 「售出的GPS系列产品保修期外维修只收零部件费用」.
    S("GP-S-000", "gps_install", "上门设计安装方案", "On-site installation design", "次", "visit", 0, "free"),
    S("GP-S-001", "gps_install", "GPS终端安装", "GPS terminal installation", "台", "unit", 0, "free"),
    S("GP-S-002", "gps_install", "终端拆除", "Terminal removal", "台", "unit", 0, "parts_only"),
    S("GP-S-003", "gps_install", "终端移装", "Terminal relocation", "台", "unit", 0, "parts_only"),
    S("GP-S-004", "gps_install", "线路检修", "Wiring check and repair", "次", "job", 0, "parts_only"),
    S("GP-S-005", "gps_install", "终端返修更换", "Terminal repair and replacement", "台", "unit", 0, "parts_only"),
    S("FU-S-001", "furniture", "送货上楼(有电梯)", "Delivery upstairs (lift)", "件", "piece", 20),
    S("FU-S-002", "furniture", "送货上楼(无电梯,每层)", "Delivery upstairs (stairs, per floor)", "层", "floor", 10),
    S("FU-S-003", "furniture", "柜类安装", "Cabinet assembly", "件", "piece", 60),
    S("FU-S-004", "furniture", "床类安装", "Bed assembly", "件", "piece", 80),
    S("FU-S-005", "furniture", "旧家具搬离", "Removal of old furniture", "件", "piece", 50),
]
parts = [
    S("PR-P-001", "property_repair", "铜芯角阀", "Brass angle valve", "个", "pc", 35),
    S("PR-P-002", "property_repair", "不锈钢编织软管", "Braided hose", "根", "pc", 18),
    S("PR-P-003", "property_repair", "单把混水龙头", "Mixer faucet", "个", "pc", 168),
    S("PR-P-004", "property_repair", "PPR水管", "PPR pipe", "米", "m", 12),
    S("PR-P-005", "property_repair", "五孔插座", "Five-hole socket", "个", "pc", 22),
    S("PR-P-006", "property_repair", "单控开关", "Single switch", "个", "pc", 18),
    S("PR-P-007", "property_repair", "空气开关32A", "32A circuit breaker", "个", "pc", 45),
    S("PR-P-008", "property_repair", "LED吸顶灯", "LED ceiling light", "套", "set", 128),
    S("AP-P-001", "appliance", "压缩机", "Compressor", "台", "unit", 680),
    S("AP-P-002", "appliance", "主控板", "Control board", "块", "pc", 260),
    S("AP-P-003", "appliance", "温控器", "Thermostat", "个", "pc", 85),
    S("AP-P-004", "appliance", "制冷剂R600a", "Refrigerant R600a", "瓶", "can", 60),
    S("GP-P-001", "gps_install", "GPS定位终端", "GPS terminal", "台", "unit", 398),
    S("GP-P-002", "gps_install", "物联网SIM卡", "IoT SIM card", "张", "card", 30),
    S("GP-P-003", "gps_install", "电源线束", "Power harness", "套", "set", 25),
    S("FU-P-001", "furniture", "五金配件包", "Hardware fittings kit", "套", "set", 30),
    S("FU-P-002", "furniture", "阻尼铰链", "Soft-close hinge", "个", "pc", 12),
    S("FU-P-003", "furniture", "抽屉滑轨", "Drawer runner", "副", "pair", 28),
]

# Per service line: the arrival window and the minimum wait before a no-access
# note, as data (loaded by core/src/service_line.rs). Minutes relative to the
# appointment: on time within [on_time_from, on_time_to]; before it is early,
# after it late. Urgent: within `urgent_within` minutes of the customer's call.
def line(cat, frm, to, urgent, wait, calls, source):
    return {"category": cat,
            "arrival": {"on_time_from_min": frm, "on_time_to_min": to, "urgent_within_min": urgent},
            "no_access": {"min_wait_minutes": wait, "min_calls": calls},
            "advance_contact": None, "source": source}

service_lines = [
    # 「必須按約定時間到達(±5分鐘)」 (property book 4.3.3); 「如客戶要求馬上上門則必須在30分鐘內到達現場」 (4.2.2)
    # 「間隔約半分鐘再次按門鈴或敲門。如客戶暫不在家,則視情況等待2~5分鐘」 (4.3.4): at least 2 min
    line("property_repair", -5, 5, 30, 2, 0, "property book 4.3.3, 4.3.4, 4.2.2"),
    # The appliance book names no window or wait: the service's common rule (±5 min, 2 min) applies.
    line("appliance", -5, 5, 30, 2, 0, "no rule in the appliance book: the common rule"),
    # The GPS book names no window or wait: the common rule applies; no door, so the driver is phoned.
    line("gps_install", -5, 5, 30, 2, 1, "no rule in the GPS book: the common rule; the driver is phoned"),
    # 「确保到达时间比约定时间提前5-10分钟」 (furniture book 三.5): 10 min early up to the appointment is on time;
    # 「3分钟后再不开门则电话联系」 (四.2.1): wait 3 min and phone at least once
    line("furniture", -10, 0, 30, 3, 1, "furniture book 三.5, 四.2.1, 二.1"),
]
# 「提前与客户取得联系(至少在预约5个工作日以前)…在上门前1小时再次联系客户」 (furniture book 二.1)
service_lines[3]["advance_contact"] = {"working_days_before": 5, "call_minutes_before": 60}

def dump(name, obj):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")

dump("checklists.json", {"version": 1, "templates": templates})
dump("service_lines.json", {"version": 1, "timezone": "Asia/Shanghai", "lines": service_lines})
dump("fee_schedule.json", {"version": 1, "currency": "CNY", "services": services, "parts": parts})
