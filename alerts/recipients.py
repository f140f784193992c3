"""Who gets an alert: roles in offices, resolved to contacts (``config/offices.yaml``) and their channels.

- ``duty_officer`` is the duty desk (值班室): the contacts with that role in the duty office(s),
  plus any duty officer of the owning offices.
- Any other role is looked up in the owning offices; an office without a contact in that role is
  covered by the duty office's contact in that role (e.g. the 办公厅值班主任 as office head).
- A routed office's own alert (supporting 配合, notified 通报, 会商) looks its roles up in that
  office only; an office without a contact in those roles is told through its liaison
  (office_staff), else any contact it lists — never through the duty desk.
- A group robot (WeCom, DingTalk, Feishu) is one target however many contacts sit in its group:
  one message, mentioning them, instead of one message per person. Email, SMS and the webhook
  have one target per contact (address).
"""

from __future__ import annotations

import dataclasses

from yuqing import labels
from yuqing.config import Config
from yuqing.errors import ConfigError

GROUP_CHANNELS = frozenset({"wecom", "dingtalk", "feishu"})
ROLE_ZH = labels.CONTACT_ROLE_ZH


@dataclasses.dataclass(frozen=True)
class ContactRef:
    name: str
    role: str
    office_id: str
    channels: tuple[str, ...]
    email: str | None = None
    mobile: str | None = None


@dataclasses.dataclass
class Target:
    channel_id: str
    channel_type: str
    key: str  # the recipient key within the channel: "group" for robots, else the contact name
    contacts: list[ContactRef]

    @property
    def id(self) -> str:
        return f"{self.channel_id}:{self.key}"


def duty_offices(config: Config) -> list[str]:
    if config.alerts.duty_office:
        if not any(o.id == config.alerts.duty_office for o in config.offices.offices):
            raise ConfigError(str(config.directory / "alerts.yaml"), "duty_office", config.alerts.duty_office,
                              "no such office in offices.yaml")
        return [config.alerts.duty_office]
    return [o.id for o in config.offices.offices if any(c.role == "duty_officer" for c in o.contacts)]


def _contacts(config: Config, office_ids: list[str], role: str) -> list[ContactRef]:
    out: list[ContactRef] = []
    for office_id in office_ids:
        try:
            office = config.offices.office(office_id)
        except KeyError:
            continue
        for c in office.contacts:
            if c.role == role:
                out.append(ContactRef(c.name, c.role, office.id, tuple(c.channels), c.email, c.mobile))
    return out


def contacts_for(config: Config, roles: list[str], offices: list[str], *,
                 own_office_only: bool = False) -> list[ContactRef]:
    if own_office_only:
        return office_contacts(config, roles, offices)
    duty = duty_offices(config)
    found: dict[str, ContactRef] = {}
    for role in roles:
        if role == "duty_officer":
            people = _contacts(config, duty, role) + _contacts(config, offices, role)
        else:
            people = _contacts(config, offices, role) or _contacts(config, duty, role)
        for person in people:
            found.setdefault(person.name, person)
    return list(found.values())


def office_contacts(config: Config, roles: list[str], offices: list[str]) -> list[ContactRef]:
    """The offices' own contacts in ``roles`` — else their liaison (office_staff), else anyone they
    list: a routed office is always told itself, never through the duty desk."""
    people = [p for role in roles for p in _contacts(config, offices, role)]
    if not people:
        people = _contacts(config, offices, "office_staff")
    if not people:
        people = [p for role in ROLE_ZH for p in _contacts(config, offices, role)]
    return list({p.name: p for p in people}.values())


def targets_for(config: Config, contacts: list[ContactRef], restrict: list[str]) -> list[Target]:
    types = {c.id: c.type for c in config.alerts.channels}
    out: dict[str, Target] = {}
    for person in contacts:
        for channel_id in person.channels:
            if (restrict and channel_id not in restrict) or channel_id not in types:
                continue
            kind = types[channel_id]
            if kind == "email" and not person.email:
                continue
            if kind == "sms" and not person.mobile:
                continue
            key = "group" if kind in GROUP_CHANNELS else person.name
            target = out.setdefault(f"{channel_id}:{key}", Target(channel_id, kind, key, []))
            if person not in target.contacts:
                target.contacts.append(person)
    return list(out.values())


def find_contact(config: Config, name: str) -> ContactRef | None:
    for office in config.offices.offices:
        for c in office.contacts:
            if c.name == name:
                return ContactRef(c.name, c.role, office.id, tuple(c.channels), c.email, c.mobile)
    return None
