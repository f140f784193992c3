"""Alerts: rules over the stored state, suppression, the escalation ladder, and delivery to the
channels duty officers use (WeCom, DingTalk, Feishu, email, SMS, a generic webhook).

The pipeline entry points are in :mod:`alerts.api`; see docs/alerts.md.
"""
