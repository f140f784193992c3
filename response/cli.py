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
    print(stats.summary())
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from response.api import sweep_clocks

    store, config = _context(args)
    stats = sweep_clocks(store, config, now=_now(args.now))
    for clock_id, label in stats.reminders:
        print(f"reminder {clock_id} {label}")
    print(stats.summary())
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


def _release(args: argparse.Namespace) -> int:
    from response import releases
    from yuqing.clock import parse_ts
    from yuqing.errors import InputError
    from yuqing.models import Incident, ReviewStep

    store, config = _context(args)
    now = _now(args.now)
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
    reviews = [ReviewStep.model_validate({"step": step, "reviewer": name, "at": at}) for step, name in
               (("drafter", args.drafter), ("office_head", args.office_head), ("unit_head", args.unit_head),
                ("confidentiality", args.confidentiality)) if name]
    release = releases.record_release(
        store, config, args.incident_id, actor=args.actor or args.drafter or "cli", now=now, office=office,
        channel=args.channel, url=args.url, title=args.title or "", published_at=at, reviews=reviews,
        states_facts=args.facts, states_measures=args.measures, states_result=args.result,
        rebuts_rumour=args.rebuts,
    )
    print(f"已记录发布 {release.id}（{releases.CHANNELS_ZH[release.channel]}，{release.published_at.isoformat()}）")
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
    r = rsub.add_parser("record", help="record a release (URL, channel, time, three-step review)")
    r.add_argument("incident_id")
    r.add_argument("--url", default=None)
    r.add_argument("--channel", required=True,
                   help="website, weibo, wechat, press_conference, briefing, interview, online_interview, hotline, "
                        "message_board")
    r.add_argument("--at", required=True, help="publication time, ISO-8601")
    r.add_argument("--title", default="")
    r.add_argument("--office", default=None, help="publishing office id (default: the incident's office)")
    r.add_argument("--drafter", default=None, help="承办人初审: reviewer name")
    r.add_argument("--office-head", default=None, help="承办部门负责人审核: reviewer name")
    r.add_argument("--unit-head", default=None, help="单位负责人审发: reviewer name")
    r.add_argument("--confidentiality", default=None, help="保密审查: reviewer name (optional)")
    r.add_argument("--actor", default=None, help="who records it (default: the drafter)")
    r.add_argument("--facts", action="store_true", help="the release states the facts")
    r.add_argument("--measures", action="store_true", help="the release states the measures")
    r.add_argument("--result", action="store_true", help="the release states the handling result")
    r.add_argument("--rebuts", action="store_true", help="the release rebuts a rumour")
    common(r)
    r.set_defaults(func=_release)
