"""The compose file: generated from the one description of the services, and free of the first-start
defects it once had (an init command reading a variable its container lacked, every service waiting
on that init, Airflow's simple auth manager, the `elastic` superuser for tasks, no scale-out)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import services as svc

COMPOSE = svc.COMPOSE_FILE
AIRFLOW_SERVICES = [s.name for s in svc.SERVICES if s.name != "console"]


def env_example(section: str | None = None) -> dict[str, str]:
    """The variables docker/env.example sets; ``section="scale"`` reads its commented scale block."""
    text = svc.ENV_EXAMPLE.read_text(encoding="utf-8")
    if section == "scale":
        block = text.split("# --- scale", 1)[1]
        lines = [line.removeprefix("# ").strip() for line in block.splitlines()]
    else:
        lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split("=", 1) for line in lines if re.match(r"^[A-Z_][A-Z0-9_]*=", line)]
    return {k: v for k, v in pairs}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_committed_compose_file_is_the_rendering_of_the_service_description() -> None:
    assert COMPOSE.read_text(encoding="utf-8") == svc.compose_text(), (
        "docker/docker-compose.yml is stale: run `.venv/bin/python -m deploy.services compose`")


def shell_variables(command: list[str]) -> set[str]:
    """Variables a container's shell expands (``$$VAR`` in compose is ``$VAR`` in the container)."""
    text = " ".join(command)
    assigned = set(re.findall(r"(?:^|[\s;])([A-Za-z_][A-Za-z0-9_]*)=", text))  # set by the script itself
    return set(re.findall(r"\$\$\{?([A-Za-z_][A-Za-z0-9_]*)", text)) - assigned


def test_airflow_init_command_only_reads_variables_its_container_has(compose: dict[str, Any]) -> None:
    init = compose["services"]["airflow-init"]
    used = shell_variables(init["command"])
    assert used, "the init command should read the admin user from its environment"
    assert used <= set(init["environment"]), f"missing in airflow-init's environment: {used - set(init['environment'])}"
    # `yuqing init` reaches Elasticsearch through ES_URL from the environment, built by compose
    assert "ES_URL" in init["environment"]
    assert "ELASTIC_PASSWORD" not in " ".join(init["command"])


def test_no_service_reads_variables_its_container_lacks(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        env = spec.get("environment") or {}
        command = spec.get("command") or []
        tests = (spec.get("healthcheck") or {}).get("test") or []
        missing = shell_variables([*command, *tests]) - set(env)
        assert not missing, f"{name} reads {missing} but its environment lacks them"


def test_only_airflow_components_wait_for_airflow_init(compose: dict[str, Any]) -> None:
    services = compose["services"]
    waiting = {n for n, s in services.items() if "airflow-init" in (s.get("depends_on") or {})}
    assert "console" not in waiting, "the console needs Elasticsearch, not Airflow's database"
    assert waiting == {"airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                       "airflow-worker-crawl", "airflow-worker-analysis"}
    init_deps = services["airflow-init"]["depends_on"]
    assert set(init_deps) == {"postgres", "es01"}
    assert all(d["condition"] == "service_healthy" for d in init_deps.values())


def test_airflow_uses_the_fab_auth_manager_not_the_simple_one(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert "SIMPLE_AUTH_MANAGER" not in text
    for name in AIRFLOW_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["AIRFLOW__CORE__AUTH_MANAGER"] == svc.FAB_AUTH_MANAGER, name
    # the admin user is created by airflow-init from the environment, its password required
    init = compose["services"]["airflow-init"]
    assert "airflow users create" in init["command"][-1]
    assert ":?" in init["environment"]["AIRFLOW_ADMIN_PASSWORD"]


def test_tasks_and_console_use_their_own_elasticsearch_users_never_elastic(compose: dict[str, Any]) -> None:
    from yuqing import essecurity

    services = compose["services"]
    app = {n: s["environment"] for n, s in services.items() if s.get("image") == "yuqing-watch:latest"}
    for name, env in app.items():
        assert "ES_URL" in env and "@" not in env["ES_URL"], f"{name}: credentials belong in ES_USERNAME/ES_PASSWORD"
        user = svc.interpolate(env["ES_USERNAME"], {})
        assert user != "elastic" and ":?" in env["ES_PASSWORD"], name
    assert svc.interpolate(app["console"]["ES_USERNAME"], {}) == essecurity.CONSOLE_USER
    for name in AIRFLOW_SERVICES:
        assert svc.interpolate(app[name]["ES_USERNAME"], {}) == essecurity.TASKS_USER, name
    assert "ELASTIC_PASSWORD" not in COMPOSE.read_text(encoding="utf-8")
    # the nodes' file realm gets exactly the project's roles, as yuqing.essecurity defines them
    roles = yaml.safe_load(svc.ROLES_FILE.read_text(encoding="utf-8"))
    assert roles == essecurity.role_definitions(["yuqing"])
    assert svc.ROLES_FILE.read_text(encoding="utf-8") == svc.roles_text("yuqing")
    setup = services["es-setup"]["command"][0]
    for purpose, user_var, _ in svc.ES_ACCOUNTS:
        assert f'useradd "$${user_var}"' in setup and f"-r {essecurity.ACCOUNTS[purpose][1]}" in setup
    assert "-r yuqing_console" in setup and "-r yuqing_tasks" in setup


def test_scale_profile_adds_redis_celery_workers_per_queue_and_two_more_nodes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    scale = {n for n, s in services.items() if "scale" in (s.get("profiles") or [])}
    assert scale == {"redis", "es02", "es03", "airflow-worker-crawl", "airflow-worker-analysis"}
    queues = set()
    for name in ("airflow-worker-crawl", "airflow-worker-analysis"):
        cmd = services[name]["command"]
        assert cmd[:3] == ["airflow", "celery", "worker"]
        queues |= set(cmd[cmd.index("--queues") + 1].split(","))
        assert "redis" in services[name]["depends_on"]
    assert {svc.QUEUE_CRAWL, svc.QUEUE_ANALYSIS, "default"} <= queues
    scale_env = {**env_example(), **env_example("scale")}
    assert scale_env["COMPOSE_PROFILES"] == "scale"
    env = svc.resolve_env(svc.service("airflow-scheduler"), scale_env)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert env["ES_URL"].split(",") == ["http://es01:9200", "http://es02:9200", "http://es03:9200"]
    es01 = {k: svc.interpolate(str(v), scale_env) for k, v in services["es01"]["environment"].items()}
    assert es01["discovery.type"] == "multi-node"
    assert es01["cluster.initial_master_nodes"] == "es01,es02,es03"
    single = {k: svc.interpolate(str(v), env_example()) for k, v in services["es01"]["environment"].items()}
    assert single["discovery.type"] == "single-node" and single["cluster.initial_master_nodes"] == ""


def test_every_variable_compose_reads_is_in_env_example_and_secrets_are_required() -> None:
    documented = set(env_example()) | set(env_example("scale"))
    text = svc.ENV_EXAMPLE.read_text(encoding="utf-8")
    used = svc.variables_in_compose()
    channel_vars = set(svc.channel_env())
    undocumented = {v for v in used - documented - channel_vars if f"{v}=" not in text}
    assert not undocumented, f"variables compose reads that docker/env.example does not mention: {undocumented}"
    for secret in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_JWT_SECRET", "AIRFLOW_SECRET_KEY",
                   "AIRFLOW_ADMIN_PASSWORD", "ES_TASKS_PASSWORD", "ES_CONSOLE_PASSWORD", "ES_ADMIN_PASSWORD",
                   "YUQING_CONSOLE_SECRET"):
        assert f"${{{secret}:?" in COMPOSE.read_text(encoding="utf-8"), f"{secret} must be required, not defaulted"


def test_compose_interpolation_matches_docker_compose_rules() -> None:
    variables = {"SET": "v", "EMPTY": ""}
    assert svc.interpolate("a${SET}b", variables) == "avb"
    assert svc.interpolate("${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", variables) == "d  d"
    assert svc.interpolate("$${SET} $$HOME", variables) == "${SET} $HOME"
    assert svc.interpolate("${UNSET:-${SET}}", variables) == "v"
    with pytest.raises(svc.MissingVariable, match="EMPTY"):
        svc.interpolate("${EMPTY:?set it}", variables)


def test_rehearsal_starts_each_service_with_the_compose_command_and_environment(tmp_path: Path) -> None:
    from deploy.rehearsal import Rehearsal

    rehearsal = Rehearsal(1, tmp_path)
    rehearsal.write_env()
    rehearsal.variables["YUQING_CONFIG"] = str(tmp_path / "config")
    for service in svc.SERVICES:
        env = rehearsal.service_env(service.name)
        expected = svc.resolve_env(service, rehearsal.variables)
        assert {k: env[k] for k in expected} == expected, service.name
        assert svc.resolve_command(service, rehearsal.variables)[0] in {"airflow", "yuqing", "/bin/sh"}
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0, "the rehearsal's secrets file must be private"


def test_airflow_init_accepts_an_admin_password_that_starts_with_a_dash() -> None:
    # a generated password may begin with "-": passed as a separate argument, Airflow's parser read it
    # as an option and airflow-init failed on first start ("argument -p/--password: expected one argument")
    import argparse
    import shlex

    from airflow.providers.fab.cli.definition import USERS_COMMANDS

    create = next(c for c in USERS_COMMANDS if c.name == "create")
    parser = argparse.ArgumentParser(exit_on_error=False)
    for arg in create.args:
        arg.add_to_parser(parser)
    words = shlex.split(svc.INIT_SCRIPT.split("airflow users create", 1)[1].rstrip(")")
                        .replace("$$AIRFLOW_ADMIN_USER", "admin").replace("$$AIRFLOW_ADMIN_PASSWORD", "-Xy9_k"))
    args = parser.parse_args(words)
    assert (args.username, args.password, args.role) == ("admin", "-Xy9_k", "Admin")
