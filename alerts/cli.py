"""``yuqing alerts …``: dispatch what is due, list deliveries, acknowledge one."""

from __future__ import annotations

import argparse

from yuqing.cli import resolve_now as _now


def register(subparsers: argparse._SubParsersAction) -> None:
    alerts = subparsers.add_parser("alerts", help="alert rules, deliveries and acknowledgements")
    sub = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")

    d = sub.add_parser("dispatch", help="evaluate the rules and send the alerts that are due")
    d.add_argument("--now", default=None, help="ISO-8601 time to evaluate at (default: the real clock)")
    d.add_argument("--config", default=None, help="configuration directory (default: config/)")
    d.set_defaults(func=_dispatch)

    ls = sub.add_parser("list", help="recent deliveries, newest first")
    ls.add_argument("--state", choices=["pending", "sending", "sent", "failed", "suppressed"], default=None)
    ls.add_argument("--incident", default=None, help="only deliveries about this incident id")
    ls.add_argument("--limit", type=int, default=30)
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.set_defaults(func=_list)

    ack = sub.add_parser("ack", help="acknowledge a delivery: its alert stops escalating")
    ack.add_argument("delivery_id")
    ack.add_argument("--actor", required=True, help="who acknowledges")
    ack.add_argument("--now", default=None, help="ISO-8601 time of the acknowledgement (default: now)")
    ack.set_defaults(func=_ack)


def _dispatch(args: argparse.Namespace) -> int:
    from alerts.api import dispatch
    from yuqing.cli import print_json
    from yuqing.config import load_config
    from yuqing.storage import Store

    config = load_config(args.config)
    stats = dispatch(Store.connect(), config, now=_now(args.now))
    print_json({k: v for k, v in stats.as_dict().items() if v})
    return 0


def _list(args: argparse.Namespace) -> int:
    from alerts.api import list_deliveries
    from yuqing.cli import print_json
    from yuqing.clock import iso
    from yuqing.storage import Store

    rows = list_deliveries(Store.connect(), state=args.state, incident_id=args.incident, limit=args.limit)
    for d in rows:
        if args.json:
            print_json({k: v for k, v in d.to_doc().items() if k not in ("body", "facts")})
            continue
        ack = f" 已签收:{d.acknowledged_by}" if d.acknowledged_by else ""
        print(f"{d.id[:12]}  {iso(d.created_at)}  {d.state:<9} {d.channel_id:<14} {d.recipient}  "
              f"{d.title}  attempts={d.attempts}{ack}" + (f"  ({d.last_error})" if d.last_error else ""))
    if not rows:
        print("没有推送记录")
    return 0


def _ack(args: argparse.Namespace) -> int:
    from alerts.api import acknowledge
    from yuqing.errors import InputError
    from yuqing.storage import Store

    store = Store.connect()
    delivery_id = args.delivery_id
    if len(delivery_id) < 40:  # accept the short id `list` prints
        docs = store.find("deliveries", {"prefix": {"id": delivery_id}}, size=2)
        if len(docs) != 1:
            raise InputError(f"编号 {delivery_id!r} 对应 {len(docs)} 条推送记录，请给出更长的编号"
                             if docs else f"推送记录不存在：{delivery_id!r}")
        delivery_id = docs[0]["id"]
    d = acknowledge(store, delivery_id, args.actor, _now(args.now))
    print(f"{d.id} 已由 {d.acknowledged_by} 于 {d.acknowledged_at} 签收")
    return 0
