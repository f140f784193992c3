"""``config/storage.yaml``: Elasticsearch index settings per kind of document, and retention.

Applied by ``yuqing init`` and at every task start (index templates, and the dynamic settings of
existing indices). A cluster with fewer data nodes than ``replicas + 1`` gets as many replicas as
it can hold (none on the local single node), with a warning; see ``docs/operations.md``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from yuqing.clock import Duration
from yuqing.config.base import Model, SpanField


class IndexSettings(Model):
    """Settings of one kind's index; unset fields take ``defaults``."""

    shards: int | None = Field(default=None, ge=1, le=64)
    replicas: int | None = Field(default=None, ge=0, le=5)
    refresh_interval: SpanField | None = None


class Retention(Model):
    """How long documents are kept, by their time field; unset keeps them for ever."""

    mentions: SpanField | None = Field(default="365 days", validate_default=True)  # by crawled_at
    deliveries: SpanField | None = Field(default="365 days", validate_default=True)  # by created_at
    source_health: SpanField | None = Field(default="90 days", validate_default=True)  # by finished_at
    audit: SpanField | None = Field(default="1825 days", validate_default=True)  # by at: kept longest
    engagement: SpanField | None = Field(default="365 days", validate_default=True)  # by at
    hotlist: SpanField | None = Field(default="365 days", validate_default=True)  # by at
    console_sessions: SpanField | None = Field(default="30 days", validate_default=True)  # by expires_at
    sign_in_attempts: SpanField | None = Field(default="90 days", validate_default=True)  # by last_failure_at

    @model_validator(mode="after")
    def _audit_is_kept_longest(self) -> Any:
        if self.audit is None:
            return self
        for name in ("mentions", "deliveries", "source_health", "engagement", "hotlist", "console_sessions",
                     "sign_in_attempts"):
            other: Duration | None = getattr(self, name)
            if other is None or other.as_timedelta() > self.audit.as_timedelta():
                raise ValueError(f"retention.audit ({self.audit}) must be at least retention.{name} "
                                 f"({other or 'for ever'}): the audit trail outlives what it records")
        return self


class StorageConfig(Model):
    defaults: IndexSettings = IndexSettings(shards=1, replicas=1, refresh_interval=Duration(1, "seconds"))
    kinds: dict[str, IndexSettings] = {}
    retention: Retention = Retention()

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: dict[str, IndexSettings]) -> dict[str, IndexSettings]:
        from yuqing.storage import MAPPINGS

        for kind in value:
            if kind not in MAPPINGS:
                raise ValueError(f"{kind!r} is not a kind of document ({', '.join(MAPPINGS)})")
        return value

    def index_settings(self, kind: str) -> dict[str, Any]:
        """``number_of_shards``, ``number_of_replicas`` and ``refresh_interval`` for ``kind``."""
        own = self.kinds.get(kind, IndexSettings())
        shards = own.shards or self.defaults.shards or 1
        replicas = own.replicas if own.replicas is not None else (self.defaults.replicas or 0)
        refresh = own.refresh_interval or self.defaults.refresh_interval or Duration(1, "seconds")
        seconds = refresh.as_timedelta().total_seconds()
        interval = f"{int(seconds)}s" if seconds == int(seconds) else f"{int(seconds * 1000)}ms"
        return {"number_of_shards": shards, "number_of_replicas": replicas, "refresh_interval": interval}
