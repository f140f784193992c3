"""Rendering one format-neutral :class:`~reports.render.doc.Document` to HTML, PDF and DOCX.

Reports are built once as a tree of sections and blocks holding plain (untrusted) text; each
renderer escapes for its own format, so no builder ever writes markup.
"""

from __future__ import annotations

from pathlib import Path

from reports.render.doc import Document


def write_all(document: Document, out_dir: Path, stem: str) -> dict[str, Path]:
    """Write ``<stem>.html``, ``.pdf`` and ``.docx`` into ``out_dir``; return format → path."""
    from reports.render.docx import write_docx
    from reports.render.html import write_html
    from reports.render.pdf import write_pdf

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"html": out_dir / f"{stem}.html", "pdf": out_dir / f"{stem}.pdf", "docx": out_dir / f"{stem}.docx"}
    write_html(document, paths["html"])
    write_pdf(document, paths["pdf"])
    write_docx(document, paths["docx"])
    return paths
