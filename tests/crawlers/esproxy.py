"""A loopback HTTP proxy in front of the Elasticsearch node that can "stop" it mid-crawl.

``EsProxy(es_url)`` forwards every request; while ``fail_when(method, path)`` is true the
connection is dropped without an answer, which the client sees exactly like a node that went away.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from yuqing.essecurity import credentials, with_credentials

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class EsProxy:
    def __init__(self, es_url: str) -> None:
        target = urlsplit(es_url)
        self.credentials = credentials(es_url)  # passed through: the client sends its own Basic header
        self.target = (target.hostname or "127.0.0.1", target.port or 9200)
        self.fail_when: Callable[[str, str], bool] | None = None
        self.dropped = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                rule = proxy.fail_when
                if rule is not None and rule(self.command, self.path):
                    proxy.dropped += 1
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                conn = http.client.HTTPConnection(*proxy.target, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in _HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        """The proxy's URL with the node's credentials (the proxy forwards the Authorization header)."""
        return with_credentials(f"http://127.0.0.1:{self._server.server_address[1]}", *self.credentials)

    def __enter__(self) -> EsProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
