"""Feishu / Lark (飞书) custom robot: interactive card (lark_md) or text, with 签名校验.

Connection: ``host`` (base URL), ``password`` = the hook token, ``extra.secret`` = signing secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote

from alerts import messages
from alerts.channels.base import Channel, Message, SendResult, register

RATE_LIMITED = {11232}
BODY_LIMIT = 20000
TEMPLATE = {"I": "red", "II": "red", "III": "orange", "IV": "yellow"}


def sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key=f"{ts}\\n{secret}", msg=b"")): the string is the key, the message empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@register
class FeishuChannel(Channel):
    type = "feishu"

    def payload(self, message: Message) -> dict[str, object]:
        if self.spec.format == "text":
            body: dict[str, object] = {"msg_type": "text", "content": {"text": messages.text(
                message.items, limit=BODY_LIMIT - 2000, keyword=self.spec.keyword)}}
        else:
            md = messages.markdown(message.items, dialect="lark", limit=BODY_LIMIT - 3000, keyword=self.spec.keyword)
            elements: list[dict[str, object]] = [{"tag": "div", "text": {"tag": "lark_md", "content": md}}]
            if len(message.items) == 1 and message.items[0].get("url"):
                elements.append({"tag": "action", "actions": [{
                    "tag": "button", "type": "primary", "url": message.items[0]["url"],
                    "text": {"tag": "plain_text", "content": "查看详情"}}]})
            body = {"msg_type": "interactive", "card": {
                "header": {"title": {"tag": "plain_text", "content": messages.plain(messages.title(message.items))},
                           "template": TEMPLATE.get(message.level or "", "blue")},
                "elements": elements}}
        secret = self.conn.extra.get("secret")
        if secret:
            ts = int(time.time())  # the receiver's clock, not the simulated `now`
            body = {"timestamp": str(ts), "sign": sign(str(secret), ts), **body}
        return body

    def send(self, message: Message) -> SendResult:
        url = f"{self.conn.base_url()}/open-apis/bot/v2/hook/{quote(self.conn.password or '', safe='')}"
        # Older servers answer only StatusCode/StatusMessage.
        return self.post_robot(url, self.payload(message), codes=("code", "StatusCode"), texts=("msg", "StatusMessage"),
                               rate_limited=RATE_LIMITED, retry_after=60)
