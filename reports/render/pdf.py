"""PDF output with reportlab and an embedded TrueType CJK font.

reportlab's Paragraph parses a small XML markup, so every piece of text is escaped before it goes
in (a title containing ``<b>`` or ``&`` must print as written, not break the layout or the run).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    HRFlowable,
    Image,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from reports.fonts import pdf_fonts
from reports.render.doc import Bullets, Document, Figure, Link, Para, Span, Table, cell_spans, xml_safe


def markup(spans: list[Span]) -> str:
    """reportlab Paragraph markup for spans: text escaped, http(s) links kept as links."""
    out: list[str] = []
    for s in spans:
        if isinstance(s, Link):
            text = escape(xml_safe(s.text))
            out.append(f'<a href={quoteattr(s.url)} color="#1a4fa0">{text}</a>' if s.is_safe else text)
        else:
            out.append(escape(xml_safe(s)))
    return "".join(out).replace("\n", "<br/>")


RED = colors.HexColor("#c00000")
# A4 with the margins of GB/T 9704 (official documents): top 3.7 cm, bottom 3.5, left 2.8, right 2.6.
MARGINS = {"topMargin": 3.7 * cm, "bottomMargin": 3.5 * cm, "leftMargin": 2.8 * cm, "rightMargin": 2.6 * cm}


def _styles(fonts: dict[str, str]) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=fonts["body"], fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontName=fonts["title"], fontSize=22, leading=30,
                                alignment=TA_CENTER, textColor=RED, spaceAfter=6),
        "issue": ParagraphStyle("issue", parent=base, fontSize=12, leading=18, alignment=TA_CENTER),
        "issuer": ParagraphStyle("issuer", parent=base, fontSize=12, leading=18, alignment=TA_CENTER),
        "closing": ParagraphStyle("closing", parent=base, fontSize=10.5, leading=16),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=18, alignment=TA_CENTER),
        "meta": ParagraphStyle("meta", parent=base, fontSize=9, alignment=TA_CENTER, textColor=colors.grey),
        "h2": ParagraphStyle("h2", parent=base, fontName=fonts["heading"], fontSize=14, leading=20, spaceBefore=12,
                             spaceAfter=6),
        "normal": ParagraphStyle("normal", parent=base, spaceAfter=4),
        "lead": ParagraphStyle("lead", parent=base, fontSize=11, leading=17, spaceAfter=4),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=12, textColor=colors.grey),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11.5),
        "head": ParagraphStyle("head", parent=base, fontSize=8.5, leading=11.5),
        "caption": ParagraphStyle("caption", parent=base, fontSize=9, alignment=TA_CENTER, textColor=colors.grey),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=2, spaceAfter=2),
    }


def _table(block: Table, st: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    data = [[Paragraph(escape(xml_safe(c)), st["head"]) for c in block.columns]]
    data += [[Paragraph(markup(cell_spans(c)), st["cell"]) for c in row] for row in block.rows]
    weights = block.widths or [1.0] * len(block.columns)
    table = LongTable(data, colWidths=[width * w / sum(weights) for w in weights], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    flow: list[Flowable] = []
    if block.caption:
        flow.append(Paragraph(escape(block.caption), st["normal"]))
    flow += [table, Spacer(1, 6)]
    return flow


def page_numbers(font: str) -> Callable[[Canvas, SimpleDocTemplate], None]:
    """``— 1 —`` centred at the foot of every page, as official documents number their pages."""

    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 11)
        canvas.drawCentredString(A4[0] / 2, 2.2 * cm, f"— {canvas.getPageNumber()} —")
        canvas.restoreState()

    return draw


def render_pdf(document: Document) -> bytes:
    fonts = pdf_fonts()
    st = _styles(fonts)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, **MARGINS, title=document.title, author="Yuqing Watch 舆情监测与回应")
    story: list[Flowable] = [Paragraph(escape(document.title), st["title"])]
    if document.masthead:
        story.append(Paragraph(escape(document.issue_line), st["issue"]))
        story.append(Paragraph(escape(document.issuer_line), st["issuer"]))
        story.append(HRFlowable(width="100%", thickness=2, color=RED, spaceBefore=4, spaceAfter=8))
    if document.subtitle:
        story.append(Paragraph(escape(document.subtitle), st["subtitle"]))
    story += [Paragraph(escape(line), st["meta"]) for line in document.meta]
    for section in document.sections:
        story.append(Paragraph(escape(section.heading), st["h2"]))
        for b in section.blocks:
            if isinstance(b, Para):
                story.append(Paragraph(markup(b.spans), st.get(b.style, st["normal"])))
            elif isinstance(b, Table):
                story += _table(b, st, doc.width)
            elif isinstance(b, Bullets):
                story += [Paragraph(markup(item), st["bullet"], bulletText="•") for item in b.items]
            elif isinstance(b, Figure):
                img = Image(io.BytesIO(b.png))
                scale = min(b.width_cm * cm, doc.width) / img.imageWidth
                img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
                story += [img, Paragraph(escape(b.caption), st["caption"]), Spacer(1, 6)]
    if document.closing_lines:
        story.append(HRFlowable(width="100%", thickness=0.8, color=colors.black, spaceBefore=12, spaceAfter=4))
        story += [Paragraph(escape(line), st["closing"]) for line in document.closing_lines]
    doc.build(story, onFirstPage=page_numbers(fonts["body"]), onLaterPages=page_numbers(fonts["body"]))
    return buf.getvalue()


def write_pdf(document: Document, path: Path) -> None:
    path.write_bytes(render_pdf(document))
