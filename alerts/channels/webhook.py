"""Generic JSON webhook following Standard Webhooks: ``webhook-id`` (the idempotency key, the same on
every retry), ``webhook-timestamp`` and ``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(secret,
"{id}.{ts}.{raw body}")).

Connection: ``host`` (base URL), ``schema`` = the path, ``password`` = the secret (``whsec_<base64>``
or raw text). 2xx delivered; 408/429/5xx/timeout retried; other 4xx permanent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from alerts.channels.base import Channel, Message, SendResult, json_body, register
from yuqing.clock import iso


def secret_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode("utf-8")


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


@register
class WebhookChannel(Channel):
    type = "webhook"
    idempotent = True  # receivers deduplicate by webhook-id

    def payload(self, message: Message) -> dict[str, object]:
        return {
            "type": "alert.triggered",
            "timestamp": iso(message.now),
            "data": {
                "id": message.batch_id,
                "level": message.level,
                "recipients": [{"name": c.name, "role": c.role, "office": c.office_id} for c in message.contacts],
                "alerts": message.items,
            },
        }

    def send(self, message: Message) -> SendResult:
        body = json_body(self.payload(message))
        ts = int(time.time())  # the receiver checks it against its clock
        headers = {"Content-Type": "application/json; charset=utf-8", "webhook-id": message.batch_id,
                   "webhook-timestamp": str(ts)}
        if self.conn.password:
            headers["webhook-signature"] = signature(self.conn.password, message.batch_id, ts, body)
        url = self.conn.base_url() + "/" + (self.conn.schema or "").lstrip("/")
        status, _, failed = self.post(url, body, headers)
        if failed:
            return failed
        answer = {"http_status": status}
        if 200 <= status < 300:
            return SendResult("delivered", answer)
        if status in (408, 429) or status >= 500:
            return SendResult("retryable", answer, f"HTTP {status}")
        return SendResult("permanent", answer, f"HTTP {status}")
