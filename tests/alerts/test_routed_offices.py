"""Every office routing names is told: the supporting (配合) and notified (通报) offices of a
false-information incident each get their own alert at the real local receivers, saying their part,
and each acknowledges for itself."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from alerts import api
from demo.receivers import Receivers
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import Delivery, Incident, Routing, Severity
from yuqing.storage import Store

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday, office hours


def false_info_incident(store: Store, incident_id: str = "rumour") -> Incident:
    """A rumour in 昆明 as routing leaves it: the city leads, 信息处 supports, police and the
    cyberspace office are notified (rule false_info_illegal)."""
    incident = Incident(
        id=incident_id, title="网传昆明自来水受污染不能饮用",
        summary="多个微信群转发称自来水受污染，经初步核实为不实信息。",
        first_seen_at=T0, last_seen_at=T0, first_mention_id=f"m-{incident_id}", mention_count=8,
        place_codes=["530100"], priorities=["false_info"], handling_kind="false_info",
        severity=Severity(level="IV", score=0.4), state="assigned",
        routing=Routing(lead_office="kunming_gov", supporting_offices=["info_division"],
                        notify=["police", "cyberspace_office"], rule_id="false_info_illegal", reason_zh="测试",
                        routed_at=T0),
        created_at=T0, updated_at=T0,
    )
    store.put("incidents", incident.id, incident.to_doc(), refresh=True)
    return incident


def office_deliveries(store: Store, office: str) -> list[Delivery]:
    store.refresh("deliveries")
    return [Delivery.from_doc(d) for d in store.find(
        "deliveries", {"bool": {"filter": [{"term": {"office": office}}, {"term": {"incident_id": "rumour"}}]}},
        sort=[{"created_at": "asc"}])]


def hook_for(receivers: Receivers, contact: str) -> list[dict[str, object]]:
    """The webhook payloads (data) addressed to one contact."""
    out = []
    for r in receivers.received("ops_webhook"):
        data = r.body["data"]  # type: ignore[index]
        if any(c["name"] == contact for c in data["recipients"]):
            out.append(data)
    return out


def test_supporting_and_notified_offices_each_get_their_own_alert_and_acknowledge_for_themselves(
        store: Store, config: Config, receivers: Receivers) -> None:
    false_info_incident(store)
    stats = api.dispatch(store, config, now=T0)
    assert stats.failed == 0

    # Police and the cyberspace office: one message each, at their own webhook address, saying what
    # they are and what is asked of them.
    police = hook_for(receivers, "公安厅网安联络员")
    cyber = hook_for(receivers, "网信办联络员")
    assert len(police) == 1 and len(cyber) == 1
    for data, office in ((police[0], "police"), (cyber[0], "cyberspace_office")):
        assert {r["office"] for r in data["recipients"]} == {office}  # type: ignore[union-attr]
        text = json.dumps(data, ensure_ascii=False)
        assert "通报单位：知悉并依法处置" in text and "网传昆明自来水受污染不能饮用" in text
        assert "昆明市人民政府办公室" in text  # who leads
    # 信息处 (supporting) sits in the duty desk's WeCom group: its alert arrives there, named.
    wecom = "\n".join(r.text for r in receivers.received("duty_wecom"))
    assert "信息处" in wecom and "配合单位：配合提供情况" in wecom
    # The lead's own alert still goes to the city's robot, saying it leads.
    city = "\n".join(r.text for r in receivers.received("city_wecom"))
    assert "牵头单位：牵头办理" in city

    police_d, cyber_d, info_d = (office_deliveries(store, o) for o in ("police", "cyberspace_office", "info_division"))
    assert police_d and cyber_d and info_d
    assert {d.alert_key for d in police_d}.isdisjoint({d.alert_key for d in cyber_d})

    # The police acknowledge their own alert; the lead's acknowledgement of the incident would not
    # silence the others either.
    api.acknowledge(store, police_d[0].id, "公安厅网安联络员", T0 + dt.timedelta(minutes=10))
    store.update("incidents", "rumour", {"acknowledged_at": (T0 + dt.timedelta(minutes=5)).isoformat(),
                                         "acknowledged_by": "昆明市舆情联络员", "state": "acknowledged"},
                 refresh=True)
    receivers.reset()
    # Two hours on, the ladder's next step (III–IV: office head after 2 h) goes to every office that
    # has not acknowledged — the cyberspace office and 信息处 — and not to the police.
    later = T0 + dt.timedelta(hours=2, minutes=1)
    api.dispatch(store, config, now=later)
    assert hook_for(receivers, "网信办联络员"), "the cyberspace office was not reminded"
    assert hook_for(receivers, "公安厅网安联络员") == []
    assert len(office_deliveries(store, "police")) == len(police_d)
    assert len(office_deliveries(store, "cyberspace_office")) > len(cyber_d)
    assert len(office_deliveries(store, "info_division")) > len(info_d)
    # 信息处 has an office head of its own: the step reaches it, not the duty desk's head.
    ding = "\n".join(r.text for r in receivers.received("duty_dingtalk"))
    assert "配合单位：配合提供情况" in ding

    # The cyberspace office acknowledges in turn: nothing more for it.
    step = office_deliveries(store, "cyberspace_office")[-1]
    api.acknowledge(store, step.id, "网信办联络员", later)
    receivers.reset()
    api.dispatch(store, config, now=later + dt.timedelta(hours=6))
    assert hook_for(receivers, "网信办联络员") == [] and hook_for(receivers, "公安厅网安联络员") == []
