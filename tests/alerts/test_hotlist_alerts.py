"""Hot-list alert rules (an entry that matters entered a list; it climbed into the top N) and the
expired-login source alert, delivered to real local receivers."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from alerts import api
from demo.receivers import Receivers
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import HotlistEntry, stable_id
from yuqing.storage import Store

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

MIN = dt.timedelta(minutes=1)
T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


def put_entry(store: Store, title: str, rank: int, at: dt.datetime, *, relevant: bool = True) -> None:
    key = "hot:" + title
    entry = HotlistEntry(id=stable_id("demo-hot", key, at.isoformat()), source_id="demo-hot", key=key, title=title,
                         url="http://127.0.0.1/hot", rank=rank, heat=100_000 * (60 - rank), at=at,
                         relevant=relevant, priorities=["emergency"] if relevant else [], terms=["火灾"])
    store.put("hotlist", entry.id, entry.to_doc(), refresh=True)


def duty_texts(receivers: Receivers) -> list[str]:
    return [m.text for m in receivers.received("duty_wecom")]


def test_entering_a_hot_list_and_climbing_into_the_top_ten_alert_once_each(
        store: Store, config: Config, receivers: Receivers) -> None:
    put_entry(store, "昆明一小区突发火灾", 35, T0)
    put_entry(store, "某明星官宣恋情", 1, T0, relevant=False)  # touches nothing: no alert
    api.dispatch(store, config, now=T0 + MIN)
    [entered] = duty_texts(receivers)
    assert "登上热榜" in entered and "昆明一小区突发火灾" in entered and "第35位" in entered
    assert "官宣" not in entered

    put_entry(store, "昆明一小区突发火灾", 18, T0 + 10 * MIN)
    api.dispatch(store, config, now=T0 + 11 * MIN)
    assert len(duty_texts(receivers)) == 1  # still outside the top 10; "entered" is not repeated

    put_entry(store, "昆明一小区突发火灾", 4, T0 + 20 * MIN)
    api.dispatch(store, config, now=T0 + 21 * MIN)
    texts = duty_texts(receivers)
    assert len(texts) == 2 and "热榜排名上升" in texts[1] and "第4位" in texts[1]
    put_entry(store, "昆明一小区突发火灾", 2, T0 + 30 * MIN)
    api.dispatch(store, config, now=T0 + 31 * MIN)
    assert len(duty_texts(receivers)) == 2  # already in the top 10: no new alert


def test_expired_login_alerts_the_duty_desk_once(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    h.put_health(store, "demo-news", status="login_required", error_rate=1.0)
    api.dispatch(store, config, now=T0 + MIN)
    [msg] = receivers.received("duty_wecom")
    assert "信息源需要重新登录" in msg.text and "Cookie" in msg.text
    assert "信息源采集失败" not in msg.text  # one alert, saying why
