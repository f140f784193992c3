"""HTML output through Jinja2 with autoescaping: crawled text always shows as text, never as markup."""

from __future__ import annotations

import base64
import functools
from pathlib import Path

import jinja2

from reports.render.doc import Bullets, Document, Figure, Link, Para, Table, cell_spans

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every {{ }} is escaped, whatever the file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        is_para=lambda b: isinstance(b, Para), is_table=lambda b: isinstance(b, Table),
        is_bullets=lambda b: isinstance(b, Bullets), is_figure=lambda b: isinstance(b, Figure),
        is_link=lambda s: isinstance(s, Link), cell_spans=cell_spans,
        data_uri=lambda png: "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
    )
    return env


def render_html(document: Document) -> str:
    return environment().get_template("report.html.j2").render(doc=document)


def write_html(document: Document, path: Path) -> None:
    path.write_text(render_html(document), encoding="utf-8")
