"""Analysis (研判): sentiment, collection priorities, place, incidents, severity and handling kind.

Entry points are in :mod:`analysis.api`; see docs/analysis.md.
"""
