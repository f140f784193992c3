"""The disk spool: writes that could not reach Elasticsearch, kept as JSON lines until it is back.

Each crawl run appends to its own file under ``var/spool/<index prefix>/`` (so concurrent crawls
and test prefixes never share one). A line is one write: ``{"kind", "op", "id", "doc"}``; every id
is deterministic, so replaying a file twice writes the same documents again and doubles nothing.
A file is deleted only after all its lines were written; replays are serialised by a lock file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from yuqing.errors import StorageError
from yuqing.paths import var_dir
from yuqing.storage import Store

log = logging.getLogger(__name__)


def spool_dir(prefix: str, *, create: bool = False) -> Path:
    path = var_dir() / "spool" / prefix
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


class Spool:
    """Append-only JSON-lines file for one crawl run."""

    def __init__(self, prefix: str, name: str) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        self.path = spool_dir(prefix) / f"{safe}-{os.getpid()}.jsonl"
        self.count = 0

    def append(self, kind: str, op: str, docs: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        n = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            for doc_id, doc in docs:
                fh.write(json.dumps({"kind": kind, "op": op, "id": doc_id, "doc": doc}, ensure_ascii=False,
                                    default=str) + "\n")
                n += 1
            fh.flush()
            os.fsync(fh.fileno())
        self.count += n
        return n


def pending_files(prefix: str) -> list[Path]:
    path = spool_dir(prefix)
    return sorted(path.glob("*.jsonl")) if path.is_dir() else []


def pending_keys(prefix: str, source_id: str) -> set[str]:
    """Crawl-state keys already spooled for a source (so an outage does not refetch them)."""
    keys: set[str] = set()
    for path in pending_files(prefix):
        for record in _read(path):
            if record["kind"] == "crawl_state" and record["doc"].get("source_id") == source_id:
                keys.add(record["doc"]["key"])
    return keys


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                # a line cut short by a crash while appending: everything before it is intact
                log.warning("spool %s line %d is incomplete; skipped", path.name, n)


@contextlib.contextmanager
def _lock(prefix: str) -> Iterator[None]:
    with (spool_dir(prefix, create=True) / ".replay.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def replay(store: Store) -> int:
    """Write every spooled record to Elasticsearch; returns how many. Raises StorageUnavailable
    (keeping the files) when the node is still down."""
    total = 0
    if not pending_files(store.prefix):
        return 0
    with _lock(store.prefix):
        for path in pending_files(store.prefix):
            if not path.exists():
                continue
            groups: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
            for record in _read(path):
                # later lines win for the same id (e.g. a mention re-linked to an earlier original)
                groups.setdefault((record["kind"], record["op"]), {})[record["id"]] = record["doc"]
            # mentions first, then updates to them, then bookkeeping: a crash in between refetches, never loses
            order = sorted(groups, key=lambda k: (k[0] != "mentions", k[1] == "update", k[0] == "crawl_state"))
            for kind, op in order:
                docs = groups[(kind, op)]
                result = store.bulk(kind, docs.items(), op=op)
                if result.failed:
                    raise StorageError(f"replaying {path.name}: {len(result.failed)} {kind} writes refused, "
                                       f"first: {result.failed[0]}")
                total += len(docs)
            path.unlink()
            log.info("replayed spool %s", path.name)
    if total:
        store.refresh("mentions", "crawl_state", "source_health")
    return total
