"""Channels against the local receivers directly (no Elasticsearch): formats, TLS modes, signatures."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from alerts.channels import Message, build
from alerts.recipients import find_contact
from demo.receivers import Receivers
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.connections import env_resolver, parse

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
FACTS = {"headline_zh": "新发舆情事件", "title": "楚雄市化工企业爆炸 已造成3人死亡", "level": "II",
         "level_zh": "重大（II级）", "place_zh": "楚雄市", "office_zh": "楚雄州人民政府办公室", "state_zh": "已交办",
         "reasons": ["命中收集重点：重大突发事件"], "url": "http://127.0.0.1:8600/incidents/abc"}


def message(config: Config, *names: str) -> Message:
    contacts = [c for c in (find_contact(config, n) for n in names) if c is not None]
    return Message(batch_id="batch-1", items=[FACTS], contacts=contacts, level="II", now=NOW)


def spec(config: Config, channel_id: str, **update: object):  # type: ignore[no-untyped-def]
    base = next(c for c in config.alerts.channels if c.id == channel_id)
    return base.model_copy(update=update)


def receivers_env(receivers: Receivers, config: Config) -> dict[str, str]:
    """The connection variables the ``receivers`` fixture set for the shipped channels."""
    return {k: v for k, v in os.environ.items() if k.startswith("AIRFLOW_CONN_")}


def test_email_over_starttls_with_auth_and_a_chinese_subject(
        config: Config, receivers: Receivers) -> None:
    conn = json.loads(receivers_env(receivers, config)["AIRFLOW_CONN_YUQING_SMTP"])
    conn["port"] = receivers.smtp_ports["starttls"]
    conn["extra"]["security"] = "starttls"
    env = {"AIRFLOW_CONN_YUQING_SMTP": json.dumps(conn)}
    result = build(spec(config, "duty_email"), env_resolver(env)).send(message(config, "省舆情值班室"))
    assert result.outcome == "delivered", result
    [mail] = [m for m in receivers.received(channel="email") if m.robot == "starttls"]
    msg = mail.email()
    assert str(msg["Subject"]).startswith("【舆情预警】") and "楚雄市化工企业爆炸" in str(msg["Subject"])
    assert msg["Message-ID"] == "<batch-1@yuqing-watch>" and msg["Date"]
    assert mail.mail_from == conn["login"] and mail.rcpt_tos == ["duty@yuqing.example"]


def test_email_refuses_an_unverified_certificate(config: Config, receivers: Receivers) -> None:
    conn = json.loads(receivers_env(receivers, config)["AIRFLOW_CONN_YUQING_SMTP"])
    del conn["extra"]["ca_file"]  # the self-signed certificate is not trusted: never send in clear
    result = build(spec(config, "duty_email"), env_resolver({"AIRFLOW_CONN_YUQING_SMTP": json.dumps(conn)})).send(
        message(config, "省舆情值班室"))
    assert result.outcome == "permanent" and "TLS" in (result.error or "")
    assert receivers.received(channel="email") == []


def test_wecom_text_mentions_mobiles_within_2048_bytes(config: Config, receivers: Receivers) -> None:
    resolve = env_resolver(receivers_env(receivers, config))
    channel = build(spec(config, "duty_wecom", format="text"), resolve)
    items = [{**FACTS, "title": FACTS["title"] + str(i), "summary": "网民反映" * 60} for i in range(12)]
    msg = message(config, "办公厅值班主任", "分管副秘书长")
    msg.items = items
    assert channel.send(msg).outcome == "delivered"
    [got] = receivers.received("duty_wecom")
    text = got.body["text"]  # type: ignore[index]
    assert text["mentioned_mobile_list"] == ["13800000001", "13800000002"]
    assert len(text["content"].encode("utf-8")) <= 2048 and "另有" in text["content"]


def test_dingtalk_mentions_appear_in_the_content(config: Config, receivers: Receivers) -> None:
    channel = build(spec(config, "duty_dingtalk"), env_resolver(receivers_env(receivers, config)))
    assert channel.send(message(config, "办公厅值班主任")).outcome == "delivered"
    [got] = receivers.received("duty_dingtalk")
    assert got.body["at"]["atMobiles"] == ["13800000001"] and not got.warnings  # type: ignore[index]


def test_connection_for_a_channel_never_appears_in_its_errors(config: Config, receivers: Receivers) -> None:
    env = receivers_env(receivers, config)
    key = parse("x", env["AIRFLOW_CONN_YUQING_DUTY_WECOM"]).password
    dead = {"AIRFLOW_CONN_YUQING_DUTY_WECOM": f"http://:{key}@127.0.0.1:9"}  # nothing listens on port 9
    result = build(spec(config, "duty_wecom"), env_resolver(dead)).send(message(config, "省舆情值班室"))
    assert result.outcome == "retryable" and key and key not in (result.error or "")
