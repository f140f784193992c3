"""``yuqing route | sweep | explain | incident | release``: the response workflow on the command line."""

from __future__ import annotations

import argparse
from typing import Any

from yuqing.cli import resolve_now as _now

ACTIONS = ["assign", "reassign", "acknowledge", "start_response", "record_release", "escalate", "dismiss", "close"]


def _context(args: argparse.Namespace) -> tuple[Any, Any]:
    from yuqing.config import load_config
    from yuqing.storage import Store

    config = load_config(args.config)
    store = Store.connect()
    store.ensure_indices()
    return store, config


def _route(args: argparse.Namespace) -> int:
    from response.api import route_pending

    store, config = _context(args)
    stats = route_pending(store, config, now=_now(args.now))
    skipped = "，".join(f"{k} {v}" for k, v in sorted(stats.skipped.items()))
    print(f"交办 {stats.routed} 起，改派 {stats.rerouted} 起，会商 {stats.consultations} 起，开始计时 "
          f"{stats.clocks_opened} 项，发现发布 {stats.releases_detected} 条，时限已完成 {stats.clocks_met} 项"
          + (f"，跳过（{skipped}）" if skipped else ""))
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from response.api import sweep_clocks

    store, config = _context(args)
    stats = sweep_clocks(store, config, now=_now(args.now))
    for clock_id, label in stats.reminders:
        print(f"提醒 {clock_id} {label}")
    errors = sum(stats.errors.values())
    print(f"到期前已发布 {stats.met_by_release} 项，超时 {stats.missed} 项，升级 {stats.escalated} 起，"
          f"已升级或办结不再升级 {stats.escalation_skipped} 项，提醒 {len(stats.reminders)} 条"
          + (f"，出错 {errors} 项" if errors else ""))
    return 0


def _explain(args: argparse.Namespace) -> int:
    import json

    from response.api import explain_route

    store, config = _context(args)
    result = explain_route(store, config, args.incident_id)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else result["text_zh"])
    return 0


def _incident(args: argparse.Namespace) -> int:
    from response import lifecycle
    from yuqing.models import STATE_ZH

    store, config = _context(args)
    incident = lifecycle.apply(store, config, args.incident_id, args.action, actor=args.actor,
                               now=_now(args.now), reason=args.reason or "", office=args.office)
    print(f"{incident.id}: {STATE_ZH[incident.state]}（{incident.state}）"
          + (f"，处置单位 {incident.assigned_office}" if incident.assigned_office else ""))
    return 0


def _reviews(args: argparse.Namespace) -> list[Any]:
    from yuqing.clock import parse_ts
    from yuqing.errors import InputError
    from yuqing.models import ReviewStep

    steps = []
    for step, name, when in (("drafter", args.drafter, args.drafter_at),
                             ("office_head", args.office_head, args.office_head_at),
                             ("unit_head", args.unit_head, args.unit_head_at),
                             ("confidentiality", args.confidentiality, args.confidentiality_at)):
        if not name:
            continue
        flag = "--" + step.replace("_", "-") + "-at"
        try:
            at = parse_ts(when) if when else None
        except ValueError as exc:
            raise InputError(f"{flag} 须为 ISO-8601 时间：{when!r}") from exc
        if at is None:
            raise InputError(f"须给出每一步审核各自的时间（{flag}）")
        steps.append(ReviewStep.model_validate({"step": step, "reviewer": name, "at": at}))
    return steps


def _release(args: argparse.Namespace) -> int:
    from response import releases
    from yuqing.clock import parse_ts
    from yuqing.errors import InputError
    from yuqing.models import Incident

    store, config = _context(args)
    now = _now(args.now)
    if args.release_action in ("confirm", "reject"):
        release = releases.decide_release(store, config, args.release_id, args.release_action,
                                          actor=args.actor or "cli", now=now, reason=args.reason or "")
        print(f"{release.id}: {'已确认' if release.status == 'confirmed' else '已否认'}")
        return 0
    if args.release_action == "review":
        release = releases.record_review(store, config, args.release_id, reviews=_reviews(args),
                                         actor=args.actor or args.drafter or "cli", now=now)
        print(f"已登记审核 {release.id}")
        return 0
    try:
        at = parse_ts(args.at)
    except ValueError as exc:
        raise InputError(f"--at 须为 ISO-8601 时间：{args.at!r}") from exc
    if at is None:
        raise InputError("须给出发布时间 --at")
    office = args.office
    if office is None:
        doc = store.get("incidents", args.incident_id)
        if doc is None:
            raise InputError(f"事件不存在：{args.incident_id}")
        incident = Incident.from_doc(doc)
        office = incident.assigned_office or (incident.routing.lead_office if incident.routing else None)
        if office is None:
            raise InputError("事件尚未交办，请用 --office 指定发布单位")
    release = releases.record_release(
        store, config, args.incident_id, actor=args.actor or args.drafter or "cli", now=now, office=office,
        channel=args.channel, url=args.url, title=args.title or "", published_at=at, reviews=_reviews(args),
        text=args.text or "", kind=args.kind,
    )
    print(f"已记录发布 {release.id}（{releases.CHANNELS_ZH[release.channel]}，"
          f"{config.releases.kind_zh(release.kind)}，{release.published_at.isoformat()}）")
    return 0


def register(subparsers: Any) -> None:
    def common(p: argparse.ArgumentParser, *, now: bool = True) -> None:
        p.add_argument("--config", default=None, help="配置目录（默认 config/）")
        if now:
            p.add_argument("--now", default=None, help="按此时间执行，ISO-8601（默认：当前时间）")

    p = subparsers.add_parser("route", help="交办未交办的事件，开始计时，发现发布")
    common(p)
    p.set_defaults(func=_route)

    p = subparsers.add_parser("sweep", help="检查回应时限：超时、升级、提醒")
    common(p)
    p.set_defaults(func=_sweep)

    p = subparsers.add_parser("explain", help="说明事件为何交办给该单位（规则、理由、依据）")
    p.add_argument("incident_id")
    p.add_argument("--json", action="store_true", help="以 JSON 输出说明")
    common(p, now=False)
    p.set_defaults(func=_explain)

    p = subparsers.add_parser("incident", help="对事件执行处置操作")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("incident_id")
    p.add_argument("--actor", required=True, help="操作人（记入审计日志）")
    p.add_argument("--reason", default="", help="理由（排除时必填）")
    p.add_argument("--office", default=None, help="交办、改派、升级时的处置单位编号")
    common(p)
    p.set_defaults(func=_incident)

    p = subparsers.add_parser("release", help="登记人工发布")
    rsub = p.add_subparsers(dest="release_action", required=True)
    def review_args(r: argparse.ArgumentParser) -> None:
        for flag, label in (("drafter", "承办人初审"), ("office-head", "承办部门负责人审核"),
                            ("unit-head", "单位负责人审发"), ("confidentiality", "保密审查（可选）")):
            r.add_argument(f"--{flag}", default=None, help=f"{label}：审核人姓名（offices.yaml 的 reviewers）")
            r.add_argument(f"--{flag}-at", default=None, help=f"{label}：签署时间，ISO-8601")
        r.add_argument("--actor", default=None, help="登记人（默认：承办人）")

    r = rsub.add_parser("record", help="登记一次发布（地址、渠道、时间、类型、正文、三级审核）")
    r.add_argument("incident_id")
    r.add_argument("--url", default=None)
    r.add_argument("--channel", required=True,
                   help="发布渠道：website, weibo, wechat, press_conference, briefing, interview, online_interview, "
                        "hotline, message_board")
    r.add_argument("--at", required=True, help="发布时间，ISO-8601")
    r.add_argument("--title", default="")
    r.add_argument("--text", default="", help="发布正文（据此判断发布内容）")
    r.add_argument("--kind", default=None, help="发布类型（releases.yaml 的 kinds）；默认按渠道和正文判断")
    r.add_argument("--office", default=None, help="发布单位编号（默认：事件的处置单位）")
    review_args(r)
    common(r)
    r.set_defaults(func=_release)

    r = rsub.add_parser("review", help="登记已发现发布的三级审核")
    r.add_argument("release_id")
    review_args(r)
    common(r)
    r.set_defaults(func=_release)

    for action, label in (("confirm", "确认一条待确认的发布：计入时限完成"),
                          ("reject", "否认一条待确认的发布")):
        r = rsub.add_parser(action, help=label)
        r.add_argument("release_id")
        r.add_argument("--actor", default=None, help="决定人（记入审计日志）")
        r.add_argument("--reason", default="")
        common(r)
        r.set_defaults(func=_release)
