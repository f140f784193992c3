"""The format-neutral report document: sections of paragraphs, tables, lists and figures.

Text here is plain and untrusted (it may quote crawled titles); renderers escape it. A
:class:`Link` carries a URL that renderers turn into a hyperlink only for http(s) targets.
"""

from __future__ import annotations

import dataclasses
from typing import Union


@dataclasses.dataclass(frozen=True)
class Link:
    text: str
    url: str

    @property
    def is_safe(self) -> bool:
        return self.url.startswith(("http://", "https://"))


Span = Union[str, Link]  # noqa: UP007 (a runtime alias used in isinstance-free code)
Cell = Union[str, Link, list[Span]]  # noqa: UP007


@dataclasses.dataclass
class Para:
    spans: list[Span]
    style: str = "normal"  # normal | note | lead


@dataclasses.dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    widths: list[float] | None = None  # relative column widths (PDF/DOCX); equal when None


@dataclasses.dataclass
class Bullets:
    items: list[list[Span]]


@dataclasses.dataclass
class Figure:
    png: bytes
    caption: str
    width_cm: float = 15.0


Block = Union[Para, Table, Bullets, Figure]  # noqa: UP007


@dataclasses.dataclass
class Section:
    heading: str
    blocks: list[Block] = dataclasses.field(default_factory=list)

    def add(self, block: Block) -> Section:
        self.blocks.append(block)
        return self


@dataclasses.dataclass(frozen=True)
class Masthead:
    """The head and foot of an issued report (简报/专报): issue number, issuing unit and date under the
    red title; the 签发 and distribution lines at the end."""

    issue: str  # 2026年第334期
    issuer: str  # 省人民政府办公厅舆情监测室
    date: str  # 2026年12月1日
    signer: str = ""  # 签发人
    distribution: str = ""  # 报送范围


@dataclasses.dataclass
class Document:
    title: str
    subtitle: str = ""
    meta: list[str] = dataclasses.field(default_factory=list)  # lines under the title
    sections: list[Section] = dataclasses.field(default_factory=list)
    masthead: Masthead | None = None

    @property
    def issue_line(self) -> str:
        return self.masthead.issue if self.masthead else ""

    @property
    def issuer_line(self) -> str:
        m = self.masthead
        return f"{m.issuer}编　　　　{m.date}" if m else ""

    @property
    def closing_lines(self) -> list[str]:
        m = self.masthead
        if m is None:
            return []
        lines = []
        if m.distribution:
            lines.append(f"报送：{m.distribution}")
        lines.append(f"签发：{m.signer}" if m.signer else "签发：")
        return lines

    def section(self, heading: str) -> Section:
        section = Section(heading)
        self.sections.append(section)
        return section


def cell_spans(cell: Cell) -> list[Span]:
    if isinstance(cell, list):
        return cell
    return [cell]


def plain(spans: list[Span] | Cell) -> str:
    """The text of spans without links (for alt texts and tests)."""
    items = spans if isinstance(spans, list) else [spans]
    return "".join(s.text if isinstance(s, Link) else s for s in items)


_XML_BAD = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])


def xml_safe(text: str) -> str:
    """Drop control characters that XML (DOCX, PDF markup) cannot carry; crawled text may hold them."""
    return text.translate(_XML_BAD)
