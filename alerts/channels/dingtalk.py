"""DingTalk (钉钉) custom robot: markdown with @mobile mentions, 加签 signing, keyword.

Connection: ``host`` (base URL), ``password`` = access token, ``extra.secret`` = the ``SEC…``
signing secret (optional when the robot uses a keyword or IP list instead).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote, quote_plus

from alerts import messages
from alerts.channels.base import Channel, Message, SendResult, register

RATE_LIMITED = {130101, 410100, -1}
CONTENT_LIMIT = 20000


def sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg=f"{ts}\\n{secret}")), not yet URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@register
class DingTalkChannel(Channel):
    type = "dingtalk"

    def payload(self, message: Message) -> dict[str, object]:
        mobiles = [c.mobile for c in message.contacts if c.mobile]
        at = {"atMobiles": mobiles, "isAtAll": False}
        if self.spec.format == "text":
            content = messages.text(message.items, limit=CONTENT_LIMIT - 200, keyword=self.spec.keyword)
            if mobiles:
                content += "\n" + " ".join(f"@{m}" for m in mobiles)
            return {"msgtype": "text", "text": {"content": content}, "at": at}
        body = messages.markdown(message.items, dialect="dingtalk", limit=CONTENT_LIMIT - 200,
                                 keyword=self.spec.keyword, mentions=mobiles)
        preview = messages.plain(messages.title(message.items))
        return {"msgtype": "markdown", "markdown": {"title": preview, "text": body}, "at": at}

    def url(self) -> str:
        url = f"{self.conn.base_url()}/robot/send?access_token={quote(self.conn.password or '', safe='')}"
        secret = self.conn.extra.get("secret")
        if secret:
            ts = int(time.time() * 1000)  # the receiver's clock, not the simulated `now`: signed afresh
            url += f"&timestamp={ts}&sign={quote_plus(sign(str(secret), ts))}"
        return url

    def send(self, message: Message) -> SendResult:
        # DingTalk throttles a robot for 10 minutes after the 21st message in a minute.
        return self.post_robot(self.url(), self.payload(message), codes=("errcode",), texts=("errmsg",),
                               rate_limited=RATE_LIMITED, retry_after=600)
