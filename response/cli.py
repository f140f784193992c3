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
        p.add_argument("--config", default=None, help="configuration directory (default: config/)")
        if now:
            p.add_argument("--now", default=None, help="the time to act at, ISO-8601 (default: the real clock)")

    p = subparsers.add_parser("route", help="route unrouted incidents, open clocks, detect releases")
    common(p)
    p.set_defaults(func=_route)

    p = subparsers.add_parser("sweep", help="sweep response clocks: missed, escalations, reminders")
    common(p)
    p.set_defaults(func=_sweep)

    p = subparsers.add_parser("explain", help="why an incident went to its office (rule, reason, inputs)")
    p.add_argument("incident_id")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    common(p, now=False)
    p.set_defaults(func=_explain)

    p = subparsers.add_parser("incident", help="apply a lifecycle action to an incident")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("incident_id")
    p.add_argument("--actor", required=True, help="who acts (recorded in the audit log)")
    p.add_argument("--reason", default="", help="why (required for dismiss)")
    p.add_argument("--office", default=None, help="office id for assign/reassign/escalate")
    common(p)
    p.set_defaults(func=_incident)

    p = subparsers.add_parser("release", help="record a release made by hand")
    rsub = p.add_subparsers(dest="release_action", required=True)
    def review_args(r: argparse.ArgumentParser) -> None:
        for flag, label in (("drafter", "承办人初审"), ("office-head", "承办部门负责人审核"),
                            ("unit-head", "单位负责人审发"), ("confidentiality", "保密审查 (optional)")):
            r.add_argument(f"--{flag}", default=None, help=f"{label}: reviewer name (offices.yaml reviewers)")
            r.add_argument(f"--{flag}-at", default=None, help=f"{label}: when it was signed, ISO-8601")
        r.add_argument("--actor", default=None, help="who records it (default: the drafter)")

    r = rsub.add_parser("record", help="record a release (URL, channel, time, kind, text, three-step review)")
    r.add_argument("incident_id")
    r.add_argument("--url", default=None)
    r.add_argument("--channel", required=True,
                   help="website, weibo, wechat, press_conference, briefing, interview, online_interview, hotline, "
                        "message_board")
    r.add_argument("--at", required=True, help="publication time, ISO-8601")
    r.add_argument("--title", default="")
    r.add_argument("--text", default="", help="the release text (what it states is judged from it)")
    r.add_argument("--kind", default=None, help="release kind (releases.yaml kinds); default: from channel/text")
    r.add_argument("--office", default=None, help="publishing office id (default: the incident's office)")
    review_args(r)
    common(r)
    r.set_defaults(func=_release)

    r = rsub.add_parser("review", help="record the three-step review of a detected release")
    r.add_argument("release_id")
    review_args(r)
    common(r)
    r.set_defaults(func=_release)

    for action, label in (("confirm", "confirm a pending (待确认) release: it meets its clocks"),
                          ("reject", "reject a pending (待确认) release")):
        r = rsub.add_parser(action, help=label)
        r.add_argument("release_id")
        r.add_argument("--actor", default=None, help="who decides (recorded in the audit log)")
        r.add_argument("--reason", default="")
        common(r)
        r.set_defaults(func=_release)
