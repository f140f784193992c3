"""Every console page on a populated day, in a real browser at phone size (390×844) and desktop size:
no horizontal scroll, tap targets of at least 44 px on the phone, titles that do not wrap a couple of
characters a line, nothing sticking out of the screen; and no raw identifier (snake_case codes,
``None``/``True``/``False``, channel ids, state codes, ``system:`` actors) in what a user reads.
Screenshots of each page at both sizes are kept under the test output (or ``YUQING_SCREENSHOTS``).

Also: the reminders of one incident appear as one group with one 确认 that acknowledges them all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from console.app import create_app
from console.auth import User, UserDirectory, hash_password
from tests.console.conftest import NOW, LiveServer
from tests.console.populated import Day, populate
from yuqing.config import Config
from yuqing.storage import Store

pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

PASSWORD = "correct horse 9"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def users() -> UserDirectory:
    pw = hash_password(PASSWORD)
    return UserDirectory([
        User(name="duty", role="duty_officer", password_hash=pw, display_name="值班员张三"),
        User(name="admin", role="administrator", password_hash=pw, display_name="管理员"),
        User(name="boss", role="leader", password_hash=pw, display_name="领导赵六"),
        User(name="emerg", role="office_staff", office="prov_emergency", password_hash=pw, display_name="应急厅李四"),
        User(name="kgov", role="office_staff", office="kunming_gov", password_hash=pw, display_name="昆明市政府王五"),
        User(name="gov", role="office_staff", office="prov_gov_office", password_hash=pw,
             display_name="省政府办公厅钱七"),
    ])


@pytest.fixture(scope="module")
def app(console_store: Store, config: Config, users: UserDirectory, reports_dir: Path) -> object:
    return create_app(console_store, config, clock=lambda: NOW, users=users, secret="test-secret",
                      reports_dir=reports_dir)


@pytest.fixture(scope="module")
def live(app: object) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def day(cstore: Store, config: Config, live: LiveServer, reports_dir: Path) -> Day:
    return populate(cstore, config, now=NOW, reports_dir=reports_dir, console_url=live.url)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("YUQING_SCREENSHOTS")
    if target:
        path = Path(target)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


def owner(cstore: Store, incident_id: str) -> str:
    doc = cstore.get("incidents", incident_id) or {}
    return str(doc.get("assigned_office") or doc.get("routing", {}).get("lead_office"))


# -- which pages ------------------------------------------------------------------------------------

PAGE_PARAMS = {"incident_id": "blast", "source_id": "source_id", "mention_id": "mention"}


def page_routes(app: object) -> list[str]:
    """Every HTML page the console serves (GET, not the API, files or static)."""
    paths = []
    for route in app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        path = route.path
        if path.startswith(("/api", "/static", "/openapi", "/docs", "/redoc", "/reports/files", "/export")):
            continue
        paths.append(path)
    return paths


def urls_for(app: object, day: Day, cstore: Store, *, office_user: str | None = None) -> list[str]:
    """One URL per page route (path parameters filled from the day), plus the pages' useful variants."""
    urls = []
    for path in page_routes(app):
        params = re.findall(r"{(\w+)(?::\w+)?}", path)
        unknown = [p for p in params if p not in PAGE_PARAMS]
        assert not unknown, f"page {path}: add its parameters {unknown} to PAGE_PARAMS so it is checked"
        url = path
        for p in params:
            url = re.sub(r"{" + p + r"(?::\w+)?}", str(getattr(day, PAGE_PARAMS[p])), url)
        if url != "/login":
            urls.append(url)
    incidents = [day.blast, day.rumour, day.health, day.spread]
    if office_user is None:
        urls += [f"/incidents/{i}" for i in incidents] + ["/?state=all", "/office?office=prov_emergency",
                                                         "/incidents/unknown-incident"]
    else:
        urls += [f"/incidents/{i}" for i in incidents if owner(cstore, i) == office_user]
    return list(dict.fromkeys(urls))


# -- what is checked on every page -------------------------------------------------------------------

LAYOUT_JS = """
() => {
  const vw = window.innerWidth;
  const shown = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    ' "' + (el.innerText || el.value || el.getAttribute('placeholder') || el.getAttribute('name') || '')
      .trim().slice(0, 30) + '"';
  const out = {scroll: document.scrollingElement.scrollWidth, vw: vw, small: [], overflow: [], cramped: []};
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < 44 - 0.5 || r.width < 44 - 0.5)
      out.small.push(name(el) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
    if (r.right > vw + 0.5 || r.left < -0.5 || el.scrollWidth > el.clientWidth + 1)
      out.overflow.push(name(el) + ' [' + Math.round(r.left) + ',' + Math.round(r.right) + '] scroll ' +
                        el.scrollWidth + '>' + el.clientWidth);
  }
  for (const el of document.querySelectorAll('h1, h2, .incident-title, .group-title, .brand')) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    // Lines: text boxes that do not overlap vertically (a smaller font on the same line overlaps).
    const rects = Array.from(range.getClientRects()).filter(x => x.width > 0).sort((x, y) => x.top - y.top);
    let lines = 0, bottom = -1e9;
    for (const x of rects) {
      if (x.top >= bottom - 1) { lines++; bottom = x.bottom; } else { bottom = Math.max(bottom, x.bottom); }
    }
    lines = Math.max(1, lines);
    const chars = (el.innerText || '').replace(/\\s+/g, '').length;
    if (lines > 1 && chars / lines < 6) out.cramped.push(name(el) + ' ' + chars + ' chars on ' + lines + ' lines');
    if (r.right > vw + 0.5) out.overflow.push(name(el) + ' right edge ' + Math.round(r.right));
  }
  return out;
}
"""

# What a user reads: the page text, the options of lists, placeholders and tooltips.
TEXT_JS = """
() => [document.title, document.body.innerText,
       ...Array.from(document.querySelectorAll('option')).map(o => o.textContent),
       ...Array.from(document.querySelectorAll('[placeholder]')).map(e => e.getAttribute('placeholder')),
       ...Array.from(document.querySelectorAll('[title]')).map(e => e.getAttribute('title')),
       ...Array.from(document.querySelectorAll('input[type=submit], input[type=button]')).map(e => e.value)].join('\\n')
"""

# Links, mail addresses and configuration file names (an instruction to an administrator) are not codes.
URL_OR_MAIL = re.compile(r"(?:https?://|www\.)\S*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:[\w.-]+/)*[\w.-]+\.ya?ml\b")
RAW = [
    ("identifier", re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:[_:\-.][A-Za-z0-9]+)+(?![A-Za-z0-9])")),
    ("code word", re.compile(r"(?<![A-Za-z0-9])[a-z]{2,}(?![A-Za-z0-9])")),
    ("python value", re.compile(r"(?<![A-Za-z0-9])(?:None|True|False|null|undefined|NaN)(?![A-Za-z0-9])")),
    ("hex id", re.compile(r"(?<![A-Za-z0-9])[0-9a-f]{12,}(?![A-Za-z0-9])")),
]


def raw_tokens(text: str) -> list[tuple[str, str]]:
    text = URL_OR_MAIL.sub(" ", text)
    found = []
    for kind, pattern in RAW:  # the longest shapes first, each taken out before the next looks
        found += [(kind, m.group(0)) for m in pattern.finditer(text)]
        text = pattern.sub(" ", text)
    return sorted(set(found))


def test_raw_tokens_finds_the_leaks_the_issue_names() -> None:
    leaks = "place_codes 530100 multi_place False handling_kind_inferred open_consultation system:router " \
            "leader_feishu sent None 已发送 https://www.yn.gov.cn/a_b.html duty@yuqing.example II级 " \
            "请录入 config/calendar.yaml"
    assert {t for _, t in raw_tokens(leaks)} == {"place_codes", "multi_place", "False", "handling_kind_inferred",
                                                 "open_consultation", "system:router", "leader_feishu", "sent",
                                                 "None"}


def sign_in(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def visit_all(browser, live, urls: list[str], user: str | None, shots: Path, label: str,  # type: ignore[no-untyped-def]
              ) -> list[str]:
    problems: list[str] = []
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(base_url=live.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport=size, device_scale_factor=1, is_mobile=size is PHONE,
                                      has_touch=size is PHONE)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            if user:
                sign_in(page, user)
            for url in (["/login"] if not user else urls):
                page.goto(url)
                page.wait_for_load_state()
                where = f"{label} {size_name} {url}"
                stem = re.sub(r"[^A-Za-z0-9]+", "_", url).strip("_")[:60] or "queue"
                page.screenshot(path=str(shots / f"{label}-{size_name}-{stem}.png"), full_page=True)
                layout = page.evaluate(LAYOUT_JS)
                if layout["scroll"] > layout["vw"]:
                    problems.append(f"{where}: scrolls sideways ({layout['scroll']} px > {layout['vw']} px)")
                problems += [f"{where}: sticks out: {o}" for o in layout["overflow"]]
                problems += [f"{where}: title wraps a few characters a line: {c}" for c in layout["cramped"]]
                if size is PHONE:
                    problems += [f"{where}: tap target under 44 px: {s}" for s in layout["small"]]
                if size is DESKTOP:  # the text does not depend on the size
                    problems += [f"{where}: raw {kind} {token!r}" for kind, token in raw_tokens(page.evaluate(TEXT_JS))]
        finally:
            context.close()
    return problems


@pytest.mark.timeout(900)
def test_every_page_fits_a_phone_and_a_desktop_and_speaks_plain_chinese(  # type: ignore[no-untyped-def]
        browser, live, app, day, cstore, shots):
    problems = visit_all(browser, live, [], None, shots, "signed-out")
    problems += visit_all(browser, live, urls_for(app, day, cstore), "admin", shots, "admin")
    office = owner(cstore, day.blast)
    staff = {"prov_emergency": "emerg", "kunming_gov": "kgov", "prov_gov_office": "gov"}.get(office)
    assert staff, f"the blast is owned by {office}: add a user of that office"
    problems += visit_all(browser, live, urls_for(app, day, cstore, office_user=office), staff, shots, "office")
    assert not problems, f"{len(problems)} problems (screenshots in {shots}):\n" + "\n".join(problems)
