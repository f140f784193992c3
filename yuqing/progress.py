"""Progress of long work, shown on a terminal and nowhere else.

Domain code reports progress without knowing who watches::

    with progress(len(items), "研判") as p:
        for batch in batches:
            ...
            p.advance(len(batch))

Nothing is drawn unless the outermost program switched display on with :func:`enable` (the
``yuqing`` command line does, when stderr is a terminal or ``YUQING_PROGRESS=always``); in Airflow
tasks, tests and pipes every call is a no-op costing one attribute check. One line on stderr is
redrawn in place (at most ten times a second) and wiped when the work ends, so the command's own
output and error lines stay clean. Work with no known total shows its count and elapsed time; the
innermost running piece of work is the one shown.

Hand-written rather than rich/tqdm: neither is a declared dependency, the job is one line of text,
and ``yuqing --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO, TypeVar

T = TypeVar("T")

ENV = "YUQING_PROGRESS"  # always | never | auto (default: auto = only when stderr is a terminal)
BAR_WIDTH = 24
MIN_INTERVAL = 0.1  # seconds between redraws
QUIET_START = 0.5  # work with no known total is shown only once it has taken this long (no flashes)
TICK = 0.5  # an unchanging line is still redrawn this often, so elapsed time moves

_lock = threading.RLock()
_stream: TextIO | None = None  # where to draw; None: display off
_stack: list[Progress] = []
_ticker: threading.Thread | None = None
_drawn = False


def display_wanted(stream: TextIO, mode: str | None = None) -> bool:
    """Whether progress should be drawn on ``stream``: ``YUQING_PROGRESS`` (or ``mode``) always/never,
    otherwise only when it is a terminal."""
    mode = (mode or os.environ.get(ENV) or "auto").strip().lower()
    if mode in ("always", "1", "yes", "on", "true"):
        return True
    if mode in ("never", "0", "no", "off", "false"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Clearing:
    """A terminal's stdout/stderr that wipes the progress line before other text is written to it."""

    def __init__(self, wrapped: TextIO) -> None:
        self._wrapped = wrapped

    def write(self, text: str) -> int:
        clear()
        return self._wrapped.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._wrapped, name)


def enable(stream: TextIO | None = None, *, mode: str | None = None) -> bool:
    """Switch the display on for this process if wanted (see :func:`display_wanted`); returns whether it is.

    While it is on, ``print`` to a terminal's stdout or stderr first wipes the progress line."""
    global _stream
    target = stream if stream is not None else sys.stderr
    with _lock:
        _stream = target if display_wanted(target, mode) else None
        if _stream is not None:
            for name in ("stdout", "stderr"):
                current = getattr(sys, name)
                if not isinstance(current, _Clearing) and _isatty(current):
                    setattr(sys, name, _Clearing(current))
        return _stream is not None


def disable() -> None:
    """Switch the display off (wiping any line drawn)."""
    global _stream
    with _lock:
        clear()
        _stream = None
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if isinstance(current, _Clearing):
                setattr(sys, name, current._wrapped)


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def clear() -> None:
    """Wipe the progress line so that other text can be written to the same terminal."""
    global _drawn
    with _lock:
        if _drawn and _stream is not None:
            with contextlib.suppress(OSError, ValueError):
                _stream.write("\r\x1b[K")
                _stream.flush()
        _drawn = False


class Progress:
    """One piece of work: ``total`` units (None if unknown), advanced by :meth:`advance`."""

    def __init__(self, total: int | None, label: str) -> None:
        self.total = total if total is None or total >= 0 else 0
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        if _stream is not None:
            _redraw(self, force=self.total is not None and self.done >= self.total)

    def set_label(self, label: str) -> None:
        """Name the current step (e.g. a time step of the demo)."""
        self.label = label
        if _stream is not None:
            _redraw(self, force=True)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        clock = f"{int(elapsed // 60):02d}:{int(elapsed % 60):02d}"
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = int(share * BAR_WIDTH)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            return f"{self.label} {bar} {share:4.0%} {self.done}/{self.total} {clock}"
        count = f" {self.done}" if self.done else ""
        return f"{self.label}…{count} {clock}"


def _redraw(p: Progress, *, force: bool = False) -> None:
    global _drawn
    with _lock:
        if _stream is None or not _stack or _stack[-1] is not p:
            return
        now = time.monotonic()
        if not force and now - p._last_draw < MIN_INTERVAL:
            return
        if p.total is None and now - p.started < QUIET_START:
            return
        p._last_draw = now
        with contextlib.suppress(OSError, ValueError):
            _stream.write("\r\x1b[K" + p.line())
            _stream.flush()
            _drawn = True


def _tick() -> None:
    while True:
        time.sleep(TICK)
        with _lock:
            if not _stack:
                return
            top = _stack[-1]
        _redraw(top, force=True)


@contextlib.contextmanager
def progress(total: int | None, label: str) -> Iterator[Progress]:
    """Report progress of one piece of work (``total`` units, or None when unknown) under ``label``."""
    global _ticker
    p = Progress(total, label)
    if _stream is None:  # display off: the object still counts, nothing is drawn
        yield p
        return
    with _lock:
        _stack.append(p)
        if _ticker is None or not _ticker.is_alive():
            _ticker = threading.Thread(target=_tick, name="yuqing-progress", daemon=True)
            _ticker.start()
    _redraw(p, force=True)
    try:
        yield p
    finally:
        with _lock:
            if p in _stack:
                _stack.remove(p)
            clear()
            if _stack:
                _redraw(_stack[-1], force=True)


def batches(items: Sequence[T], size: int, label: str) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``, reporting each slice done when the next is asked for."""
    with progress(len(items), label) as p:
        for start in range(0, len(items), size):
            chunk = items[start:start + size]
            yield chunk
            p.advance(len(chunk))


def track(items: Iterable[T], total: int | None, label: str) -> Iterator[T]:
    """``items`` one by one, each reported done when the next is asked for."""
    with progress(total, label) as p:
        for item in items:
            yield item
            p.advance()
