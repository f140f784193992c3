"""scripts/setup.sh's checks decide what it installs: they must hold under `set -euo pipefail`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from yuqing.paths import PROJECT_ROOT

CHECKS = PROJECT_ROOT / "scripts" / "setup-checks.sh"
BASH = shutil.which("bash")


def _fake_fc_list(bin_dir: Path, first_line: str, lines: int) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "fc-list"
    script.write_text(
        "#!/bin/sh\n"
        f"echo '{first_line}'\n"
        f"i=0; while [ $i -lt {lines} ]; do echo \"/usr/share/fonts/truetype/dejavu/DejaVuSans-$i.ttf: "
        "DejaVu Sans:style=Book\"; i=$((i+1)); done\n",
        encoding="utf-8",
    )
    script.chmod(0o755)


def _have_cjk_fonts(bin_dir: Path) -> str:
    """Run the check with only ``bin_dir`` (plus grep) on the PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    grep = shutil.which("grep")
    assert grep is not None
    if not (bin_dir / "grep").exists():
        (bin_dir / "grep").symlink_to(grep)
    env = {**os.environ, "PATH": str(bin_dir)}
    proc = subprocess.run(
        [BASH or "bash", "-c", f"set -euo pipefail; . '{CHECKS}'; if have_cjk_fonts; then echo yes; else echo no; fi"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    return proc.stdout.strip()


@pytest.mark.skipif(BASH is None, reason="bash not installed")
def test_installed_cjk_font_is_found_even_when_fc_list_prints_a_lot(tmp_path: Path) -> None:
    # The match comes first and the rest is far more than a pipe holds: a `fc-list | grep -q`
    # pipeline would kill fc-list with SIGPIPE and, under pipefail, report the font missing.
    _fake_fc_list(tmp_path / "bin", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc: Noto Sans CJK SC", 20000)
    assert _have_cjk_fonts(tmp_path / "bin") == "yes"


@pytest.mark.skipif(BASH is None, reason="bash not installed")
def test_missing_cjk_font_or_missing_fc_list_means_install(tmp_path: Path) -> None:
    _fake_fc_list(tmp_path / "bin", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf: DejaVu Serif", 10)
    assert _have_cjk_fonts(tmp_path / "bin") == "no"
    assert _have_cjk_fonts(tmp_path / "empty") == "no"


def test_setup_uses_the_checked_function() -> None:
    text = (PROJECT_ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert ". scripts/setup-checks.sh" in text and "have_cjk_fonts ||" in text
    assert "fc-list 2>/dev/null |" not in text
