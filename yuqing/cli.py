"""``yuqing``: the command line.

The core owns the entry point and the commands about the platform itself (``es``, ``init``,
``config``). Each domain package contributes its own commands from a ``cli`` module exposing
``register(subparsers)``; the list below is plain data, so the core never imports a domain package
at module level and a command's heavy imports happen only when it runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import json
import logging
import sys
from collections.abc import Sequence

from yuqing.errors import YuqingError

log = logging.getLogger(__name__)

# Domain command modules, in help order. Each exposes ``register(subparsers) -> None``.
COMMAND_MODULES = [
    "crawlers.cli",
    "analysis.cli",
    "response.cli",
    "alerts.cli",
    "reports.cli",
    "console.cli",
    "demo.cli",
]


def _es(args: argparse.Namespace) -> int:
    from yuqing import esnode

    if args.action == "start":
        info = esnode.start(name=args.name, port=args.port)
        print(f"Elasticsearch {esnode.ES_VERSION} node {info.name!r} running at {info.url} (pid {info.pid})")
        if info.secured:
            print(f"security on; accounts ({', '.join(a['user'] for a in info.accounts.values())}) "
                  f"in {info.node_dir}/{esnode.CREDENTIALS_FILE}")
        from yuqing.storage import Store

        Store.connect(info.client_url("tasks")).ensure_indices()
        print("indices ready")
    elif args.action == "stop":
        print("stopped" if esnode.stop(args.name) else f"no local node {args.name!r} was running")
    else:
        status = esnode.status(args.name)
        if not status.get("running"):
            print(f"not running: {status.get('detail')}")
            return 1
        if not status.get("authenticated"):
            print(f"running, but {status.get('detail')}")
            return 1
        print(f"{status['url']}: cluster {status['cluster_name']} status {status['status']}, "
              f"{status['number_of_nodes']} node(s), {status['active_shards']} active shards")
    return 0


def _init(args: argparse.Namespace) -> int:
    from yuqing.config import load_config
    from yuqing.storage import Store

    config = load_config(args.config)
    store = Store.connect()
    store.ensure_indices(config.storage)
    settings = store.index_settings(config.storage)
    print(f"indices ready under prefix {store.prefix!r} "
          f"(mentions: {settings['mentions']['number_of_shards']} shard(s), "
          f"{settings['mentions']['number_of_replicas']} replica(s))")
    return 0


def _retention(args: argparse.Namespace) -> int:
    from yuqing.config import load_config
    from yuqing.retention import apply_retention
    from yuqing.storage import Store

    config = load_config(args.config)
    store = Store.connect()
    result = apply_retention(store, config.storage.retention, now=resolve_now(args.now))
    for kind, r in result.items():
        failed = f", {r['failed']} failed" if r["failed"] else ""
        print(f"{kind}: deleted {r['deleted']} older than {r['before']}{failed}")
    return 1 if any(r["failed"] for r in result.values()) else 0


def _config_check(args: argparse.Namespace) -> int:
    from yuqing.config import load_config

    config = load_config(args.config)
    print(f"{config.directory}: OK — {len(config.sources.sources)} sources, "
          f"{len(config.priorities.priorities)} priorities, {len(config.priorities.subtopics)} sub-topics, "
          f"{len(config.offices.offices)} offices, {len(config.routing.rules)} routing rules, "
          f"{len(config.clocks.rules)} clock rules, {len(config.alerts.channels)} channels")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yuqing", description="Yuqing Watch 舆情监测与回应")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    es = sub.add_parser("es", help="manage the local Elasticsearch node")
    es.add_argument("action", choices=["start", "stop", "status"])
    es.add_argument("--name", default="default", help="node name (default: default)")
    es.add_argument("--port", type=int, default=9200, help="HTTP port on 127.0.0.1 (default 9200)")
    es.set_defaults(func=_es)

    init = sub.add_parser("init", help="create missing index templates, indices and aliases")
    init.add_argument("--config", default=None, help="configuration directory (default: config/)")
    init.set_defaults(func=_init)

    ret = sub.add_parser("retention", help="delete documents older than config/storage.yaml keeps them")
    ret.add_argument("--config", default=None, help="configuration directory (default: config/)")
    ret.add_argument("--now", default=None, help="pretend it is this ISO-8601 time")
    ret.set_defaults(func=_retention)

    cfg = sub.add_parser("config", help="validate the configuration")
    cfg.add_argument("action", choices=["check"])
    cfg.add_argument("--config", default=None, help="configuration directory (default: config/)")
    cfg.set_defaults(func=_config_check)

    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name.split(".")[0]) is None or importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except YuqingError as exc:
        print(f"yuqing: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def resolve_now(value: str | None) -> dt.datetime:
    """``--now ISO-8601`` of a command, or the real clock (the demo simulates a day this way)."""
    from yuqing.clock import now, parse_ts
    from yuqing.errors import InputError

    if not value:
        return now()
    try:
        parsed = parse_ts(value)
    except ValueError as exc:
        raise InputError(f"--now {value!r} is not an ISO-8601 time (e.g. 2026-10-01T09:00:00+08:00)") from exc
    assert parsed is not None
    return parsed


def eval_group(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The shared ``yuqing eval <what>`` group; each package adds its evaluations to it."""
    if "eval" not in subparsers.choices:
        ev = subparsers.add_parser("eval", help="quality evaluations (extraction, sentiment, priorities)")
        _EVAL_GROUPS[id(subparsers)] = ev.add_subparsers(dest="eval_what", required=True, metavar="WHAT")
    return _EVAL_GROUPS[id(subparsers)]


_EVAL_GROUPS: dict[int, argparse._SubParsersAction] = {}


def print_json(obj: object) -> None:
    """One JSON object per line, UTF-8 Chinese kept readable."""
    print(json.dumps(obj, ensure_ascii=False, default=str))


if __name__ == "__main__":
    raise SystemExit(main())
