"""The disk spool: writes that could not reach Elasticsearch, kept as JSON lines until it is back.

Each crawl run appends to its own file under ``var/spool/<index prefix>/`` (so concurrent crawls
and test prefixes never share one). A line is one write: ``{"kind", "op", "id", "doc"}``; every id
is deterministic, so replaying a file twice writes the same documents again and doubles nothing.

A replay never loses what a running crawl appends: it first *takes* a file by renaming it
(``….jsonl`` → ``….jsonl.<pid>.taken``), then waits for the file's lock, which every append holds
while it writes. An append that opened the file before the rename notices, once it holds the lock,
that its path now names another file (or none) and writes to a new file under the old name instead.
So a taken file is complete when it is read, and is deleted only after all its lines were written.
Replays are serialised by a lock file; a file taken by a replay that died is replayed next time.

The spool also keeps, per source, the crawl-state keys the last run knew (``keys/<source>.json``),
so a crawl that starts while Elasticsearch is down still skips what is stored and does not count it
as new again.
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
        lines = [json.dumps({"kind": kind, "op": op, "id": doc_id, "doc": doc}, ensure_ascii=False, default=str)
                 + "\n" for doc_id, doc in docs]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            with self.path.open("a", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                if not _still_named(fh.fileno(), self.path):
                    continue  # a replay took this file meanwhile: write to a fresh one under the name
                fh.writelines(lines)
                fh.flush()
                os.fsync(fh.fileno())
                break  # closing the file releases the lock
        self.count += len(lines)
        return len(lines)


def _still_named(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def pending_files(prefix: str) -> list[Path]:
    """Spool files not yet replayed: taken ones (from a replay that died) first, then the rest."""
    path = spool_dir(prefix)
    if not path.is_dir():
        return []
    return sorted(path.glob("*.taken")) + sorted(path.glob("*.jsonl"))


def _keys_file(prefix: str, source_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in source_id)
    return spool_dir(prefix) / "keys" / f"{safe}.json"


def remember_keys(prefix: str, source_id: str, seen: Mapping[str, bool]) -> None:
    """Keep the source's crawl-state keys (key -> complete) on disk for a crawl during an outage."""
    path = _keys_file(prefix, source_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(dict(seen), ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # atomic: a reader sees the old list or the new one, never half


def remembered_keys(prefix: str, source_id: str) -> dict[str, bool]:
    """The keys the last crawl of the source knew (empty when none was kept or the file is damaged)."""
    path = _keys_file(prefix, source_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("crawl-state key cache %s unreadable; ignored", path)
        return {}
    return {str(k): bool(v) for k, v in data.items()} if isinstance(data, dict) else {}


def pending_keys(prefix: str, source_id: str) -> set[str]:
    """Crawl-state keys already spooled for a source (so an outage does not refetch them)."""
    keys: set[str] = set()
    for path in pending_files(prefix):
        try:
            for record in _read(path):
                if record["kind"] == "crawl_state" and record["doc"].get("source_id") == source_id:
                    keys.add(record["doc"]["key"])
        except FileNotFoundError:
            continue  # taken by a replay meanwhile: its keys are being stored
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


def _take(path: Path) -> Path | None:
    """Rename a spool file out of its writers' way and wait until no append is still writing to it."""
    if path.suffix == ".taken":
        taken = path
    else:
        taken = path.with_name(f"{path.name}.{os.getpid()}.taken")
        try:
            path.rename(taken)
        except FileNotFoundError:
            return None
    try:
        with taken.open("a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # an append that started before the rename finishes first
    except FileNotFoundError:
        return None
    return taken


def replay(store: Store) -> int:
    """Write every spooled record to Elasticsearch; returns how many. Raises StorageUnavailable
    (keeping the files) when the node is still down."""
    total = 0
    if not pending_files(store.prefix):
        return 0
    with _lock(store.prefix):
        for path in pending_files(store.prefix):
            taken = _take(path)
            if taken is None:
                continue
            groups: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
            for record in _read(taken):
                # later lines win for the same id (e.g. a mention re-linked to an earlier original)
                groups.setdefault((record["kind"], record["op"]), {})[record["id"]] = record["doc"]
            # mentions first, then updates to them, then bookkeeping: a crash in between refetches, never loses
            order = sorted(groups, key=lambda k: (k[0] != "mentions", k[1] == "update", k[0] == "crawl_state"))
            for kind, op in order:
                docs = groups[(kind, op)]
                result = store.bulk(kind, docs.items(), op=op)
                if result.failed:
                    raise StorageError(f"replaying {taken.name}: {len(result.failed)} {kind} writes refused, "
                                       f"first: {result.failed[0]}")
                total += len(docs)
            taken.unlink()
            log.info("replayed spool %s", taken.name)
    if total:
        store.refresh("mentions", "crawl_state", "source_health")
    return total
