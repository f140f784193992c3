"""Sending a written report to its readers (``config/reports.yaml: delivery``).

Each delivery rule names report kinds, roles (in ``offices``, default the duty office) and channels.
A robot channel gets a summary (the report's own overview sentence and its 研判建议, as stored in
the ``Report`` document's figures) with the console link to the report; an email channel with
``attach: true`` gets the PDF and DOCX as attachments.

Deliveries go into the same ``deliveries`` index as alerts, with deterministic ids
(``stable_id("report", report id, edition, target)``) created with ``create``: sending the same
report (edition) twice sends nothing the second time. They are claimed, sent and recorded the
way alert deliveries are (a retryable failure stays ``pending`` and the next dispatch retries it);
their ``target`` carries the report id so they never join an alert burst.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from typing import Any

from alerts.dispatch import DispatchStats, _channel, _claim, _record, _send
from alerts.recipients import contacts_for, duty_offices, targets_for
from alerts.suppression import quiet_until
from yuqing import links
from yuqing.config import Config
from yuqing.connections import Resolver, env_resolver
from yuqing.models import Delivery, Report, stable_id
from yuqing.storage import Store

log = logging.getLogger(__name__)

KIND_ZH = {"daily": "每日舆情简报", "weekly": "每周舆情综述", "monthly": "每月舆情综述", "incident": "舆情专报"}


@dataclasses.dataclass
class ReportDeliveryStats:
    created: int = 0  # new deliveries
    already: int = 0  # deliveries this report (edition) already had: not sent again
    delivered: int = 0
    failed: int = 0
    pending: int = 0  # waiting for a retry or the end of quiet hours
    targets: list[str] = dataclasses.field(default_factory=list)


def report_link(config: Config, report: Report) -> str:
    """The console link a summary carries: the incident page for a 专报, else the report's PDF."""
    if report.report_type == "incident":
        return links.incident_url(config, report.subject)
    pdf = report.files.get("pdf")
    return links.report_file_url(config, Path(pdf).name) if pdf else links.reports_url(config)


def report_facts(config: Config, report: Report, attach: bool) -> dict[str, Any]:
    figures = report.figures or {}
    facts: dict[str, Any] = {
        "kind": "report", "report_id": report.id, "report_type": report.report_type,
        "headline_zh": KIND_ZH.get(report.report_type, "舆情报告"), "title": report.title,
        "issue_zh": figures.get("issue", ""), "summary": figures.get("summary_zh", ""),
        "advice": list(figures.get("advice_zh") or [])[:3], "url": report_link(config, report),
        "incident_id": report.subject if report.report_type == "incident" else None,
    }
    if attach:
        files = [report.files[f] for f in ("pdf", "docx") if report.files.get(f)]
        facts["attachments"] = files
        facts["attached"] = [Path(f).name for f in files]
    return facts


def send_report(store: Store, config: Config, report: Report, *, now: dt.datetime, edition: str = "",
                resolver: Resolver | None = None) -> ReportDeliveryStats:
    """Send ``report`` to the recipients configured for its kind; ``edition`` separates issues of one
    report that must each be sent (a 专报 rewritten at a higher level)."""
    resolve = resolver or env_resolver()
    stats = ReportDeliveryStats()
    level = (report.figures or {}).get("level") if report.report_type == "incident" else None
    created: list[Delivery] = []
    for rule in config.reports.delivery:
        if report.report_type not in rule.reports:
            continue
        people = contacts_for(config, list(rule.roles), list(rule.offices) or duty_offices(config))
        for target in targets_for(config, people, list(rule.channels)):
            attach = rule.attach and target.channel_type == "email"
            facts = report_facts(config, report, attach)
            quiet = quiet_until(config, target.contacts, level, now)
            delivery = Delivery(
                id=stable_id("report", report.id, edition, target.id), alert_key=f"report:{report.id}:{edition}",
                rule_id=f"report_{rule.id}", channel_id=target.channel_id, channel_type=target.channel_type,
                recipient="、".join(c.name for c in target.contacts), recipients=[c.name for c in target.contacts],
                office=target.contacts[0].office_id, role=target.contacts[0].role, level=level,
                title=f"{KIND_ZH.get(report.report_type, '舆情报告')}：{report.title}",
                body=str(facts["summary"])[:4000], state="pending", next_attempt_at=quiet or now,
                last_error=f"静默时段，延至{quiet:%H:%M}发送" if quiet else None, created_at=now,
                target=f"{target.id}:report:{report.id}", alert_kind="report", facts=facts,
            )
            stats.targets.append(target.id)
            if store.create("deliveries", delivery.id, delivery.to_doc()):
                stats.created += 1
                created.append(delivery)
            else:
                stats.already += 1
    store.refresh("deliveries")
    dispatch_stats = DispatchStats()
    for delivery in created:
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            stats.pending += 1
            continue
        claimed = _claim(store, delivery.id, now, delivery.id)
        if claimed is None:
            continue
        channel = _channel(config, claimed.channel_id, resolve)
        result = _send(config, channel, [claimed], delivery.id, now)
        _record(store, config, [claimed], result, now, dispatch_stats)
    store.refresh("deliveries")
    stats.delivered, stats.failed = dispatch_stats.delivered, dispatch_stats.failed
    stats.pending += dispatch_stats.retry_scheduled
    log.info("report %s (%s) sent: %s", report.id, report.report_type, dataclasses.asdict(stats))
    return stats
