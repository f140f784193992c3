"""Queue page latency with 10,000 open incidents: the duty console served by uvicorn on loopback.

Seeds ``--incidents`` open incidents (each with one or two running clocks) under a private index
prefix, starts the console with uvicorn in a child process on 127.0.0.1, signs in as a duty
officer and sends ``--requests`` GET requests for the queue page (mostly the default view, some
filtered or paged), one at a time, after a short warm-up. Prints p50/p95/max; last line
``p95_ms=<n>`` (aim ≤ 200).

    .venv/bin/python bench/console_load.py [--incidents 10000] [--requests 300]

Uses ES_URL if set, else starts (and stops) a private node.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import re
import socket
import statistics
import time
import uuid

import httpx

from console import sample
from yuqing import esnode
from yuqing.clock import now as clock_now
from yuqing.storage import Store, make_client

PASSWORD = "bench-password-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, prefix: str, port: int) -> None:
    import uvicorn

    from console.app import create_app
    from console.auth import User, UserDirectory, hash_password
    from yuqing.config import load_config

    store = Store(make_client(url), prefix=prefix)
    users = UserDirectory([User(name="duty", role="duty_officer", password_hash=hash_password(PASSWORD))])
    app = create_app(store, load_config(), users=users, secret="bench")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def seed(store: Store, n: int) -> None:
    now = clock_now()
    incidents, clocks = [], []
    for inc, cls in sample.open_incidents(n, now=now):
        incidents.append((inc.id, inc.to_doc()))
        clocks.extend((c.id, c.to_doc()) for c in cls)
    for kind, docs in (("incidents", incidents), ("clocks", clocks)):
        result = store.bulk(kind, docs, chunk_size=2000)
        if result.failed:
            raise SystemExit(f"seeding {kind} failed: {result.failed[:3]}")
    store.refresh("incidents", "clocks")
    print(f"seeded {store.count('incidents')} incidents, {store.count('clocks')} clocks")


def queries(n: int) -> list[dict[str, str]]:
    """The request mix: mostly the default queue, some filters and deeper pages."""
    mix: list[dict[str, str]] = [
        {}, {}, {}, {}, {}, {"sort": "newest"}, {"severity": "II"}, {"office": "prov_health"},
        {"place": "530100"}, {"priority": "emergency", "page": "3"}, {"page": "20"}, {"state": "acknowledged"},
    ]
    return [mix[i % len(mix)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    node = contextlib.ExitStack()
    url = node.enter_context(esnode.scratch_node("bench-console"))
    store = Store(make_client(url, timeout=120), prefix=f"benchcon{uuid.uuid4().hex[:6]}")
    server = None
    try:
        store.ensure_indices()
        seed(store, args.incidents)
        port = _free_port()
        server = multiprocessing.get_context("spawn").Process(target=_serve, args=(url, store.prefix, port),
                                                               daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    login = client.get("/login")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or not server.is_alive():
                        raise SystemExit("the console did not start") from None
                    time.sleep(0.2)
            token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
            assert token, "no CSRF token on the sign-in page"
            resp = client.post("/login", data={"name": "duty", "password": PASSWORD, "csrf_token": token[1]})
            assert resp.status_code == 200 and "实时队列" in resp.text, resp.status_code
            total = re.search(r"共 (\d+) 件", resp.text)
            print(f"queue shows {total[1] if total else '?'} open incidents")

            for params in queries(args.warmup):
                client.get("/", params=params)
            times = []
            for params in queries(args.requests):
                t0 = time.perf_counter()
                r = client.get("/", params=params)
                times.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200 or "incident-queue" not in r.text:
                    raise SystemExit(f"queue request {params} answered {r.status_code}")
        times.sort()
        p50 = statistics.median(times)
        p95 = times[max(0, math.ceil(0.95 * len(times)) - 1)]  # nearest-rank percentile
        print(f"requests={len(times)} p50_ms={p50:.0f} max_ms={times[-1]:.0f}")
        print(f"p95_ms={p95:.0f}")
    finally:
        if server is not None:
            server.terminate()
            server.join(timeout=10)
        try:
            store.drop_all()
        finally:
            store.client.close()
            node.close()


if __name__ == "__main__":
    main()
