"""WeCom (企业微信) group robot: markdown (≤ 4096 bytes) or text with mentions (≤ 2048 bytes).

Connection: ``host`` (base URL, default scheme https), ``password`` = the robot key.
"""

from __future__ import annotations

from urllib.parse import quote

from alerts import messages
from alerts.channels.base import Channel, Message, SendResult, register

RATE_LIMITED = {45009, -1}  # -1: system busy
MARKDOWN_LIMIT = 4096
TEXT_LIMIT = 2048


@register
class WeComChannel(Channel):
    type = "wecom"

    def payload(self, message: Message) -> dict[str, object]:
        if self.spec.format == "text":
            mobiles = [c.mobile for c in message.contacts if c.mobile]
            content = messages.text(message.items, limit=TEXT_LIMIT, keyword=self.spec.keyword)
            text: dict[str, object] = {"content": content}
            if mobiles:
                text["mentioned_mobile_list"] = mobiles
            return {"msgtype": "text", "text": text}
        content = messages.markdown(message.items, dialect="wecom", limit=MARKDOWN_LIMIT, keyword=self.spec.keyword)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def send(self, message: Message) -> SendResult:
        url = f"{self.conn.base_url()}/cgi-bin/webhook/send?key={quote(self.conn.password or '', safe='')}"
        return self.post_robot(url, self.payload(message), codes=("errcode",), texts=("errmsg",),
                               rate_limited=RATE_LIMITED, retry_after=60)
