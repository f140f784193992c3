"""SMS over an HTTP gateway, behind a small provider interface.

Providers (``extra.provider``):

- ``aliyun``: Aliyun ``SendSms``-shaped parameters (``PhoneNumbers``, ``SignName``, ``TemplateCode``,
  ``TemplateParam``) and answers (``Code: "OK"`` + ``BizId``; ``isv.*`` errors), posted as JSON
  to an in-house gateway or proxy that holds the Aliyun AccessKey (signing Aliyun's RPC API is
  the gateway's job);
- ``generic``: ``{"mobiles": [...], "content": "..."}`` → ``{"code": 0}``.

Requests carry ``x-sms-key`` (login) and ``x-sms-signature`` = base64(HMAC-SHA256(password, body)).
SMS is not idempotent: after a timeout the message may have gone out, so the outcome is
``unknown`` and it is never retried blindly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from alerts import messages
from alerts.channels.base import Channel, Message, SendResult, json_body, register

ALIYUN_RETRY = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling.User", "SignatureNonceUsed"}


class Provider:
    name = "generic"

    def body(self, mobiles: list[str], content: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {"mobiles": mobiles, "content": content}

    def outcome(self, data: Any) -> SendResult:
        if not isinstance(data, dict) or "code" not in data:
            return SendResult("unknown", {}, "answer without code")
        answer = {"code": data.get("code"), "msg": data.get("msg")}
        if data["code"] in (0, "0", "OK"):
            return SendResult("delivered", answer)
        if data["code"] in (429, "rate_limited"):
            return SendResult("retryable", answer, f"code {data['code']}", retry_after=60)
        return SendResult("permanent", answer, f"code {data['code']}: {data.get('msg')}")


class AliyunProvider(Provider):
    name = "aliyun"

    def body(self, mobiles: list[str], content: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {"PhoneNumbers": ",".join(mobiles), "SignName": extra.get("sign_name", "舆情监测"),
                "TemplateCode": extra.get("template_code", "SMS_ALERT"),
                "TemplateParam": json.dumps({"content": content}, ensure_ascii=False)}

    def outcome(self, data: Any) -> SendResult:
        if not isinstance(data, dict) or "Code" not in data:
            return SendResult("unknown", {}, "answer without Code")
        answer = {"Code": data.get("Code"), "Message": data.get("Message"), "BizId": data.get("BizId")}
        if data["Code"] == "OK":
            return SendResult("delivered", answer)
        if data["Code"] in ALIYUN_RETRY:
            return SendResult("retryable", answer, f"Code {data['Code']}", retry_after=300)
        return SendResult("permanent", answer, f"Code {data['Code']}: {data.get('Message')}")


PROVIDERS: dict[str, Provider] = {"generic": Provider(), "aliyun": AliyunProvider()}


@register
class SmsChannel(Channel):
    type = "sms"

    def send(self, message: Message) -> SendResult:
        mobiles = [c.mobile for c in message.contacts if c.mobile]
        if not mobiles:
            return SendResult("permanent", {}, "no mobile number")
        provider = PROVIDERS.get(str(self.conn.extra.get("provider", "generic")), PROVIDERS["generic"])
        body = json_body(provider.body(mobiles, messages.sms(message.items), dict(self.conn.extra)))
        headers = {"Content-Type": "application/json; charset=utf-8", "x-sms-key": self.conn.login or ""}
        if self.conn.password:
            mac = hmac.new(self.conn.password.encode(), body, hashlib.sha256).digest()
            headers["x-sms-signature"] = base64.b64encode(mac).decode()
        url = self.conn.base_url() + "/" + (self.conn.schema or "sms/send").lstrip("/")
        status, data, failed = self.post(url, body, headers)
        if failed:
            return failed
        if status >= 500 or status == 429:
            return SendResult("retryable", {"http_status": status}, f"HTTP {status}")
        if status != 200:
            return SendResult("permanent", {"http_status": status}, f"HTTP {status}")
        return provider.outcome(data)
