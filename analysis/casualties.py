"""Casualty figures (伤亡人数) and direct economic loss read from Chinese text; official gradings.

Pure functions over one text, no configuration: the figures a text states, each with the words it
came from. What the figures mean for an incident (thresholds, which source wins) is
:mod:`analysis.severity`'s business.

Kinds of figure: ``deaths`` (死亡, 遇难, 罹难, 身亡, 丧生…), ``injured`` (受伤, 轻伤, 烧伤…; any
injury), ``serious_injuries`` (重伤, 急性中毒: what the national thresholds count), ``missing`` (失踪,
下落不明, 失联), ``trapped`` (被困, 受困) and ``economic_loss`` in yuan ((直接)经济损失 / 财产损失).

Forms read: ``3人死亡``, ``3名工人当场死亡``, ``死亡3人``, ``死亡人数上升至12人`` (and ``由3人上升至12人``:
the later number), ``3死12伤``, ``致2死``; Arabic (also full-width) and Chinese numerals (三, 十二,
两, 一百零五, 1.5万); approximations, read as a lower bound:

========================  =================================================
``40余人``, ``40多人``      40 (more than 40; 40 is what the text vouches for)
``逾40人``, ``超过40人``     40
``近百人``, ``近40人``       90, 36: ``近N`` is below N, so 0.9 × N (rounded down)
``数十人``, ``几十人``       20 (数/几 as a leading digit counts 2)
``十几人``, ``二十几人``     11, 21 (数/几 as a trailing digit counts 1)
``上百人``                 100
``多人``, ``数人``          2 (more than one)
``约40人``                 40
========================  =================================================

A negation states an explicit zero (``未造成人员伤亡``, ``无人员死亡``, ``暂无人员伤亡``, ``无人受伤``):
it is a figure 0, not an absent one. ``未造成其他人员伤亡`` and ``无重大人员伤亡`` say nothing exact
and are not read.

Not casualties: numbers without a person unit (``死亡3小时后``, years, ``12345``), people without a
casualty word (``3人被带走调查``), rates (``死亡率``), and sentences about statistics
(``每年``, ``同比``, ``今年以来``… :data:`STATISTICS_TERMS`). Within one text, a kind takes its
largest figure (a report that repeats the toll or lists a subset, "其中2人重伤", keeps the total).
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Literal

FigureKind = Literal["deaths", "injured", "serious_injuries", "missing", "trapped", "economic_loss"]
FIGURE_KINDS: tuple[FigureKind, ...] = ("deaths", "injured", "serious_injuries", "missing", "trapped",
                                        "economic_loss")
FIGURE_ZH: dict[str, str] = {"deaths": "死亡", "injured": "受伤", "serious_injuries": "重伤",
                             "missing": "失踪", "trapped": "被困", "economic_loss": "直接经济损失"}
PERSON_KINDS: tuple[FigureKind, ...] = FIGURE_KINDS[:-1]

# A sentence using one of these is about statistics, not about one event's toll.
STATISTICS_TERMS = ("每年", "年均", "每天", "日均", "平均", "同比", "环比", "全年", "历年", "去年", "上年",
                    "今年以来", "近年来", "近年", "死亡率", "病死率", "发生率", "伤亡率", "年以来", "全国共",
                    "全国发生")

# …and so does one about a span of years: 近3年, 10年来, 多年来, 自1947年…以来.
_STATISTICS_SPAN = re.compile(r"近\d+年|\d+年来|多年来|(?:19|20)\d\d年[^。！？；]{0,12}以来")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}

_CN = "零〇一二两三四五六七八九十百千万亿数几"
_NUM = rf"(?:\d+(?:\.\d+)?[万亿]?|[{_CN}]+)"
# The number with its approximation words: 近百, 40余, 逾40, 上百, 十几.
_QTY = rf"(?P<{{p}}pre>近|约|逾|超过|超|至少|上|达|共)?(?P<{{p}}n>{_NUM}|多|数)(?P<{{p}}suf>余|多)?"
_PERSON = r"(?:人(?!次|民|员)|名|位|例|具)"
_GAP = r"[^，。；;,.!！？?、：:\s\d（）()“”\"]{0,8}?"

_DEATH = r"死亡|遇难|罹难|身亡|丧生|殒命|丧命|毙命|溺亡|死者|遇难者|不治"
_SERIOUS = r"重伤|受重伤|急性中毒|重度烧伤|重度中毒"
_INJURED = (r"受伤|负伤|轻伤|轻微伤|受轻伤|伤者|伤员|烧伤|砸伤|撞伤|砍伤|刺伤|炸伤|灼伤|摔伤|割伤|咬伤|踩伤|挤伤|"
            r"烫伤|擦伤")
# One-character words count only right after the count ("6人亡", "3人伤势较重"): after a gap, 亡 in
# "百余人伤亡" or 死 in "3人被吓死" would be misread.
_SINGLE = r"(?P<single>亡(?![故])|死(?![伤里守刑缓角板去活心亡者])|伤(?![亡心害痛感]))"
_MISSING = r"失踪|下落不明|失联"
_TRAPPED = r"被困|受困|被埋|被掩埋"
_KEYWORD = rf"(?P<kw>{_SERIOUS}|{_MISSING}|{_TRAPPED}|{_DEATH}|{_INJURED})"


def _qty(prefix: str) -> str:
    return _QTY.format(p=prefix)


# 3死12伤, 1死7伤, 一死两伤; 致2死 / 造成3伤 (a bare "N死" needs the cause word: 九死一生 is no toll).
_COMPACT = re.compile(rf"(?P<cause>致|造成|酿成?)?{_qty('a')}(?P<ak>死|伤)(?![亡者员势])(?:{_qty('b')}伤)?")
# 3人死亡, 3名工人当场死亡, 12人受伤, 3人被困, 6人亡, 3具遇难者遗体.
_COUNT_FIRST = re.compile(rf"{_qty('')}{_PERSON}(?:{_GAP}{_KEYWORD}|{_SINGLE})")
# 死亡3人, 死亡人数上升至12人, 遇难人数由3人升至12人, 受伤人员达30余人, 被困12名矿工.
_KEYWORD_FIRST = re.compile(
    rf"(?P<kw>{_SERIOUS}|{_MISSING}|{_TRAPPED}|死亡|遇难|罹难|身亡|丧生|受伤|轻伤|伤者|伤员)"
    rf"(?:人数|者|人员|病例|的)?(?:已?由{_qty('old')}{_PERSON}?)?[^，。；;,.!！？?、\d（）()]{{0,6}}?"
    rf"{_qty('')}{_PERSON}")
# Explicit zeros: 未造成人员伤亡, 无人员死亡, 暂无人员伤亡, 无人受伤, 未发现人员被困.
_ZERO = re.compile(
    r"(?:未|没有|没|无|暂无|尚无|并未|均无|尚未|暂未|未有)(?:造成|发生|出现|发现|导致|引起|接到|收到|有)?(?:任何)?"
    r"(?:人员|人)(?P<zk>伤亡|死亡|受伤|伤|失踪|被困)")
_ECONOMIC = re.compile(
    rf"(?P<direct>直接)?(?:经济|财产)损失[^，。；;！!？?\d]{{0,8}}?{_qty('')}(?P<unit>[万亿]?)(?P<unit2>余?万?)元")
# Every pattern above needs one of these words (the kind word, or 损失): a text without any states no
# figure, and is passed over with one scan instead of five.
_ANY_CUE = re.compile(r"死|伤|亡|遇难|罹难|丧生|殒命|丧命|毙命|不治|中毒|失踪|下落不明|失联|被困|受困|被埋|被掩埋|损失")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")

GradingLevel = Literal["I", "II", "III", "IV"]
_GRADING = re.compile(
    r"(?:一起|该起|这起|此次|本次|认定为|定性为|属于|属|列为|为)\s*(?P<g>特别重大|重大|较大|一般)"
    r"(?P<what>[\u4e00-\u9fa5]{0,8}?)(?:责任事故|事故|突发事件|灾害|火灾|险情)(?!隐患)")
_GRADING_LEVEL: dict[str, GradingLevel] = {"特别重大": "I", "重大": "II", "较大": "III", "一般": "IV"}


@dataclasses.dataclass(frozen=True)
class Figure:
    """One figure a text states: ``value`` is the lower bound used for thresholds (see module doc)."""

    kind: FigureKind
    value: float
    stated: str  # the figure as the text says it: "40余", "近百", "1.2亿"
    evidence: str  # the words it was read from
    start: int
    approximate: bool = False

    @property
    def count(self) -> int | float:
        return int(self.value) if self.value == int(self.value) else self.value


@dataclasses.dataclass(frozen=True)
class Grading:
    level: GradingLevel
    evidence: str


def normalize(text: str) -> str:
    """Full-width digits and punctuation to ASCII; thousands separators dropped (1,200 → 1200)."""
    text = text.translate(str.maketrans("０１２３４５６７８９．，", "0123456789.,"))
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def parse_chinese(text: str) -> float | None:
    """一百零五 → 105, 十二 → 12, 两千三百 → 2300, 三万 → 30000, 数十 → 20, 十几 → 11; None if not a number."""
    text = text.replace("数", "几")
    if not text or any(ch not in _CN for ch in text):
        return None
    total, section, digit = 0.0, 0.0, None
    for ch in text:
        if ch in "零〇":  # 一百零五: a place holder
            continue
        if ch in _DIGITS or ch == "几":
            if digit is not None and ch != "几":  # 一二 (a list of digits): not one number
                return None
            digit = _DIGITS.get(ch, 2)
            if ch == "几" and section:  # 十几, 二十几: a trailing 几 counts 1
                digit = 1
        elif ch in _UNITS:
            section += (digit if digit is not None else 1) * _UNITS[ch]
            digit = None
        elif ch in _BIG:
            section += digit or 0
            if not section and not total:  # 万余人: a bare 万 is ten thousand
                section = 1
            total = (total + section) * _BIG[ch] if ch == "亿" else total + section * _BIG[ch]
            section, digit = 0.0, None
    return total + section + (digit or 0)


def parse_number(text: str) -> float | None:
    """An Arabic or Chinese number, with a 万/亿 multiplier: "1.2亿" → 1.2e8, "5000万" → 5e7."""
    text = normalize(text.strip())
    if not text:
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([万亿]?)", text)
    if m:
        return float(m[1]) * _BIG.get(m[2], 1)
    return parse_chinese(text)


def _value(m: re.Match[str], p: str) -> tuple[float, str, bool] | None:
    """The lower bound, the figure as stated, and whether it is approximate."""
    pre, raw, suf = m[f"{p}pre"] or "", m[f"{p}n"], m[f"{p}suf"] or ""
    if raw in ("多", "数"):  # 多人, 数人: more than one
        return 2.0, raw, True
    value = parse_number(raw)
    if value is None:
        return None
    approximate = bool(suf) or pre in ("近", "约", "逾", "超过", "超", "至少", "上") or any(c in raw for c in "数几")
    if pre == "近":
        value = math.floor(0.9 * value) if value >= 10 else max(value - 1, 0)
    if pre == "上" and raw in ("百", "千", "万"):
        value = parse_number("一" + raw) or value
    shown = pre if pre in ("近", "约", "逾", "超过", "超", "至少", "上") else ""
    return float(value), f"{shown}{raw}{suf}", approximate


def _kind_of(keyword: str) -> FigureKind:
    if keyword in ("亡", "死"):
        return "deaths"
    if re.fullmatch(_SERIOUS, keyword):
        return "serious_injuries"
    if re.fullmatch(_MISSING, keyword):
        return "missing"
    if re.fullmatch(_TRAPPED, keyword):
        return "trapped"
    if re.fullmatch(_DEATH, keyword):
        return "deaths"
    return "injured"


def _statistical(text: str, start: int, end: int) -> bool:
    """Whether the sentence around ``start..end`` talks about statistics."""
    lo = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    nxt = _SENTENCE_END.search(text, end)
    sentence = text[lo:nxt.start() if nxt else len(text)]
    return any(term in sentence for term in STATISTICS_TERMS) or bool(_STATISTICS_SPAN.search(sentence))


def find_figures(text: str) -> list[Figure]:
    """Every figure ``text`` states, in text order (overlapping readings resolved: compact forms,
    then count-first, then keyword-first, then explicit zeros)."""
    if not _ANY_CUE.search(text):  # normalising changes digits and punctuation only
        return []
    text = normalize(text)
    taken: list[tuple[int, int]] = []
    out: list[Figure] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(kind: FigureKind, value: tuple[float, str, bool] | None, m: re.Match[str], start: int) -> None:
        if value is None:
            return
        out.append(Figure(kind=kind, value=value[0], stated=value[1], evidence=m[0], start=start,
                          approximate=value[2]))

    for m in _COMPACT.finditer(text):
        if not free(m.start(), m.end()) or _statistical(text, m.start(), m.end()):
            continue
        if m["ak"] == "死" and (m["cause"] or m["bn"]):
            add("deaths", _value(m, "a"), m, m.start())
            if m["bn"]:
                add("injured", _value(m, "b"), m, m.start())
        elif m["ak"] == "伤" and m["cause"] and not m["bn"]:
            add("injured", _value(m, "a"), m, m.start())
        else:
            continue
        taken.append((m.start(), m.end()))
    for pattern in (_COUNT_FIRST, _KEYWORD_FIRST):
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()) or _statistical(text, m.start(), m.end()):
                continue
            word = m["kw"] or m.groupdict().get("single") or ""
            add(_kind_of(word), _value(m, ""), m, m.start())
            taken.append((m.start(), m.end()))
    for m in _ECONOMIC.finditer(text):
        if not free(m.start(), m.end()) or _statistical(text, m.start(), m.end()):
            continue
        value = _value(m, "")
        if value is None:
            continue
        scale = {"万": 1e4, "亿": 1e8}.get(m["unit"], 1.0) * (1e4 if "万" in (m["unit2"] or "") else 1.0)
        approximate = value[2] or "余" in (m["unit2"] or "")
        out.append(Figure(kind="economic_loss", value=value[0] * scale, stated=f"{value[1]}{m['unit']}{m['unit2']}",
                          evidence=m[0], start=m.start(), approximate=approximate))
        taken.append((m.start(), m.end()))
    for m in _ZERO.finditer(text):
        if not free(m.start(), m.end()):
            continue
        kinds: tuple[FigureKind, ...] = _ZERO_KINDS[m["zk"]]
        for kind in kinds:
            out.append(Figure(kind=kind, value=0.0, stated="0", evidence=m[0], start=m.start()))
        taken.append((m.start(), m.end()))
    return sorted(out, key=lambda f: (f.start, FIGURE_KINDS.index(f.kind)))


_ZERO_KINDS: dict[str, tuple[FigureKind, ...]] = {
            "伤亡": ("deaths", "injured", "serious_injuries"), "死亡": ("deaths",),
            "受伤": ("injured", "serious_injuries"), "伤": ("injured", "serious_injuries"),
            "失踪": ("missing",), "被困": ("trapped",),
}


def extract(text: str) -> dict[FigureKind, Figure]:
    """The text's figure per kind: the largest it states (a stated zero when it states only zeros).

    ``injured`` counts any injury: when the text gives no overall 受伤 figure, it is the serious and
    light injuries it states added up ("2人重伤、5人轻伤" → 7 injured, 2 serious)."""
    best: dict[FigureKind, Figure] = {}
    light: list[Figure] = []
    for fig in find_figures(text):
        if fig.kind == "injured" and re.search(r"轻伤|轻微伤|受轻伤", fig.evidence) and fig.value > 0:
            light.append(fig)
            continue
        if fig.kind not in best or fig.value > best[fig.kind].value:
            best[fig.kind] = fig
    if light:
        top_light = max(light, key=lambda f: f.value)
        serious = best.get("serious_injuries")
        total = top_light.value + (serious.value if serious else 0.0)
        overall = best.get("injured")
        if overall is None or overall.value < total:
            best["injured"] = dataclasses.replace(
                top_light, value=total, stated=f"{total:g}",
                evidence=top_light.evidence if serious is None else f"{serious.evidence}、{top_light.evidence}")
    return {k: best[k] for k in FIGURE_KINDS if k in best}


def find_grading(text: str) -> Grading | None:
    """The grading a text states for its event ("初步认定为较大生产安全责任事故", "发生一起重大道路交通事故");
    the most severe when it states several. Not "重大事故隐患"; a response level (启动Ⅰ级应急响应) is not
    the event's grading. Whose word it is (an official source) is the caller's question."""
    found: list[Grading] = []
    text = normalize(text)
    for m in _GRADING.finditer(text):
        if _statistical(text, m.start(), m.end()):
            continue
        found.append(Grading(level=_GRADING_LEVEL[m["g"]], evidence=m[0]))
    if not found:
        return None
    return min(found, key=lambda g: ("I", "II", "III", "IV").index(g.level))
