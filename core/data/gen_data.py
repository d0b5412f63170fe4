#!/usr/bin/env python3
"""Writes checklists.json and fee_schedule.json from the tables below.

The content follows the source procedures in shared/seeds (property repairs,
appliance after-sales, GPS terminal installation, furniture delivery). Edit the
tables here, run `python3 core/data/gen_data.py`, and commit both outputs.
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))

def T(zh, en): return {"zh-CN": zh, "en": en}
def check(i, zh, en, req=True, show=None): return item(i, zh, en, {"type": "check"}, req, show)
def yn(i, zh, en, req=True, show=None): return item(i, zh, en, {"type": "yes_no"}, req, show)
def num(i, zh, en, unit, lo, hi, req=True, show=None):
    return item(i, zh, en, {"type": "number", "unit": unit, "min": lo, "max": hi}, req, show)
def text(i, zh, en, req=False, show=None, max_len=500): return item(i, zh, en, {"type": "text", "max_len": max_len}, req, show)
def choice(i, zh, en, opts, req=True, show=None):
    return item(i, zh, en, {"type": "choice", "options": [{"id": o, "label": T(z, e)} for o, z, e in opts]}, req, show)
def photo(i, zh, en, req=True, show=None): return item(i, zh, en, {"type": "photo"}, req, show)
def item(i, zh, en, kind, req, show):
    return {"id": i, "label": T(zh, en), "kind": kind, "required": req,
            "show_if": None if show is None else {"item": show[0], "equals": show[1]}}

COMMON_BEFORE = [
    check("appointment_confirmed", "已电话与客户确认预约时间", "Appointment confirmed with the customer by phone"),
    check("tools_ready", "工具齐全、完好", "Tools complete and in working order"),
    check("forms_ready", "携带工单、收据、留言条", "Work order, receipt book and message notes packed"),
    check("shoe_covers", "携带鞋套、垫布、抹布", "Shoe covers, floor cloth and rags packed"),
    check("change_ready", "备好零钱", "Change for cash payments ready"),
    yn("unpaid_balance", "客户是否有欠费记录", "Does the customer have an unpaid balance?"),
    text("balance_plan", "欠费处理说明", "How the unpaid balance will be raised", req=True, show=("unpaid_balance", "yes")),
]
COMMON_ARRIVAL = [
    check("on_time", "按预约时间到达(±5分钟)", "Arrived within 5 minutes of the appointment"),
    check("knocked", "按门铃/敲门,等候后再次敲门", "Rang or knocked, waited and knocked again"),
    check("introduced", "自我介绍并出示工单和工作证", "Introduced myself and showed the order and ID"),
    check("consent_to_enter", "征得客户同意后进入", "Entered only with the customer's consent"),
    check("shoe_covers_on", "进门穿鞋套", "Put on shoe covers at the door"),
    check("floor_protected", "在工作区域铺设垫布", "Laid a protective cloth over the work area"),
]
COMMON_RULES = [
    check("protect_property", "保护客户家具、地面,避免损坏", "Protected the customer's furniture and floors"),
    check("low_noise", "尽量减少噪音", "Kept noise to a minimum"),
    check("borrow_nothing", "未经允许不借用客户物品", "Borrowed nothing without asking"),
    check("no_smoking", "不吸烟、不吃客户食物、不使用客户电话和卫生间", "No smoking, eating, or use of the customer's phone or toilet"),
    check("put_back", "移动的物品已放回原处", "Put back everything that was moved"),
]
COMMON_COMPLETION = [
    check("cleaned", "清理现场,擦拭产品和地面", "Cleaned the product, floor and work area"),
    check("waste_removed", "带走维修垃圾和大件废弃物", "Took away repair waste and large rubbish"),
    check("tools_checked", "自检工具箱,无工具遗留", "Checked the toolbox: no tool left behind"),
    check("customer_trained", "向客户讲解使用和保养常识", "Showed the customer how to use and maintain the product"),
    photo("finished_photo", "完工照片", "Photo of the finished work"),
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
        "before_leaving": COMMON_BEFORE + [check("parts_ready", "根据故障备好配件,核对保修信息", "Parts for the fault packed; warranty checked")],
        "arrival": COMMON_ARRIVAL,
        "work_rules": COMMON_RULES + [check("power_off", "维修前断开电源", "Unplugged the appliance before opening it")],
        "completion": COMMON_COMPLETION + [
            num("supply_voltage", "电源电压", "Supply voltage", T("伏", "V"), 180, 250),
            check("test_run", "通电试机,功能正常", "Test run: works as it should"),
            # Must agree with the parts recorded as replaced (checked at acceptance).
            yn("old_part_taken", "是否更换了配件", "Was a part replaced?"),
            # 「经销商服务中心应收旧配件收回,并给予登记编号」 (appliance book)
            yn("old_part_bagged", "旧件是否已收回并登记编号", "Old part recovered and given a registration number?", show=("old_part_taken", "yes")),
        ],
    },
    "gps_install": {
        "before_leaving": COMMON_BEFORE + [
            check("terminal_ready", "携带GPS终端和SIM卡,核对型号", "GPS terminal and SIM card packed, model checked"),
            check("vehicle_confirmed", "确认车辆信息与安装位置", "Vehicle and mounting position confirmed"),
        ],
        "arrival": COMMON_ARRIVAL[:4] + [check("vehicle_checked", "与车主共同检查车辆外观并记录", "Checked the vehicle's condition with the owner")],
        "work_rules": COMMON_RULES[:3] + [
            check("battery_safe", "接线前断开电瓶负极", "Disconnected the battery before wiring"),
            check("wiring_hidden", "线束隐藏固定,不影响原车功能", "Wiring hidden and fixed; original functions unaffected"),
        ],
        "completion": [
            text("terminal_number", "终端编号", "Terminal number", req=True, max_len=40),
            text("sim_number", "SIM卡号", "SIM card number", req=True, max_len=40),
            num("satellites", "可见卫星数", "Satellites in view", None, 0, 40),
            choice("signal", "信号强度", "Signal strength", [("strong", "强", "Strong"), ("medium", "中", "Medium"), ("weak", "弱", "Weak")]),
            yn("platform_online", "平台显示设备在线", "Does the platform show the device online?"),
            text("offline_reason", "不在线原因及处理", "Why it is offline and what was done", req=True, show=("platform_online", "no")),
            check("tools_checked", "自检工具,无遗留在车内", "Checked tools: none left in the vehicle"),
            photo("install_photo", "安装位置照片", "Photo of the installation"),
        ],
    },
    "furniture": {
        "before_leaving": COMMON_BEFORE + [check("goods_checked", "核对货品型号、数量和配件包", "Goods, quantities and fittings checked against the order")],
        "arrival": COMMON_ARRIVAL + [check("route_checked", "确认搬运路线和电梯", "Checked the carrying route and lift")],
        "work_rules": COMMON_RULES + [check("walls_protected", "搬运时保护墙角、门框", "Protected corners and door frames while carrying")],
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

def dump(name, obj):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")

dump("checklists.json", {"version": 1, "templates": templates})
dump("fee_schedule.json", {"version": 1, "currency": "CNY", "services": services, "parts": parts})
