"""A loopback web server whose pages a test changes between crawls (figures that grow, a list that
gains entries, a cookie that expires): routes are ``path?query`` → (status, content type, body)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from yuqing.config import Config, load_config
from yuqing.paths import PROJECT_ROOT

Route = tuple[int, str, bytes]


class LoopSite:
    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[dict[str, str]], Route]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path?query, headers)
        self.base = ""

    def html(self, path: str, body: str, status: int = 200) -> None:
        self.routes[path] = (status, "text/html; charset=utf-8", body.encode("utf-8"))

    def json(self, path: str, body: str) -> None:
        self.routes[path] = (200, "application/json; charset=utf-8", body.encode("utf-8"))

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


@contextmanager
def loop_site() -> Iterator[LoopSite]:
    site = LoopSite()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            found = site.routes.get(self.path)
            if found is None and self.path == "/robots.txt":
                found = (200, "text/plain", b"User-agent: *\nAllow: /\n")
            if callable(found):
                found = found({k.lower(): v for k, v in self.headers.items()})
            status, ctype, body = found if found else (404, "text/plain", b"not found")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def config_with_sources(directory: Path, sources_yaml: str) -> Config:
    """The shipped configuration with ``sources.yaml`` replaced."""
    shutil.copytree(PROJECT_ROOT / "config", directory)
    (directory / "sources.yaml").write_text(sources_yaml, encoding="utf-8")
    return load_config(directory)
