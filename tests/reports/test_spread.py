"""The spread path of an incident (reports/spread.py) and its place in the 专报 (PDF/DOCX/HTML)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import docx
import pymupdf
import pytest

from reports import spread
from reports.api import write_incident_report
from reports.data import Names
from tests.spread_case import SpreadCase, at, seed_spread_case
from yuqing.config import Config
from yuqing.models import stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

NOW = at(13)


@pytest.fixture(scope="module")
def case(reports_store: Store) -> SpreadCase:
    return seed_spread_case(reports_store)


@pytest.fixture(scope="module")
def path(case: SpreadCase, reports_store: Store, config: Config) -> spread.SpreadPath:
    return spread.spread(reports_store, case.incident.id, names=Names.from_config(config))


def test_first_appearance_and_reprint_chain_follow_the_named_sources(case: SpreadCase,
                                                                     path: spread.SpreadPath) -> None:
    m = case.m
    assert path.first is not None and path.first.mention_id == m[0].id
    assert path.first.carrier == "云南日报网（演示）" and path.first.at == at(8)
    # 云南网 names 云南日报网; 昆明身边事 names 云南网; 春城热点 names 昆明身边事; 滇池观察 names no one.
    assert [(a.mention_id, b.mention_id) for a, b in path.edges] == [
        (m[0].id, m[1].id), (m[1].id, m[2].id), (m[2].id, m[3].id), (m[0].id, m[4].id)]
    assert [n.mention_id for n in path.nodes if n.parent is None] == [m[0].id, m[5].id]  # 新华网 on its own
    assert {t: n.mention_id for t, n in path.tier_first.items()} == {
        "provincial": m[0].id, "self_media": m[2].id, "central": m[5].id}


def test_top_carriers_rank_by_latest_engagement_then_reprints_carried(path: spread.SpreadPath) -> None:
    top = [(c.name, c.interactions, c.descendants) for c in path.carriers]
    assert top == [
        ("昆明身边事（微博时间线（演示））", 500, 1),  # the latest snapshot (500), not the sum with the earlier 100
        ("春城热点（微博时间线（演示））", 30, 0),  # no snapshot: the figures merged into extra
        ("云南日报网（演示）", None, 4),  # never measured: unknown, ranked by the reprints it led to
        ("云南网 RSS（演示）", None, 2),
        ("滇池观察（微博时间线（演示））", 0, 0),
        ("xinhua", None, 0),
    ]


def test_tiers_over_time_are_hourly_counts(path: spread.SpreadPath) -> None:
    assert path.hourly
    assert path.tier_buckets == [("11-23 08时", {"provincial": 2}), ("11-23 09时", {"self_media": 2}),
                                 ("11-23 10时", {"self_media": 1}), ("11-23 11时", {"central": 1})]


def test_an_original_outside_the_incident_is_its_first_appearance(case: SpreadCase, reports_store: Store,
                                                                   config: Config) -> None:
    p = spread.spread(reports_store, case.outside_incident.id, names=Names.from_config(config))
    assert p.first is not None and p.first.mention_id == case.outside_original.id and not p.first.in_incident
    assert [(a.mention_id, b.mention_id) for a, b in p.edges] == [(case.outside_original.id,
                                                                   case.outside_reprint.id)]


def test_layout_places_nodes_by_time_and_tier_lane(path: spread.SpreadPath) -> None:
    g = spread.layout(path)
    xs = {n["id"]: n["x"] for n in g["nodes"]}
    ordered = [n.mention_id for n in path.nodes]
    assert [xs[i] for i in ordered] == sorted(xs.values())  # later mentions further right
    assert g["nodes"][0]["first"] and len(g["edges"]) == 4 and g["omitted"] == 0
    assert [lane["label"] for lane in g["lanes"]] == ["中央媒体", "省级媒体", "自媒体"]
    lane_of = {n["id"]: n["y"] for n in g["nodes"]}
    assert lane_of[path.nodes[0].mention_id] < lane_of[path.nodes[2].mention_id]  # provincial above self-media


def test_layout_caps_the_nodes_keeping_the_first_and_the_originals(case: SpreadCase, path: spread.SpreadPath) -> None:
    shown = spread.shown_nodes(path, limit=3)
    assert [n.mention_id for n in shown] == [case.m[0].id, case.m[1].id, case.m[2].id]  # the first, then parents


@pytest.fixture(scope="module")
def special(case: SpreadCase, reports_store: Store, config: Config,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    paths = write_incident_report(reports_store, config, case.incident.id, tmp_path_factory.mktemp("spread"), now=NOW)
    report = reports_store.get("reports", stable_id("report", "incident", case.incident.id))
    assert report is not None
    return {"paths": paths, "figures": report["figures"]}


def test_special_report_stores_and_prints_the_spread_path(case: SpreadCase, special: dict[str, Any]) -> None:
    m = case.m
    figures = special["figures"]["spread"]
    assert figures["first"] == m[0].id and figures["first_carrier"] == "云南日报网（演示）"
    assert figures["edges"] == [[m[0].id, m[1].id], [m[1].id, m[2].id], [m[2].id, m[3].id], [m[0].id, m[4].id]]
    assert [c["name"] for c in figures["carriers"][:2]] == ["昆明身边事（微博时间线（演示））",
                                                           "春城热点（微博时间线（演示））"]
    html = special["paths"]["html"].read_text(encoding="utf-8")
    assert "传播路径：首发于11-23 08:00，云南日报网（演示）（省级媒体）" in html
    assert "图3 传播路径" in html and "转载链" in html and "传播最广的账号与媒体" in html
    pdf = pymupdf.open(special["paths"]["pdf"])
    text = "".join(page.get_text() for page in pdf)
    assert "图3 传播路径" in text and "昆明身边事" in text and "转自" in text
    assert any(page.get_images() for page in pdf)  # the graph is a figure
    document = docx.Document(str(special["paths"]["docx"]))
    body = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "图3 传播路径" in body and "春城热点（微博时间线（演示））" in body
    assert len(document.inline_shapes) >= 3  # places, sentiment, spread graph


def test_graph_png_is_an_image_even_without_mentions(reports_store: Store, config: Config) -> None:
    empty = spread.spread(reports_store, "no-such-incident", names=Names.from_config(config))
    assert empty.first is None and spread.graph_png(empty).startswith(b"\x89PNG")


def test_a_long_chain_counts_descendants_and_the_graph_is_capped() -> None:
    start = at(8)
    nodes = [spread.Node(mention_id=f"m{i}", carrier=f"账号{i}", carrier_key=f"k{i}", source_id="demo-weibo",
                         tier="self_media", at=start + dt.timedelta(seconds=i), title="转发", url="",
                         parent=f"m{i - 1}" if i else None, interactions=None) for i in range(3000)]
    path = spread.SpreadPath(incident_id="x", nodes=nodes, first=nodes[0], carriers=[], tier_first={},
                             tier_buckets=[], hourly=True)
    carriers = spread._carriers(path)  # 3,000 deep: no recursion limit
    assert (carriers[0].name, carriers[0].descendants) == ("账号0", 2999)
    g = spread.layout(path)
    assert len(g["nodes"]) == spread.MAX_NODES and g["omitted"] == 3000 - spread.MAX_NODES
    assert g["nodes"][0]["first"]
