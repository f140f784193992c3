"""An incident's spread path (传播路径), computed once here for the console and the 专报.

- **First appearance**: the earliest of the incident's mentions and of the originals they reprint
  (a mention's time is ``published_at``, else ``crawled_at``). An original outside the incident
  (``reprint_of`` pointing elsewhere) is fetched and counted: it is where the text came from.
- **Reprint chain**: the crawlers link every reprint to the earliest mention with the same SimHash
  (``reprint_of``), which makes a star. The chain is refined from the page itself: when a reprint
  names its source (``publisher``, 来源) and an earlier mention of the same text was carried by that
  outlet or account, the edge comes from that mention (the earliest such); otherwise from the original.
  A mention that is neither a reprint nor reprinted stands alone (an independent report).
- **Media tiers over time**: mentions per tier per hour (incidents up to three days) or per day, and
  each tier's first mention.
- **Carriers**: outlets (the source) or accounts (a post's author on its source) ranked by the
  interactions their mentions gathered (reposts + comments + likes from the latest engagement
  snapshot, else the figures merged into the mention's ``extra``), then by how many later mentions
  descend from theirs in the chain, then by who carried it first. Interactions are ``None`` where
  no figures were ever read (shown as unknown, ranked as none).

:func:`layout` places the graph (x = time, one lane per tier) for both renderers: the console draws
it as inline SVG, :func:`graph_png` as a figure in the PDF/DOCX.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from reports import charts
from reports.data import Names
from reports.render.doc import Figure, Link, Para, Section, Table
from reports.text import clip, when
from yuqing.clock import TZ, parse_ts
from yuqing.models import TIER_ZH, interactions
from yuqing.storage import Store

FIELDS = ["id", "source_id", "source_type", "media_tier", "doc_type", "author", "publisher", "title", "url",
          "published_at", "crawled_at", "reprint_of", "incident_id", "extra"]
TIER_ORDER = ["central", "provincial", "official", "local", "self_media"]
MAX_NODES = 40  # the graph shows the first appearance, every mention others descend from, then the largest


@dataclasses.dataclass(frozen=True)
class Node:
    mention_id: str
    carrier: str  # who carried it: the outlet, or the account and its platform
    carrier_key: str
    source_id: str
    tier: str
    at: dt.datetime
    title: str
    url: str
    parent: str | None  # the mention it was reprinted from (None: an original)
    interactions: int | None  # None: never measured
    in_incident: bool = True


@dataclasses.dataclass(frozen=True)
class Carrier:
    name: str
    tier: str
    mentions: int
    interactions: int | None
    descendants: int  # later mentions reprinted (directly or not) from this carrier's mentions
    first_at: dt.datetime


@dataclasses.dataclass
class SpreadPath:
    incident_id: str
    nodes: list[Node]  # by time
    first: Node | None
    carriers: list[Carrier]  # furthest first
    tier_first: dict[str, Node]
    tier_buckets: list[tuple[str, dict[str, int]]]  # (bucket label, mentions per tier)
    hourly: bool

    @property
    def edges(self) -> list[tuple[Node, Node]]:
        by_id = {n.mention_id: n for n in self.nodes}
        return [(by_id[n.parent], n) for n in self.nodes if n.parent in by_id]

    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for n in self.nodes:
            if n.parent:
                out[n.parent].append(n.mention_id)
        return out

    def figures(self) -> dict[str, Any]:
        """The path as plain data (stored with the 专报's figures)."""
        return {
            "first": self.first.mention_id if self.first else None,
            "first_at": self.first.at.isoformat() if self.first else None,
            "first_carrier": self.first.carrier if self.first else None,
            "edges": [[a.mention_id, b.mention_id] for a, b in self.edges],
            "carriers": [{"name": c.name, "mentions": c.mentions, "interactions": c.interactions,
                          "descendants": c.descendants} for c in self.carriers[:10]],
            "tier_first": {t: n.at.isoformat() for t, n in self.tier_first.items()},
        }


def _time(doc: dict[str, Any]) -> dt.datetime:
    t = parse_ts(doc.get("published_at")) or parse_ts(doc.get("crawled_at"))
    assert t is not None, "a stored mention always has crawled_at"
    return t


def _carrier(doc: dict[str, Any], names: Names) -> tuple[str, str]:
    source = names.source(doc.get("source_id")) or str(doc.get("source_id") or "")
    author = (doc.get("author") or "").strip()
    if author and (doc.get("doc_type") == "post" or doc.get("media_tier") == "self_media"):
        return f"{doc.get('source_id')}:{author}", f"{author}（{source}）"
    return str(doc.get("source_id") or ""), source


def _latest_engagement(store: Store, ids: list[str], batch: int = 5000) -> dict[str, int]:
    """Each mention's interactions at its latest engagement snapshot (asked in batches of ``batch`` ids)."""
    out: dict[str, int] = {}
    for i in range(0, len(ids), batch):
        chunk = ids[i:i + batch]
        aggs = {"m": {"terms": {"field": "mention_id", "size": len(chunk)},
                      "aggs": {"last": {"top_hits": {"size": 1, "sort": [{"at": "desc"}],
                                                     "_source": ["interactions"]}}}}}
        resp = store.search("engagement", query={"terms": {"mention_id": chunk}}, size=0, aggs=aggs,
                            track_total_hits=False)
        out.update({str(b["key"]): int(b["last"]["hits"]["hits"][0]["_source"].get("interactions") or 0)
                    for b in resp["aggregations"]["m"]["buckets"]})
    return out


def _names_of(doc: dict[str, Any], carrier: str, names: Names) -> set[str]:
    """The names a reprint may give (as its 来源) for the outlet or account that carried ``doc``."""
    out = {carrier, names.source(doc.get("source_id")), str(doc.get("source_id") or ""),
           str(doc.get("author") or "").strip()}
    return {n for n in out if n}


def spread(store: Store, incident_id: str, *, names: Names) -> SpreadPath:
    """The spread path of one incident from its stored mentions and engagement snapshots."""
    docs = {d["id"]: d for d in store.scan("mentions", {"term": {"incident_id": incident_id}}, source=FIELDS)}
    outside = {d.get("reprint_of") for d in docs.values()} - set(docs) - {None}
    originals = store.mget("mentions", sorted(str(o) for o in outside)) if outside else {}
    docs.update({k: {**v, "_outside": True} for k, v in originals.items()})
    measured = _latest_engagement(store, sorted(docs))

    ordered = sorted(docs.values(), key=lambda d: (_time(d), d["id"]))
    carriers = {d["id"]: _carrier(d, names) for d in ordered}
    # Per original: each name a reprint may give as its 来源 -> the earliest mention carried under it.
    carried_by: dict[str, dict[str, str]] = defaultdict(dict)

    def remember(original: str, doc: dict[str, Any]) -> None:
        for name in _names_of(doc, carriers[doc["id"]][1], names):
            carried_by[original].setdefault(name, doc["id"])

    parents: dict[str, str | None] = {}
    for d in ordered:
        root = d.get("reprint_of")
        if root not in docs or root == d["id"]:
            parents[d["id"]] = None
            remember(d["id"], d)
            continue
        root = str(root)
        if root not in carried_by:  # the original is always the first candidate, whatever its time says
            remember(root, docs[root])
        named = (d.get("publisher") or "").strip()
        parents[d["id"]] = carried_by[root].get(named, root) if named else root
        remember(root, d)

    nodes = []
    for d in ordered:
        figure = measured.get(d["id"])
        if figure is None and isinstance(d.get("extra"), dict) and any(
                isinstance(d["extra"].get(k), int) for k in ("reposts", "comments", "likes")):
            figure = interactions(d["extra"])
        key, label = carriers[d["id"]]
        nodes.append(Node(mention_id=d["id"], carrier=label, carrier_key=key, source_id=str(d.get("source_id") or ""),
                          tier=str(d.get("media_tier") or ""), at=_time(d), title=str(d.get("title") or ""),
                          url=str(d.get("url") or ""), parent=parents[d["id"]], interactions=figure,
                          in_incident=not d.get("_outside")))

    path = SpreadPath(incident_id=incident_id, nodes=nodes, first=nodes[0] if nodes else None, carriers=[],
                      tier_first={}, tier_buckets=[], hourly=True)
    path.carriers = _carriers(path)
    for n in nodes:
        path.tier_first.setdefault(n.tier, n)
    path.tier_buckets, path.hourly = _tier_buckets(nodes)
    return path


def _descendants(path: SpreadPath) -> dict[str, int]:
    children = path.children()
    memo: dict[str, int] = {}
    entered: set[str] = set()
    for n in path.nodes:  # post-order without recursion (chains can be long)
        stack = [(n.mention_id, False)]
        while stack:
            node, done = stack.pop()
            if node in memo:
                continue
            if done:
                memo[node] = sum(1 + memo.get(c, 0) for c in children.get(node, []))
                continue
            if node in entered:  # a reprint_of cycle in bad data: count it once
                memo[node] = 0
                continue
            entered.add(node)
            stack.append((node, True))
            stack.extend((c, False) for c in children.get(node, []) if c not in memo)
    return memo


def _carriers(path: SpreadPath) -> list[Carrier]:
    below = _descendants(path)
    by_key: dict[str, list[Node]] = defaultdict(list)
    for n in path.nodes:
        by_key[n.carrier_key].append(n)
    out = []
    for members in by_key.values():
        known = [n.interactions for n in members if n.interactions is not None]
        out.append(Carrier(name=members[0].carrier, tier=members[0].tier, mentions=len(members),
                           interactions=sum(known) if known else None,
                           descendants=sum(below.get(n.mention_id, 0) for n in members),
                           first_at=min(n.at for n in members)))
    out.sort(key=lambda c: (-(c.interactions or 0), -c.descendants, c.first_at, c.name))
    return out


def _tier_buckets(nodes: list[Node]) -> tuple[list[tuple[str, dict[str, int]]], bool]:
    if not nodes:
        return [], True
    hourly = nodes[-1].at - nodes[0].at <= dt.timedelta(days=3)
    counts: dict[dt.datetime, dict[str, int]] = {}
    for n in nodes:
        local = n.at.astimezone(TZ)
        bucket = local.replace(minute=0, second=0, microsecond=0) if hourly else \
            local.replace(hour=0, minute=0, second=0, microsecond=0)
        row = counts.setdefault(bucket, {})
        row[n.tier] = row.get(n.tier, 0) + 1
    fmt = "%m-%d %H时" if hourly else "%m-%d"
    return [(b.strftime(fmt), counts[b]) for b in sorted(counts)], hourly


def tiers(path: SpreadPath) -> list[str]:
    present = {n.tier for n in path.nodes}
    return [t for t in TIER_ORDER if t in present] + sorted(present - set(TIER_ORDER))


# -- graph layout (shared by the SVG and the PNG) -------------------------------------------------------


def shown_nodes(path: SpreadPath, limit: int = MAX_NODES) -> list[Node]:
    """The first appearance, every mention others were reprinted from, then the most interacted-with and
    the earliest, up to ``limit`` (in time order)."""
    parents = {n.parent for n in path.nodes if n.parent}
    ranked = sorted(path.nodes, key=lambda n: (n is not path.first, n.mention_id not in parents,
                                               -(n.interactions or 0), n.at))
    keep = {n.mention_id for n in ranked[:limit]}
    return [n for n in path.nodes if n.mention_id in keep]


def layout(path: SpreadPath, *, width: int = 760, lane: int = 84, left: int = 90, right: int = 60,
           limit: int = MAX_NODES, label_room: float = 110) -> dict[str, Any]:
    """Coordinates of the spread graph: x = time, one lane per media tier, edges along the chain."""
    shown = shown_nodes(path, limit)
    lanes = tiers(path)
    height = 30 + lane * max(1, len(lanes)) + 24
    if not shown:
        return {"width": width, "height": height, "nodes": [], "edges": [], "lanes": [], "ticks": [],
                "omitted": 0}
    t0, t1 = shown[0].at, shown[-1].at
    span = (t1 - t0).total_seconds() or 1.0
    plot = width - left - right
    rows = (0.0, 1.0, -1.0)  # sub-rows of a lane: labels of nodes close in time go to another one
    last_x: dict[tuple[str, int], float] = {}
    nodes = []
    for n in shown:
        x = left + plot * (n.at - t0).total_seconds() / span
        free = [k for k in range(len(rows)) if x - last_x.get((n.tier, k), -1e9) >= label_room]
        k = free[0] if free else min(range(len(rows)), key=lambda r: last_x.get((n.tier, r), -1e9))
        last_x[(n.tier, k)] = x
        y = 30 + lane * lanes.index(n.tier) + lane / 2 + rows[k] * lane / 3.4
        size = n.interactions or 0
        nodes.append({"id": n.mention_id, "x": round(x, 1), "y": round(y, 1),
                      "r": round(5 + min(9.0, (size ** 0.5) / 6), 1), "label": clip(n.carrier, 10),
                      "title": f"{n.at.astimezone(TZ):%m-%d %H:%M} {n.carrier}：{clip(n.title, 40)}"
                               + (f"（互动{n.interactions}次）" if n.interactions is not None else ""),
                      "first": n is path.first, "tier": n.tier, "original": n.parent is None})
    at = {n["id"]: n for n in nodes}
    edges = [_edge(at[a.mention_id], at[b.mention_id]) for a, b in path.edges
             if a.mention_id in at and b.mention_id in at]
    fmt = "%m-%d %H:%M" if span <= 86400 * 3 else "%m-%d"
    ticks = [{"x": round(left + plot * i / 4, 1),
              "text": (t0 + dt.timedelta(seconds=span * i / 4)).astimezone(TZ).strftime(fmt)} for i in range(5)]
    return {"width": width, "height": height, "nodes": nodes, "edges": edges, "ticks": ticks,
            "lanes": [{"y": 30 + lane * i, "mid": 30 + lane * i + lane / 2, "h": lane,
                       "label": TIER_ZH.get(t, t or "未知")} for i, t in enumerate(lanes)],
            "left": left, "right": width - right, "axis_y": height - 8, "omitted": len(path.nodes) - len(shown)}


def _edge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """A line from node ``a`` to the rim of node ``b`` (so the arrow head shows)."""
    dx, dy = b["x"] - a["x"], b["y"] - a["y"]
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    cut = min(length, b["r"] + 2)
    return {"x1": a["x"], "y1": a["y"], "x2": round(b["x"] - dx * cut / length, 1),
            "y2": round(b["y"] - dy * cut / length, 1)}


@charts.cjk
def graph_png(path: SpreadPath) -> bytes:
    """The spread graph as a PNG for the PDF/DOCX (the same layout the console draws as SVG)."""
    g = layout(path)
    fig = charts._figure(width=7.5, height=max(2.4, g["height"] / 96))
    ax = fig.add_subplot()
    ax.set_xlim(0, g["width"])
    ax.set_ylim(g["height"], 0)
    ax.axis("off")
    if not g["nodes"]:
        charts._empty(ax)
        return charts._png(fig)
    for lane in g["lanes"]:
        ax.axhline(lane["y"], color="#dddddd", linewidth=0.6)
        ax.text(4, lane["mid"], lane["label"], va="center", fontsize=8, color="#555555")
    for e in g["edges"]:
        ax.annotate("", xy=(e["x2"], e["y2"]), xytext=(e["x1"], e["y1"]),
                    arrowprops={"arrowstyle": "->", "color": "#7f8c8d", "linewidth": 0.8, "shrinkA": 0, "shrinkB": 0})
    for n in g["nodes"]:
        ax.scatter([n["x"]], [n["y"]], s=(n["r"] * 2.2) ** 2, zorder=3,
                   color="#b03a2e" if n["first"] else ("#2e86c1" if n["original"] else "#95a5a6"))
        ax.text(n["x"], n["y"] - n["r"] - 3, n["label"], ha="center", fontsize=6.5, zorder=4)
    for t in g["ticks"]:
        ax.text(t["x"], g["axis_y"], t["text"], ha="center", fontsize=7, color="#555555")
    return charts._png(fig)


def add_to_section(section: Section, path: SpreadPath, *, figure_no: int) -> None:
    """The spread path in the 专报: first appearance, the graph, the chain, tiers over time, carriers."""
    if path.first is None:
        section.add(Para(["传播路径：暂无相关信息。"]))
        return
    first = path.first
    section.add(Para([f"传播路径：首发于{when(first.at)}，{first.carrier}（{TIER_ZH.get(first.tier, first.tier)}）",
                      Link(f"《{clip(first.title, 40)}》", first.url),
                      f"；共{len(path.nodes)}条信息，转载关系{len(path.edges)}条。"]))
    g = layout(path)
    note = f"（另有{g['omitted']}条信息未画出）" if g["omitted"] else ""
    caption = f"图{figure_no} 传播路径（横轴为时间，每行一个媒体层级，箭头为转载关系）{note}"
    section.add(Figure(graph_png(path), caption))
    edges = path.edges
    if edges:
        section.add(Table(["时间", "转载方", "转自", "标题"], [
            [when(b.at), b.carrier, a.carrier, Link(clip(b.title, 40) or "（无标题）", b.url)]
            for a, b in edges[:30]
        ], caption="转载链（前30条）" if len(edges) > 30 else "转载链", widths=[1.2, 1.6, 1.6, 3]))
    lanes = tiers(path)
    section.add(Table(["时间", *[TIER_ZH.get(t, t) for t in lanes]], [
        [label, *[str(row.get(t, 0)) for t in lanes]] for label, row in path.tier_buckets[:48]
    ], caption="各层级媒体信息量随时间变化（" + ("按小时" if path.hourly else "按天") + "）"))
    section.add(Table(["载体", "层级", "信息（条）", "互动量", "带动转载（条）", "首次时间"], [
        [c.name, TIER_ZH.get(c.tier, c.tier), str(c.mentions),
         "未知" if c.interactions is None else str(c.interactions), str(c.descendants), when(c.first_at)]
        for c in path.carriers[:10]
    ], caption="传播最广的账号与媒体（按互动量，其次按带动转载）"))
