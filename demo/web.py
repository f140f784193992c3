"""The demo web: fixture sites for the scenario day, served on loopback from one threaded server.

Sites (paths relative to :attr:`DemoWeb.base_url`):

- ``/news/index.html`` (+ ``index_2.html`` … via ``a.next``): provincial news site, UTF-8;
- ``/gbk/list.html``: local news site served in GBK, relative dates, no body selector;
- ``/rss.xml``: RSS 2.0 feed with GUIDs;
- ``/api/timeline`` and ``/api/gov_timeline``: Weibo-like JSON timelines with cursor pagination;
- ``/gov/xxgk/index.html``: 政府信息公开 list and documents (``div.TRS_Editor``);
- ``/board/list.html``: 领导留言板 with office replies;
- ``/_fault/*``, ``/faults/list.html``, ``/robots.txt`` (disallows ``/private/``): robustness fixtures;
- ``/_control/now``, ``/_control/down``, ``/_control/publish``: drive a web running in another process.

Only items whose ``appear_at`` has come (``appear_at <= now``) are served; ``set_now`` moves the
clock, ``publish`` adds posts at runtime and ``set_down`` makes a path prefix answer 503.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import datetime as dt
import email.utils
import hashlib
import html
import json
import logging
import re
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import jinja2

from demo.scenario import (
    DEFAULT_DAY,
    SCENARIO_ITEMS,
    SITES,
    Item,
    Reply,
    Site,
    day_start,
    grown,
    hot_list,
)
from yuqing.clock import TZ, to_local

log = logging.getLogger(__name__)

SITE_DIR = Path(__file__).parent / "site"
SHIPPED_BASE_URL = "http://127.0.0.1:8765"

NEWS_PAGE_SIZE = 6
TIMELINE_PAGE_SIZE = 8
SEARCH_PAGE_SIZE = 5
PORTAL_LIMIT = 50
RSS_LIMIT = 50
HUGE_DEFAULT_MB = 20
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_SITE_NAMES: dict[Site, str] = {
    "news": "云南日报网",
    "local": "春城晚报网",
    "rss": "云南网",
    "weibo": "微博",
    "gov_weibo": "微博",
    "portal": "云南省人民政府门户网站",
    "board": "领导留言板",
}


# --- time formats ---------------------------------------------------------------------------------

def weibo_time(value: dt.datetime, now: dt.datetime) -> str:
    """Weibo's ``created_at``: ``刚刚`` / ``N分钟前`` within the hour, else ``Mon Nov 23 08:10:00 +0800 2026``."""
    value, now = to_local(value), to_local(now)
    delta = now - value
    if dt.timedelta(0) <= delta < dt.timedelta(minutes=1):
        return "刚刚"
    if dt.timedelta(0) <= delta < dt.timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)}分钟前"
    return (f"{_WEEKDAYS[value.weekday()]} {_MONTHS[value.month - 1]} {value.day:02d} "
            f"{value:%H:%M:%S} +0800 {value.year}")


def chinese_time(value: dt.datetime, now: dt.datetime, relative: bool) -> str:
    """The GBK site's dates: ``2026年11月23日 09:15`` or, for relative items, ``刚刚`` /
    ``25分钟前`` / ``3小时前`` (same day) / ``昨天 14:05`` / an absolute date when older."""
    value, now = to_local(value), to_local(now)
    absolute = f"{value.year}年{value.month:02d}月{value.day:02d}日 {value:%H:%M}"
    if not relative:
        return absolute
    delta = now - value
    if delta < dt.timedelta(0):
        return absolute
    if delta < dt.timedelta(minutes=1):
        return "刚刚"
    if delta < dt.timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)}分钟前"
    if value.date() == now.date():
        return f"{int(delta.total_seconds() // 3600)}小时前"
    if value.date() == now.date() - dt.timedelta(days=1):
        return f"昨天 {value:%H:%M}"
    return absolute


def weibo_id(item: Item, seq: int) -> str:
    """A Weibo-like numeric id: unique per item (``seq`` is its position in the web) and
    increasing with its time."""
    seconds = int(item.appear_at.total_seconds()) + 10 * 86400
    return f"49{seconds:07d}{seq % 10000:04d}"


# --- the server ------------------------------------------------------------------------------------

class DemoWeb:
    """The fixture sites for one scenario day. Use as a context manager or call ``start``/``stop``.

    ``now=None`` follows the real clock; ``set_now`` freezes it at a moment (``set_now(None)``
    returns to the real clock).
    """

    def __init__(self, day: dt.date = DEFAULT_DAY, host: str = "127.0.0.1", port: int = 0,
                 now: dt.datetime | None = None) -> None:
        self.day = day
        self._now = None if now is None else to_local(now)
        self._lock = threading.Lock()
        self._items: list[Item] = []
        self._seq: dict[str, int] = {}  # item id → position of addition (stable status ids, tie order)
        self._by_id: dict[str, Item] = {}
        self._by_status: dict[str, Item] = {}
        # per site, items and their (appear_at, seq) keys in ascending order: visibility is a bisection
        self._sorted: dict[str, list[Item]] = {site: [] for site in SITES}
        self._keys: dict[str, list[tuple[dt.timedelta, int]]] = {site: [] for site in SITES}
        for item in SCENARIO_ITEMS:
            self._add(item)
        self._down: set[str] = set()
        self._published = 0
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(SITE_DIR / "templates"),
            autoescape=True,  # crawled-looking text with markup must render as text
            keep_trailing_newline=True,
        )
        handler = type("_BoundHandler", (_Handler,), {"web": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="demo-web", daemon=True)
            self._thread.start()
            log.info("demo web serving %s for day %s", self.base_url, self.day)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # time
    @property
    def now(self) -> dt.datetime:
        frozen = self._now  # one attribute read: atomic
        return frozen if frozen is not None else dt.datetime.now(TZ)

    def set_now(self, value: dt.datetime | None) -> None:
        with self._lock:
            self._now = None if value is None else to_local(value)

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move a frozen clock forward (the real clock is frozen at its current value first)."""
        new = self.now + delta
        self.set_now(new)
        return new

    # faults
    def set_down(self, prefix: str, down: bool = True) -> None:
        """Make every path starting with ``prefix`` answer 503 (a source going down), or bring it back."""
        with self._lock:
            if down:
                self._down.add(prefix)
            else:
                self._down.discard(prefix)

    def is_down(self, path: str) -> bool:
        with self._lock:
            return any(path.startswith(prefix) for prefix in self._down)

    # content
    def publish(self, site: Site, item: Mapping[str, Any]) -> Item:
        """Add a post at runtime; it appears at ``item['appear_at']`` (a timedelta from the day's
        midnight or an aware datetime), by default now. Keys: ``title`` (required), ``id``, ``body``
        (str or list of paragraphs), ``kind``, ``incident``, ``place``, ``author``, ``publisher``,
        ``relative_time``, ``index_no``, ``doc_no``, ``reposts``, ``reply`` ({office, text, at})."""
        if site not in SITES:
            raise ValueError(f"unknown site {site!r}; one of {', '.join(SITES)}")
        if not item.get("title"):
            raise ValueError("a published item needs a title")
        with self._lock:
            self._published += 1
            number = self._published
        appear = item.get("appear_at")
        if appear is None:
            appear = self.now - day_start(self.day)
        elif isinstance(appear, dt.datetime):
            appear = to_local(appear) - day_start(self.day)
        elif not isinstance(appear, dt.timedelta):
            raise ValueError("appear_at must be a timedelta or a datetime")
        body = item.get("body") or item["title"]
        paragraphs = (body,) if isinstance(body, str) else tuple(body)
        reply = item.get("reply")
        new = Item(
            site=site,
            id=str(item.get("id") or f"pub-{number:05d}"),
            title=str(item["title"]),
            body=paragraphs,
            appear_at=appear,
            kind=item.get("kind") or ("post" if site in ("weibo", "gov_weibo") else "report"),
            incident=item.get("incident"),
            place=item.get("place"),
            author=item.get("author"),
            publisher=item.get("publisher"),
            relative_time=bool(item.get("relative_time", False)),
            index_no=item.get("index_no"),
            doc_no=item.get("doc_no"),
            reposts=int(item.get("reposts", 0)),
            reply=None if reply is None else Reply(
                office=reply["office"], text=reply["text"],
                at=reply["at"] if isinstance(reply.get("at"), dt.timedelta) else appear),
        )
        with self._lock:
            self._add(new)
        return new

    def add_items(self, items: list[Item]) -> None:
        """Add ready-made items (e.g. :func:`demo.scenario.filler_items` for throughput runs)."""
        with self._lock:
            for item in items:
                self._add(item)

    def _add(self, item: Item) -> None:
        if item.id in self._by_id:
            raise ValueError(f"item id {item.id!r} already exists")
        seq = len(self._items)
        self._seq[item.id] = seq
        self._items.append(item)
        self._by_id[item.id] = item
        self._by_status[weibo_id(item, seq)] = item
        key = (item.appear_at, seq)
        position = bisect.bisect_right(self._keys[item.site], key)
        self._keys[item.site].insert(position, key)
        self._sorted[item.site].insert(position, item)

    def items(self, site: Site | None = None) -> list[Item]:
        """Every item (visible or not), scenario and published."""
        with self._lock:
            items = list(self._items)
        return [item for item in items if site is None or item.site == site]

    def visible(self, site: Site, now: dt.datetime | None = None) -> list[Item]:
        """Items of ``site`` online at ``now``, newest first."""
        with self._lock:
            count = self._visible_count(site, now)
            return self._sorted[site][:count][::-1]

    def _visible_count(self, site: Site, now: dt.datetime | None) -> int:
        cutoff = (self.now if now is None else now) - day_start(self.day)
        return bisect.bisect_right(self._keys[site], (cutoff, len(self._items)))

    def get(self, item_id: str) -> Item | None:
        with self._lock:
            return self._by_id.get(item_id)

    def status_id(self, item: Item) -> str:
        """The Weibo-like id the JSON timelines give ``item``."""
        return weibo_id(item, self._seq[item.id])

    def newer_than(self, site: Site, status_id: str) -> int | None:
        """How many visible items of ``site`` are newer than the status ``status_id`` (its position in
        the newest-first timeline), or None when it is unknown or not visible."""
        with self._lock:
            item = self._by_status.get(status_id)
            if item is None or item.site != site:
                return None
            count = self._visible_count(site, None)
            position = bisect.bisect_left(self._keys[site], (item.appear_at, self._seq[item.id]))
            return None if position >= count else count - 1 - position

    def item_url(self, item: Item, base: str | None = None) -> str:
        """Where ``item`` is served (absolute)."""
        return (base or self.base_url) + item_path(item)

    def render(self, template: str, **context: Any) -> str:
        return self._env.get_template(template).render(**context)


def item_path(item: Item) -> str:
    quoted = urllib.parse.quote(item.id)
    return {
        "news": f"/news/content/{quoted}.html",
        "local": f"/gbk/content/{quoted}.html",
        "rss": f"/rss/content/{quoted}.html",
        "weibo": f"/weibo/status/{quoted}.html",
        "gov_weibo": f"/weibo/status/{quoted}.html",
        "portal": f"/gov/xxgk/{quoted}.html",
        "board": f"/board/msg/{quoted}.html",
    }[item.site]


# --- request handling ------------------------------------------------------------------------------

@dataclasses.dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


_MALFORMED = (
    "<html><head><title>残缺的页面<title></head><body><div class='article-body'><p>这段文字没有闭合"
    "<div><p><b>加粗<i>交错的标签</b></i><table><tr><td>单元格<td>另一格</tr>"
    "<script>var x = '<p>';</scr"
).encode() + b"\xff\xfe\x00\xc3"  # invalid UTF-8 at the end, truncated mid-tag

_MALFORMED_TRUNCATED = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>截断".encode()


class _Handler(BaseHTTPRequestHandler):
    web: DemoWeb
    server_version = "DemoWeb/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, like real sites
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid the 40 ms delayed-ACK stall
    timeout = 30  # close idle keep-alive connections so their threads end

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("demo web: " + format, *args)

    # dispatch
    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_POST(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            response = self._control(parsed.path, query, raw)
        except (ValueError, KeyError, TypeError) as exc:
            response = _Response(400, json.dumps({"error": str(exc)}, ensure_ascii=False).encode(),
                                 "application/json; charset=utf-8")
        self._send(response, head=False)

    def _answer(self, head: bool) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if path == "/_fault/huge":
            self._send_huge(query, head)
            return
        try:
            if self.web.is_down(path):
                response = _Response(503, "<h1>503 Service Unavailable</h1><p>服务暂时不可用</p>".encode(),
                                     headers={"Retry-After": "60"})
            else:
                response = self._route(path, query)
        except Exception:  # a bug in a fixture page must not kill the server thread
            log.exception("demo web failed on %s", path)
            response = _Response(500, b"<h1>500 Internal Server Error</h1>")
        self._send(response, head)

    def _send(self, response: _Response, head: bool) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if not head:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("demo web: client went away")

    def _send_huge(self, query: Mapping[str, str], head: bool) -> None:
        size = int(float(query.get("mb", HUGE_DEFAULT_MB)) * 1024 * 1024)
        chunk = ("<p>" + "超大页面填充内容。" * 200 + "</p>\n").encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if head:
                return
            sent = 0
            while sent < size:
                part = chunk[: size - sent]
                self.wfile.write(part)
                sent += len(part)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("demo web: client dropped the huge body")

    # routes
    def _route(self, path: str, query: Mapping[str, str]) -> _Response:
        web = self.web
        base = f"http://{self.headers.get('Host')}" if self.headers.get("Host") else web.base_url
        if path in ("/", "/index.html"):
            return self._html(web.render("home.html", **self._ctx("news", "演示站点"), day=web.day,
                                         now=web.now.isoformat(timespec="minutes")))
        if path == "/robots.txt":
            return _Response(200, b"User-agent: *\nDisallow: /private/\n", "text/plain; charset=utf-8")
        if path.startswith("/static/"):
            return self._static(path)
        if path.startswith("/_fault/"):
            return self._fault(path, query)
        if path == "/faults/list.html":
            return self._faults_list()
        if path.startswith("/private/"):
            return self._html("<html><body><h1>内部资料</h1><p>robots.txt 禁止抓取此页面。</p></body></html>")
        if path == "/_control/now":
            return self._json({"now": web.now.isoformat(), "day": web.day.isoformat()})
        # news
        match = re.fullmatch(r"/news/index(?:_(\d+))?\.html", path)
        if match:
            return self._news_list(int(match[1] or 1))
        if path == "/gbk/list.html":
            return self._local_list()
        if path == "/rss.xml":
            return self._rss(base)
        if path == "/api/timeline":
            return self._timeline("weibo", query, base)
        if path == "/api/gov_timeline":
            return self._timeline("gov_weibo", query, base)
        if path == "/hot/realtime.json":
            return self._hot(base)
        if path == "/search":
            return self._search(query, base)
        if path in ("/gov/xxgk/index.html", "/gov/xxgk/", "/gov/xxgk"):
            return self._portal_list()
        if path in ("/board/list.html", "/board/"):
            return self._board_list()
        for site, pattern in _ITEM_PATTERNS:
            match = re.fullmatch(pattern, path)
            if match:
                return self._item_page(site, match[1], base)
        return self._not_found()

    def _ctx(self, site: Site, name: str | None = None) -> dict[str, Any]:
        return {"site_name": name or _SITE_NAMES[site], "charset": "gbk" if site == "local" else "utf-8",
                "body_class": f"site-{site}"}

    def _html(self, text: str, status: int = 200) -> _Response:
        return _Response(status, text.encode("utf-8"))

    def _gbk(self, text: str) -> _Response:
        return _Response(200, text.encode("gbk", errors="xmlcharrefreplace"), "text/html; charset=gbk")

    def _json(self, payload: object, status: int = 200) -> _Response:
        return _Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                         "application/json; charset=utf-8")

    def _not_found(self) -> _Response:
        return self._html("<html><body><h1>404 页面不存在</h1><p>您访问的页面不存在或已被删除。</p></body></html>", 404)

    def _static(self, path: str) -> _Response:
        name = path.removeprefix("/static/")
        target = (SITE_DIR / "static" / name).resolve()
        if not target.is_file() or (SITE_DIR / "static").resolve() not in target.parents:
            return self._not_found()
        kind = "text/css; charset=utf-8" if target.suffix == ".css" else "application/octet-stream"
        return _Response(200, target.read_bytes(), kind)

    def _view(self, item: Item, relative: bool = False) -> dict[str, Any]:
        web = self.web
        published = item.published_at(web.day)
        now = web.now
        if item.site == "local":
            shown_time = chinese_time(published, now, relative or item.relative_time)
        elif item.site == "board":
            shown_time = f"{published:%Y-%m-%d %H:%M:%S}"
        else:
            shown_time = f"{published:%Y-%m-%d %H:%M}"
        reply = item.reply
        replied = reply is not None and day_start(web.day) + reply.at <= now
        issued = item.issued_at or published.date()
        summary = item.body[0][:80] if item.body else ""
        return {
            "id": item.id, "title": item.title, "paragraphs": item.body, "summary": summary,
            "url": item_path(item), "time": shown_time, "author": item.author or "",
            "publisher": item.publisher or "", "index_no": item.index_no or "", "doc_no": item.doc_no or "",
            "issued": issued.isoformat(), "replied": replied,
            "reply_office": reply.office if reply and replied else "",
            "reply_text": reply.text if reply and replied else "",
            "reply_time": f"{day_start(web.day) + reply.at:%Y-%m-%d %H:%M:%S}" if reply and replied else "",
        }

    def _news_list(self, page: int) -> _Response:
        items = self.web.visible("news")
        pages = max(1, -(-len(items) // NEWS_PAGE_SIZE))
        if page < 1 or page > pages:
            return self._not_found()
        chunk = items[(page - 1) * NEWS_PAGE_SIZE: page * NEWS_PAGE_SIZE]

        def page_url(number: int) -> str:
            return "index.html" if number == 1 else f"index_{number}.html"

        return self._html(self.web.render(
            "news_list.html", **self._ctx("news"), items=[self._view(i) for i in chunk], page=page, pages=pages,
            prev=page_url(page - 1) if page > 1 else None, next=page_url(page + 1) if page < pages else None))

    def _local_list(self) -> _Response:
        items = self.web.visible("local")
        return self._gbk(self.web.render("local_list.html", **self._ctx("local"),
                                         items=[self._view(i) for i in items]))

    def _portal_list(self) -> _Response:
        items = self.web.visible("portal")[:PORTAL_LIMIT]
        return self._html(self.web.render("portal_list.html", **self._ctx("portal"),
                                          items=[self._view(i) for i in items]))

    def _board_list(self) -> _Response:
        items = self.web.visible("board")
        return self._html(self.web.render("board_list.html", **self._ctx("board"),
                                          items=[self._view(i) for i in items]))

    def _rss(self, base: str) -> _Response:
        items = self.web.visible("rss")[:RSS_LIMIT]
        views = []
        for item in items:
            view = self._view(item)
            view["link"] = f"{base}{item_path(item)}?utm_source=rss&utm_medium=feed"
            view["guid"] = f"yunnan-rss-{item.id}"
            view["pub_date"] = email.utils.format_datetime(item.published_at(self.web.day))
            view["summary"] = item.text
            views.append(view)
        build = email.utils.format_datetime(self.web.now.replace(microsecond=0))
        body = self.web.render("rss.xml", base=base, items=views, build_date=build)
        return _Response(200, body.encode("utf-8"), "application/rss+xml; charset=utf-8")

    def _timeline(self, site: Site, query: Mapping[str, str], base: str) -> _Response:
        items = self.web.visible(site)
        cursor = query.get("cursor") or ""
        count = max(1, min(int(query.get("count", TIMELINE_PAGE_SIZE)), 50))
        start = 0
        if cursor:
            position = self.web.newer_than(site, cursor)
            if position is None:
                return self._json({"ok": 0, "msg": "cursor 无效或已过期", "data": None}, status=400)
            start = position + 1
        chunk = items[start: start + count]
        more = start + count < len(items)
        now = self.web.now
        statuses = []
        for item in chunk:
            user = item.author or "微博用户"
            statuses.append({
                "id": self.web.status_id(item),
                "mid": self.web.status_id(item),
                "url": f"{base}{item_path(item)}",
                "text": item.text,
                "created_at": weibo_time(item.published_at(self.web.day), now),
                "source": "微博 weibo.com",
                # the figures grow during the day (a quarter at once, the scenario's figure after 4 h)
                "reposts_count": grown(item.reposts, item.published_at(self.web.day), now),
                "comments_count": grown(item.reposts // 4, item.published_at(self.web.day), now),
                "attitudes_count": grown(item.reposts * 2, item.published_at(self.web.day), now),
                "user": {
                    "id": int(hashlib.sha1(user.encode()).hexdigest()[:8], 16),
                    "screen_name": user,
                    "verified": site == "gov_weibo",
                    "verified_reason": "云南省人民政府新闻办公室官方微博" if site == "gov_weibo" else "",
                },
            })
        return self._json({"ok": 1, "data": {
            "statuses": statuses,
            "next_cursor": self.web.status_id(chunk[-1]) if more and chunk else None,
            "total_number": len(items),
        }})

    def _hot(self, base: str) -> _Response:
        """The hot list (热搜) at the web's ``now``: word, rank and heat of each entry."""
        start = day_start(self.web.day)
        entries = [{"word": entry.words, "rank": rank, "num": heat,
                    "onboard_time": int((start + entry.appear_at).timestamp()),  # 上榜时间, Unix seconds
                    "url": f"{base}/search?q={urllib.parse.quote(entry.words)}"}
                   for rank, entry, heat in hot_list(self.web.day, self.web.now)]
        return self._json({"ok": 1, "data": {"realtime": entries}})

    def _search(self, query: Mapping[str, str], base: str) -> _Response:
        """Site search: visible items whose title or text contains ``q``, newest first, 5 a page."""
        words = (query.get("q") or "").strip()
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            return self._json({"ok": 0, "msg": "page 须为正整数"}, status=400)
        found = [i for site in SITES for i in self.web.visible(site)
                 if words and (words in i.title or words in i.text)] if words else []
        found.sort(key=lambda i: (i.published_at(self.web.day), i.id), reverse=True)
        chunk = found[(page - 1) * SEARCH_PAGE_SIZE: page * SEARCH_PAGE_SIZE]
        return self._json({"ok": 1, "total": len(found), "list": [
            {"title": i.title, "url": f"{base}{item_path(i)}", "summary": i.text[:120],
             "time": i.published_at(self.web.day).strftime("%Y-%m-%d %H:%M"), "site": i.site}
            for i in chunk]})

    def _item_page(self, site: Site, item_id: str, base: str) -> _Response:
        web = self.web
        sites: tuple[Site, ...] = ("weibo", "gov_weibo") if site == "weibo" else (site,)
        found = web.get(item_id)
        if found is None or found.site not in sites or not found.is_visible(web.day, web.now):
            return self._not_found()
        view = self._view(found)
        related = [self._view(i) for i in web.visible(found.site)[:7] if i.id != found.id][:6]
        if site == "news":
            return self._html(web.render("news_article.html", **self._ctx("news"), it=view, related=related,
                                         canonical=f"{base}{item_path(found)}", editor="王丽"))
        if site == "local":
            hits = 100 + int(hashlib.sha1(found.id.encode()).hexdigest()[:4], 16) % 5000
            return self._gbk(web.render("local_article.html", **self._ctx("local"), it=view, related=related,
                                        hits=hits))
        if site == "portal":
            return self._html(web.render("portal_doc.html", **self._ctx("portal"), it=view))
        if site == "board":
            return self._html(web.render("board_msg.html", **self._ctx("board"), it=view))
        if site == "weibo":
            view["title"] = f"{found.author or '微博用户'}的微博"
        return self._html(web.render("article.html", **self._ctx(found.site), it=view))

    def _fault(self, path: str, query: Mapping[str, str]) -> _Response:
        name = path.removeprefix("/_fault/")
        if name == "500":
            return self._html("<html><body><h1>500 Internal Server Error</h1></body></html>", 500)
        if name == "503":
            return _Response(503, b"<h1>503</h1>", headers={"Retry-After": "30"})
        if name == "redirect-loop":
            return _Response(302, b"", headers={"Location": "/_fault/redirect-loop-b"})
        if name == "redirect-loop-b":
            return _Response(302, b"", headers={"Location": "/_fault/redirect-loop"})
        if name == "malformed":
            return _Response(200, _MALFORMED)
        if name == "truncated":
            return _Response(200, _MALFORMED_TRUNCATED)
        if name == "empty":
            return _Response(200, b"")
        if name == "slow":
            time.sleep(min(float(query.get("s", "5")), 60.0))
            return self._html("<html><body><h1>慢速页面</h1><p>响应很慢。</p></body></html>")
        if name == "lying-charset":
            # Declares UTF-8, is GBK: the source's ``encoding`` override has to fix it.
            text = ("<html><head><meta charset='utf-8'><title>编码声明错误</title></head><body>"
                    "<h1>编码声明错误的页面</h1><div class='article-body'><p>本页面声明为UTF-8，实际为GBK编码。</p>"
                    "</div></body></html>")
            return _Response(200, text.encode("gbk"), "text/html; charset=utf-8")
        if name == "not-html":
            return _Response(200, bytes(range(256)) * 64, "application/octet-stream")
        return self._not_found()

    def _faults_list(self) -> _Response:
        links = [
            ("/news/content/n-ord-y1.html", "正常文章"),
            ("/_fault/500", "服务器错误"),
            ("/_fault/redirect-loop", "重定向循环"),
            ("/_fault/huge", "超大页面（约20MB）"),
            ("/_fault/malformed", "格式错误的HTML"),
            ("/_fault/truncated", "截断的页面"),
            ("/_fault/empty", "空页面"),
            ("/_fault/not-html", "二进制内容"),
            ("/private/secret.html", "robots.txt 禁止的页面"),
            ("/news/content/no-such-article.html", "不存在的页面"),
        ]
        items = "\n".join(f'  <li><a href="{html.escape(href)}">{html.escape(title)}</a>'
                          f'<span class="date">2026-11-23 00:00</span></li>' for href, title in links)
        return self._html("<!DOCTYPE html><html><head><meta charset='utf-8'><title>故障页面</title></head>"
                          f"<body><ul class=\"news-list\">\n{items}\n</ul></body></html>")

    def _control(self, path: str, query: Mapping[str, str], raw: bytes) -> _Response:
        web = self.web
        payload: dict[str, Any] = json.loads(raw.decode("utf-8")) if raw else {}
        if path == "/_control/now":
            value = query.get("at") or payload.get("at")
            web.set_now(None if value in (None, "", "real") else dt.datetime.fromisoformat(str(value)))
            return self._json({"now": web.now.isoformat()})
        if path == "/_control/down":
            prefix = query.get("prefix") or payload["prefix"]
            down = str(query.get("down", payload.get("down", "1"))).lower() in ("1", "true", "yes")
            web.set_down(prefix, down)
            return self._json({"prefix": prefix, "down": down})
        if path == "/_control/publish":
            item = dict(payload["item"])
            if "appear_at" in item and isinstance(item["appear_at"], str):
                item["appear_at"] = dt.datetime.fromisoformat(item["appear_at"])
            new = web.publish(payload["site"], item)
            return self._json({"id": new.id, "url": web.item_url(new)})
        return self._json({"error": "unknown control"}, status=404)


_ITEM_PATTERNS: tuple[tuple[Site, str], ...] = (
    ("news", r"/news/content/([^/]+)\.html"),
    ("local", r"/gbk/content/([^/]+)\.html"),
    ("rss", r"/rss/content/([^/]+)\.html"),
    ("weibo", r"/weibo/status/([^/]+)\.html"),
    ("portal", r"/gov/xxgk/([^/]+)\.html"),
    ("board", r"/board/msg/([^/]+)\.html"),
)


# --- configuration for a web on another port ---------------------------------------------------------

DEMO_OVERLAY_DIR = Path(__file__).resolve().parent / "config"


def merge_overlay(base: Any, overlay: Any) -> Any:
    """``overlay`` merged over ``base``: mappings key by key, lists of items with an ``id`` item by
    item (new ids appended), other lists as a union in order, anything else replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        return {**base, **{k: merge_overlay(base[k], v) if k in base else v for k, v in overlay.items()}}
    if isinstance(base, list) and isinstance(overlay, list):
        if all(isinstance(x, dict) and "id" in x for x in [*base, *overlay]):
            extra = {x["id"]: x for x in overlay}
            merged = [merge_overlay(x, extra.pop(x["id"])) if x["id"] in extra else x for x in base]
            return merged + list(extra.values())
        return base + [x for x in overlay if x not in base]
    return overlay


def write_demo_config(dest_dir: Path, base_url: str, source_dir: Path | None = None,
                      overlay_dir: Path | None = DEMO_OVERLAY_DIR) -> Path:
    """Copy the shipped ``config/`` to ``dest_dir``, merge the demo's own terms (``demo/config/``)
    over it, and point the demo sources at ``base_url``."""
    import yaml

    from yuqing.paths import PROJECT_ROOT

    source = Path(source_dir) if source_dir is not None else PROJECT_ROOT / "config"
    dest = Path(dest_dir)
    shutil.copytree(source, dest, dirs_exist_ok=True)
    for extra in sorted(Path(overlay_dir).glob("*.yaml")) if overlay_dir is not None else []:
        target = dest / extra.name
        base = yaml.safe_load(target.read_text(encoding="utf-8")) if target.exists() else {}
        merged = merge_overlay(base or {}, yaml.safe_load(extra.read_text(encoding="utf-8")) or {})
        target.write_text(f"# Written by `yuqing demo`: {source / extra.name} with demo/config/{extra.name} merged.\n"
                          + yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8")
    sources = dest / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace(SHIPPED_BASE_URL, base_url.rstrip("/")), encoding="utf-8")
    return dest


def iter_urls(web: DemoWeb) -> Iterator[str]:
    """Every entry URL of the demo web (for smoke checks)."""
    for path in ("/news/index.html", "/gbk/list.html", "/rss.xml", "/api/timeline", "/api/gov_timeline",
                 "/gov/xxgk/index.html", "/board/list.html", "/hot/realtime.json", "/search?q=%E6%98%86%E6%98%8E"):
        yield web.base_url + path


# --- standalone --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.web", description="Serve the demo web.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=DEFAULT_DAY,
                        help="scenario day (YYYY-MM-DD), default %(default)s")
    parser.add_argument("--now", type=dt.datetime.fromisoformat, default=None,
                        help="freeze the site clock at this ISO time (default: the real clock)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    web = DemoWeb(day=args.day, host=args.host, port=args.port, now=args.now)
    print(f"demo web at {web.base_url} (day {web.day}, now {web.now.isoformat(timespec='minutes')})", flush=True)
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
