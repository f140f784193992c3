"""``config/routing.yaml``: declared routing rules (属地管理、分级负责、谁主管谁负责); first match wins."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from yuqing.config.base import Model

SeverityLevel = Literal["I", "II", "III", "IV"]
HandlingKind = Literal["suggestion", "difficulty", "major_problem", "confusion", "wrong_opinion", "false_info"]


class RouteWhen(Model):
    """All given conditions must hold; an empty condition matches everything."""

    priorities: list[str] = []  # any of these collection priorities
    subtopics: list[str] = []  # any of these sub-topics
    levels: list[SeverityLevel] = []  # severity levels
    handling_kinds: list[HandlingKind] = []
    multi_place: bool | None = None  # the incident spans several places
    board_message: bool | None = None  # the incident is (or is not) a message-board item
    # The incident's line of work (department, set by the analysis) is known at least this surely.
    department_min_confidence: float | None = Field(default=None, ge=0, le=1)


class RouteRule(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description_zh: str
    when: RouteWhen = RouteWhen()
    # Lead office: an office id, or "place" for the government of the incident's place
    # (or of the common higher level for a multi-place incident), or "place_up" for one level higher,
    # or "department" for the office competent for the incident's line of work (``departments``).
    lead: str
    supporting: list[str] = []
    notify: list[str] = []  # external bodies to notify (police, cyberspace authority)
    consultation: bool = False  # open a joint consultation (会商)


class RoutingConfig(Model):
    rules: list[RouteRule] = Field(min_length=1)
    # False information that may be illegal is also referred to these bodies whatever rule routed
    # it (公安机关、网信部门, 000 §三(三)); merged into the winning rule's ``notify``.
    false_info_notify: list[str] = []
    # Line of work (first-level category of a message board: 城乡建设, 环境保护 …) -> jurisdiction
    # code -> the competent office there (谁主管谁负责). Looked up from the incident's place upwards.
    departments: dict[str, dict[str, str]] = {}
