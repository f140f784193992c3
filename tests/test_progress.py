"""The progress line: drawn only when switched on, innermost work shown, wiped when the work ends."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from yuqing import progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTerminal]:
    monkeypatch.delenv(progress.ENV, raising=False)
    term = FakeTerminal()
    assert progress.enable(term)
    try:
        yield term
    finally:
        progress.disable()


def frames(term: FakeTerminal) -> list[str]:
    return [f for f in term.getvalue().replace("\x1b[K", "").split("\r") if f]


def test_nothing_is_drawn_unless_switched_on() -> None:
    with progress.progress(10, "研判") as p:
        p.advance(10)
    assert p.done == 10  # it still counts
    assert not progress.display_wanted(io.StringIO())  # not a terminal
    assert progress.display_wanted(io.StringIO(), "always")
    assert not progress.display_wanted(FakeTerminal(), "never")


def test_a_bar_counts_to_its_total_and_is_wiped_at_the_end(terminal: FakeTerminal) -> None:
    for _ in progress.batches(list(range(25)), 10, "研判"):
        pass
    shown = frames(terminal)
    assert shown[0].startswith("研判 ░") and "0/25" in shown[0]
    assert any("100% 25/25" in f and "█" * progress.BAR_WIDTH in f for f in shown)
    assert terminal.getvalue().endswith("\r\x1b[K")


def test_the_innermost_work_is_shown_and_the_outer_returns(terminal: FakeTerminal) -> None:
    with progress.progress(3, "采集") as outer:
        drawn = len(frames(terminal))
        with progress.progress(2, "抽取") as inner:
            outer.advance()  # covered by the inner work: not drawn
            inner.advance(2)
            while_inner = frames(terminal)[drawn:]
        outer.advance(2)
    assert while_inner and all(f.startswith("抽取") for f in while_inner)
    assert any("2/2" in f for f in while_inner)
    after = frames(terminal)[drawn + len(while_inner):]
    assert any(f.startswith("采集") and "1/3" in f for f in after)  # back on screen when the inner ends
    assert any(f.startswith("采集") and "3/3" in f for f in after)


def test_work_without_a_total_waits_before_showing(terminal: FakeTerminal) -> None:
    with progress.progress(None, "生成报告") as p:
        p.advance()
    assert frames(terminal) == []  # quicker than QUIET_START: no flash
