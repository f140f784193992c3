"""Console fixtures: users of every role, a seeded store, and the app served by uvicorn on loopback."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from console import sample
from console.app import create_app
from console.auth import User, UserDirectory, hash_password
from tests.support import open_test_store
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import Assessment, Report, stable_id
from yuqing.storage import Store, make_client

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
PASSWORD = "correct horse 9"
XSS_TITLE = '<script>alert("xss-title")</script>塌方'
XSS_TEXT = '<img src=x onerror="alert(\'xss-text\')">网民称<script>alert(1)</script>道路塌方'


@pytest.fixture(scope="session")
def users() -> UserDirectory:
    pw = hash_password(PASSWORD)
    return UserDirectory([
        User(name="duty", role="duty_officer", password_hash=pw, display_name="值班员张三"),
        User(name="emerg", role="office_staff", office="prov_emergency", password_hash=pw, display_name="应急厅李四"),
        User(name="health", role="office_staff", office="prov_health", password_hash=pw, display_name="卫健委王五"),
        User(name="boss", role="leader", password_hash=pw, display_name="领导赵六"),
        User(name="admin", role="administrator", password_hash=pw),
        User(name="news", role="office_staff", office="news_center", password_hash=pw),
    ])


class Seeded:
    """Ids of the seeded incidents."""

    emergency = stable_id("test", "emergency")  # prov_emergency, level II, overdue 5 h clock
    health = stable_id("test", "health")  # prov_health, level III, clock due in 30 h
    xss = stable_id("test", "xss")  # prov_emergency, crawled text with markup


def seed(store: Store, now: dt.datetime = NOW) -> type[Seeded]:
    s = Seeded
    emergency = sample.incident(s.emergency, now=now, title="昆明暴雨致道路塌方", office="prov_emergency",
                                level="II", state="assigned", age=dt.timedelta(hours=6), supporting=["news_center"])
    health = sample.incident(s.health, now=now, title="医院挂号难引发关注", office="prov_health", level="III",
                             state="assigned", place="530300", priorities=["public_interest"],
                             age=dt.timedelta(hours=2))
    xss = sample.incident(s.xss, now=now, title=XSS_TITLE, summary=XSS_TEXT, office="prov_emergency", level="I",
                          age=dt.timedelta(hours=1))
    clocks = [
        sample.clock(s.emergency, opened_at=now - dt.timedelta(hours=6), due_at=now - dt.timedelta(hours=1)),
        sample.clock(s.emergency, rule_id="response_48h", name_zh="回应社会关切（48小时内）",
                     opened_at=now - dt.timedelta(hours=6), due_at=now + dt.timedelta(hours=42)),
        sample.clock(s.health, rule_id="response_48h", name_zh="回应社会关切（48小时内）",
                     opened_at=now - dt.timedelta(hours=2), due_at=now + dt.timedelta(hours=30), office="prov_health"),
        sample.clock(s.xss, opened_at=now - dt.timedelta(hours=1), due_at=now + dt.timedelta(minutes=40)),
    ]
    first = sample.mention(s.emergency, 0, now=now, title="暴雨致道路塌方", text="昆明连日暴雨，一段道路塌方。")
    mentions = [
        first,
        sample.mention(s.emergency, 1, now=now, title="暴雨致道路塌方（转载）", text="昆明连日暴雨，一段道路塌方。",
                       reprint_of=first.id, source_id="kunming_news", publisher="云南日报"),
        sample.mention(s.health, 0, now=now, title="挂号难", text="患者反映挂号难。"),
        sample.mention(s.xss, 0, now=now, title=XSS_TITLE, text=XSS_TEXT, publisher='<b onmouseover="alert(2)">x</b>',
                       url="javascript:alert('xss-url')"),
    ]
    report = Report(id=stable_id("report", "xss"), report_type="incident", subject=s.xss, title=XSS_TITLE,
                    generated_at=now, files={})
    assessment = Assessment(id=stable_id("assessment", "xss"), incident_id=s.xss, office="prov_emergency", score=61.5,
                            indicators=[{"id": "facts", "name_zh": "讲清事实", "score": 5, "detail": XSS_TEXT}],
                            generated_at=now)
    sample.put(store, emergency, health, xss, *clocks, *mentions, report, assessment)
    return s


class LiveServer:
    def __init__(self, app: object) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    access_log=False))  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def cstore(es_url: str) -> Iterator[Store]:
    """One store per test module, seeded once (creating indices per test would cost seconds each);
    tests that change state act on incidents of their own (see ``fresh_incident``)."""
    with open_test_store(es_url, "c") as s:
        yield s


@pytest.fixture(scope="module")
def seeded(cstore: Store) -> type[Seeded]:
    return seed(cstore)


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def console_store(cstore: Store, es_console_url: str) -> Iterator[Store]:
    """The console's own connection, with the console's account, as `yuqing console` has it."""
    store = Store(make_client(es_console_url), prefix=cstore.prefix)
    store.require_indices()
    yield store
    store.client.close()


@pytest.fixture(scope="module")
def app(console_store: Store, config: Config, users: UserDirectory, seeded: type[Seeded], reports_dir: Path) -> object:
    return create_app(console_store, config, clock=lambda: NOW, users=users, secret="test-secret",
                      reports_dir=reports_dir)


@pytest.fixture(scope="module")
def live(app: object) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def xss() -> dict[str, str]:
    return {"title": XSS_TITLE, "text": XSS_TEXT}


_counter = itertools.count()


@pytest.fixture
def fresh_incident(cstore: Store):  # type: ignore[no-untyped-def]
    """Seed a new assigned incident (with a running clock) for a test that changes state; returns its id."""

    def make(office: str = "prov_emergency", *, title: str = "新增舆情事件", state: str = "assigned",
             due_in: dt.timedelta = dt.timedelta(hours=3)) -> str:
        iid = stable_id("fresh", uuid.uuid4().hex, next(_counter))
        inc = sample.incident(iid, now=NOW, title=title, office=office, level="II", state=state)
        clk = sample.clock(iid, opened_at=NOW - dt.timedelta(hours=2), due_at=NOW + due_in, office=office)
        sample.put(cstore, inc, clk)
        return iid

    return make


CHROMIUM = os.environ.get("YUQING_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (skipped where it is not installed)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
