"""Turning fetched bytes into fields: encoding, canonical URLs, selector and main-text extraction.

Pure functions with no network and no Scrapy: the spiders, ``yuqing extract`` and the extraction
evaluation all call the same code, so what the evaluation measures is what the crawler stores.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as dt
import html
import logging
import re
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector, SelectorList

from crawlers.dates import context_year, find_date, find_month, parse_date
from yuqing.config.sources import Selectors

log = logging.getLogger(__name__)

# --- encoding -------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn", "hz-gb-2312"}


def normalise_encoding(label: str | None) -> str | None:
    """A Python codec name for a declared label, or ``None`` when Python does not know it."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _GB_FAMILY:
        return "gb18030"  # the superset: GBK/GB2312 pages often use characters beyond their table
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _label(label: str) -> str:
    low = label.lower()
    if low in ("gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn"):
        return "gbk" if low in ("cp936", "x-gbk") else ("gb2312" if low == "euc-cn" else low)
    name = normalise_encoding(low)
    return "utf-8" if name == "utf-8" else (name or low)


def _charset_from_header(content_type: str | None) -> str | None:
    if content_type and (m := re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", content_type, re.I)):
        return m.group(1)
    return None


def _strict(body: bytes, codec: str) -> str | None:
    """``body`` decoded as ``codec``, or None when some byte does not fit (or the codec is unknown)."""
    try:
        return body.decode(codec, errors="strict")
    except (UnicodeDecodeError, LookupError):
        return None


BROKEN_SHARE = 0.01  # at most this share of broken characters still counts as the declared charset


def _common_chars(text: str) -> int:
    """Characters of GB2312's first level (the 3,755 most common hanzi) and ASCII letters: a misaligned
    double-byte decoding yields rare characters instead."""
    count = 0
    for ch in text:
        if ch.isascii():
            count += ch.isalnum()
            continue
        with contextlib.suppress(UnicodeEncodeError):
            count += 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
    return count


def _resync(exc: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: replace a broken byte and go on from whichever of the next two offsets
    reads as ordinary text (a broken lead byte in a double-byte charset would otherwise shift every
    following character by one byte)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data, start = exc.object, exc.start
    best, best_score = start + 1, -1
    for skip in (1, 2):
        window = data[start + skip:start + skip + 80].decode(exc.encoding, errors="replace")
        score = _common_chars(window) - 5 * window.count("\ufffd")
        if score > best_score:
            best, best_score = start + skip, score
    return "\ufffd", min(best, len(data))


codecs.register_error("yuqing-resync", _resync)


def _mostly_decodes(body: bytes, codec: str) -> bool:
    """Whether ``body`` decodes as ``codec`` with at most :data:`BROKEN_SHARE` replacement characters."""
    try:
        text = body.decode(codec, errors="yuqing-resync")
    except LookupError:
        return False
    broken = text.count("\ufffd") - body.decode(codec, errors="ignore").count("\ufffd")
    return broken <= max(1, BROKEN_SHARE * len(text))


def decode_html(body: bytes, content_type: str | None = None, forced: str | None = None) -> tuple[str, str]:
    """``(text, encoding label)``: trust a forced/header/BOM/meta declaration when the bytes agree,
    otherwise try UTF-8, then GB18030, then statistical detection, and only then decode lossily."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace"), "utf-8"
    if forced and (codec := normalise_encoding(forced)) and (text := _strict(body, codec)) is not None:
        return text, _label(forced)
    # Valid UTF-8 with non-ASCII bytes is almost never GBK text, while GB18030 decodes nearly any
    # bytes: a page that declares a GB charset but is UTF-8 is read as UTF-8.
    if not body.isascii() and (text := _strict(body, "utf-8")) is not None:
        return text, "utf-8"
    declared: list[str] = []
    if header := _charset_from_header(content_type):
        declared.append(header)
    if match := _META_CHARSET.search(body[:4096]):
        declared.append(match.group(1).decode("ascii", "ignore"))
    for label in declared:
        codec = normalise_encoding(label)
        if codec and (text := _strict(body, codec)) is not None:
            return text, _label(label)
    for codec, label in (("utf-8", "utf-8"), ("gb18030", "gb18030")):
        if (text := _strict(body, codec)) is not None:
            if declared:
                log.debug("declared encoding %s does not fit the bytes; decoded as %s", declared[0], label)
            return text, label
    # The declaration is right but a few bytes are broken (a truncated character, a stray byte from a
    # template): decode as declared with the broken bytes replaced, rather than letting statistics guess.
    for label in declared:
        codec = normalise_encoding(label)
        if codec and _mostly_decodes(body, codec):
            return body.decode(codec, errors="yuqing-resync"), _label(label)
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is not None and best.encoding:
        return str(best), _label(best.encoding)
    codec = normalise_encoding(declared[0]) if declared else None
    return body.decode(codec or "utf-8", errors="replace"), _label(codec or "utf-8")


# --- fetched pages --------------------------------------------------------------------------------


@dataclasses.dataclass(repr=False)
class FetchedPage:
    """A fetched page whose decoding and extraction are left to the item pipeline, which runs them in
    the crawl's write process when it has one (:mod:`crawlers.writer`): the reactor thread that
    fetches every page then only hands the bytes on. ``build`` names the spider method that turns the
    decoded page into items (``build(text, encoding, fetched)``, reading its own ``args``); ``key``
    and ``was_seen`` are read where the spider's incremental state is (the reactor), not in the
    writer's copy."""

    url: str
    body: bytes
    content_type: str
    requested: str  # the URL asked for, before redirects (a redirect to a login page is told by it)
    start: bool
    key: str
    was_seen: bool
    build: str
    args: dict[str, Any]

    def __repr__(self) -> str:  # Scrapy logs items; a page's bytes would fill the log
        return f"<FetchedPage {self.url}>"


def detach(entry: Selector) -> str:
    """A list entry as HTML, to travel with its article's page (a Selector holds the whole list page's
    tree and cannot go to another process); :class:`ListEntry` parses it back."""
    return entry.get()


class ListEntry:
    """The list entry :func:`detach` gave, parsed back the first time a field falls back to it: most
    article pages give every field themselves, and then it is never parsed. It selects as the entry
    did on the list page: libxml2 keeps a lone ``<tr>``, ``<td>`` or ``<li>`` where it stands, so the
    element is the first in body (or head)."""

    def __init__(self, fragment: str) -> None:
        self.fragment = fragment
        self._selector: Selector | None = None

    @property
    def selector(self) -> Selector:
        if self._selector is None:
            sel = Selector(text=self.fragment, type="html")
            found = sel.xpath("/html/body/*[1] | /html/head/*[1]")
            self._selector = found[0] if found else sel
        return self._selector

    def xpath(self, query: str) -> SelectorList[Selector]:
        return self.selector.xpath(query)

    def css(self, query: str) -> SelectorList[Selector]:
        return self.selector.css(query)


Selectable: TypeAlias = "Selector | ListEntry"  # what select_text reads: a page, a list entry


# --- URLs -----------------------------------------------------------------------------------------

_TRACKING = re.compile(
    r"^(utm_\w+|spm|from|fromsource|share\w*|isappinstalled|fbclid|gclid|yclid|mc_cid|mc_eid|"
    r"scene|srcid|clicktime|enterid|wfr|_t|timestamp|ref|refer|referer|source|vd_source|sharesource)$",
    re.IGNORECASE,
)


def canonical_url(url: str, base: str | None = None) -> str:
    """The URL that identifies a page: absolute, lower-case scheme and host, no default port, no
    fragment, no tracking parameters (utm_*, spm, from, share…), remaining parameters sorted."""
    url = html.unescape(url.strip())
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


# --- HTML fields ----------------------------------------------------------------------------------

_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
          "table", "blockquote", "pre", "ul", "ol", "dd", "dt"}
_SKIP = {"script", "style", "noscript", "template", "iframe"}


def element_text(node: Any) -> str:
    """Visible text of an lxml element, with line breaks at block boundaries.

    Iterative (an explicit stack, not recursion), so a page nested thousands of levels deep is read
    like any other instead of exhausting Python's recursion limit."""
    out: list[str] = []
    # (element, entering): entering emits the opening break and text, then schedules the children and
    # the element's own exit; exit emits the closing break and the tail (except the root's tail).
    stack: list[tuple[Any, bool]] = [(node, True)]
    while stack:
        el, entering = stack.pop()
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if entering:
            if tag in _SKIP:
                if el is not node and el.tail:
                    out.append(el.tail)
                continue
            if tag in _BLOCK:
                out.append("\n")
            if isinstance(el.tag, str) and el.text:
                out.append(el.text)
            stack.append((el, False))
            stack.extend((child, True) for child in reversed(el))
        else:
            if tag in _BLOCK:
                out.append("\n")
            if el is not node and el.tail:
                out.append(el.tail)
    return clean_text("".join(out))


_SPACES = re.compile(r"[ \t\u3000\xa0\r\f\v]+")  # never a line break: runs stay inside one line


def clean_text(text: str) -> str:
    """Collapse spaces (ASCII and full-width) inside lines and drop empty lines."""
    lines = (line.strip() for line in _SPACES.sub(" ", text).split("\n"))
    return "\n".join(line for line in lines if line)


def _is_xpath(expr: str) -> bool:
    return expr.startswith(("/", "(", "./"))


def select_text(sel: Selectable, expr: str | None) -> str | None:
    """Text for one selector: ``::text``/``::attr()`` values joined, or the text of matched elements."""
    if not expr:
        return None
    try:
        found = sel.xpath(expr) if _is_xpath(expr) else sel.css(expr)
    except (ValueError, SyntaxError) as exc:  # a bad selector in config (cssselect raises SyntaxError kin)
        log.warning("bad selector %r: %s", expr, exc)
        return None
    parts: list[str] = []
    for item in found:
        root = item.root
        parts.append(element_text(root) if hasattr(root, "tag") else str(root))
    text = clean_text("\n".join(parts))
    return text or None


def select_on_page(sel: Selectable | None, context: Selectable | None, expr: str | None) -> str | None:
    """Text for one selector on an article page, or failing that on its list entry (``context``)."""
    value = select_text(sel, expr) if sel is not None else None
    if value is None and context is not None:
        value = select_text(context, expr)
    return value


def select_all(sel: Selector, expr: str) -> list[Selector]:
    return list(sel.xpath(expr) if _is_xpath(expr) else sel.css(expr))


_PUBLISHER = re.compile(r"(?:来源|稿源|来自|文章来源|信息来源)\s*[:：]\s*([^\s|<>　]{2,30})")
_AUTHOR = re.compile(
    r"(?:作者\s*[:：]\s*|作者\s+|(?:记者|撰稿|通讯员)\s*[:：]?\s*)([\u4e00-\u9fa5]{2,4}(?:[、，,][\u4e00-\u9fa5]{2,4})*)(?![\u4e00-\u9fa5])"
    r"|(?:作者|posted by|Posted by)\s*[:：]?\s*([A-Za-z][\w.-]{2,30})(?![\w.=-])"
    r"|由\s*([^\s@，。]{2,12}?)\s*(?:张贴|发表|发布)\s*[@于]"
)
_META_DATE_NAMES = ("article:published_time", "pubdate", "publishdate", "publish_date", "og:release_date",
                    "firstpublishedtime", "datepublished", "date", "dc.date", "weibo:article:create_at")


@dataclasses.dataclass
class Extracted:
    title: str = ""
    text: str = ""
    published_at: dt.datetime | None = None
    author: str | None = None
    publisher: str | None = None
    encoding: str | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "text": self.text,
                "published_at": self.published_at.isoformat() if self.published_at else None,
                "author": self.author, "publisher": self.publisher, "source": self.publisher,
                "encoding": self.encoding, "extra": self.extra}


def _meta_date(sel: Selector, now: dt.datetime) -> dt.datetime | None:
    for meta in sel.css("meta"):
        name = (meta.attrib.get("name") or meta.attrib.get("property") or meta.attrib.get("itemprop") or "").lower()
        if name in _META_DATE_NAMES and (found := parse_date(meta.attrib.get("content"), now)) is not None:
            return found
    return None


_TITLE_SEPARATORS = re.compile(r"\s*(?:[-_|｜—»]+|\s-\s)\s*")


def _title(sel: Selector) -> str:
    """The headline of a page without a title selector: <h1>, page metadata, or the <title> without
    its site suffix (preferring a heading on the page that matches it)."""
    for expr in ("h1", "meta[property='og:title']::attr(content)", "meta[name='ArticleTitle']::attr(content)"):
        if (text := select_text(sel, expr)) and not _SITE_NAME.fullmatch(first := text.split("\n")[0].strip()):
            return first
    full = (select_text(sel, "title::text") or "").strip()
    headings = [element_text(node.root).split("\n")[0].strip()
                for expr in ("h2", "h3", "[class*=title]") for node in select_all(sel, expr)]
    for heading in headings:
        if heading and len(heading) >= 4 and full.startswith(heading):
            return heading
    parts = [p for p in _TITLE_SEPARATORS.split(full) if p and not _SITE_NAME.fullmatch(p)]
    if len(parts) <= 1:
        return parts[0] if parts else ("" if _SITE_NAME.fullmatch(full) else full)
    # the site's name is the shorter part (a Chinese character weighs two Latin letters:
    # "Joel on Software - 给计算机系学生的建议")
    return max(parts, key=_weight)


_SITE_NAME = re.compile(r"(?:https?://)?(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/?")  # blog.example.com


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _weight(text: str) -> int:
    return len(text) + len(re.findall(r"[\u4e00-\u9fff]", text))


def locate_text(lines: list[str], text: str) -> int | None:
    """The page line where the main text starts. Compared without whitespace (extractors join and
    split lines differently); a page line that is the start of the text's first line also counts
    (an extractor that folded the headline or the byline into the text's first line)."""
    first = next((_squeeze(ln) for ln in text.split("\n") if len(_squeeze(ln)) >= 4), "")
    if not first:
        return None
    head = first[:20]
    for i, line in enumerate(lines):
        squeezed = _squeeze(line)
        if head in squeezed:
            return i
        if len(squeezed) >= 4 and first.startswith(squeezed) and i + 1 < len(lines):
            following = _squeeze(lines[i + 1])[:10]  # the next page line continues the text's first line
            if following and first[len(squeezed):].startswith(following):
                return i
    return None


def _drop_prefix(line: str, squeezed_prefix: str) -> str:
    """``line`` without its first characters that make ``squeezed_prefix`` (whitespace not counted)."""
    count = 0
    for i, ch in enumerate(line):
        if count == len(squeezed_prefix):
            return line[i:].strip()
        if not ch.isspace():
            count += 1
    return ""


def peel_folded_lines(text: str, page_lines: list[str], title: str, now: dt.datetime) -> tuple[str, list[str]]:
    """Extractors fold the headline and the byline (作者、译者、the date) into the text's first line when
    the page writes them in one block with the text: peel those page lines off its start."""
    squeezed_page = [(line.strip(), _squeeze(line)) for line in page_lines]
    peeled: list[str] = []
    lines = text.split("\n")
    k = 0
    while k < min(len(lines), 4):  # the first lines only (a masthead line may come first)
        first = _squeeze(lines[k])
        best = max(((line, sq) for line, sq in squeezed_page
                    if 2 <= len(sq) < len(first) and first.startswith(sq)
                    and (line == title.strip() or _is_byline(line, now) or _BREADCRUMB.match(line))),
                   key=lambda pair: len(pair[1]), default=None)
        if best is None:
            k += 1
            continue
        peeled.append(best[0])
        lines[k] = _drop_prefix(lines[k], best[1])
        if not lines[k]:
            lines.pop(k)
    return "\n".join(lines), peeled


def _heading_like(line: str) -> bool:
    words = line.split()
    return (4 <= len(line) <= 80 and len(re.findall(r"[\u4e00-\u9fff]", line)) >= 4 and "|" not in line
            and not (len(words) >= 3 and all(len(w) <= 4 for w in words))  # a row of menu items
            and not re.search(r"[。，；]", line) and not _BREADCRUMB.match(line)
            and not _FURNITURE.match(line) and not _META_LABEL.search(line) and not _COPYRIGHT.search(line)
            and not re.fullmatch(r"(?:\[[^\]]*\]\s*)+", line)  # [查看目录] [加入书签]
            and not re.search(r"[>»]", line)  # a path: 世艺网>艺术教育
            and parse_date(line, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) is None)


def _first_prose(text: str, now: dt.datetime) -> str:
    """The text from its first line of prose on (a sentence mark, or 15+ characters, not a byline):
    where the article's words start, after a headline, a byline or an author's name kept above them."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if ((re.search(r"[。！？；!?，]", line) or len(_squeeze(line)) >= 40) and not _is_byline(line, now)):
            return "\n".join(lines[i:])
    return text


def _title_above_text(page_text: str, text: str, fallback: str) -> str:
    """On a page with no <h1>, the <title> is often the site's, channel's or blog's name: the headline
    is then the heading-like line just above the main text (bylines and dates skipped). The <title>'s
    own headline wins when it is written there too."""
    lines = [line.strip() for line in page_text.split("\n")]
    first = next((ln for ln in text.split("\n") if len(ln) >= 4), "")[:20]
    start = locate_text(lines, _first_prose(text, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    if start is None:
        return fallback
    above = lines[max(0, start - 6):start + 1]
    if fallback and _heading_like(fallback) and any(line == fallback or (fallback in line and _heading_like(line))
                                                    for line in above):
        return fallback  # the <title>'s headline is written as a heading above the text
    body_lines = [line for line in text.split("\n") if not _BREADCRUMB.match(line) and len(_squeeze(line)) >= 4]
    if len(body_lines) > 2 and len(body_lines[0]) <= 40 and _heading_like(body_lines[0]):
        return body_lines[0]  # the main text starts with its headline
    text_first = next((ln for ln in text.split("\n") if len(_squeeze(ln)) >= 4), "")
    folded = locate_text(lines, text)
    squeezed_start = _squeeze(lines[folded]) if folded is not None else ""
    if (folded is not None and 4 <= len(lines[folded]) <= 80 and len(squeezed_start) < len(_squeeze(text_first))
            and _squeeze(text_first).startswith(squeezed_start) and not _SENTENCE.search(lines[folded])
            and (_heading_like(lines[folded])
                 or _is_byline(_drop_prefix(text_first, squeezed_start), dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))):
        return lines[folded]  # the headline folded into the text's first line (its byline or its text after it)
    first_line = lines[start]
    if first_line.startswith(first) is False and _heading_like(first_line.split(first)[0].strip()):
        return first_line.split(first)[0].strip()  # the headline and the text share one line
    for line in reversed(above[:-1]):
        cleaned = re.sub(r"\s*(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}.*$", "", line).strip()
        if _heading_like(cleaned):
            return cleaned
    return fallback


_BREADCRUMB = re.compile(r"^(当前位置|您的位置|您现在的位置|所在位置|位置)\s*[:：]")
_META_TABLE = re.compile(
    r"^\|.*(索引号|文\s*号|发文日期|发布机构|发文机关|成文日期|主题分类|标\s*题)\s*[:：]|^\|[-|\s]+\|$"
)
_META_LABEL = re.compile(r"(来源|作者|记者|编辑|发布|时间|日期|阅读|浏览|点击|字号|发表于|来自|张贴|^\s*译者?\s*[:：])")
_POSTED = re.compile(r"(发表于|发布于|发布时间|发表时间|发布日期|更新时间|张贴|[Pp]osted"
                     r"|(?<![\u4e00-\u9fff])(时间|日期)\s*[:：])")
_TAIL_LABEL = re.compile(r"^[【\[(（]?\s*(责任编辑|编辑|审核|校对|责编|监制|值班编辑)\s*[:：]")


def _is_byline(line: str, now: dt.datetime) -> bool:
    """A short line of page furniture (time, 来源, 作者, 阅读数), not a sentence of the text."""
    if len(line) > 60 or any(p in line for p in "，。；！？"):
        return False
    return bool(_META_LABEL.search(line)) or parse_date(line, now) is not None


def strip_meta_lines(text: str, title: str) -> tuple[str, list[str], list[str]]:
    """Main-text extractors often keep the headline and the byline (time, 来源, 作者) at the top and the
    editor's line at the bottom: drop them from the text, and return the lines dropped above the text
    and those dropped below it (for date-finding: a byline under the headline comes first)."""
    meta: list[str] = []
    lines: list[str] = []
    for line in text.split("\n"):
        # breadcrumbs, a repeated headline and portal metadata tables (rendered as "| 索引号： | …"); only
        # short lines: a page whose whole body sits in one cell after the breadcrumb keeps its body
        short = len(line) <= 120
        if (short and (_BREADCRUMB.match(line) or _META_TABLE.match(line))) or (
                title and line.strip() == title.strip() and lines):
            meta.append(line)
            continue
        lines.append(line)
    reference = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # only "is there a date" matters here
    while lines and (lines[0].strip() == title.strip() or _is_byline(lines[0], reference)):
        meta.append(lines.pop(0))
    tail: list[str] = []
    while lines and ((len(lines[-1]) <= 40 and _TAIL_LABEL.match(lines[-1]))
                     or (len(lines) > 1 and _is_byline(lines[-1], reference) and _META_LABEL.search(lines[-1])
                         and parse_date(lines[-1], reference) is not None)):
        tail.insert(0, lines.pop())  # the editor's line, or a byline (time and 来源/作者) below the text
    return "\n".join(lines), meta, tail


def _date_near_title(page_text: str, title: str, text: str, meta_lines: list[str],
                     now: dt.datetime, url: str | None = None, tail_lines: list[str] | None = None,
                     ) -> dt.datetime | None:
    """The publish time on a page without a time selector: the byline around the headline first
    (relative and year-less forms allowed there; a year-less one takes the page's own year), then the
    first full date anywhere before the text, then a byline just below the text (blogs and forums put
    发表于 there), then an issue month at the end of the text (``——《刊名》1998年3月号``)."""
    lines = page_text.split("\n")
    year = context_year(url, page_text, now)
    start = next((i for i, line in enumerate(lines) if title and title in line), None)
    located = locate_text(lines, _first_prose(text, now))
    end = len(lines) if located is None else located
    zone: list[str] = list(meta_lines)
    if start is not None:
        zone += lines[start + 1:min(end, start + 6)] + lines[max(0, start - 2):start]
    zone += tail_lines or []
    for line in zone:
        if line.strip() != title.strip() and _is_byline(line, now) and (
                found := parse_date(line, now, year=year)) is not None:
            return found
    before = "\n".join(lines[:end]) if end < len(lines) else page_text
    if (found := find_date(before, now, year=year)) is not None:
        return found
    for line in text.split("\n"):  # an entry's byline kept inside the text (a blog's 发表于 line)
        if _is_byline(line, now) and _POSTED.search(line) and (found := find_date(line, now, year=year)):
            return found
    tail = text.split("\n")[-1][-20:]
    after = next((i for i in range(len(lines) - 1, -1, -1) if tail and tail in lines[i]), None)
    if after is not None:
        for line in lines[after + 1:after + 4]:
            if len(line) <= 80 and _META_LABEL.search(line) and (found := find_date(line, now, year=year)):
                return found
    return find_month("\n".join(text.split("\n")[-3:]))


# --- main text ------------------------------------------------------------------------------------

MAX_DEPTH = 80  # deeper wrappers are unwrapped before extraction (libxml2 silently cuts trees at 256)
_SENTENCE = re.compile(r"[。！？；!?]")
_CONTAINERS = {"div", "td", "th", "tr", "tbody", "table", "ul", "ol", "li", "dl", "dd", "dt", "p", "span",
               "font", "center", "nav", "section", "aside", "header", "footer", "form", "b", "strong", "h5", "h6"}
_DROP = {"script", "style", "noscript", "template", "iframe", "select", "option", "button", "textarea"}


_STRUCTURE = {"p", "br", "a", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "tbody", "tr", "td",
              "th", "img", "pre", "html", "head", "body", "title", "meta"}


_TAG_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr"}
DEEP_MARKUP = 400  # nesting at which the markup itself is rewritten before parsing


def _markup_depth(page: str) -> int:
    depth = deepest = 0
    for match in _TAG_TOKEN.finditer(page):
        tag = match.group(2).lower()
        if tag in _VOID or match.group(3):
            continue
        depth = max(0, depth - 1) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def shallow_html(page: str, limit: int = MAX_DEPTH) -> str:
    """The page with wrapper tags nested deeper than ``limit`` left out (their content kept), when its
    markup nests more than :data:`DEEP_MARKUP` levels: HTML parsers silently cut such trees (libxml2
    at 256 or 2048 levels) and lose the text below. A single left-to-right pass, no recursion."""
    if page.count("<") < DEEP_MARKUP or _markup_depth(page) <= DEEP_MARKUP:
        return page
    out: list[str] = []
    stack: list[tuple[str, bool]] = []
    kept = 0  # open elements that were kept
    pos = 0
    for match in _TAG_TOKEN.finditer(page):
        out.append(page[pos:match.start()])
        pos = match.end()
        closing, tag = bool(match.group(1)), match.group(2).lower()
        if tag in _VOID or match.group(3):
            out.append(match.group(0))
            continue
        if not closing:
            keep = kept < limit or (tag in _STRUCTURE and kept < 3 * limit)
            stack.append((tag, keep))
            if keep:
                kept += 1
                out.append(match.group(0))
            continue
        # pop to the matching opening tag (browsers close what is left open)
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] == tag:
                keep = stack[i][1]
                kept -= sum(k for _, k in stack[i:])
                del stack[i:]
                if keep:
                    out.append(match.group(0))
                break
    out.append(page[pos:])
    return "".join(out)


def _parse_tree(page: str) -> Any:
    """The page as an lxml tree, however deeply nested (huge_tree), without comments."""
    import lxml.html

    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
    root = lxml.html.document_fromstring(page or "<html></html>", parser=parser)
    return root


def _flatten(root: Any, limit: int = MAX_DEPTH) -> int:
    """Unwrap elements nested deeper than ``limit`` (their text and children move up), iteratively:
    plain wrappers (div, span, font…) first, and anything still too deep after that. Returns how many
    elements were unwrapped."""
    dropped = 0
    for structural_too in (False, True):
        depth: dict[Any, int] = {}
        deep: list[Any] = []
        for el in root.iter():
            parent = el.getparent()
            d = depth.get(parent, 0) + 1 if parent is not None else 0
            depth[el] = d
            if d > limit and isinstance(el.tag, str) and (structural_too or el.tag not in _STRUCTURE):
                deep.append(el)
        if structural_too and max(depth.values(), default=0) <= 2 * limit:
            break
        for el in reversed(deep):  # deepest first, so every drop keeps its children in place
            if el.getparent() is not None:
                el.drop_tag()
        dropped += len(deep)
    return dropped


def _prune_boilerplate(root: Any) -> None:
    """Remove navigation and link lists (mostly link text, no sentence), calendar tables and
    unrenderable elements: the furniture of table-layout portals that main-text extractors keep."""
    text_len: dict[Any, int] = {}
    link_len: dict[Any, int] = {}
    punct: dict[Any, int] = {}
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    for el in elements:
        if el.tag in _DROP:
            text_len[el] = link_len[el] = punct[el] = 0
    for el in reversed(elements):  # children before parents
        if el.tag in _DROP:
            continue
        own = "".join(ch for ch in (el.text or "") if not ch.isspace())
        t = text_len.get(el, 0) + len(own)
        is_link = el.tag == "a" and bool(el.get("href"))  # not a named anchor wrapping the text
        p = punct.get(el, 0) + (0 if is_link else len(_SENTENCE.findall(own)))
        lk = t if is_link else link_len.get(el, 0)
        text_len[el], punct[el], link_len[el] = t, p, lk
        parent = el.getparent()
        if parent is not None:
            tail = "".join(ch for ch in (el.tail or "") if not ch.isspace())
            text_len[parent] = text_len.get(parent, 0) + t + len(tail)
            link_len[parent] = link_len.get(parent, 0) + lk
            punct[parent] = punct.get(parent, 0) + p + len(_SENTENCE.findall(tail))
    doomed: list[Any] = []
    skip: set[Any] = set()
    for el in elements:
        parent = el.getparent()
        if parent in skip:
            skip.add(el)
            continue
        if el.tag in _DROP:
            doomed.append(el)
            skip.add(el)
            continue
        if el.tag not in _CONTAINERS or el.tag in ("html", "body"):
            continue
        t, lk = text_len.get(el, 0), link_len.get(el, 0)
        if (t >= 2 and lk / t >= 0.6 and punct.get(el, 0) == 0) or (el.tag == "table" and _is_calendar(el)):
            doomed.append(el)
            skip.add(el)
    for el in doomed:
        _remove_keep_tail(el)


def _is_calendar(table: Any) -> bool:
    if table.find(".//table") is not None:
        return False
    cells = [" ".join(c.itertext()).strip() for c in table.iter("td", "th")]
    cells = [c for c in cells if c]
    small = sum(bool(re.fullmatch(r"\d{1,2}|[一二三四五六日]|[A-Za-z]{1,3}|[«»<>]+", c)) for c in cells)
    return len(cells) >= 14 and small / len(cells) >= 0.7


def _remove_keep_tail(el: Any) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _densest_block(root: Any) -> str:
    """The element whose own non-link text holds the most sentences (a density fallback for pages the
    main-text extractor reads as empty or nearly so)."""
    best, best_score = None, 0.0
    body = root.find(".//body")
    for el in (body if body is not None else root).iter():
        if not isinstance(el.tag, str) or el.tag in _DROP or el.tag in ("head", "title"):
            continue
        # score the direct text of the element and its inline children (one "paragraph" level)
        own = "".join(el.text or "" for _ in (0,)) + "".join(
            ("".join(c.itertext()) if isinstance(c.tag, str) and c.tag not in _CONTAINERS | {"a"} else "")
            + (c.tail or "") for c in el)
        score = len(_SENTENCE.findall(own)) * 10 + len(own.strip()) / 50
        if score > best_score:
            best, best_score = el, score
    if best is None:
        return ""
    parent = best.getparent()
    # the paragraph's container: its siblings are the rest of the text
    return element_text(parent if parent is not None and parent.tag not in ("html",) else best)


_PIPE_SPLIT = re.compile(r"\s*(?<!\\)\|\s*")
_FURNITURE = re.compile(
    r"^[\[【(（<《]?\s*(打印|打印本页|打印此文|打印文章|关闭|关闭窗口|关闭本页|返回|返回顶部|回到顶部|返回首页|返回列表|"
    r"上一页|下一页|上一篇|下一篇|收藏|收藏本页|推荐给朋友|发表评论|我要评论|顶部|TOP|top|字体|字号)\s*[\]】)）>》]?"
    r"(\s*[\[【(（]?\s*(打印|关闭|关闭窗口|返回|返回顶部|收藏|推荐|大|中|小)\s*[\]】)）]?)*$"
)
_COPYRIGHT = re.compile(
    r"(版权所有|Copyright|©|（C）|\(C\)|ICP备|ICP证|All [Rr]ights [Rr]eserved|未经.{0,6}授权.{0,6}(转载|复制))"
)
_RELATED = re.compile(r"^[【\[]?\s*(相关链接|相关文章|相关新闻|相关内容|相关阅读|相关报道|延伸阅读|推荐阅读|"
                      r"热点推荐|热门文章|猜你喜欢|文章评论|网友评论|评论列表|最新评论)")
_ENTRY_HEADER = re.compile(r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s+\d{1,2}[:：]\d{2}(?:[:：]\d{2})?\s*$")


def _depipe(line: str) -> str | None:
    """A table row as trafilatura renders it (``| a | b |``) as plain text; ``None`` for a row that is
    navigation (many short cells, no sentence)."""
    if not line.startswith("|"):
        return line
    cells = [c.replace("\\|", "|").strip() for c in _PIPE_SPLIT.split(line.strip().strip("|"))]
    cells = [c for c in cells if c]
    if re.fullmatch(r"[-|\s:]*", line) or (len(line) <= 120 and _META_TABLE.match(line)):
        return None  # a separator row, or a row of a portal's metadata table (索引号、发文日期…)
    parts = [part.strip() for c in cells for part in c.split("|") if part.strip()]
    if len(parts) >= 4 and all(len(part) <= 8 for part in parts) and not _SENTENCE.search(line):
        return None
    return " ".join(cells)


def clean_lines(text: str) -> str:
    """Furniture left in a main text: table pipes, navigation rows, 打印/关闭 lines, copyright lines and
    a trailing related-links list; on a page listing several dated entries, the first entry."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line = _depipe(raw.strip())
        if not line:
            continue
        if _FURNITURE.match(line) or (len(line) <= 120 and _COPYRIGHT.search(line) and not _SENTENCE.search(line[:-1])):
            continue
        lines.append(line)
    # a related-links list at the end of the text
    for i in range(len(lines) // 2, len(lines)):  # the first such heading in the second half
        if len(lines[i]) <= 20 and _RELATED.match(lines[i]):
            lines = lines[:i]
            break
    headers = [i for i, line in enumerate(lines) if len(line) <= 80 and _ENTRY_HEADER.search(line)
               and not _SENTENCE.search(line)]
    if len(headers) >= 2 and headers[1] - headers[0] >= 2:
        first_body = lines[headers[0] + 1:headers[1]]
        if sum(len(x) for x in first_body) >= 50:
            lines = lines[:headers[1]]
    return clean_text("\n".join(lines))


PRECISION_KEEP = 0.45  # the precision pass is kept while it holds this share of the default pass's prose


def _mass(text: str) -> int:
    """Characters in prose lines (a sentence mark, or 15+ characters): what a main text is made of,
    unlike the one-cell-a-line labels and values of a metadata table."""
    return sum(len(line) for line in text.split("\n") if len(line) >= 15 or _SENTENCE.search(line))


def main_text(page: str, url: str | None = None) -> str:
    """Main text: the page's boilerplate pruned (navigation, link lists, calendars; any depth), then
    trafilatura, whose precision pass is kept only when it does not hide most of what its default pass
    finds; a density fallback when both find (almost) nothing; then line clean-up."""
    import lxml.html
    import trafilatura

    # trafilatura logs an empty or broken page at ERROR; for us that is a counted "malformed" skip
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        root = _parse_tree(page)
    except (ValueError, lxml.etree.ParserError):
        return ""
    _flatten(root)
    _prune_boilerplate(root)
    for head in root.findall("head"):
        root.remove(head)  # the main text is in the body (an unclosed <title> would swallow the page)
    cleaned = lxml.html.tostring(root, encoding="unicode")
    options: dict[str, Any] = {"url": url, "include_comments": False, "include_tables": True,
                               "deduplicate": False}
    precise = clean_lines(trafilatura.extract(cleaned, favor_precision=True, **options) or "")
    default = clean_lines(trafilatura.extract(cleaned, **options) or "")
    text = precise if _mass(precise) >= PRECISION_KEEP * _mass(default) else default
    if len(text) < 20:
        text = clean_lines(trafilatura.extract(cleaned, favor_recall=True, **options) or "") or text
    if len(text) < 20:
        text = clean_lines(_densest_block(root)) or text
    return text


def extract_page(page: str, *, url: str | None, now: dt.datetime, selectors: Selectors | None = None,
                 encoding: str | None = None, context: Selectable | None = None,
                 sel: Selector | None = None) -> Extracted:
    """Fields of one article page. Selectors win; what they don't give comes from the list item
    (``context``), page metadata and the main-text extractor. ``sel`` is the page already parsed."""
    if sel is None:
        page = shallow_html(page)
        sel = Selector(text=page, type="html")
    s = selectors or Selectors()
    out = Extracted(encoding=encoding)

    def pick(expr: str | None) -> str | None:
        return select_on_page(sel, context, expr)

    out.title = (pick(s.title) or "").split("\n")[0].strip()
    body = pick(s.body) if s.body else None
    out.text = body if body is not None else main_text(page, url)
    page_text = select_text(sel, "body") or ""
    page_lines = page_text.split("\n")
    meta_lines: list[str] = []
    tail_lines: list[str] = []
    if body is None:
        out.text, meta_lines = peel_folded_lines(out.text, page_lines, "", now)
    if not out.title:
        out.title = _title(sel)
        if body is None and not select_text(sel, "h1"):
            out.title = _title_above_text(page_text, out.text, out.title)
    out.title = re.sub(r"[\ue000-\uf8ff]", "", out.title).strip()  # private-use glyphs (icon fonts)
    if not out.title and context is not None and s.link:
        out.title = (select_text(context, s.link.replace("::attr(href)", "::text")) or "").strip()

    if body is None:
        out.text, peeled = peel_folded_lines(out.text, page_lines, out.title, now)
        out.text, stripped, tail_lines = strip_meta_lines(out.text, out.title)
        meta_lines += peeled + stripped

    raw_time = pick(s.published_at)
    out.published_at = parse_date(raw_time, now) if raw_time else None
    if out.published_at is None:
        out.published_at = _meta_date(sel, now)
    if out.published_at is None:
        out.published_at = _date_near_title(page_text, out.title, out.text, meta_lines, now, url, tail_lines)

    out.author = pick(s.author) or None
    out.publisher = pick(s.publisher) or None
    if out.author is None or out.publisher is None:
        located = locate_text(page_lines, _first_prose(out.text, now)) if out.text else None
        head = "\n".join(page_lines[:located]) if located is not None else page_text
        if out.publisher is None and (m := _PUBLISHER.search(head)):
            out.publisher = m.group(1)
        if out.author is None:
            out.author = _find_author(sel, page_lines, head, out.text, out.title, meta_lines + tail_lines, now)
            if out.author and body is None and out.text.split("\n")[0].strip() == out.author:
                out.text = out.text.split("\n", 1)[1] if "\n" in out.text else out.text  # the name line
    if out.publisher:
        out.publisher = re.sub(r"^(来源|稿源)\s*[:：]\s*", "", out.publisher).strip() or None
    if out.author:
        out.author = re.sub(r"^(作者|记者|编辑)\s*[:：]\s*", "", out.author).strip() or None
    return out


_AUTHOR_FULL = re.compile(r"作者\s*[:：]\s*([\u4e00-\u9fa5]{2,4}\s*[(（][A-Za-z][A-Za-z .'-]{1,40}[)）])")
_AUTHOR_POSTED = re.compile(r"(?:^|\n)\s*([A-Za-z0-9_\u4e00-\u9fa5]{2,20})\s+(?:发表于|发布于|写于)\s*[:：]?\s*"
                            r"(?:19|20)\d{2}")
_AUTHOR_META = ("citation_author", "citation_authors", "dc.creator", "author")
_NOT_A_NAME = re.compile(r"^(目录|正文|全文|简介|摘要|前言|引言|序言|公告|导读|显示|详情|首页|返回|更多|评论|"
                         r"分享|转载|原创|连载|相关|推荐|热门|最新|阅读|作者|来源|编辑|责编|点击|打印|关闭|收藏)")


def _find_author(sel: Selector, page_lines: list[str], head: str, text: str, title: str,
                 meta_lines: list[str], now: dt.datetime) -> str | None:
    """The author on a page without an author selector: a labelled byline above the text or among the
    byline lines kept aside (作者：…, 记者…, 由…张贴, posted by, "name 发表于 date"), the same just below the
    text, the page's citation/author metadata, or a bare name on its own line under the headline."""
    last = next((ln for ln in reversed(text.split("\n")) if len(_squeeze(ln)) >= 4), "")
    tail_zone = ""
    if last:
        probe = last.strip()[-15:]
        after = next((i for i in range(len(page_lines) - 1, -1, -1) if probe in page_lines[i]), None)
        if after is not None:
            tail_zone = "\n".join(page_lines[after + 1:after + 5])  # a byline below the text
    for zone in (head, "\n".join(meta_lines), tail_zone):
        for pattern in (_AUTHOR_FULL, _AUTHOR, _AUTHOR_POSTED):
            if m := pattern.search(zone):
                return next(g for g in m.groups() if g).strip()
    # a bare name on the line under the headline (title, name, then the text)
    squeezed_title = _squeeze(title)
    located = locate_text(page_lines, _first_prose(text, now))
    if len(squeezed_title) >= 2 and located is not None:
        lines = [line.strip() for line in page_lines[:located + 2] if line.strip()]
        for i, line in enumerate(lines[:-1]):
            if _squeeze(line) == squeezed_title or (_squeeze(line).endswith(squeezed_title)
                                                    and len(_squeeze(line)) <= len(squeezed_title) + 6):
                name = lines[i + 1]
                if re.fullmatch(r"[\u4e00-\u9fa5]{2,4}", name) and not _NOT_A_NAME.match(name):
                    return name
    for meta in sel.css("meta"):
        name = (meta.attrib.get("name") or "").lower()
        content = " ".join((meta.attrib.get("content") or "").split())
        if name in _AUTHOR_META and content and not re.search(r"[,，;；]|\.(com|cn|net|org)\b", content):
            # 赵  培 (spaced to two characters' width) is 赵培
            return re.sub(r"(?<=[\u4e00-\u9fa5])\s+(?=[\u4e00-\u9fa5])", "", content)
    # an entry's byline kept inside the text: "name 发表于 2005-9-15 11:46:00"
    for line in text.split("\n"):
        if _is_byline(line, now) and find_date(line, now) and (m := _AUTHOR_FULL.search(line) or
                                                             _AUTHOR_POSTED.search(line)):
            return m.group(1).strip()
    return None


def extract_bytes(body: bytes, *, url: str | None, now: dt.datetime, selectors: Selectors | None = None,
                  content_type: str | None = None, forced_encoding: str | None = None) -> Extracted:
    """:func:`extract_page` for raw bytes: decodes first (``yuqing extract`` and the evaluation)."""
    page, encoding = decode_html(body, content_type, forced_encoding)
    return extract_page(page, url=url, now=now, selectors=selectors, encoding=encoding)


_TAG = re.compile(r"<[^>]+>")


def strip_tags(fragment: str) -> str:
    """Plain text of an HTML fragment (feed descriptions, JSON post text)."""
    if "<" not in fragment:
        return clean_text(html.unescape(fragment))
    return element_text(Selector(text=f"<div>{fragment}</div>", type="html").css("div")[0].root)


def short_title(text: str, limit: int = 60) -> str:
    """A title for items that have none (posts): the first sentence, at most ``limit`` characters."""
    first = re.split(r"(?<=[。！？!?])|\n", text.strip(), maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[:limit] + "…"
