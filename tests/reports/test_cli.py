"""The report commands print the paths of the files they wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from yuqing.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def env(seeded_day: dict[str, Any], es_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("ES_URL", es_url)
    monkeypatch.setenv("YUQING_INDEX_PREFIX", seeded_day["store"].prefix)
    return seeded_day


def test_report_daily_and_incident_commands_print_the_written_paths(env: dict[str, Any], tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    now = "2026-11-21T08:00:00+08:00"
    assert main(["report", "daily", "--date", "2026-11-20", "--out", str(tmp_path), "--now", now]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / f"daily-2026-11-20.{f}") for f in ("html", "pdf", "docx")]
    assert all(Path(p).stat().st_size > 0 for p in printed)

    assert main(["report", "incident", env["rumour"].id, "--out", str(tmp_path), "--now", now]) == 0
    printed = capsys.readouterr().out.split()
    assert printed[0].endswith(f"incident-{env['rumour'].id}.html") and Path(printed[0]).exists()


def test_report_commands_reject_bad_input_in_one_line(env: dict[str, Any], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", "no-such-incident", "--out", str(tmp_path)]) == 2
    assert "事件不存在：'no-such-incident'" in capsys.readouterr().err
    assert main(["report", "stats", "--from", "2026-11-20", "--to", "2026-11-01", "--out", str(tmp_path)]) == 2
    assert main(["report", "daily", "--date", "20-11-2026"]) == 2  # a usage error: one line, exit 2
    assert "参数 --date：'20-11-2026' 不是日期" in capsys.readouterr().err
