"""DOCX output with python-docx (offices edit reports in Word); Chinese runs get an East Asian font."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document as new_docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph

from reports.fonts import DOCX_FONTS
from reports.render.doc import Bullets, Document, Figure, Link, Para, Span, Table, cell_spans, xml_safe

EAST_ASIA_FONT = DOCX_FONTS["body"]
HEADING_FONT = DOCX_FONTS["heading"]
TITLE_FONT = DOCX_FONTS["title"]
RED = RGBColor(0xC0, 0x00, 0x00)


def _east_asia(run_or_style: object, name: str) -> None:
    rpr = run_or_style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _hyperlink(paragraph: DocxParagraph, text: str, url: str) -> None:
    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "1A4FA0")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    rpr.append(color)
    rpr.append(underline)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = xml_safe(text)
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _spans(paragraph: DocxParagraph, spans: list[Span]) -> None:
    for s in spans:
        if isinstance(s, Link):
            if s.is_safe:
                _hyperlink(paragraph, s.text, s.url)
            else:
                paragraph.add_run(xml_safe(s.text))
        else:
            paragraph.add_run(xml_safe(s))


def _page_field(paragraph: DocxParagraph) -> None:
    """``— PAGE —``: Word fills in the page number."""
    paragraph.add_run("— ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    paragraph.add_run(" —")


def _a4(out: DocxDocument) -> None:
    """A4 with the margins of GB/T 9704, page numbers centred in the footer."""
    for section in out.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_field(footer)


def render_docx(document: Document) -> bytes:
    out = new_docx()
    _a4(out)
    normal = out.styles["Normal"]
    normal.font.size = Pt(12)
    _east_asia(normal, EAST_ASIA_FONT)
    for name in ("Heading 1", "Heading 2"):
        _east_asia(out.styles[name], HEADING_FONT)
    _east_asia(out.styles["Title"], TITLE_FONT)
    title = out.add_heading(document.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in title.runs:
        run.font.color.rgb = RED
    if document.masthead:
        for line in (document.issue_line, document.issuer_line):
            p = out.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(line)
    if document.subtitle:
        p = out.add_paragraph(document.subtitle)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in document.meta:
        p = out.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(line)
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
    for section in document.sections:
        out.add_heading(section.heading, level=1)
        for b in section.blocks:
            if isinstance(b, Para):
                _spans(out.add_paragraph(), b.spans)
            elif isinstance(b, Table):
                if b.caption:
                    out.add_paragraph().add_run(b.caption).bold = True
                table = out.add_table(rows=1, cols=len(b.columns))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, b.columns, strict=True):
                    cell.paragraphs[0].add_run(text).bold = True
                for row in b.rows:
                    cells = table.add_row().cells
                    for cell, value in zip(cells, row, strict=True):
                        _spans(cell.paragraphs[0], cell_spans(value))
                if b.widths:
                    total = sum(b.widths)
                    for column, weight in zip(table.columns, b.widths, strict=True):
                        for cell in column.cells:
                            cell.width = Cm(16 * weight / total)
            elif isinstance(b, Bullets):
                for item in b.items:
                    _spans(out.add_paragraph(style="List Bullet"), item)
            elif isinstance(b, Figure):
                out.add_picture(io.BytesIO(b.png), width=Cm(min(b.width_cm, 16)))
                cap = out.add_paragraph(b.caption)
                cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in document.closing_lines:
        out.add_paragraph(line)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def write_docx(document: Document, path: Path) -> None:
    path.write_bytes(render_docx(document))
