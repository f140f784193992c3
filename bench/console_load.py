"""Console under load: 20 duty-console users at once against 10,000 open incidents and 1,000,000 mentions.

Measures: the latency, seen by the client, of the duty console served exactly as production serves
it — the ``yuqing console`` command (uvicorn, one worker process: ``deploy/services.py`` runs it with
no worker option) in its own process, signed in to Elasticsearch with the console's least-privilege
account — while ``--clients`` signed-in users (default 20: 14 duty officers, 6 office staff of
different offices) each run a closed loop of requests with a think time between them (exponential,
mean ``--think`` seconds, default 2 s: a click every two seconds per person is several times the pace
of a real duty desk, whose queue reloads itself once a minute). The mix per user:

* 45 % queue — ``GET /`` with the default "most urgent first" view, another sort, filters by level,
  office, place, priority and state, and deep pages;
* 30 % incident — ``GET /incidents/<id>`` of an incident the user may see (its clocks, its mentions
  out of the million grouped by first appearance, releases, deliveries, audit, routing explanation);
* 15 % search — half ``GET /mentions?q=<words>`` (full-text search over the million mentions, with
  highlighting, sometimes filtered by sentiment or place) and half ``GET /?q=<words>`` (incident titles);
* 10 % acknowledge — ``POST /deliveries/<id>/acknowledge`` (CSRF token, audited, each one a different
  alert delivery not yet acknowledged; the 303 redirect is not followed). It waits for no index
  refresh: the dispatcher reads alert states by id (realtime ``mget``), and the console leaves the
  user's own fresh acknowledgements out of its open-reminder lists (tests/alerts/
  test_acknowledge_realtime.py, tests/console/test_acknowledge_at_once.py, with refreshing off).
  Until 2026-11-30 each click waited for two refreshes (p95 1,924 ms, ten times the other pages).

Every answer is checked (status and a marker of the page), warm-up requests (two per user, the
templates' first compile) are not counted, and the run lasts ``--seconds`` of wall time. Prints the
per-kind p50/p95, the throughput served and the load average; last line ``p95_ms=<n>`` over all
requests (nearest-rank). Aim ≤ 300. There is no baseline: the figure is an absolute latency.

Data: the corpus of mentions is built once (synthetic but shaped like what the pipeline writes:
segmented title and text, SimHash, sentiment, priorities, place, keywords; about 40 % of them
attached to the 10,000 incidents, each incident exactly its ``mention_count``) into the index
namespace ``benchcon-s<seed>`` of a dedicated benchmark node kept under ``var/bench/console-es``
(stopped after the run, its data kept), and reused by later runs with the same seed and sizes.
The build bulk-loads with refresh off and the translog asynchronous (both restored after), two
``parallel_bulk`` threads of 1,000 mentions (the node has no replica to write), and prints its wall
time with the CPU seconds of the generator and of the node: 90 + 241 CPU-s for the million, so
about 3–5 minutes on a quiet 2-core machine, the whole run well inside 15 minutes; under the load of
seven other suites it took 1,951 s. Larger requests (5,000 mentions) built by worker processes
were not faster in one side-by-side run on this node's 512 MB heap (50,000 mentions: 104 s and 23 node CPU-s
against 55 s and 14 at load ~20). To reuse a corpus elsewhere, copy ``var/bench/console-es``
while no node runs.
Incidents, clocks and deliveries (two per incident, sent and not yet acknowledged) are written
afresh every run, since the run acknowledges some. With ``ES_URL`` set, that cluster is used
instead (``ES_CONSOLE_URL`` for the console's account, else the same account).

    .venv/bin/python bench/console_load.py [--clients 20] [--seconds 120] [--think 2.0]
                                            [--incidents 10000] [--mentions 1000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import math
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console import sample  # noqa: E402
from console.auth import User, UserDirectory, hash_password  # noqa: E402
from yuqing import esnode  # noqa: E402
from yuqing.clock import TZ  # noqa: E402
from yuqing.clock import now as clock_now  # noqa: E402
from yuqing.models import Delivery, Mention, stable_id  # noqa: E402
from yuqing.paths import var_dir  # noqa: E402
from yuqing.storage import MAPPINGS, Store, make_client  # noqa: E402

PASSWORD = "bench-password-1"
GENERATOR = 1  # bump when the corpus's shape changes: a stored corpus of another version is rebuilt
NODE_NAME = "bench-console"
OFFICE_USERS = ["prov_emergency", "prov_health", "prov_market", "prov_education", "kunming_gov", "wuhua_gov"]
QUEUE_VIEWS: list[dict[str, str]] = [
    {}, {}, {}, {}, {"sort": "newest"}, {"severity": "II"}, {"severity": "I"}, {"office": "prov_health"},
    {"place": "530100"}, {"place": "530000"}, {"priority": "emergency", "page": "3"}, {"page": "20"},
    {"state": "acknowledged"}, {"state": "all", "page": "2"},
]
SEARCH_WORDS = ["暴雨", "食品安全", "挂号", "农民工工资", "营商环境", "供暖", "景区", "谣言", "政策解读", "安全生产",
                "学校 食堂", "医院"]
MENTION_FILTERS: list[dict[str, str]] = [{}, {}, {"sentiment": "negative"}, {"place": "530100"}, {"sort": "newest"}]
WEIGHTS = {"queue": 45, "incident": 30, "search": 15, "acknowledge": 10}

# --- the corpus: mentions shaped like the pipeline's, segmentation done once per fragment ----------

SOURCES = [("yunnan_daily", "news", "provincial", "530000", "article"), ("kunming_news", "news", "municipal", "530100",
           "article"), ("weibo_yn", "social", "self_media", "530000", "post"), ("board_yn", "board", "provincial",
           "530000", "board_message"), ("rss_people", "rss", "central", "100000", "feed_item")]
PLACE_NAMES = [("昆明市五华区", "530102"), ("昆明市盘龙区", "530103"), ("昆明市官渡区", "530111"), ("曲靖市", "530300"),
               ("楚雄州", "532300"), ("大理州", "532900"), ("玉溪市", "530400"), ("红河州", "532500")]
EVENTS = ["发生一起交通事故造成多人受伤", "多名农民工反映被拖欠工资", "网传自来水被污染引发关注",
          "出台优化营商环境若干措施", "小区居民反映物业收费不合理", "学校食堂发生疑似食物中毒事件",
          "举办招商引资推介会", "一商场发生火灾",
          "暴雨致道路塌方交通中断", "医院挂号难问题引发热议", "景区被指强制消费", "冬季供暖不足居民投诉"]
SENTENCES = [
    "记者从当地了解到，有关部门已介入调查，具体情况以官方通报为准。",
    "现场视频显示，周边道路一度拥堵，交警正在疏导交通。",
    "多名居民表示，此前已多次向社区反映相关问题。", "相关负责人表示，将依法依规处理，及时公布调查结果。",
    "有网友质疑处置不及时，也有网友呼吁理性看待。", "据了解，该地今年以来已开展多轮专项整治行动。",
    "目前伤者已被送往医院救治，暂无生命危险。", "当地政府已成立工作专班，全力做好善后工作。",
    "事件发生后，网络上出现多种说法，部分内容未经证实。", "市场监管部门表示，将对涉事企业开展全面检查。",
    "家长们希望学校尽快公开调查进展，给出明确说法。", "多家媒体转发了相关报道，话题阅读量持续上升。",
]
KEYWORDS = ["事故", "欠薪", "污染", "营商环境", "物业", "食品安全", "招商", "火灾", "暴雨", "医疗", "旅游", "供暖"]


def _segmenter() -> Any:
    import jieba

    jieba.setLogLevel(60)
    cache: dict[str, str] = {}

    def seg(text: str) -> str:
        if text not in cache:
            cache[text] = " ".join(t for t in jieba.lcut(text) if t.strip())
        return cache[text]

    return seg


def incident_plan(n: int, seed: int) -> list[tuple[str, int, str]]:
    """(id, mention_count, owner office) of the bench incidents, as ``console.sample`` makes them."""
    anchor = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    return [(inc.id, inc.mention_count, inc.routing.lead_office if inc.routing else "")
            for inc, _ in sample.open_incidents(n, now=anchor, seed=seed)]


def mention_docs(n: int, incidents: list[tuple[str, int, str]], *, seed: int,
                 now: dt.datetime) -> Iterator[tuple[str, dict[str, Any]]]:
    """``n`` mentions over the last three days: each incident gets exactly its mention_count (its first
    ones the originals, a share of the rest reprints of them), the remainder belong to no incident."""
    rng = random.Random(seed * 1_000_003 + n)
    seg = _segmenter()
    owners = [iid for iid, count, _ in incidents for _ in range(count)]
    owners += [""] * max(0, n - len(owners))
    owners = owners[:n]
    rng.shuffle(owners)
    first_of: dict[str, str] = {}
    for i, incident_id in enumerate(owners):
        source_id, source_type, tier, jurisdiction, doc_type = SOURCES[rng.randrange(len(SOURCES))]
        place, code = PLACE_NAMES[rng.randrange(len(PLACE_NAMES))]
        event_no = rng.randrange(len(EVENTS))
        event = EVENTS[event_no]
        parts = rng.sample(SENTENCES, rng.randint(3, 6))
        title = f"{place}{event}"
        text = f"据网友爆料，{place}{event}。" + "".join(parts)
        mid = stable_id("benchcon", seed, i)
        reprint_of = None
        if incident_id:
            if incident_id in first_of and rng.random() < 0.4:
                reprint_of = first_of[incident_id]
            first_of.setdefault(incident_id, mid)
        published = now.astimezone(TZ) - dt.timedelta(seconds=rng.randint(60, 3 * 86400))
        score = round(rng.uniform(-1, 1), 3)
        label = "negative" if score < -0.2 else "positive" if score > 0.3 else "neutral"
        simhash = f"{rng.getrandbits(64):016x}"
        crawled = published + dt.timedelta(minutes=rng.randint(1, 30))
        doc: dict[str, Any] = {
            "id": mid, "source_id": source_id, "source_type": source_type, "media_tier": tier,
            "jurisdiction": jurisdiction, "official": False, "url": f"https://bench.example.cn/{source_id}/{i}.html",
            "canonical_url": f"https://bench.example.cn/{source_id}/{i}", "title": title, "text": text,
            "title_seg": seg(place) + " " + seg(event),
            "text_seg": " ".join([seg("据网友爆料"), seg(place), seg(event), *(seg(p) for p in parts)]),
            ("publisher" if doc_type == "article" else "author"): "云南网" if doc_type == "article" else "网友",
            "published_at": published.isoformat(), "crawled_at": crawled.isoformat(), "encoding": "utf-8",
            "content_hash": hashlib.sha1(text.encode()).hexdigest(), "simhash": simhash,
            "simhash_bands": [f"{b}:{simhash[b * 4:b * 4 + 4]}" for b in range(4)], "doc_type": doc_type, "extra": {},
            "analyzed_at": (crawled + dt.timedelta(minutes=5)).isoformat(), "analysis_version": "bench",
            "sentiment": {"label": label, "score": score},
            "priorities": [{"id": sample.PRIORITIES[event_no % len(sample.PRIORITIES)],
                            "confidence": round(rng.uniform(0.4, 1), 2), "evidence": [KEYWORDS[event_no]]}],
            "place": {"province": "云南省", "code": code, "names": [place], "source": "text"},
            "keywords": [KEYWORDS[event_no], place],
        }
        if reprint_of:
            doc["reprint_of"] = reprint_of
        if incident_id:
            doc["incident_id"] = incident_id
        if i < 200:  # written as dicts for speed: the first ones prove the shape is the model's own
            assert Mention.from_doc(doc).to_doc().keys() == doc.keys(), doc
        yield mid, doc


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time used so far by this process (``pid`` None) or another one (from /proc)."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def build_corpus(store: Store, admin: Any, *, mentions: int, incidents: int, seed: int,
                 node_pid: int | None = None) -> None:
    """Bulk-write the mentions once (refresh off while loading), then mark the corpus complete."""
    from elasticsearch import helpers

    marker = f"{store.prefix}-corpus"
    want = {"generator": GENERATOR, "mentions": mentions, "incidents": incidents, "seed": seed}
    if admin.indices.exists(index=marker):
        have = admin.options(ignore_status=404).get(index=marker, id="corpus")
        if have.get("found") and have["_source"] == want and store.count("mentions") == mentions:
            print(f"corpus reused: {mentions:,} mentions under {store.prefix}", flush=True)
            return
    print(f"building the corpus: {mentions:,} mentions under {store.prefix} (once; later runs reuse it) …",
          flush=True)
    admin.options(ignore_status=404).indices.delete(index=marker)
    admin.indices.delete(index=f"{store.prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    store.ensure_indices()
    index = store.concrete("mentions")
    # while loading only: no refresh, no fsync per bulk request (put back below)
    admin.indices.put_settings(index=index, settings={"index": {"refresh_interval": "-1",
                                                                 "translog.durability": "async"}})
    t0 = time.perf_counter()
    cpu0 = cpu_seconds(), cpu_seconds(node_pid) if node_pid else float("nan")
    docs = mention_docs(mentions, incident_plan(incidents, seed), seed=seed, now=clock_now())
    actions = ({"_index": index, "_id": i, "_source": d} for i, d in docs)
    results = helpers.parallel_bulk(admin, actions, thread_count=2, chunk_size=1000, queue_size=4)
    for done, (ok, info) in enumerate(results, 1):
        if not ok:
            raise SystemExit(f"corpus write failed: {info}")
        if done % 20_000 == 0:
            print(f"  {done:,} mentions, {time.perf_counter() - t0:.0f}s", flush=True)
    admin.indices.put_settings(index=index, settings={"index": {"translog.durability": "request"}})
    store.ensure_indices()  # refresh interval back to storage.yaml's
    admin.indices.refresh(index=index)
    admin.index(index=marker, id="corpus", document=want, refresh=True)
    cpu = cpu_seconds() - cpu0[0], (cpu_seconds(node_pid) if node_pid else float("nan")) - cpu0[1]
    # On a shared machine the wall time says little; the CPU time says what a quiet 2-core one needs.
    print(f"corpus built: {store.count('mentions'):,} mentions in {time.perf_counter() - t0:.0f}s "
          f"(CPU: generator {cpu[0]:.0f}s, Elasticsearch node {cpu[1]:.0f}s)", flush=True)


def seed_workload(store: Store, admin: Any, *, incidents: int, seed: int) -> dict[str, Any]:
    """Fresh incidents, clocks and deliveries (every kind but the mentions is recreated)."""
    for kind in MAPPINGS:
        if kind != "mentions":
            admin.indices.delete(index=f"{store.alias(kind)}-v*", ignore_unavailable=True, allow_no_indices=True)
    store.ensure_indices()
    now = clock_now()
    docs: dict[str, list[tuple[str, dict[str, Any]]]] = {"incidents": [], "clocks": [], "deliveries": []}
    by_office: dict[str, list[str]] = {}
    acks: dict[str, list[str]] = {}
    for inc, clocks in sample.open_incidents(incidents, now=now, seed=seed):
        docs["incidents"].append((inc.id, inc.to_doc()))
        docs["clocks"].extend((c.id, c.to_doc()) for c in clocks)
        office = inc.routing.lead_office if inc.routing else ""
        by_office.setdefault(office, []).append(inc.id)
        for recipient, channel, target_office in (("值班室", "duty_wecom", None), (office, "office_sms", office)):
            key = f"incident:{inc.id}:state:new"
            delivery = Delivery(
                id=stable_id(key, channel, recipient), alert_key=key, rule_id="new_incident", incident_id=inc.id,
                channel_id=channel, channel_type="wecom" if channel == "duty_wecom" else "sms", recipient=recipient,
                office=target_office, level=inc.severity.level if inc.severity else None,
                title=f"新舆情事件：{inc.title}", body=inc.summary, state="sent", attempts=1,
                created_at=inc.created_at + dt.timedelta(minutes=6), sent_at=inc.created_at + dt.timedelta(minutes=6),
                alert_kind="new_incident")
            docs["deliveries"].append((delivery.id, delivery.to_doc()))
            acks.setdefault(target_office or "*", []).append(delivery.id)
    for kind, items in docs.items():
        result = store.bulk(kind, items, chunk_size=2000)
        if result.failed:
            raise SystemExit(f"seeding {kind} failed: {result.failed[:3]}")
    store.refresh("incidents", "clocks", "deliveries")
    print(f"seeded {store.count('incidents'):,} incidents, {store.count('clocks'):,} clocks, "
          f"{store.count('deliveries'):,} deliveries; {store.count('mentions'):,} mentions", flush=True)
    return {"by_office": by_office, "acks": acks, "all": [i for ids in by_office.values() for i in ids]}


# --- the console, as production starts it ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def users() -> list[User]:
    digest = hash_password(PASSWORD)
    out = [User(name=f"duty{n:02d}", role="duty_officer", password_hash=digest) for n in range(1, 15)]
    out += [User(name=f"office{n:02d}", role="office_staff", office=o, password_hash=digest)
            for n, o in enumerate(OFFICE_USERS, 1)]
    return out


def start_console(console_url: str, prefix: str, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    users_path = work / "users.json"
    UserDirectory(users()).save(users_path)
    port = _free_port()
    env = {**os.environ, "ES_URL": console_url, "YUQING_INDEX_PREFIX": prefix, "YUQING_CONSOLE_USERS": str(users_path),
           "YUQING_CONSOLE_SECRET": "bench-" + hashlib.sha1(prefix.encode()).hexdigest(),
           "YUQING_VAR": str(work / "var")}
    env.pop("ES_USERNAME", None)
    env.pop("ES_PASSWORD", None)
    log = open(work / "console.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([str(Path(sys.executable).parent / "yuqing"), "console", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


# --- the clients ----------------------------------------------------------------------------------


class Client:
    def __init__(self, base: str, user: User, plan: dict[str, Any], rng: random.Random) -> None:
        self.user, self.rng = user, rng
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends them, as a browser does:
        # a request on a connection the server is closing would fail with a read error.
        self.http = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False,
                                      limits=httpx.Limits(keepalive_expiry=4.0))
        self.csrf = ""
        office = user.office
        self.incidents = plan["by_office"].get(office, []) if office else plan["all"]
        self.acks: list[str] = plan["acks_for"][user.name]

    async def sign_in(self) -> None:
        page = await self.http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        resp = await self.http.post("/login", data={"name": self.user.name, "password": PASSWORD,
                                                    "csrf_token": token[1]})
        assert resp.status_code == 303, f"sign-in of {self.user.name} answered {resp.status_code}"
        queue = await self.http.get("/")
        assert queue.status_code == 200 and "incident-queue" in queue.text, queue.status_code
        found = re.search(r'name="csrf_token" value="([^"]+)"', queue.text)
        assert found, "no CSRF token on the queue page"
        self.csrf = found[1]

    def pick(self) -> str:
        kinds = list(WEIGHTS)
        kind = self.rng.choices(kinds, [WEIGHTS[k] for k in kinds])[0]
        return "queue" if kind == "acknowledge" and not self.acks else kind

    async def one(self, kind: str) -> None:
        if kind == "queue":
            params = dict(self.rng.choice(QUEUE_VIEWS))
            if self.user.office:
                params.pop("office", None)
            r = await self.http.get("/", params=params)
            ok = r.status_code == 200 and "incident-queue" in r.text
        elif kind == "search" and self.rng.random() < 0.5:
            params = {"q": self.rng.choice(SEARCH_WORDS), **self.rng.choice(MENTION_FILTERS)}
            r = await self.http.get("/mentions", params=params)
            ok = r.status_code == 200 and 'id="mention-results"' in r.text
        elif kind == "search":
            r = await self.http.get("/", params={"q": self.rng.choice(SEARCH_WORDS)})
            ok = r.status_code == 200 and "incident-queue" in r.text
        elif kind == "incident":
            r = await self.http.get(f"/incidents/{self.rng.choice(self.incidents)}")
            ok = r.status_code == 200 and 'id="incident-title"' in r.text
        else:
            delivery = self.acks.pop()
            r = await self.http.post(f"/deliveries/{delivery}/acknowledge",
                                     data={"csrf_token": self.csrf, "next": "/"})
            ok = r.status_code == 303 and r.headers.get("location") == "/"
        if not ok:
            raise SystemExit(f"{self.user.name}: {kind} answered {r.status_code}: {r.text[:200]}")

    async def run(self, until: float, think: float, times: dict[str, list[float]], counting: list[bool]) -> None:
        while time.monotonic() < until:
            await asyncio.sleep(self.rng.expovariate(1 / think) if think > 0 else 0)
            if time.monotonic() >= until:
                break
            kind = self.pick()
            t0 = time.perf_counter()
            await self.one(kind)
            if counting[0]:
                times[kind].append((time.perf_counter() - t0) * 1000)


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def drive(base: str, plan: dict[str, Any], args: argparse.Namespace) -> dict[str, list[float]]:
    rng = random.Random(args.seed)
    people = users()[: args.clients] if args.clients <= 20 else [users()[i % 20] for i in range(args.clients)]
    # each client acknowledges its own deliveries: duty officers the duty desk's, office staff their office's
    pool = {k: list(v) for k, v in plan["acks"].items()}
    plan["acks_for"] = {}
    for p in people:
        mine = pool.get(p.office or "*", [])
        plan["acks_for"][p.name] = mine[: len(mine) // max(1, sum(1 for q in people if q.office == p.office))]
        del mine[: len(plan["acks_for"][p.name])]
    clients = [Client(base, p, plan, random.Random(rng.random())) for p in people]
    deadline = time.monotonic() + 120
    while True:
        try:
            await clients[0].http.get("/login")
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("the console did not start") from None
            await asyncio.sleep(0.5)
    for c in clients:
        await c.sign_in()
    for c in clients:  # warm-up: each kind once, not counted
        for kind in ("queue", "incident"):
            await c.one(kind)
    times: dict[str, list[float]] = {k: [] for k in WEIGHTS}
    counting = [True]
    t0 = time.monotonic()
    await asyncio.gather(*(c.run(t0 + args.seconds, args.think, times, counting) for c in clients))
    elapsed = time.monotonic() - t0
    for c in clients:
        await c.http.aclose()
    times["_elapsed"] = [elapsed]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--think", type=float, default=2.0, help="mean think time between a user's requests, s")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="yuqing-consolebench-"))
    node = None
    started = False
    console = None
    began = time.perf_counter()
    try:
        if url := esnode.configured_url():
            tasks_url, console_url = url, os.environ.get("ES_CONSOLE_URL") or url
        else:
            node_dir = var_dir() / "bench" / "console-es"
            node_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(node_dir, 0o755)
            print(f"starting the benchmark node ({node_dir}) …", flush=True)
            running = esnode.status(NODE_NAME).get("running")  # already up: reused, and left up
            node = esnode.start(name=NODE_NAME, port=None, node_dir=node_dir, timeout=900)  # loaded hosts are slow
            started = not running
            tasks_url, console_url = node.client_url("tasks"), node.client_url("console")
        prefix = f"benchcon-s{args.seed}"
        store = Store(make_client(tasks_url, timeout=300), prefix=prefix)
        admin = make_client(node.client_url("admin") if node else tasks_url, timeout=300)
        build_corpus(store, admin, mentions=args.mentions, incidents=args.incidents, seed=args.seed,
                     node_pid=node.pid if node else None)
        plan = seed_workload(store, admin, incidents=args.incidents, seed=args.seed)
        console, base = start_console(console_url, prefix, work)
        times = asyncio.run(drive(base, plan, args))
        elapsed = times.pop("_elapsed")[0]
        every = [t for v in times.values() for t in v]
        if not every:
            raise SystemExit("no request completed")
        print(f"{len(every)} requests from {args.clients} users in {elapsed:.0f}s ({len(every) / elapsed:.1f}/s, "
              f"think time mean {args.think:g}s); load average {os.getloadavg()[0]:.1f}; "
              f"whole run {time.perf_counter() - began:.0f}s")
        for kind, values in times.items():
            if values:
                print(f"  {kind}: {len(values)} requests, p50 {statistics.median(values):.0f} ms, "
                      f"p95 {nearest_rank(values, 0.95):.0f} ms, max {max(values):.0f} ms")
        print(f"p95_ms={nearest_rank(every, 0.95):.0f}")
    except BaseException:
        if (work / "console.log").exists():
            print("console log (last lines):\n" + "\n".join(
                (work / "console.log").read_text(errors="replace").splitlines()[-30:]))
        raise
    finally:
        if console is not None:
            console.terminate()
            try:
                console.wait(15)
            except subprocess.TimeoutExpired:
                console.kill()
        if node is not None and started:
            esnode.stop(node)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
