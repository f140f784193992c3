"""Mentions in the console: search with highlighting and filters, the stream, opening, attaching,
merging and splitting incidents (roles, CSRF, audit, recomputed fields, the response record) and
Excel exports read back — over HTTP against the real Elasticsearch node."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from console import grouping, sample
from console.export import cell_text
from console.mentions import CLOSE_MARK, OPEN_MARK, marked_html
from tests.console.conftest import NOW
from yuqing.models import Emotion, Mention, Place, PriorityHit, Sentiment, stable_id
from yuqing.places import office_name
from yuqing.segment import segmenter
from yuqing.storage import Store

pytestmark = pytest.mark.integration


# -- pure parts --------------------------------------------------------------------------------------


def test_highlight_escapes_crawled_text_and_marks_only_the_query_words():
    fragment = f'<img src=x onerror="alert(1)">网民称{OPEN_MARK}化{CLOSE_MARK}{OPEN_MARK}工{CLOSE_MARK}厂&爆炸'
    html = str(marked_html(fragment))
    assert html == "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;网民称<mark>化工</mark>厂&amp;爆炸"
    # markers planted in the crawled text itself can never unbalance the markup
    planted = str(marked_html(f"{CLOSE_MARK}</mark><b>{OPEN_MARK}x"))
    assert planted == "&lt;/mark&gt;&lt;b&gt;<mark>x</mark>"
    assert planted.count("<mark>") == planted.count("</mark>") == 1


def test_excel_cells_from_crawled_text_never_start_a_formula():
    assert cell_text('=HYPERLINK("http://evil","点我")') == '\'=HYPERLINK("http://evil","点我")'
    assert [cell_text(x)[0] for x in ("+1", "-2", "@SUM(A1)", "\tx")] == ["'"] * 4
    assert cell_text("正常标题") == "正常标题"
    assert cell_text("控制\x01字符") == "控制字符"  # characters XML forbids are dropped


# -- seeded data ---------------------------------------------------------------------------------------

SEG = segmenter()


def mention(tag: str, *, title: str, text: str, incident: str | None = None, source: str = "demo-news",
            tier: str = "provincial", minutes_ago: int = 30, sentiment: str = "negative", emotion: str = "angry",
            priority: str | None = None, place: str | None = None, reprint_of: str | None = None) -> Mention:
    mid = stable_id("mtest", tag)
    return Mention(
        id=mid, source_id=source, source_type="news", media_tier=tier, jurisdiction="530000",
        url=f"https://news.example.cn/m/{tag}.html", canonical_url=f"https://news.example.cn/m/{tag}.html",
        title=title, text=text, title_seg=SEG.cut_for_index(title), text_seg=SEG.cut_for_index(text),
        published_at=NOW - dt.timedelta(minutes=minutes_ago), crawled_at=NOW - dt.timedelta(minutes=minutes_ago - 2),
        reprint_of=reprint_of, incident_id=incident, sentiment=Sentiment(label=sentiment, score=-0.5),  # type: ignore[arg-type]
        emotion=Emotion(label=emotion), priorities=[PriorityHit(id=priority, confidence=0.8)] if priority else [],  # type: ignore[arg-type]
        place=Place(code=place, source="text") if place else None,
    )


class Data:
    chem = stable_id("mtest", "inc-chem")  # prov_emergency, assigned, with a running clock
    school = stable_id("mtest", "inc-school")  # prov_health, later than chem


@pytest.fixture(scope="module")
def data(cstore: Store, seeded: Any) -> type[Data]:
    d = Data
    chem = sample.incident(d.chem, now=NOW, title="化工厂爆炸", office="prov_emergency", state="assigned",
                           age=dt.timedelta(hours=3))
    school = sample.incident(d.school, now=NOW, title="学校食堂问题", office="prov_health", state="assigned",
                             age=dt.timedelta(hours=1), priorities=["public_interest"])
    mentions = [
        mention("chem-1", title="昆明一化工厂发生爆炸", text="今晨官渡区一化工厂发生爆炸，现场浓烟滚滚，消防赶赴救援。",
                incident=d.chem, priority="emergency", place="530111", minutes_ago=170),
        mention("chem-2", title="化工厂爆炸后续", text="爆炸致两人受伤，周边居民已疏散。", incident=d.chem,
                priority="emergency", place="530111", minutes_ago=120, source="demo-weibo", tier="self_media",
                emotion="fear"),
        mention("school-1", title="学校食堂饭菜变质", text="家长反映某学校食堂饭菜变质，孩子腹痛。", incident=d.school,
                priority="public_interest", place="530300", minutes_ago=55, sentiment="negative", emotion="angry"),
        mention("loose-1", title="网友热议暖气不热", text="多个小区供暖不足，居民家中只有十五度。", minutes_ago=5,
                sentiment="neutral", emotion="sad", source="demo-local-news", tier="local", place="530102"),
        mention("formula", title='=HYPERLINK("http://evil.example","点我")', text="+1 恶意单元格 @SUM(A1) 扶贫",
                minutes_ago=60 * 30, sentiment="positive", emotion="happy"),
    ]
    clock = sample.clock(d.chem, opened_at=NOW - dt.timedelta(hours=3), due_at=NOW + dt.timedelta(hours=2))
    sample.put(cstore, chem, school, *mentions, clock)
    return d


def sign_in(client: TestClient, name: str, password: str) -> str:
    resp = client.post("/api/session", json={"name": name, "password": password})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["csrf_token"])


def ids_of(resp: Any) -> list[str]:
    return [item["mention"]["id"] for item in resp.json()["items"]]


def mid(tag: str) -> str:
    return stable_id("mtest", tag)


# -- search and stream ---------------------------------------------------------------------------------


def test_search_finds_a_word_only_the_mention_text_holds_and_highlights_it(app, password, data):
    client = TestClient(app)
    sign_in(client, "duty", password)
    resp = client.get("/api/mentions", params={"q": "浓烟"})
    assert resp.status_code == 200
    assert ids_of(resp) == [mid("chem-1")]
    item = resp.json()["items"][0]
    assert item["incident_title"] == "化工厂爆炸"
    assert any("<mark>浓烟</mark>" in f for f in item["fragments_html"])
    # part of a jieba word (化工 in 化工厂) is still found, and every word must appear
    assert set(ids_of(client.get("/api/mentions", params={"q": "化工"}))) == {mid("chem-1"), mid("chem-2")}
    assert ids_of(client.get("/api/mentions", params={"q": "化工 受伤"})) == [mid("chem-2")]
    assert ids_of(client.get("/api/mentions", params={"q": "不存在的词语组合"})) == []


def test_search_page_escapes_crawled_text_around_highlights(app, password, seeded, xss):
    client = TestClient(app)
    sign_in(client, "duty", password)
    page = client.get("/mentions", params={"q": "塌方"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;xss-title&#34;)&lt;/script&gt;<mark>塌方</mark>" in page.text


def test_filters_narrow_the_search(app, password, data):
    client = TestClient(app)
    sign_in(client, "duty", password)

    def found(**params: str) -> set[str]:
        resp = client.get("/api/mentions", params={"size": "100", **params})
        assert resp.status_code == 200, resp.text
        return set(ids_of(resp)) & {mid(t) for t in ("chem-1", "chem-2", "school-1", "loose-1", "formula")}

    assert found(source="demo-weibo") == {mid("chem-2")}
    assert found(tier="local") == {mid("loose-1")}
    assert found(sentiment="positive") == {mid("formula")}
    assert found(emotion="fear") == {mid("chem-2")}
    assert found(priority="public_interest") == {mid("school-1")}
    assert found(place="530100") == {mid("chem-1"), mid("chem-2"), mid("loose-1")}  # the city with its districts
    assert found(place="530300") == {mid("school-1")}
    assert found(since="2026-11-22", until="2026-11-22") == {mid("formula")}  # published 30 h before NOW
    assert mid("formula") not in found(since="2026-11-23")
    assert found(grouped="no") == {mid("loose-1"), mid("formula")}
    assert client.get("/api/mentions", params={"since": "昨天"}).status_code == 422


def test_stream_is_newest_first_and_refreshes_itself(app, password, data):
    client = TestClient(app)
    sign_in(client, "duty", password)
    items = client.get("/api/mentions", params={"size": "100"}).json()["items"]
    times = [i["mention"]["published_at"] for i in items]
    assert times == sorted(times, reverse=True)
    page = client.get("/mentions")
    assert 'data-refresh="60"' in page.text and "最新在前" in page.text
    assert 'data-refresh' not in client.get("/mentions", params={"q": "爆炸"}).text


def test_office_staff_search_only_their_incidents_mentions(app, password, data):
    client = TestClient(app)
    sign_in(client, "health", password)
    found = set(ids_of(client.get("/api/mentions", params={"size": "100"})))
    assert mid("school-1") in found
    assert not found & {mid("chem-1"), mid("chem-2"), mid("loose-1")}
    assert client.get(f"/api/mentions/{mid('chem-1')}").status_code == 403
    assert client.get(f"/mentions/{mid('loose-1')}").status_code == 403
    assert client.get(f"/mentions/{mid('school-1')}").status_code == 200


# -- grouping --------------------------------------------------------------------------------------------


def _fresh_pair(cstore: Store, *, second_state: str = "assigned") -> tuple[str, str, list[str], list[str]]:
    """Two incidents about one event (the first 4 h old with a running clock, the second 1 h old with
    its own), each with mentions; returns their ids and mention ids."""
    tag = uuid.uuid4().hex[:8]
    first, second = stable_id("pair", tag, 1), stable_id("pair", tag, 2)
    a = sample.incident(first, now=NOW, title="水库溃坝传闻", state="assigned", age=dt.timedelta(hours=4))
    b = sample.incident(second, now=NOW, title="水库大坝出现裂缝", state=second_state, age=dt.timedelta(hours=1),
                        office="prov_health")
    ma = [mention(f"{tag}-a{i}", title=f"水库溃坝传闻{i}", text="网传某水库溃坝，下游村庄被淹。", incident=first,
                  priority="false_info", place="530111", minutes_ago=240 - i) for i in range(2)]
    mb = [mention(f"{tag}-b{i}", title=f"水库大坝裂缝{i}", text="水库大坝出现裂缝，水利部门正在排查。", incident=second,
                  priority="emergency", place="530111", minutes_ago=60 - i) for i in range(2)]
    ca = sample.clock(first, opened_at=NOW - dt.timedelta(hours=4), due_at=NOW + dt.timedelta(hours=1))
    cb = sample.clock(second, opened_at=NOW - dt.timedelta(hours=1), due_at=NOW + dt.timedelta(hours=4),
                      office="prov_health")
    sample.put(cstore, a, b, *ma, *mb, ca, cb)
    return first, second, [m.id for m in ma], [m.id for m in mb]


def test_merge_keeps_the_earlier_incident_and_its_clocks_and_closes_the_other(app, cstore, password):
    first, second, _ma, mb = _fresh_pair(cstore)
    client = TestClient(app)
    token = sign_in(client, "duty", password)
    # asked from the later incident: the earlier one still survives
    resp = client.post(f"/api/incidents/{second}/merge", json={"other": first}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["incident_id"] == first and out["absorbed"] == second and out["changed"] is True
    survivor = client.get(f"/api/incidents/{first}").json()
    absorbed = client.get(f"/api/incidents/{second}").json()
    assert survivor["incident"]["mention_count"] == 4  # recomputed from the stored mentions
    assert survivor["incident"]["merged_from"] == [second]
    assert survivor["incident"]["state"] == "assigned"  # its record untouched
    assert [c["state"] for c in survivor["clocks"]] == ["running"]
    assert absorbed["incident"]["state"] == "merged" and absorbed["incident"]["merged_into"] == first
    assert [c["state"] for c in absorbed["clocks"]] == ["waived"]
    assert "并入事件「水库溃坝传闻" in absorbed["clocks"][0]["waived_reason"]
    moved = cstore.mget("mentions", mb)
    assert {d["incident_id"] for d in moved.values()} == {first}
    assert all(d["grouping"]["manual"] and d["grouping"]["action"] == "merge" for d in moved.values())
    assert "absorb" in {e["action"] for e in survivor["audit"]}
    assert {"merge", "waive"} <= {e["action"] for e in absorbed["audit"]}
    # a repeat finds the work done
    again = client.post(f"/api/incidents/{first}/merge", json={"other": second}, headers={"X-CSRF-Token": token})
    assert again.status_code == 200 and again.json()["changed"] is False
    # the merged one can no longer take part
    third, *_ = _fresh_pair(cstore)
    refused = client.post(f"/api/incidents/{third}/merge", json={"other": second}, headers={"X-CSRF-Token": token})
    assert refused.status_code == 409 and "已合并" in refused.json()["detail"]
    page = client.get(f"/incidents/{second}")
    assert "本事件已合并至" in page.text and f'href="/incidents/{first}"' in page.text


def test_split_moves_chosen_mentions_with_reprints_into_a_new_routed_incident(app, cstore, password):
    first, _second, ma, _mb = _fresh_pair(cstore)
    reprint = mention(f"rep-{uuid.uuid4().hex[:6]}", title="转载：水库溃坝传闻0", text="网传某水库溃坝，下游村庄被淹。",
                      incident=first, reprint_of=ma[0], minutes_ago=200)
    sample.put(cstore, reprint)
    client = TestClient(app)
    token = sign_in(client, "admin", password)
    resp = client.post(f"/api/incidents/{first}/split", json={"mention_ids": [ma[0]], "reason": "另一事件"},
                       headers={"X-CSRF-Token": token})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    new_id = out["incident_id"]
    assert sorted(out["moved"]) == sorted([ma[0], reprint.id])
    new = client.get(f"/api/incidents/{new_id}").json()
    assert new["incident"]["mention_count"] == 2 and new["incident"]["split_from"] == first
    assert new["incident"]["routing"] is not None and new["incident"]["state"] == "assigned"  # routed at once
    assert new["incident"]["title"] == "水库溃坝传闻0"
    source = client.get(f"/api/incidents/{first}").json()
    assert source["incident"]["mention_count"] == 1
    assert [c["state"] for c in source["clocks"]] == ["running"]  # the source keeps its record
    assert "split" in {e["action"] for e in source["audit"]}
    assert client.post(f"/api/incidents/{first}/split", json={"mention_ids": [ma[0]]},
                       headers={"X-CSRF-Token": token}).json()["changed"] is False
    everything = client.post(f"/api/incidents/{first}/split", json={"mention_ids": [ma[1]]},
                             headers={"X-CSRF-Token": token})
    assert everything.status_code == 409 and "全部信息" in everything.json()["detail"]


def test_open_and_attach_from_a_mention(app, cstore, password, data):
    client = TestClient(app)
    token = sign_in(client, "duty", password)
    loose = mention(f"loose-{uuid.uuid4().hex[:6]}", title="小区供暖不足居民投诉",
                    text="多个小区供暖不足，居民投诉无人理。", place="530102", priority="public_interest")
    stray = mention(f"stray-{uuid.uuid4().hex[:6]}", title="暖气不热有人管吗", text="供暖不足，投诉热线占线。")
    sample.put(cstore, loose, stray)
    opened = client.post(f"/api/mentions/{loose.id}/open-incident", json={"reason": "分析未归并"},
                         headers={"X-CSRF-Token": token})
    assert opened.status_code == 200, opened.text
    iid = opened.json()["incident_id"]
    inc = client.get(f"/api/incidents/{iid}").json()
    assert inc["incident"]["title"] == "小区供暖不足居民投诉" and inc["incident"]["mention_count"] == 1
    assert inc["incident"]["created_by"] == "duty"
    assert any(e["action"] == "open_from_mention" and e["reason"] == "分析未归并" for e in inc["audit"])
    assert client.post(f"/api/mentions/{loose.id}/open-incident", headers={"X-CSRF-Token": token}).json()[
        "changed"] is False
    # moving the only mention of an incident away is a merge, not an attach
    lonely = client.post(f"/api/mentions/{loose.id}/attach", json={"incident_id": data.school},
                         headers={"X-CSRF-Token": token})
    assert lonely.status_code == 409 and "合并" in lonely.json()["detail"]
    attached = client.post(f"/api/mentions/{stray.id}/attach", json={"incident_id": iid},
                           headers={"X-CSRF-Token": token})
    assert attached.status_code == 200, attached.text
    assert client.get(f"/api/incidents/{iid}").json()["incident"]["mention_count"] == 2
    assert "attach_mention" in {e["action"] for e in client.get(f"/api/incidents/{iid}").json()["audit"]}
    assert client.post(f"/api/mentions/{stray.id}/attach", json={"incident_id": "nope"},
                       headers={"X-CSRF-Token": token}).status_code == 404


def test_only_the_duty_desk_regroups_and_every_post_needs_csrf(app, cstore, password, data):
    first, second, ma, _ = _fresh_pair(cstore)
    for name in ("boss", "emerg", "health"):
        client = TestClient(app)
        token = sign_in(client, name, password)
        assert client.post(f"/api/incidents/{first}/merge", json={"other": second},
                           headers={"X-CSRF-Token": token}).status_code == 403
        assert client.post(f"/api/mentions/{ma[0]}/open-incident", headers={"X-CSRF-Token": token}).status_code == 403
        if name != "boss":
            assert client.get(f"/incidents/{first}/grouping").status_code == 403
    client = TestClient(app)
    sign_in(client, "duty", password)
    assert client.post(f"/api/incidents/{first}/split", json={"mention_ids": [ma[0]]}).status_code == 403
    page = client.post(f"/mentions/{ma[0]}/open-incident", data={"csrf_token": "forged"}, follow_redirects=False)
    assert page.status_code == 403
    assert cstore.get("mentions", ma[0])["incident_id"] == first  # nothing moved


def test_grouping_forms_work_without_scripts(app, cstore, password):
    first, second, ma, _ = _fresh_pair(cstore)
    client = TestClient(app)
    sign_in(client, "duty", password)
    page = client.get(f"/incidents/{first}/grouping")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    assert f'value="{second}"' in page.text  # offered for merging: shares its words
    resp = client.post(f"/incidents/{first}/split", data={"csrf_token": token, "mention_id": [ma[1]]},
                       follow_redirects=False)
    assert resp.status_code == 303
    new_id = resp.headers["location"].rsplit("/", 1)[1]
    assert cstore.get("mentions", ma[1])["incident_id"] == new_id
    resp = client.post(f"/incidents/{first}/merge", data={"csrf_token": token, "other": new_id}, follow_redirects=True)
    assert "已合并" in resp.text


# -- the analyser respects a person's grouping ------------------------------------------------------------


def test_analyze_never_regroups_mentions_a_person_moved(store, config):
    from analysis.api import analyze_pending

    # three reports of one fire the analysis groups together
    texts = [("昆明官渡区一化工厂发生火灾", "官渡区一化工厂今晨发生火灾，消防正在扑救，暂无人员伤亡。"),
             ("官渡区化工厂火灾现场", "官渡区化工厂火灾现场浓烟滚滚，消防正在扑救。"),
             ("官渡区化工厂火灾已扑灭", "官渡区化工厂火灾已被扑灭，暂无人员伤亡。")]
    docs = [mention(f"fire-{i}", title=t, text=x, source="demo-news", minutes_ago=90 - 10 * i).model_copy(
        update={"incident_id": None, "sentiment": None, "emotion": None, "priorities": [], "place": None})
        for i, (t, x) in enumerate(texts)]
    sample.put(store, *docs)
    analyze_pending(store, config, now=NOW)
    store.refresh("mentions", "incidents")
    grouped = {d["id"]: d.get("incident_id") for d in store.find("mentions", None)}
    assert len(set(grouped.values())) == 1 and None not in grouped.values(), grouped
    original = next(iter(grouped.values()))
    result = grouping.split_incident(store, config, original, [docs[2].id], actor="duty", now=NOW)
    # the analysis runs again over the moved mention (a new analysis version, say)
    store.update("mentions", docs[2].id, {"analysis_version": "older"}, refresh=True)
    stats = analyze_pending(store, config, now=NOW + dt.timedelta(minutes=5))
    assert stats.analyzed == 1
    store.refresh("mentions", "incidents")
    assert store.get("mentions", docs[2].id)["incident_id"] == result.incident_id
    assert store.get("incidents", result.incident_id)["mention_count"] == 1
    assert store.get("incidents", original)["mention_count"] == 2


# -- exports -------------------------------------------------------------------------------------------


def _sheet(content: bytes) -> list[tuple[Any, ...]]:
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    assert ws is not None
    return list(ws.iter_rows(values_only=True))


def test_mention_search_exports_to_excel_without_formulas(app, password, data):
    client = TestClient(app)
    sign_in(client, "duty", password)
    resp = client.get("/export/mentions.xlsx", params={"q": "扶贫"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in resp.headers["content-disposition"]
    rows = _sheet(resp.content)
    assert rows[0][:4] == ("标题", "信息源", "发布者", "媒体类型")
    assert len(rows) == 2
    title, *_rest = rows[1]
    assert title == '\'=HYPERLINK("http://evil.example","点我")'
    assert rows[1][-1].startswith("'+1 恶意单元格")
    wb = load_workbook(io.BytesIO(resp.content))
    assert all(c.data_type != "f" for row in wb.active.iter_rows() for c in row)  # type: ignore[union-attr]
    assert rows[1][6] == "正面" and rows[1][7] == "喜悦"  # Chinese names, not codes
    chem = _sheet(client.get("/api/export/mentions.xlsx", params={"q": "爆炸"}).content)
    assert {r[0] for r in chem[1:]} == {"昆明一化工厂发生爆炸", "化工厂爆炸后续"}
    assert {r[10] for r in chem[1:]} == {"化工厂爆炸"}


def test_incident_list_exports_with_the_queue_filters_and_office_rule(app, password, data, config):
    client = TestClient(app)
    sign_in(client, "duty", password)
    rows = _sheet(client.get("/export/incidents.xlsx", params={"office": "prov_health", "state": "all"}).content)
    assert rows[0][:4] == ("事件编号", "事件标题", "级别", "状态")
    titles = {r[1] for r in rows[1:]}
    assert "学校食堂问题" in titles and "化工厂爆炸" not in titles
    school = next(r for r in rows[1:] if r[1] == "学校食堂问题")
    assert school[3] == "已交办" and school[6] == office_name(config.offices, "prov_health")  # names, not codes
    office = TestClient(app)
    sign_in(office, "health", password)
    own = {r[1] for r in _sheet(office.get("/export/incidents.xlsx", params={"state": "all"}).content)[1:]}
    assert "化工厂爆炸" not in own and "学校食堂问题" in own
    assert office.get("/api/export/incidents.xlsx").status_code == 200
    assert TestClient(app).get("/api/export/incidents.xlsx").status_code == 401
