"""The main job (``yuqing demo``): one simulated day of the whole cycle, run by the real DAGs.

What it does, in order:

1. starts (or reuses) the local Elasticsearch node, or uses ``ES_URL``; drops the previous demo
   indices (prefix ``demo``) so every run starts from nothing and gives the same result;
2. serves the demo web (the scenario day's fixture sites) and the local alert receivers on loopback,
   writes a demo configuration pointing the sources at the demo web and the alert channels at the
   receivers (connections as ``AIRFLOW_CONN_*`` variables);
3. prepares a private Airflow (``var/airflow``: SQLite metadata DB migrated once, ``dags/``) and,
   for each step of the simulated day (06:00 → 22:00), moves the demo web's clock and runs the
   DAGs with ``dag.test()`` for that logical date: collection (one DAG per schedule group),
   analysis, routing, the clock sweep, alert dispatch and the source-health check;
4. has the publishing office record the three-step review of that incident's first detected
   release (later ones stay "已发布，未记录审核"), closes one released incident as a duty officer would
   (``response.lifecycle.apply``), runs the
   assessment DAG, then the daily-report DAG at 08:00 the next morning;
5. prints a summary counted from Elasticsearch and where the reports, received alerts and the
   console are. ``--serve`` keeps the duty console running on the demo data afterwards.

Airflow's own output goes to ``var/demo/airflow.log``; the terminal shows one line per DAG run and
what happened (incidents, clocks, alerts) after each step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from yuqing import places
from yuqing.clock import TZ, parse_ts
from yuqing.models import CLOCK_STATE_ZH, SEVERITY_ZH, STATE_ZH

DEFAULT_PREFIX = "demo"
FULL_STEPS = tuple(dt.time(h) for h in range(6, 23, 2))  # 06:00, 08:00, … 22:00
FAST_STEPS = (dt.time(7), dt.time(10), dt.time(14), dt.time(22))
DUTY_OFFICER = "值班员（演示）"
SUMMARY_MARK = "SUMMARY_JSON "
DELIVERY_STATE_ZH = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
                     "suppressed": "已抑制"}


@dataclasses.dataclass(frozen=True)
class Options:
    day: dt.date | None = None  # default: the scenario's day
    fast: bool = False
    prefix: str = DEFAULT_PREFIX
    serve: bool = False
    console_port: int = 8600


class Progress:
    """Plain progress lines: wall clock, seconds since start, text."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.start = time.monotonic()

    def line(self, text: str = "") -> None:
        if not text:
            self.stream.write("\n")
        else:
            stamp = dt.datetime.now().strftime("%H:%M:%S")
            self.stream.write(f"[{stamp} +{time.monotonic() - self.start:6.1f}s] {text}\n")
        self.stream.flush()

    def plain(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


@contextlib.contextmanager
def captured_output(log_path: Path) -> Iterator[IO[str]]:
    """Send everything written to fd 1 and 2 (Airflow's logs, task output) to ``log_path``; yield a
    stream that still reaches the terminal, for the progress display."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = open(os.dup(saved_out), "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed below
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        yield terminal
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for fd in (saved_out, saved_err, log_fd):
            os.close(fd)
        terminal.close()


def demo_dir() -> Path:
    from yuqing.paths import var_dir

    return var_dir() / "demo"


# The demo web is our own loopback server: crawl it without politeness delays (never do this to a real site).
DEMO_CRAWL_SETTINGS = {"autothrottle": False, "concurrent_requests_per_domain": 16}


def write_config(dest: Path, base_url: str, console_url: str | None = None) -> Path:
    """The demo configuration: the shipped one with the sources pointing at the demo web (and the
    alert links at the demo's console, when given)."""
    import yaml

    from demo.web import write_demo_config

    write_demo_config(dest, base_url)
    path = dest / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data["crawl"] = {**(data.get("crawl") or {}), **DEMO_CRAWL_SETTINGS}
    path.write_text("# Written by `yuqing demo` for the loopback demo web.\n"
                    + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if console_url:
        path = dest / "alerts.yaml"
        alerts = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        alerts["console_url"] = console_url
        path.write_text("# Written by `yuqing demo`: links point at the demo's duty console.\n"
                        + yaml.safe_dump(alerts, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dest


def step_times(day: dt.date, fast: bool) -> list[dt.datetime]:
    return [dt.datetime.combine(day, t, tzinfo=TZ) for t in (FAST_STEPS if fast else FULL_STEPS)]


# -- what happened: read from Elasticsearch after each step ----------------------------------------


class Observer:
    """Diffs the demo indices after each step and describes what changed, in Chinese."""

    def __init__(self, store: Any, config: Any, receiver_count: Any) -> None:
        self.store = store
        self.offices = config.offices
        self.incidents: dict[str, str] = {}  # id -> state
        self.routed: set[str] = set()
        self.clocks: dict[str, str] = {}  # id -> state
        self.deliveries_sent = 0
        self.told: set[str] = set()  # routed offices' own alerts already shown
        self.received = 0
        self.receiver_count = receiver_count

    def changes(self) -> list[str]:
        from yuqing.errors import StorageError

        try:
            self.store.refresh()
        except StorageError:
            return []
        lines: list[str] = []
        titles: dict[str, str] = {}
        for doc in self.store.scan("incidents"):
            iid, state = doc["id"], doc.get("state", "new")
            titles[iid] = _short(doc.get("title", iid))
            level = (doc.get("severity") or {}).get("level")
            label = f"[{level} {SEVERITY_ZH.get(level, '')}] " if level else ""
            if iid not in self.incidents:
                first_id = doc.get("first_mention_id")
                first = (self.store.get("mentions", first_id) if first_id else None) or {}
                where = "，首见于热榜" if first.get("source_type") == "hotlist" else ""
                lines.append(f"  新事件 {label}{titles[iid]}（{doc.get('mention_count', 0)}条信息{where}）")
            routing = doc.get("routing") or {}
            if routing.get("lead_office") and iid not in self.routed:
                self.routed.add(iid)
                lead = places.office_name(self.offices, routing["lead_office"])
                lines.append(f"  交办 {titles[iid]} → 牵头：{lead}（规则 {routing.get('rule_id')}）")
            elif iid in self.incidents and self.incidents[iid] != state and state in ("escalated", "closed"):
                was = STATE_ZH.get(self.incidents[iid], self.incidents[iid])
                lines.append(f"  事件状态 {titles[iid]}：{was} → {STATE_ZH.get(state, state)}")
            self.incidents[iid] = state
        for doc in self.store.scan("clocks"):
            cid, state = doc["id"], doc.get("state", "running")
            title = titles.get(doc.get("incident_id", ""), doc.get("incident_id", ""))
            name = doc.get("name_zh") or doc.get("rule_id")
            if cid not in self.clocks:
                due = parse_ts(doc.get("due_at"))
                when = f"，{due:%m-%d %H:%M} 前" if due else ""
                lines.append(f"  时限开启 {name}：{title}{when}")
            if state != "running" and self.clocks.get(cid) != state:
                extra = ""
                if state == "met":
                    evidence = doc.get("evidence") or {}
                    proof = evidence.get("title") or evidence.get("url") or doc.get("met_by")
                    extra = f"（依据：{_short(str(proof))}）"
                elif state == "missed" and doc.get("escalated_at"):
                    extra = "，已升级"
                lines.append(f"  时限{CLOCK_STATE_ZH.get(state, state)} {name}：{title}{extra}")
            self.clocks[cid] = state
        for doc in self.store.find("deliveries", ROUTED_SENT, size=500):
            facts = doc.get("facts") or {}
            key = f"{doc.get('incident_id')}:{doc.get('office')}"
            if key in self.told:
                continue
            self.told.add(key)
            lines.append(f"  交办告知 {places.office_name(self.offices, doc.get('office'))}"
                         f"（{facts.get('duty_zh', '')}）：{_short(facts.get('title', ''))}")
        sent = self.store.count("deliveries", {"term": {"state": "sent"}})
        received = self.receiver_count()
        if sent != self.deliveries_sent or received != self.received:
            lines.append(f"  告警送达 +{sent - self.deliveries_sent} 条（累计 {sent}），"
                         f"本地接收端累计收到 {received} 条消息")
            self.deliveries_sent, self.received = sent, received
        return lines


ROUTED_SENT = {"bool": {"filter": [{"term": {"alert_kind": "routed_office"}}, {"term": {"state": "sent"}}]}}


def terms_of(store: Any, kind: str, field: str, query: dict[str, Any]) -> dict[str, int]:
    resp = store.search(kind, size=0, query=query, aggs={"by": {"terms": {"field": field, "size": 100}}})
    return {b["key"]: b["doc_count"] for b in resp["aggregations"]["by"]["buckets"]}


def _short(text: str, limit: int = 28) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarize(store: Any, received: int) -> dict[str, Any]:
    """The figures the main job prints, counted from Elasticsearch (the test recounts them)."""
    store.refresh()

    def terms(kind: str, field: str) -> dict[str, int]:
        resp = store.search(kind, size=0, aggs={"by": {"terms": {"field": field, "size": 50, "missing": "none"}}})
        return {b["key"]: b["doc_count"] for b in resp["aggregations"]["by"]["buckets"]}

    return {
        "mentions": store.count("mentions"),
        "mentions_analyzed": store.count("mentions", {"exists": {"field": "analyzed_at"}}),
        "incidents": store.count("incidents"),
        "incidents_by_level": terms("incidents", "severity.level"),
        "incidents_by_state": terms("incidents", "state"),
        "incidents_routed": store.count("incidents", {"exists": {"field": "routing.lead_office"}}),
        "clocks_by_state": terms("clocks", "state"),
        "releases": store.count("releases"),
        "deliveries_by_state": terms("deliveries", "state"),
        "receiver_messages": received,
        # supporting (配合), notified (通报) and 会商 offices' own alerts, delivered
        "routed_office_alerts": store.count("deliveries", ROUTED_SENT),
        "routed_offices_told": sorted(terms_of(store, "deliveries", "office", ROUTED_SENT)),
        "reports": store.count("reports"),
        "assessments": store.count("assessments"),
        "incidents_first_on_hotlist": first_on_hotlist(store),
    }


def first_on_hotlist(store: Any) -> list[str]:
    """Titles of the incidents whose first mention is a hot-list entry (they broke on a hot list)."""
    incidents = {d["first_mention_id"]: d.get("title", "") for d in store.scan("incidents")
                 if d.get("first_mention_id")}
    if not incidents:
        return []
    firsts = store.find("mentions", {"bool": {"filter": [{"ids": {"values": sorted(incidents)}},
                                                         {"term": {"source_type": "hotlist"}}]}})
    return sorted(incidents[m["id"]] for m in firsts)


# -- the run ---------------------------------------------------------------------------------------


def _es_urls(progress: Progress) -> tuple[str, str]:
    """The tasks' and the console's cluster URLs, with credentials (shown with the password masked)."""
    from yuqing import esnode
    from yuqing.essecurity import redact

    if url := esnode.configured_url():
        progress.line(f"Elasticsearch: {redact(url)}（ES_URL）")
        return url, os.environ.get("ES_CONSOLE_URL") or url
    progress.line("Elasticsearch: 启动（或复用）本地节点 …")
    info = esnode.start()
    auth = "已启用认证" if info.secured else "未启用认证"
    progress.line(f"Elasticsearch: {info.url}（本地节点 {info.name}，{auth}）")
    return info.client_url("tasks"), info.client_url("console")


class ReceiverLog:
    """The local alert receivers (``demo.receivers``), with what they accept copied to a JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.receivers: Any = None
        self.written = 0

    def start(self, stack: contextlib.ExitStack, alerts_config: Any, progress: Progress) -> dict[str, str]:
        """Start the receivers; return the connection variables pointing the channels at them."""
        try:
            from demo.receivers import Receivers
        except ImportError as exc:
            progress.line(f"注意：本地告警接收端不可用（{exc}），告警将记录为发送失败")
            return {}
        self.receivers = stack.enter_context(Receivers())
        try:
            self.receivers.start_smtp()
        except ImportError:
            progress.line("注意：未安装 aiosmtpd，邮件通道无本地接收端")
        env: dict[str, str] = self.receivers.env_for(alerts_config)
        self.path.write_text("", encoding="utf-8")
        progress.line(f"本地告警接收端：{self.receivers.url}（企业微信、钉钉、飞书、短信、Webhook）"
                      + (f"，SMTP 端口 {self.receivers.smtp_ports.get('ssl')}" if self.receivers.smtp_ports else ""))
        return env

    def count(self) -> int:
        """Messages received so far; new ones are appended to the JSON-lines file."""
        if self.receivers is None:
            return 0
        messages = self.receivers.received()
        with self.path.open("a", encoding="utf-8") as fh:
            for m in messages[self.written:]:
                fh.write(json.dumps({"received_at": dt.datetime.fromtimestamp(m.at, TZ).isoformat(timespec="seconds"),
                                     "channel": m.channel, "channel_id": m.channel_id, "text": m.text},
                                    ensure_ascii=False) + "\n")
        self.written = len(messages)
        return len(messages)


def run(options: Options, stream: IO[str] | None = None) -> dict[str, Any]:
    """Run the main job; returns the summary it printed."""
    from demo.scenario import DEFAULT_DAY

    day = options.day or DEFAULT_DAY
    progress = Progress(stream or sys.stdout)
    out = demo_dir()
    for stale in ("config", "alerts.jsonl", "airflow.log"):
        path = out / stale
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    progress.line(f"Yuqing Watch 演示：模拟 {day} 一天（{'快速' if options.fast else '完整'}模式），"
                  f"输出目录 {out}")

    url, console_url = _es_urls(progress)
    from yuqing.storage import Store

    os.environ["ES_URL"] = url
    os.environ["YUQING_INDEX_PREFIX"] = options.prefix
    store = Store.connect(url, options.prefix)
    store.drop_all()
    store.ensure_indices()
    progress.line(f"索引前缀 {options.prefix!r}：已清空上次演示数据并重建索引")

    with contextlib.ExitStack() as stack:
        from demo.web import DemoWeb

        steps = step_times(day, options.fast)
        web = stack.enter_context(DemoWeb(day, port=0))
        web.set_now(steps[0])
        progress.line(f"演示网站：{web.base_url}"
                      "（省级新闻、GBK 地方新闻、RSS、微博、政务微博、政府信息公开、领导留言板）")
        config_dir = write_config(out / "config", web.base_url, f"http://127.0.0.1:{options.console_port}")
        os.environ["YUQING_CONFIG"] = str(config_dir)
        from yuqing.config import load_config

        config = load_config(config_dir)
        progress.line(f"演示配置：{config_dir}（{len(config.sources.sources)} 个信息源指向演示网站）")
        receiver_log = ReceiverLog(out / "alerts.jsonl")
        os.environ.update(receiver_log.start(stack, config.alerts, progress))
        received = receiver_log.count

        from demo.dagrun import DagRunner

        log_path = out / "airflow.log"
        runner = DagRunner()
        progress.line(f"Airflow：准备 {runner.home}（首次需迁移元数据库），日志写入 {log_path}")
        with captured_output(log_path) as terminal:
            progress.stream = terminal
            try:
                _run_day(runner, store, config, web, steps, progress, received)
                summary = summarize(store, received())
            finally:
                progress.stream = stream or sys.stdout
        _print_summary(summary, progress, options, day, steps[-1], config.offices)
        if options.serve:
            _serve_console(Store.connect(console_url, options.prefix), config, options, steps[-1], progress)
    return summary


def _run_day(runner: Any, store: Any, config: Any, web: Any, steps: list[dt.datetime], progress: Progress,
             received: Any) -> None:
    runner.setup()
    if runner.import_errors:
        raise RuntimeError(f"DAG import errors: {runner.import_errors}")
    collect = runner.dag_ids("yuqing_collect_")
    cycle = [*collect, "yuqing_analysis", "yuqing_routing", "yuqing_clock_sweep", "yuqing_alert_dispatch",
             "yuqing_source_health"]
    progress.line(f"Airflow：已解析 {len(runner.dags)} 个 DAG；每个时间步运行 {' → '.join(cycle)}")
    observer = Observer(store, config, received)

    def run_dag(dag_id: str, at: dt.datetime) -> dict[str, Any]:
        result = runner.run(dag_id, at)
        brief = "; ".join(_brief(r) for r in result.results.values()) or "-"
        mark = "✓" if result.ok else f"✗ {result.state}（失败任务：{', '.join(result.failed)}，见 airflow.log）"
        progress.line(f"{at:%H:%M} {dag_id:<28} {mark} {result.seconds:4.1f}s  {brief}")
        return result.results

    for n, at in enumerate(steps, 1):
        web.set_now(at)
        progress.line()
        progress.line(f"—— 模拟时间 {at:%Y-%m-%d %H:%M}（第 {n}/{len(steps)} 步）——")
        for dag_id in cycle:
            run_dag(dag_id, at)
        for line in observer.changes():
            progress.plain(line)

    end = steps[-1]
    closed_at = end + dt.timedelta(minutes=5)
    progress.line()
    progress.line(f"—— {closed_at:%H:%M} 值班员办结一起已回应事件 ——")
    closed = _close_released_incident(store, config, closed_at, progress)
    assess_at = end + dt.timedelta(minutes=10)
    if closed:
        run_dag("yuqing_assessment", assess_at)
    report_at = dt.datetime.combine(end.date() + dt.timedelta(days=1), dt.time(8), tzinfo=TZ)
    progress.line()
    progress.line(f"—— 次日 {report_at:%m-%d %H:%M} 每日舆情简报 ——")
    run_dag("yuqing_daily_report", report_at)
    for line in observer.changes():
        progress.plain(line)


def _brief(result: Any) -> str:
    """A short description of a stage result: its non-zero counts."""
    if not isinstance(result, dict):
        return str(result)
    if result.get("skipped"):
        return f"跳过：{result['skipped']}"
    if result.get("stage") == "crawl" and isinstance(result.get("items"), list):
        return ", ".join(_crawl_brief(s)
                         for s in result["items"] if isinstance(s, dict))
    if isinstance(result.get("files"), dict):
        return "写入 " + ", ".join(sorted(result["files"]))
    if isinstance(result.get("assessed"), list):
        return f"评估 {len(result['assessed'])} 起"
    parts = [f"{k}={v}" for k, v in result.items()
             if k != "stage" and isinstance(v, int | float) and not isinstance(v, bool) and v]
    parts += [f"{k}={len(v)}" for k, v in result.items() if isinstance(v, list) and v]
    return " ".join(parts) or "无变化"


def _crawl_brief(stats: dict[str, Any]) -> str:
    failed = f" 失败{stats['failed']}" if stats.get("failed") else ""
    return f"{stats.get('source_id')} 新{stats.get('new', 0)}{failed}"


def _close_released_incident(store: Any, config: Any, now: dt.datetime, progress: Progress) -> str | None:
    """Close the first incident that was answered by an official release, as a duty officer."""
    try:
        from response import lifecycle
    except ImportError:
        progress.line("注意：response.lifecycle 尚不可用，跳过办结与评估")
        return None
    store.refresh()
    # The most severe released incident ("I" < "II" < "III" < "IV" also sorts by rank), earliest first.
    by_severity = [{"severity.level": {"order": "asc", "missing": "_last"}}, {"first_seen_at": "asc"}]
    docs = store.find("incidents", {"term": {"state": "released"}}, size=50, sort=by_severity)
    if not docs:
        met = {c["incident_id"] for c in store.find("clocks", {"term": {"state": "met"}}, size=500)}
        docs = [d for d in store.find("incidents", {"terms": {"id": sorted(met)}}, size=50, sort=by_severity)
                if d.get("state") not in ("closed",)]
    if not docs:
        progress.line("没有已回应的事件可办结，跳过评估")
        return None
    incident = docs[0]
    _record_first_review(store, config, incident["id"], now, progress)
    state = incident.get("state")
    for action in ("acknowledge", "start_response", "record_release", "close"):
        if state == "released" and action != "close":
            continue
        if action not in lifecycle.allowed_actions(state):
            continue
        state = lifecycle.apply(store, config, incident["id"], action, actor=DUTY_OFFICER, now=now,
                                reason="演示：官方已发布情况通报，处置完毕" if action == "close" else "").state
    if state != "closed":
        progress.line(f"事件 {_short(incident.get('title', ''))} 未能办结（状态 {state}），跳过评估")
        return None
    progress.line(f"{DUTY_OFFICER} 办结：{_short(incident.get('title', ''))}（{incident['id'][:12]}）")
    return str(incident["id"])


def _record_first_review(store: Any, config: Any, incident_id: str, now: dt.datetime, progress: Progress) -> None:
    """The publishing office records the three-step review of the incident's first detected release
    (承办人初审 → 承办部门负责人审核 → 单位负责人审发, by its configured reviewers, before publication);
    any later release stays "已发布，未记录审核" and the assessment counts it."""
    from response import releases
    from yuqing.errors import InputError
    from yuqing.models import Release, ReviewStep

    docs = store.find("releases", {"term": {"incident_id": incident_id}}, size=20, sort=[{"published_at": "asc"}])
    first = next((Release.from_doc(d) for d in docs if not d.get("reviews") and d.get("status") == "matched"), None)
    if first is None:
        return
    people = config.offices.office(first.office).reviewers
    steps = [ReviewStep.model_validate({"step": step, "reviewer": people[step][0],
                                        "at": first.published_at - dt.timedelta(minutes=minutes)})
             for step, minutes in (("drafter", 50), ("office_head", 35), ("unit_head", 15)) if people.get(step)]
    try:
        releases.record_review(store, config, first.id, reviews=steps, actor=f"{first.office}（演示）", now=now)
    except InputError as exc:  # the demo goes on; the assessment then shows the gap
        progress.line(f"未能登记审核：{exc}")
        return
    progress.line(f"登记三级审核：{_short(first.title)}（" + " → ".join(s.reviewer for s in steps) + "）")


def _print_summary(summary: dict[str, Any], progress: Progress, options: Options, day: dt.date,
                   end: dt.datetime, offices: Any) -> None:
    from pipeline.tasks import reports_dir

    def fmt(counts: dict[str, int], labels: dict[str, str]) -> str:
        return "，".join(f"{labels.get(k, k)} {v}" for k, v in sorted(counts.items())) or "无"

    p = progress.plain
    p("")
    p("=" * 72)
    p(f"演示完成：{day} 模拟一天，用时 {time.monotonic() - progress.start:.0f} 秒（统计来自 Elasticsearch，索引前缀 "
      f"{options.prefix!r}）")
    p(f"  舆情信息  {summary['mentions']} 条（已分析 {summary['mentions_analyzed']} 条）")
    p(f"  舆情事件  {summary['incidents']} 起，已交办 {summary['incidents_routed']} 起；按级别："
      f"{fmt(summary['incidents_by_level'], {**SEVERITY_ZH, 'none': '未定级'})}")
    p(f"  响应时限  {fmt(summary['clocks_by_state'], CLOCK_STATE_ZH)}")
    p(f"  官方发布  {summary['releases']} 条")
    p(f"  告警送达  {fmt(summary['deliveries_by_state'], DELIVERY_STATE_ZH)}；"
      f"本地接收端收到 {summary['receiver_messages']} 条消息")
    told = "、".join(places.office_name(offices, o) for o in summary["routed_offices_told"]) or "无"
    p(f"  交办告知  配合、通报、会商单位各自收到告警 {summary['routed_office_alerts']} 条：{told}")
    p(f"  报告      {summary['reports']} 份，回应评估 {summary['assessments']} 份")
    hot = summary.get("incidents_first_on_hotlist") or []
    p(f"  热榜首发  {len(hot)} 起事件最早见于热榜" + (f"：{'、'.join(_short(t, 24) for t in hot)}" if hot else ""))
    p("")
    p(f"报告与评估文件：{reports_dir()}")
    p(f"收到的告警：    {demo_dir() / 'alerts.jsonl'}")
    p(f"Airflow 日志：  {demo_dir() / 'airflow.log'}")
    p(f"值班台：        YUQING_INDEX_PREFIX={options.prefix} yuqing console --now {end.isoformat()}"
      f"  → http://127.0.0.1:{options.console_port}/")
    p("                （先用 `yuqing console user add NAME --role duty_officer` 添加用户；"
      "或 `yuqing demo --serve` 直接打开演示值班台）")
    p("=" * 72)
    p(SUMMARY_MARK + json.dumps(summary, ensure_ascii=False, sort_keys=True))


def _serve_console(store: Any, config: Any, options: Options, end: dt.datetime, progress: Progress) -> None:
    import secrets

    import uvicorn

    from console.app import create_app
    from console.auth import User, UserDirectory, hash_password
    from pipeline.tasks import reports_dir
    from yuqing import clock

    password = secrets.token_urlsafe(9)
    users = UserDirectory([User(name="duty", role="duty_officer", password_hash=hash_password(password),
                                display_name=DUTY_OFFICER)])
    offset = end - clock.now()
    app = create_app(store, config, clock=lambda: clock.now() + offset, users=users, reports_dir=reports_dir())
    progress.plain(f"值班台：http://127.0.0.1:{options.console_port}/  用户 duty  密码 {password}（Ctrl-C 退出）")
    uvicorn.run(app, host="127.0.0.1", port=options.console_port, log_level="warning", access_log=False)
