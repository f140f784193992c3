"""The one vocabulary of places and offices (yuqing/places.py, yuqing/links.py): every package —
routing, alerts, console, reports — asks here, so they cannot walk places differently."""

from __future__ import annotations

import dataclasses

from yuqing import links, places
from yuqing.config import Config


def test_a_district_not_in_the_configuration_is_answered_for_by_its_city(config: Config) -> None:
    # 530112 (西山区) is not configured: its parent comes from the code itself, so 昆明 answers —
    # the alert path used to stop at unconfigured codes and find nobody.
    assert places.place_government(config.offices, "530112").id == "kunming_gov"
    assert places.ancestors(config.offices, "530112") == ["530112", "530100", "530000"]
    assert places.government_above(config.offices, "530102").id == "kunming_gov"  # 五华区 → 昆明市
    assert places.government_above(config.offices, "530100").id == "prov_gov_office"


def test_names_fall_back_to_the_id_and_say_when_there_is_none(config: Config) -> None:
    assert places.office_name(config.offices, "info_division") == "信息处"
    assert places.office_name(config.offices, "no_such_office") == "no_such_office"
    assert places.office_name(config.offices, None, "待交办") == "待交办"
    assert places.place_name(config.offices, "530100") == "昆明市"
    assert places.place_name(config.offices, None, "—") == "—"
    names = places.office_names(config.offices, ["police", "cyberspace_office"])
    assert names == "省公安厅、省委网信办（互联网信息办）"
    assert config.priorities.name_of("false_info") != "false_info"


def test_console_links_name_pages_the_console_serves(config: Config) -> None:
    c = dataclasses.replace(config, alerts=config.alerts.model_copy(update={"console_url": "https://yq.example/duty"}))
    assert links.incident_url(c, "abc") == "https://yq.example/duty/incidents/abc"
    assert links.queue_url(c, place="530100") == "https://yq.example/duty/?place=530100"
    assert links.source_url(c, "demo-rss") == "https://yq.example/duty/sources/demo-rss"
    assert links.office_url(c, "police") == "https://yq.example/duty/office?office=police"
