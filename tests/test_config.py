"""Configuration: the shipped defaults load; bad files give one readable error naming file, field, value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from yuqing.clock import Duration
from yuqing.config import load_config
from yuqing.errors import ConfigError


def _edit(path: Path, mutate) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_defaults_carry_the_domain_rules(config):
    rules = {r.id: r for r in config.clocks.rules}
    assert rules["authoritative_info"].duration == Duration(5, "hours")
    assert rules["press_conference"].duration == Duration(24, "hours")
    assert rules["response_48h"].duration == Duration(48, "hours")
    assert rules["policy_interpretation"].duration == Duration(3, "working_days")
    assert set(rules["authoritative_info"].applies.levels) == {"I", "II"}
    assert set(config.priorities.priority_ids()) == {
        "decisions", "public_interest", "credibility", "emergency", "moral_livelihood", "false_info"}


def test_bad_duration_names_file_field_and_value(config_dir):
    _edit(config_dir / "clocks.yaml", lambda d: d["rules"][0].__setitem__("duration", "five hours"))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    msg = str(err.value)
    assert "clocks.yaml" in msg
    assert "rules[0](authoritative_info).duration" in msg
    assert "'five hours'" in msg


def test_bare_number_duration_is_rejected(config_dir):
    _edit(config_dir / "clocks.yaml", lambda d: d["rules"][2].__setitem__("duration", 48))
    with pytest.raises(ConfigError, match=r"rules\[2\]\(response_48h\)\.duration = 48"):
        load_config(config_dir)


def test_unknown_key_is_rejected(config_dir):
    _edit(config_dir / "sources.yaml", lambda d: d["sources"][1].__setitem__("shedule", "5m"))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.field == "sources[1](demo-local-news).shedule"
    assert "unknown key" in str(err.value)


def test_source_naming_missing_office_fails_cross_file_check(config_dir):
    _edit(config_dir / "sources.yaml", lambda d: d["sources"][4].__setitem__("office", "no_such_office"))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith("sources.yaml")
    assert err.value.value == "no_such_office"


def test_priority_without_clock_rule_fails(config_dir):
    def drop_fallback(d):
        d["rules"] = [r for r in d["rules"] if r["id"] != "response_48h"]

    _edit(config_dir / "clocks.yaml", drop_fallback)
    with pytest.raises(ConfigError, match="has no clock rule"):
        load_config(config_dir)


def test_invalid_yaml_names_line(config_dir):
    (config_dir / "routing.yaml").write_text("rules:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "routing.yaml" in str(err.value) and "line" in err.value.field


def test_config_check_command_reports_error_and_exit_code(config_dir, capsys):
    from yuqing.cli import main

    assert main(["config", "check", "--config", str(config_dir)]) == 0
    _edit(config_dir / "offices.yaml", lambda d: d["jurisdictions"][1].__setitem__("code", "53010"))
    assert main(["config", "check", "--config", str(config_dir)]) == 2
    err = capsys.readouterr().err
    assert "offices.yaml" in err and "jurisdictions[1].code" in err and "'53010'" in err


def test_alert_duty_office_must_exist(config_dir):
    _edit(config_dir / "alerts.yaml", lambda d: d.__setitem__("duty_office", "night_desk"))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith("alerts.yaml") and err.value.field == "duty_office"
    assert err.value.value == "night_desk"


def test_each_clock_names_the_release_kinds_that_meet_it(config, config_dir):
    rules = {r.id: r for r in config.clocks.rules}
    assert rules["press_conference"].release_kinds == ["press_conference"]
    assert rules["policy_interpretation"].release_kinds == ["interpretation"]
    assert rules["policy_interpretation"].publisher == "issuer"
    assert "press_conference" not in rules["authoritative_info"].release_kinds
    assert config.releases.match.confirm_at < config.releases.match.meet_at

    _edit(config_dir / "clocks.yaml", lambda d: d["rules"][1].__setitem__("release_kinds", ["presser"]))
    with pytest.raises(ConfigError, match=r"clocks\.yaml.*rules\(press_conference\)\.release_kinds.*presser"):
        load_config(config_dir)


def test_reviewers_name_known_review_steps(config_dir):
    _edit(config_dir / "offices.yaml",
          lambda d: d["offices"][0].__setitem__("reviewers", {"approver": ["某人"]}))
    with pytest.raises(ConfigError, match=r"offices\.yaml.*reviewers"):
        load_config(config_dir)
