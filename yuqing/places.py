"""Places (属地) and offices (处置单位): names, the administrative hierarchy, and the government that
answers for a place. The one copy every package reads (alerts, console, response, reports).

Codes are the six-digit administrative codes the analysis attaches to incidents. A code that
``offices.yaml`` does not list still has a place in the hierarchy: its parent is derived from the
code itself (district ``530112`` → city ``530100`` → province ``530000``), so an incident in a
district without a configured office goes to the nearest configured government above it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from yuqing.config.offices import Office, OfficesConfig


def structural_parent(code: str) -> str | None:
    """The parent a code implies by its digits (district → city → province), or None for a province."""
    if len(code) != 6 or not code.isdigit() or code.endswith("0000"):
        return None
    if code.endswith("00"):
        return code[:2] + "0000"
    return code[:4] + "00"


def parent(offices: OfficesConfig, code: str) -> str | None:
    """The level above ``code``: the configured parent when the code is configured, else by its digits."""
    for j in offices.jurisdictions:
        if j.code == code:
            return j.parent
    return structural_parent(code)


def ancestors(offices: OfficesConfig, code: str) -> list[str]:
    """``code`` and every level above it, nearest first."""
    chain = [code]
    seen = {code}
    current: str | None = code
    while current is not None:
        current = parent(offices, current)
        if current is None or current in seen:
            break
        chain.append(current)
        seen.add(current)
    return chain


def place_name(offices: OfficesConfig, code: str | None, missing: str = "（未识别属地）") -> str:
    """The configured name of a place, else its code; ``missing`` when there is no code."""
    if not code:
        return missing
    for j in offices.jurisdictions:
        if j.code == code:
            return j.name
    return code


def office_name(offices: OfficesConfig, office_id: str | None, missing: str = "—") -> str:
    """The configured name of an office, else its id; ``missing`` when there is no office."""
    if not office_id:
        return missing
    for office in offices.offices:
        if office.id == office_id:
            return office.name
    return office_id


def office_names(offices: OfficesConfig, office_ids: Iterable[str], empty: str = "无") -> str:
    """Office names joined with 、 (``empty`` when there are none)."""
    return "、".join(office_name(offices, o) for o in office_ids) or empty


def root_government(offices: OfficesConfig) -> Office:
    """The government office of the top configured level (the fallback lead of last resort)."""
    roots = {j.code for j in offices.jurisdictions if j.parent is None}
    for office in offices.offices:
        if office.is_place_government and office.jurisdiction in roots:
            return office
    for office in offices.offices:
        if office.is_place_government:
            return office
    return offices.offices[0]


def place_government(offices: OfficesConfig, code: str | None) -> Office:
    """The government office answering for ``code``: its own, else the nearest one above (属地管理)."""
    if code is not None:
        for level in ancestors(offices, code):
            for office in offices.offices:
                if office.is_place_government and office.jurisdiction == level:
                    return office
    return root_government(offices)


def government_above(offices: OfficesConfig, code: str | None) -> Office:
    """The government one level above the government answering for ``code`` (分级负责: ``place_up``)."""
    own = place_government(offices, code)
    up = parent(offices, own.jurisdiction)
    return place_government(offices, up) if up is not None else own


@dataclasses.dataclass(frozen=True)
class ResolvedPlace:
    code: str | None  # the place the incident is about (the common level for several places)
    codes: tuple[str, ...]  # the distinct codes seen
    multi_place: bool  # several places not on one line of the hierarchy


def resolve_place(offices: OfficesConfig, codes: Iterable[str]) -> ResolvedPlace:
    """One place for an incident: the most specific code when all codes lie on one line of the
    hierarchy (省 → 市 → 区), else their lowest common level (跨地区事件由共同上级负责)."""
    distinct = tuple(dict.fromkeys(c for c in codes if c))
    if not distinct:
        return ResolvedPlace(None, (), False)
    chains = {c: ancestors(offices, c) for c in distinct}
    # Deepest first: a code whose chain contains every other code is the single place.
    for code in sorted(distinct, key=lambda c: -len(chains[c])):
        if all(other in chains[code] for other in distinct):
            return ResolvedPlace(code, distinct, False)
    first = chains[distinct[0]]
    common = next((c for c in first if all(c in chains[o] for o in distinct)), None)
    return ResolvedPlace(common, distinct, True)


def is_at_or_above(offices: OfficesConfig, upper: str, code: str | None) -> bool:
    """Whether jurisdiction ``upper`` is ``code`` or one of its ancestors."""
    return code is not None and upper in ancestors(offices, code)
