"""An escalation names the deadline that was missed, how long overdue, and whose it was — not the
next deadline still running."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from alerts import api
from demo.receivers import Receivers
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import Clock
from yuqing.storage import Store

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


def test_escalated_incident_message_names_the_missed_deadline_its_overdue_time_and_owner(
        store: Store, config: Config, receivers: Receivers, h: types.SimpleNamespace) -> None:
    opened = T0 - dt.timedelta(hours=7, minutes=15)
    h.put_incident(store, "late", level="II", state="escalated", office="prov_emergency", at=opened)
    missed = Clock(id="c-late-5h", incident_id="late", rule_id="authoritative_info",
                   name_zh="发布权威信息（5小时内）", opened_at=opened, due_at=opened + dt.timedelta(hours=5),
                   state="missed", missed_at=opened + dt.timedelta(hours=5), owner_office="prov_emergency")
    running = Clock(id="c-late-24h", incident_id="late", rule_id="press_conference",
                    name_zh="举行新闻发布会（24小时内）", opened_at=opened, due_at=opened + dt.timedelta(hours=24),
                    owner_office="prov_emergency")
    for c in (missed, running):
        store.put("clocks", c.id, c.to_doc(), refresh=True)

    api.dispatch(store, config, now=T0)
    texts = [r.text for r in receivers.received("duty_wecom")]
    escalation = next(t for t in texts if "已升级舆情事件" in t)
    assert "发布权威信息（5小时内）" in escalation
    assert "已超时2小时15分钟" in escalation
    assert "责任单位：省应急管理厅" in escalation
    assert "举行新闻发布会" not in escalation and "剩余" not in escalation  # not the next deadline
    # The clock-missed alert to the office head says the same.
    missed_alert = next(t for t in (r.text for r in receivers.received("duty_dingtalk")) if "时限已超期" in t)
    assert "发布权威信息（5小时内）" in missed_alert and "已超时2小时15分钟" in missed_alert
    assert "责任单位：省应急管理厅" in missed_alert
    sms = receivers.received("leader_sms")
    assert sms and "已超时2小时15分钟" in sms[0].text and "省应急管理厅" in sms[0].text
