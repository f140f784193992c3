"""``yuqing``: the command line.

The core owns the entry point and the commands about the platform itself (``es``, ``init``,
``config``). Each domain package contributes its own commands from a ``cli`` module exposing
``register(subparsers)``; the list below is plain data, so the core never imports a domain package
at module level and a command's heavy imports happen only when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from yuqing import clierrors, progress

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
        print(f"Elasticsearch {esnode.ES_VERSION} 节点 {info.name!r} 已在 {info.url} 运行（进程 {info.pid}）")
        if info.secured:
            print(f"已启用安全认证；账号（{', '.join(a['user'] for a in info.accounts.values())}）"
                  f"见 {info.node_dir}/{esnode.CREDENTIALS_FILE}")
        from yuqing.storage import Store

        Store.connect(info.client_url("tasks")).ensure_indices()
        print("索引已就绪")
    elif args.action == "stop":
        print("已停止" if esnode.stop(args.name) else f"本地节点 {args.name!r} 未在运行")
    else:
        status = esnode.status(args.name)
        if not status.get("running"):
            print(f"未运行：{status.get('detail')}")
            return clierrors.EXIT_BACKEND
        if not status.get("authenticated"):
            print(f"正在运行，但登录被拒绝：{status.get('detail')}")
            return clierrors.EXIT_BACKEND
        print(f"{status['url']}：集群 {status['cluster_name']} 状态 {status['status']}，"
              f"{status['number_of_nodes']} 个节点，{status['active_shards']} 个活动分片")
    return 0


def _init(args: argparse.Namespace) -> int:
    from yuqing.config import load_config
    from yuqing.storage import Store

    config = load_config(args.config)
    store = Store.connect()
    store.ensure_indices(config.storage)
    settings = store.index_settings(config.storage)
    print(f"索引已就绪，前缀 {store.prefix!r}（舆情索引：{settings['mentions']['number_of_shards']} 个分片，"
          f"{settings['mentions']['number_of_replicas']} 个副本）")
    return 0


def _retention(args: argparse.Namespace) -> int:
    from yuqing.config import load_config
    from yuqing.retention import apply_retention
    from yuqing.storage import Store

    config = load_config(args.config)
    store = Store.connect()
    result = apply_retention(store, config.storage.retention, now=resolve_now(args.now))
    for kind, r in result.items():
        failed = f"，{r['failed']} 条删除失败" if r["failed"] else ""
        print(f"{kind}：已删除 {r['before']} 之前的 {r['deleted']} 条{failed}")
    return 1 if any(r["failed"] for r in result.values()) else 0


def _config_check(args: argparse.Namespace) -> int:
    from yuqing.config import load_config

    config = load_config(args.config)
    print(f"{config.directory}：配置无误 — 来源 {len(config.sources.sources)} 个，"
          f"收集重点 {len(config.priorities.priorities)} 个，子类 {len(config.priorities.subtopics)} 个，"
          f"处置单位 {len(config.offices.offices)} 个，交办规则 {len(config.routing.rules)} 条，"
          f"时限规则 {len(config.clocks.rules)} 条，推送渠道 {len(config.alerts.channels)} 个")
    return 0


class Parser(argparse.ArgumentParser):
    """The CLI's argument parser: usage errors as one Chinese line (exit 2), argparse's own words in
    Chinese. Sub-commands made with ``subparsers.add_parser`` are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(clierrors.EXIT_USAGE, f"{self.prog}: 参数有误：{message}（`{self.prog} -h` 查看用法）\n")


# argparse's own words (usage line, section titles, error messages), in Chinese.
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的取值 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的取值（%(type)s）：%(value)r",
    "expected one argument": "需要一个值",
    "expected at least one argument": "至少需要一个值",
    "expected at most one argument": "至多一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "须给出参数 %s 之一",
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s'：%(error)s",
    "ignored explicit argument %r": "多余的参数值 %r",
}


@contextlib.contextmanager
def _argparse_in_chinese() -> Iterator[None]:
    """argparse looks its words up through its module-global ``_`` (gettext) at call time; answer in
    Chinese while this command line parses, and restore the lookup afterwards."""
    original = argparse._  # type: ignore[attr-defined]
    argparse._ = lambda text: _ARGPARSE_ZH.get(text, original(text))  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = original  # type: ignore[attr-defined]


CONFIG_HELP = "配置目录（默认 config/）"
NOW_HELP = "按此时间执行，ISO-8601（默认：当前时间）"
VERBOSE_HELP = "更多输出：-v 显示过程信息，-vv 显示调试信息（含完整错误堆栈）"


def _add_common_options(parser: argparse.ArgumentParser, depth: int = 0, seen: set[int] | None = None) -> None:
    """Give every (sub-)command ``-v``, so ``yuqing crawl -v`` works as ``yuqing -v crawl`` does.

    Each level counts into its own attribute (argparse copies a sub-command's namespace over its
    parent's), and :func:`verbosity` adds them up."""
    seen = set() if seen is None else seen
    if id(parser) in seen:
        return
    seen.add(id(parser))
    if depth and not {"-v", "--verbose"} & set(parser._option_string_actions):
        parser.add_argument("-v", "--verbose", action="count", dest=f"verbose_{depth}", default=argparse.SUPPRESS,
                            help=VERBOSE_HELP)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_common_options(child, depth + 1, seen)


def verbosity(args: argparse.Namespace) -> int:
    """How many ``-v`` were given, wherever on the command line."""
    return sum(int(v or 0) for k, v in vars(args).items() if k == "verbose" or k.startswith("verbose_"))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="yuqing", description="Yuqing Watch 舆情监测与回应",
                    epilog="退出码：0 完成；1 内部错误或任务未完成；2 参数、配置或输入有误；"
                           "3 Elasticsearch 不可用或拒绝登录；130 已中断。")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    parser.add_argument("--progress", choices=["auto", "always", "never"], default=None,
                        help="进度显示：auto（默认，仅当 stderr 是终端时）、always、never；也可设 YUQING_PROGRESS")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="命令")

    es = sub.add_parser("es", help="管理本地 Elasticsearch 节点")
    es.add_argument("action", choices=["start", "stop", "status"])
    es.add_argument("--name", default="default", help="节点名（默认 default）")
    es.add_argument("--port", type=int, default=9200, help="127.0.0.1 上的 HTTP 端口（默认 9200）")
    es.set_defaults(func=_es)

    init = sub.add_parser("init", help="创建缺少的索引模板、索引和别名")
    init.add_argument("--config", default=None, help=CONFIG_HELP)
    init.set_defaults(func=_init)

    ret = sub.add_parser("retention", help="删除超过 config/storage.yaml 保存期限的数据")
    ret.add_argument("--config", default=None, help=CONFIG_HELP)
    ret.add_argument("--now", default=None, help=NOW_HELP)
    ret.set_defaults(func=_retention)

    cfg = sub.add_parser("config", help="检查配置")
    cfg.add_argument("action", choices=["check"])
    cfg.add_argument("--config", default=None, help=CONFIG_HELP)
    cfg.set_defaults(func=_config_check)

    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name.split(".")[0]) is None or importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(sub)
    _add_common_options(parser)
    return parser


# Commands that can take a while, with the label their elapsed-time line shows (after half a second)
# on a terminal. A sub-command added under one of them (``report weekly``) has it too. ``demo`` is
# not here: it prints its own line per DAG run and time step ("第 3/9 步").
LONG_COMMANDS = {"crawl": "采集", "analyze": "研判", "analyze-text": "分析文本", "report": "生成报告",
                 "assess": "回应评估", "eval": "评测", "train": "训练模型", "retention": "清理过期数据",
                 "route": "交办", "sweep": "检查时限", "alerts": "推送", "init": "创建索引"}


# Libraries whose log lines are noise for a command-line user: shown from ERROR by default, from
# WARNING with -v and in full with -vv.
CHATTY_LOGGERS = ("elasticsearch", "elastic_transport", "urllib3", "scrapy", "twisted", "airflow", "jieba",
                  "httpx", "httpcore", "asyncio", "py.warnings", "matplotlib", "fontTools", "trafilatura",
                  "htmldate", "charset_normalizer", "uvicorn", "celery", "kombu", "sqlalchemy", "alembic",
                  "reportlab", "PIL", "filelock", "numexpr", "sklearn")


class _Formatter(logging.Formatter):
    """One line a record: ``yuqing: 警告：…``; tracebacks only with -vv."""

    LEVELS_ZH = {"WARNING": "警告", "ERROR": "错误", "CRITICAL": "严重错误", "INFO": "信息", "DEBUG": "调试"}

    def __init__(self, verbose: int) -> None:
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        level = self.LEVELS_ZH.get(record.levelname, record.levelname)
        if self.verbose == 0:
            return f"yuqing: {level}：{message.splitlines()[0] if message else ''}"
        text = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname} {record.name}: {message}"
        if self.verbose >= 2 and record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class _Handler(logging.StreamHandler):
    """Writes to stderr as it is at emit time (tests capture it), wiping a progress line first."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        progress.clear()
        super().emit(record)


def configure_logging(verbose: int) -> Callable[[], None]:
    """Quiet by default (warnings of our own, errors of libraries), -v info, -vv debug. Returns what
    puts logging back as it was (``main`` called in-process, by a test, leaves no trace)."""
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in ("", *CHATTY_LOGGERS)}
    handler = _Handler()
    handler.setFormatter(_Formatter(verbose))
    root.addHandler(handler)
    own = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    chatty = {0: logging.ERROR, 1: logging.WARNING}.get(verbose, logging.DEBUG)
    root.setLevel(own)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty)
    logging.captureWarnings(True)

    def restore() -> None:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)

    return restore


def error_log_path() -> Path:
    from yuqing.paths import var_dir

    return var_dir() / "log" / "cli-errors.log"


def _keep_traceback(exc: BaseException, argv: Sequence[str]) -> Path | None:
    """Append the traceback of an internal error to the var dir's log; the path, or None if unwritable."""
    import traceback

    try:
        path = error_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().astimezone().isoformat(timespec='seconds')} yuqing "
                     f"{' '.join(argv)}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def report_error(exc: BaseException, *, verbose: int, argv: Sequence[str]) -> int:
    """Print ``exc`` as one line on stderr (more with -v); returns the exit code."""
    import traceback

    described = clierrors.describe(exc)
    progress.clear()
    if described.internal:
        path = _keep_traceback(exc, argv)
        where = f"错误堆栈已写入 {path}" if path else "错误堆栈未能写入日志"
        print(f"yuqing: {described.line}；{where}；加 -v 可直接显示", file=sys.stderr)
        if verbose:
            traceback.print_exception(exc, file=sys.stderr)
        return described.code
    print(f"yuqing: {described.line}", file=sys.stderr)
    if verbose and described.detail and described.detail != described.line:
        print(described.detail, file=sys.stderr)
    if verbose >= 2:
        traceback.print_exception(exc, file=sys.stderr)
    return described.code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with _argparse_in_chinese():
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help (0) or a usage error (2), already printed
            return int(exc.code or 0)
    verbose = verbosity(args)
    restore_logging = configure_logging(verbose)
    progress.enable(sys.stderr, mode=args.progress)
    label = LONG_COMMANDS.get(args.command) if not getattr(args, "serve", False) else None
    try:
        if label is None:
            return int(args.func(args) or 0)
        with progress.progress(None, label):  # elapsed time; the command's own progress shows over it
            return int(args.func(args) or 0)
    except BrokenPipeError:  # `yuqing … | head`: the reader has gone, nothing more to say
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so that exit's flush does not fail again
        return clierrors.EXIT_FAILED
    except (Exception, KeyboardInterrupt) as exc:
        return report_error(exc, verbose=verbose, argv=argv)
    finally:
        progress.disable()
        restore_logging()


def resolve_now(value: str | None) -> dt.datetime:
    """``--now ISO-8601`` of a command, or the real clock (the demo simulates a day this way)."""
    from yuqing.clock import now, parse_ts
    from yuqing.errors import InputError

    if not value:
        return now()
    try:
        parsed = parse_ts(value)
    except ValueError as exc:
        raise InputError(f"--now {value!r} 不是 ISO-8601 时间（例如 2026-10-01T09:00:00+08:00）") from exc
    assert parsed is not None
    return parsed


def eval_group(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The shared ``yuqing eval <what>`` group; each package adds its evaluations to it."""
    if "eval" not in subparsers.choices:
        ev = subparsers.add_parser("eval", help="质量评测（正文抽取、情感、收集重点等）")
        _EVAL_GROUPS[id(subparsers)] = ev.add_subparsers(dest="eval_what", required=True, metavar="WHAT")
    return _EVAL_GROUPS[id(subparsers)]


_EVAL_GROUPS: dict[int, argparse._SubParsersAction] = {}


def print_json(obj: object) -> None:
    """One JSON object per line, UTF-8 Chinese kept readable."""
    progress.clear()
    print(json.dumps(obj, ensure_ascii=False, default=str))


if __name__ == "__main__":
    raise SystemExit(main())
