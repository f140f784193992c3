"""``yuqing alerts …``: dispatch what is due, list deliveries, acknowledge one."""

from __future__ import annotations

import argparse

from yuqing.cli import resolve_now as _now


def register(subparsers: argparse._SubParsersAction) -> None:
    alerts = subparsers.add_parser("alerts", help="推送规则、推送记录和签收")
    sub = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")

    d = sub.add_parser("dispatch", help="按规则发送到期的推送")
    d.add_argument("--now", default=None, help="按此时间判断，ISO-8601（默认：当前时间）")
    d.add_argument("--config", default=None, help="配置目录（默认 config/）")
    d.set_defaults(func=_dispatch)

    ls = sub.add_parser("list", help="最近的推送记录，新的在前")
    ls.add_argument("--state", choices=["pending", "sending", "sent", "failed", "suppressed"], default=None)
    ls.add_argument("--incident", default=None, help="只看该事件的推送记录")
    ls.add_argument("--limit", type=int, default=30)
    ls.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    ls.set_defaults(func=_list)

    ack = sub.add_parser("ack", help="签收推送：该推送不再升级")
    ack.add_argument("delivery_id")
    ack.add_argument("--actor", required=True, help="签收人")
    ack.add_argument("--now", default=None, help="签收时间，ISO-8601（默认：当前时间）")
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
    from yuqing import labels
    from yuqing.cli import print_json
    from yuqing.clock import iso
    from yuqing.config import load_config
    from yuqing.storage import Store

    config = load_config()
    rows = list_deliveries(Store.connect(), state=args.state, incident_id=args.incident, limit=args.limit)
    for d in rows:
        if args.json:
            print_json({k: v for k, v in d.to_doc().items() if k not in ("body", "facts")})
            continue
        ack = f" 已签收:{labels.actor(d.acknowledged_by)}" if d.acknowledged_by else ""
        print(f"{d.id[:12]}  {iso(d.created_at)}  {labels.name('delivery_state', d.state)}  "
              f"{labels.name('channel', d.channel_id, config)}  {d.recipient}  {d.title}  尝试{d.attempts}次{ack}"
              + (f"  ({d.last_error})" if d.last_error else ""))
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
