"""Alert channels: one module per channel type behind :class:`~alerts.channels.base.Channel`,
resolved by type from :data:`~alerts.channels.base.REGISTRY`."""

from __future__ import annotations

from alerts.channels import dingtalk, feishu, sms, smtp, webhook, wecom
from alerts.channels.base import REGISTRY, Channel, Message, SendResult, build

__all__ = ["REGISTRY", "Channel", "Message", "SendResult", "build", "dingtalk", "feishu", "sms", "smtp",
           "webhook", "wecom"]
