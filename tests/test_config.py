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


def test_a_file_that_is_not_yaml_names_the_file_and_line(config_dir):
    path = config_dir / "clocks.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "  bad: [unclosed")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith("clocks.yaml")
    assert err.value.field.startswith("line ") and "not valid YAML" in err.value.problem


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
    assert err.startswith("yuqing: 配置有误：") and err.count("\n") == 1 and "Traceback" not in err


def test_alert_duty_office_must_exist(config_dir):
    _edit(config_dir / "alerts.yaml", lambda d: d.__setitem__("duty_office", "night_desk"))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith("alerts.yaml") and err.value.field == "duty_office"
    assert err.value.value == "night_desk"


@pytest.mark.parametrize(("file", "path", "expected_field"), [
    ("offices.yaml", ("offices",), "offices[1].id"),
    ("alerts.yaml", ("channels",), "channels[1].id"),
    ("routing.yaml", ("rules",), "rules[1].id"),
    ("clocks.yaml", ("rules",), "rules[1].id"),
    ("sources.yaml", ("sources",), "sources[1].id"),
])
def test_duplicate_ids_are_rejected_naming_file_field_and_value(config_dir, file, path, expected_field):
    def duplicate_first_id(data):
        items = data[path[0]]
        items[1]["id"] = items[0]["id"]

    _edit(config_dir / file, duplicate_first_id)
    first_id = yaml.safe_load((config_dir / file).read_text(encoding="utf-8"))[path[0]][0]["id"]
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith(file)
    assert err.value.field == expected_field
    assert err.value.value == first_id
    assert f"{path[0]}[0] already has it" in str(err.value)


@pytest.mark.parametrize(("file", "mutate", "field", "value"), [
    ("clocks.yaml", lambda d: d["rules"][2].__setitem__("duration", "0h"), "rules[2](response_48h).duration", "0h"),
    ("sources.yaml", lambda d: d["sources"][0].__setitem__("schedule", "0m"), "sources[0](demo-news).schedule", "0m"),
    ("alerts.yaml", lambda d: d["suppression"].__setitem__("realert_after", "0s"), "suppression.realert_after",
     "0s"),
    ("clocks.yaml", lambda d: d["rules"][3].__setitem__("duration", "1.5 working days"),
     "rules[3](policy_interpretation).duration", "1.5 working days"),
    # Used without a calendar: working days would only fail later, at run time.
    ("sources.yaml", lambda d: d["sources"][0].__setitem__("silent_after", "2 working days"),
     "sources[0](demo-news).silent_after", "2 working days"),
    ("clocks.yaml", lambda d: d["rules"][0].__setitem__("remind_before", ["1 working day"]),
     "rules[0](authoritative_info).remind_before[0]", "1 working day"),
])
def test_zero_fractional_and_misplaced_durations_are_rejected(config_dir, file, mutate, field, value):
    _edit(config_dir / file, mutate)
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith(file)
    assert err.value.field == field
    assert err.value.value == value


def test_an_escalation_ladder_may_start_at_once_and_whole_working_days_still_load(config_dir):
    config = load_config(config_dir)
    assert any(step.after == Duration(0, "minutes") for ladder in config.alerts.ladders for step in ladder.steps)
    _edit(config_dir / "clocks.yaml", lambda d: d["rules"][3].__setitem__("duration", "2 working days"))
    assert {r.id: r for r in load_config(config_dir).clocks.rules}["policy_interpretation"].duration == \
        Duration(2, "working_days")


def test_fractional_working_days_are_refused_by_the_duration_itself():
    with pytest.raises(ValueError, match="whole"):
        Duration.parse("1.5 working days")
    assert Duration.parse("1.5h") == Duration(1.5, "hours")


def test_a_covered_year_without_its_holidays_is_rejected(config_dir):
    _edit(config_dir / "calendar.yaml", lambda d: d.__setitem__("covered_years", [2031]))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert err.value.file.endswith("calendar.yaml")
    assert "extra_holidays has no 2031 dates" in str(err.value)


def test_the_working_calendar_takes_the_years_entered_in_the_calendar_file(config_dir):
    import datetime as dt

    def notice(d):
        d["extra_holidays"] = ["2031-01-01"]
        d["covered_years"] = [2031]

    _edit(config_dir / "calendar.yaml", notice)
    cal = load_config(config_dir).work_calendar()
    assert cal.covers(2031) and not cal.is_working_day(dt.date(2031, 1, 1))
    assert str(config_dir / "calendar.yaml") in cal.source


@pytest.mark.parametrize("value", ["127.0.0.1:8600", "ftp://console.example", "http://", "http://x/?a=1"])
def test_console_url_must_be_an_http_address_of_the_console(config_dir, value):
    _edit(config_dir / "alerts.yaml", lambda d: d.__setitem__("console_url", value))
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "alerts.yaml" in str(err.value) and "console_url" in str(err.value)


def test_console_url_is_required(config_dir):
    _edit(config_dir / "alerts.yaml", lambda d: d.pop("console_url"))
    with pytest.raises(ConfigError, match="console_url"):
        load_config(config_dir)


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
