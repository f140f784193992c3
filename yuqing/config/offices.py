"""``config/offices.yaml``: places (属地), the offices that answer, and their contacts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from yuqing.config.base import Model

Level = Literal["province", "city", "district"]


class Jurisdiction(Model):
    code: str = Field(pattern=r"^\d{6}$")
    name: str
    level: Level
    parent: str | None = None  # code of the level above


class Contact(Model):
    """A person or role an alert can reach; addresses are channel ids with a recipient key, never secrets."""

    role: Literal["duty_officer", "office_staff", "office_head", "leader", "administrator"]
    name: str
    channels: list[str] = []  # alert channel ids (see alerts.yaml)
    email: str | None = None
    mobile: str | None = None


ReviewStepName = Literal["drafter", "office_head", "unit_head", "confidentiality"]


class Office(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    kind: Literal["government", "department", "internal", "external"] = "department"
    # The government office of a place answers by default for that place (属地管理).
    is_place_government: bool = False
    contacts: list[Contact] = []
    # Who may sign each review step of this office's releases (先审查、后公开, 002 (五)): 承办人初审
    # (drafter), 承办部门负责人审核 (office_head), 单位负责人审发 (unit_head), 保密审查 (confidentiality).
    # A person may hold several roles, but one release needs three different people.
    reviewers: dict[ReviewStepName, list[str]] = {}

    def may_review(self, step: str, person: str) -> bool:
        return person in self.reviewers.get(step, [])  # type: ignore[call-overload]


class OfficesConfig(Model):
    jurisdictions: list[Jurisdiction]
    offices: list[Office]

    def office(self, office_id: str) -> Office:
        for office in self.offices:
            if office.id == office_id:
                return office
        raise KeyError(office_id)

    def jurisdiction(self, code: str) -> Jurisdiction:
        for item in self.jurisdictions:
            if item.code == code:
                return item
        raise KeyError(code)
