"""Finding a CJK font that really renders Chinese, for charts (matplotlib) and PDF (reportlab).

reportlab embeds only TrueType outlines, so the Noto CJK collections (CFF outlines) work for the
charts but not for the PDF; WenQuanYi Zen Hei (TrueType) works for both. Without any CJK font the
reports would print boxes instead of characters, so we fail with an instruction instead.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from pathlib import Path

from yuqing.errors import YuqingError

log = logging.getLogger(__name__)

# Checked before fc-list's answer, best first; YUQING_CJK_FONT names a file to prefer.
KNOWN_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]
# Simplified-Chinese faces first (the Noto collections also hold JP/KR/TC faces with other glyph shapes).
PREFERRED_FAMILIES = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                      "SimHei", "Microsoft YaHei"]
INSTALL_HINT = "install one, e.g. `apt-get install -y fonts-noto-cjk fonts-wqy-zenhei`, or set YUQING_CJK_FONT"


class FontMissing(YuqingError):
    """No installed font can render Chinese text."""

    kind_zh = "缺少中文字体"


def _fc_list() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})


@functools.cache
def candidate_fonts() -> tuple[str, ...]:
    """Font files that claim Chinese coverage, preferred first."""
    paths: list[str] = []
    if env := os.environ.get("YUQING_CJK_FONT"):
        paths.append(env)
    paths += [p for p in KNOWN_FONTS if Path(p).is_file()]
    paths += _fc_list()
    return tuple(dict.fromkeys(p for p in paths if Path(p).is_file()))


@functools.cache
def chart_font() -> str:
    """A font family matplotlib can use for Chinese labels (registering a font file if needed)."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in PREFERRED_FAMILIES:
        if family in known:
            return family
    for path in candidate_fonts():
        try:
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError) as exc:
            log.debug("matplotlib cannot use %s: %s", path, exc)
            continue
        return name
    raise FontMissing(f"no CJK font found for charts; {INSTALL_HINT}")


PDF_FONT = "YuqingCJK"

# The faces Chinese offices print official documents in (GB/T 9704): 仿宋 for the body, 方正小标宋 for
# the title, 黑体 for headings. Used when installed (TrueType outlines), else the CJK font above.
OFFICE_FAMILIES: dict[str, tuple[str, ...]] = {
    "body": ("FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋", "STFangsong", "华文仿宋"),
    "title": ("FZXiaoBiaoSong-B05S", "方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05", "方正小标宋"),
    "heading": ("SimHei", "黑体", "STHeiti", "华文黑体"),
}
# The names written into DOCX files (Word substitutes a face the reader lacks).
DOCX_FONTS = {"body": "仿宋", "title": "方正小标宋简体", "heading": "黑体"}


def _family_files(family: str) -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        out = subprocess.run(["fc-list", f":family={family}", "file"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})


def _register(name: str, path: str) -> bool:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    try:
        font = TTFont(name, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(name, path)
    except (TTFError, OSError, ValueError) as exc:
        log.debug("reportlab cannot use %s: %s", path, exc)
        return False
    if font.face.charToGlyph.get(ord("舆")) is None:
        return False
    pdfmetrics.registerFont(font)
    return True


@functools.cache
def pdf_fonts() -> dict[str, str]:
    """The registered reportlab font for each role (body, title, heading): the office face where
    installed, else the CJK font :func:`pdf_font` finds (so a missing 仿宋 never breaks the PDF)."""
    fallback = pdf_font()
    chosen: dict[str, str] = {}
    for role, families in OFFICE_FAMILIES.items():
        chosen[role] = fallback
        for family in families:
            if any(_register(f"{PDF_FONT}-{role}", path) for path in _family_files(family)):
                chosen[role] = f"{PDF_FONT}-{role}"
                log.debug("PDF %s font: %s", role, family)
                break
    return chosen


@functools.cache
def pdf_font() -> str:
    """Register a TrueType-outline CJK font with reportlab; return the registered name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for path in candidate_fonts():
        try:
            font = TTFont(PDF_FONT, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(PDF_FONT, path)
        except (TTFError, OSError, ValueError) as exc:
            log.debug("reportlab cannot use %s: %s", path, exc)
            continue
        if font.face.charToGlyph.get(ord("舆")) is None:
            continue
        pdfmetrics.registerFont(font)
        log.debug("PDF font: %s", path)
        return PDF_FONT
    raise FontMissing(f"no TrueType CJK font found for PDF output (CFF-only fonts cannot be embedded); {INSTALL_HINT}")
