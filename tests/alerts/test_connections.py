"""Connection ids resolve from AIRFLOW_CONN_<ID> / YUQING_CONN_<ID> in Airflow's URI and JSON forms."""

from __future__ import annotations

import json
import types

import pytest

from yuqing.connections import Connection, ConnectionNotFound, env_resolver, from_object, parse, to_json


def test_uri_form_gives_every_field_and_the_query_as_extra() -> None:
    conn = parse("c", "smtp://alerts%40gov.cn:p%40ss%2Fw@smtp.exmail.qq.com:465/mail?security=ssl&from=a%40b.cn")
    assert (conn.conn_type, conn.host, conn.port, conn.schema) == ("smtp", "smtp.exmail.qq.com", 465, "mail")
    assert (conn.login, conn.password) == ("alerts@gov.cn", "p@ss/w")
    assert conn.extra == {"security": "ssl", "from": "a@b.cn"}


def test_uri_form_with_json_extra_and_host_with_protocol() -> None:
    extra = json.dumps({"secret": "SECabc"})
    conn = parse("c", f"http://https://oapi.dingtalk.com?__extra__={extra}")
    assert conn.host == "https://oapi.dingtalk.com" and conn.extra == {"secret": "SECabc"}
    assert conn.base_url() == "https://oapi.dingtalk.com"


def test_uri_form_key_as_password_builds_the_base_url() -> None:
    conn = parse("c", "http://:KEY123@127.0.0.1:8080")
    assert conn.password == "KEY123" and not conn.login
    assert conn.base_url() == "http://127.0.0.1:8080"


def test_json_form_with_extra_as_object_or_string() -> None:
    a = parse("c", '{"conn_type": "http", "host": "qyapi.weixin.qq.com", "password": "k", "extra": {"x": 1}}')
    b = parse("c", '{"conn_type": "smtp", "host": "h", "port": "587", "extra": "{\\"security\\": \\"starttls\\"}"}')
    assert a.base_url() == "http://qyapi.weixin.qq.com" and a.extra == {"x": 1}
    assert b.port == 587 and b.extra == {"security": "starttls"}
    assert parse("c", to_json(a)) == a


def test_airflow_variable_wins_over_yuqing_variable_and_missing_names_both() -> None:
    env = {"AIRFLOW_CONN_YUQING_SMS": "http://:a@airflow.example", "YUQING_CONN_YUQING_SMS": "http://:y@y.example",
           "YUQING_CONN_YUQING_SMTP": '{"host": "mail.example", "port": 465}'}
    resolve = env_resolver(env)
    assert resolve("yuqing_sms").password == "a"
    assert resolve("yuqing_smtp").host == "mail.example"
    with pytest.raises(ConnectionNotFound, match=r"AIRFLOW_CONN_YUQING_NOPE.*YUQING_CONN_YUQING_NOPE"):
        resolve("yuqing_nope")


def test_description_and_repr_never_show_the_secret() -> None:
    conn = parse("c", "http://:TOPSECRET@qyapi.weixin.qq.com/cgi-bin?secret=SECxyz")
    assert "TOPSECRET" not in conn.describe() + repr(conn) and "SECxyz" not in conn.describe() + repr(conn)


def test_an_airflow_connection_object_is_adapted_without_importing_airflow() -> None:
    obj = types.SimpleNamespace(conn_type="http", host="open.feishu.cn", login=None, password="tok", port=None,
                                schema="", extra_dejson={"secret": "s"})
    assert from_object("f", obj) == Connection("f", "http", "open.feishu.cn", None, "tok", None, None, {"secret": "s"})
