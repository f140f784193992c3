"""The Chinese names of every code a user reads: states, levels, channels, rules, roles, tiers, places,
actors … — one place for the console's pages, the reports and the alerts.

Fixed vocabularies are tables here (``STATE_ZH`` …; :mod:`yuqing.models` and the domain packages
re-export them under their old names). Names that come from configuration (offices, places,
priorities, routing rules, alert channels, release kinds, sources) are looked up in the
:class:`~yuqing.config.Config`. :func:`name` answers both: ``name("state", "assigned")`` → 已交办,
``name("channel", "leader_feishu", config)`` → 领导飞书. A code nobody named is returned as it is
(so a missing name shows up, and the console's raw-identifier test catches it); an empty value is
``default`` (—).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yuqing.config import Config

# --- incidents ---------------------------------------------------------------------------------------
SEVERITY_ZH = {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般"}
STATE_ZH = {
    "new": "新发现", "assigned": "已交办", "acknowledged": "已签收", "responding": "处置中",
    "released": "已回应", "closed": "已办结", "escalated": "已升级", "dismissed": "已排除",
    "merged": "已合并",  # absorbed by another incident (Incident.merged_into), its mentions moved there
}
CLOCK_STATE_ZH = {"running": "计时中", "met": "已按时完成", "missed": "已超时", "waived": "已豁免"}
HANDLING_ZH = {
    "suggestion": "建设性意见建议", "difficulty": "反映实际困难", "major_problem": "反映重大问题",
    "confusion": "模糊认识", "wrong_opinion": "错误看法", "false_info": "虚假和不实信息",
}
# --- mentions ----------------------------------------------------------------------------------------
TIER_ZH = {
    "central": "中央媒体", "provincial": "省级媒体", "local": "地方媒体",
    "self_media": "自媒体", "official": "政务账号",
}
EMOTION_ZH = {"happy": "喜悦", "angry": "愤怒", "sad": "悲伤", "fear": "恐惧", "surprise": "惊奇", "neutral": "中性"}
SENTIMENT_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}
ENGAGEMENT_ZH = {"reposts": "转发", "comments": "评论", "likes": "点赞", "views": "阅读"}
SOURCE_TYPE_ZH = {"rss": "RSS订阅", "html": "网页", "json": "接口", "portal": "政府门户", "board": "留言板",
                  "hotlist": "热榜", "search": "搜索", "news": "新闻网站", "weibo": "微博", "wechat": "微信公众号"}
SOURCE_STATUS_ZH = {"ok": "正常", "degraded": "部分失败", "failing": "采集失败", "silent": "长时间无更新"}
# Why a crawl lost an item (``source_health.failure_reasons``); http_<status> and parse_error_<kind> by pattern.
FAILURE_REASON_ZH = {
    "login_required": "需要重新登录", "malformed": "内容格式异常", "malformed_feed": "订阅源格式异常",
    "malformed_json": "接口数据格式异常", "no_id": "缺少编号", "no_items": "未找到条目", "no_link": "缺少链接",
    "not_html": "不是网页", "store_refused": "存储拒绝写入", "timeout": "请求超时", "spider_error": "采集程序出错",
    "internal_error": "采集程序内部错误", "dns_error": "域名解析失败", "connection_error": "连接失败",
}
# --- routing -----------------------------------------------------------------------------------------
ROUTE_ROLE_ZH = {"lead": "牵头单位", "supporting": "配合单位", "notify": "通报单位", "consultation": "会商单位"}
ROUTE_ASK_ZH = {"lead": "牵头办理", "supporting": "配合提供情况", "notify": "知悉并依法处置",
                "consultation": "参加会商"}
# What routing looked at (``routing.inputs``), in the order a reader wants it.
ROUTE_INPUT_ZH = {
    "place": "属地", "place_codes": "涉及地区", "multi_place": "跨地区", "level": "级别", "priorities": "收集重点",
    "subtopics": "子话题", "handling_kind": "处置类别", "policy_document": "政策文件", "board_message": "留言板留言",
    "department": "业务类别",
}
# --- response ----------------------------------------------------------------------------------------
ACTION_ZH = {
    "assign": "交办", "reassign": "改派", "acknowledge": "签收", "start_response": "开始处置",
    "record_release": "发布回应", "escalate": "升级", "dismiss": "排除", "close": "办结",
    "merge": "合并",
}
# Everything the audit log records, by action.
AUDIT_ACTION_ZH = {
    **ACTION_ZH, "create": "创建事件", "route": "交办", "reroute": "重新交办", "open_consultation": "启动会商",
    "record": "登记发布", "release": "登记发布", "detect": "监测发现发布", "detect_pending": "监测发现发布（待确认）",
    "confirm": "确认发布", "reject": "否认发布", "match": "发布匹配确认", "record_review": "登记审核",
    "open": "开始计时", "met": "按时完成", "met_late": "超时完成", "missed": "超时", "waive": "豁免时限",
    "remind": "提醒", "change_owner": "变更责任单位", "reopen": "重新打开", "transition": "状态变更",
    "upgrade": "级别上调", "unknown_outcome": "发送结果未知", "acknowledge_alerts": "确认提醒",
    # fixing the grouping by hand (console.grouping)
    "open_from_mention": "由信息新建事件", "attach_mention": "归入信息", "detach_mention": "移出信息",
    "absorb": "合并事件", "split": "拆分事件", "split_from": "拆分新建",
    "special_report": "生成专报",
}
AUDIT_ENTITY_ZH = {"incident": "事件", "clock": "时限", "release": "发布", "delivery": "提醒", "mention": "信息",
                   "report": "报告", "alert": "预警", "config": "配置", "source": "信息源"}
RELEASE_STATUS_ZH = {"matched": "已匹配", "pending": "待确认", "confirmed": "已确认", "rejected": "已否认"}
REVIEW_NOT_RECORDED_ZH = "已发布，未记录审核"
RELEASE_CHANNEL_ZH = {
    "website": "政府网站", "weibo": "政务微博", "wechat": "政务微信", "press_conference": "新闻发布会",
    "briefing": "媒体吹风会", "interview": "接受采访", "online_interview": "在线访谈", "hotline": "12345热线",
    "message_board": "留言板答复", "reply": "留言答复", "board_reply": "留言答复", "app": "政务客户端",
    "douyin": "政务抖音",
}
REVIEW_STEP_ZH = {"drafter": "承办人初审", "office_head": "承办部门负责人审核", "unit_head": "单位负责人审发",
                  "confidentiality": "保密审查"}
# --- alerts ------------------------------------------------------------------------------------------
ALERT_KIND_ZH = {
    "new_incident": "舆情事件", "priority_hit": "命中收集重点", "mention_spike": "信息量激增",
    "negative_spike": "负面占比上升", "clock_due_soon": "时限即将到期", "clock_missed": "时限已超期",
    "source_silent": "信息源无更新", "source_failing": "信息源采集失败",
    "routed_office": "交办告知",
    "hotlist_entered": "登上热榜", "hotlist_top": "热榜排名上升", "source_login": "信息源需要重新登录",
    "calendar_missing": "节假日安排未配置", "level_upgrade": "事件级别上调",
}
DELIVERY_STATE_ZH = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
                     "suppressed": "已抑制"}
CHANNEL_TYPE_ZH = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书", "email": "电子邮件", "sms": "短信",
                   "webhook": "接口推送"}
# The people alerts reach (contacts in offices.yaml) …
CONTACT_ROLE_ZH = {"duty_officer": "值班员", "office_staff": "联络员", "office_head": "处室负责人",
                   "leader": "分管领导", "administrator": "管理员"}
# … and the console's users.
USER_ROLE_ZH = {"duty_officer": "舆情值班员", "office_staff": "处置单位工作人员", "leader": "领导",
                "administrator": "管理员"}
# --- reports -----------------------------------------------------------------------------------------
REPORT_TYPE_ZH = {"daily": "每日舆情报告", "incident": "专题报告", "assessment": "回应评估报告",
                  "office_stats": "单位统计", "weekly": "每周舆情报告", "monthly": "每月舆情报告"}
# --- who did it ----------------------------------------------------------------------------------------
SYSTEM_ACTOR_ZH = {
    "system:router": "系统自动分派", "system:clock-sweep": "系统时限检查", "system:release-detection": "系统发布监测",
    "system:alerts": "系统预警", "system:analysis": "系统研判分析",
}
SYSTEM_ZH = "系统自动处理"
BOOL_ZH = {True: "是", False: "否"}

TABLES: dict[str, Mapping[Any, str]] = {
    "severity": SEVERITY_ZH, "state": STATE_ZH, "clock_state": CLOCK_STATE_ZH, "handling": HANDLING_ZH,
    "tier": TIER_ZH, "emotion": EMOTION_ZH, "sentiment": SENTIMENT_ZH, "engagement": ENGAGEMENT_ZH,
    "source_type": SOURCE_TYPE_ZH, "source_status": SOURCE_STATUS_ZH, "route_role": ROUTE_ROLE_ZH,
    "route_input": ROUTE_INPUT_ZH, "action": ACTION_ZH, "audit_action": AUDIT_ACTION_ZH,
    "audit_entity": AUDIT_ENTITY_ZH, "release_status": RELEASE_STATUS_ZH, "release_channel": RELEASE_CHANNEL_ZH,
    "review_step": REVIEW_STEP_ZH, "alert_kind": ALERT_KIND_ZH, "delivery_state": DELIVERY_STATE_ZH,
    "channel_type": CHANNEL_TYPE_ZH, "contact_role": CONTACT_ROLE_ZH, "role": USER_ROLE_ZH,
    "report_type": REPORT_TYPE_ZH, "bool": BOOL_ZH, "failure_reason": FAILURE_REASON_ZH,
}


def _office(config: Config, code: str) -> str:
    from yuqing import places

    return places.office_name(config.offices, code)


def _place(config: Config, code: str) -> str:
    from yuqing import places

    return places.place_name(config.offices, code)


def _channel(config: Config, code: str) -> str:
    """An alert channel by its configured name, else the name of its type (飞书, 短信 …)."""
    for channel in config.alerts.channels:
        if channel.id == code:
            return channel.name_zh or CHANNEL_TYPE_ZH.get(channel.type, channel.type)
    return code


def _route_rule(config: Config, code: str) -> str:
    return next((r.description_zh for r in config.routing.rules if r.id == code), code)


def _source(config: Config, code: str) -> str:
    return next((s.name for s in config.sources.sources if s.id == code), code)


def _release_kind(config: Config, code: str) -> str:
    return config.releases.kind_zh(code) or code


CONFIGURED: dict[str, Callable[[Config, str], str]] = {
    "office": _office, "place": _place, "priority": lambda c, code: c.priorities.name_of(code),
    "channel": _channel, "route_rule": _route_rule, "source": _source, "release_kind": _release_kind,
}
KINDS = frozenset(TABLES) | frozenset(CONFIGURED) | {"actor"}


def name(kind: str, code: Any, config: Config | None = None, default: str = "—") -> str:
    """The Chinese name of ``code`` of a ``kind`` (a key of :data:`TABLES`, of :data:`CONFIGURED`, or
    ``actor``); a list gives its names joined with 、."""
    if kind not in KINDS:
        raise KeyError(f"no Chinese names for {kind!r} (known: {', '.join(sorted(KINDS))})")
    if isinstance(code, list | tuple | set | frozenset):
        return "、".join(name(kind, c, config, default) for c in code) or default
    if code is None or code == "":
        return default
    if kind == "actor":
        return actor(str(code))
    if kind == "failure_reason":
        return failure_reason(str(code))
    if kind in TABLES:
        table = TABLES[kind]
        return table.get(code, str(code)) if kind == "bool" else table.get(str(code), str(code))
    if config is None:
        raise ValueError(f"names of {kind!r} come from the configuration: pass config")
    return CONFIGURED[kind](config, str(code))


def actor(actor_id: str, people: Mapping[str, str] | None = None) -> str:
    """Who did something: a system component (``system:router`` → 系统自动分派) or a person (by the
    display name ``people`` gives, else the name as stored)."""
    if actor_id.startswith("system:"):
        return SYSTEM_ACTOR_ZH.get(actor_id, SYSTEM_ZH)
    return (people or {}).get(actor_id) or actor_id


def rule_short(description_zh: str) -> str:
    """A rule's short name in corner brackets, from its description (the part before the first ：)."""
    return f"「{description_zh.split('：', 1)[0]}」"


def failure_reason(code: str) -> str:
    """Why a crawl lost an item: ``http_503`` → 网站返回错误（HTTP 503）, ``parse_error_valueerror`` → 解析出错."""
    if code in FAILURE_REASON_ZH:
        return FAILURE_REASON_ZH[code]
    if code.startswith("http_") and code[5:].isdigit():
        return f"网站返回错误（HTTP {code[5:]}）"
    if code.startswith("parse_error"):
        return "页面解析出错"
    return code


def route_inputs(inputs: Mapping[str, Any], config: Config) -> list[tuple[str, str]]:
    """What routing looked at, as (Chinese label, Chinese value) pairs in reading order."""
    rows: list[tuple[str, str]] = []
    if "place" in inputs:
        rows.append((ROUTE_INPUT_ZH["place"], inputs.get("place_name") or name("place", inputs.get("place"), config,
                                                                                  "未识别")))
    if inputs.get("place_codes"):
        rows.append((ROUTE_INPUT_ZH["place_codes"], name("place", inputs["place_codes"], config)))
    if "multi_place" in inputs:
        rows.append((ROUTE_INPUT_ZH["multi_place"], BOOL_ZH[bool(inputs["multi_place"])]))
    if "level" in inputs:
        level = inputs.get("level")
        text = f"{SEVERITY_ZH[level]}（{level}级）" if level in SEVERITY_ZH else "未定级"
        rows.append((ROUTE_INPUT_ZH["level"], text))
    for key in ("priorities", "subtopics"):
        if key in inputs:
            rows.append((ROUTE_INPUT_ZH[key], name("priority", list(inputs.get(key) or []), config, "无")))
    if "handling_kind" in inputs:
        kind = inputs.get("handling_kind")
        text = name("handling", kind, default="未判定")
        if kind and inputs.get("handling_kind_inferred"):
            text += "（按收集重点和级别推定）"
        rows.append((ROUTE_INPUT_ZH["handling_kind"], text))
    for key in ("policy_document", "board_message"):
        if key in inputs:
            rows.append((ROUTE_INPUT_ZH[key], BOOL_ZH[bool(inputs.get(key))]))
    if inputs.get("department"):
        confidence = inputs.get("department_confidence")
        rows.append((ROUTE_INPUT_ZH["department"], str(inputs["department"])
                     + (f"（置信度 {float(confidence):.0%}）" if confidence is not None else "")))
    return rows


def names(kind: str, codes: Iterable[Any], config: Config | None = None, empty: str = "无") -> str:
    """Several codes' names joined with 、 (``empty`` when there are none)."""
    return "、".join(name(kind, c, config) for c in codes) or empty
