"""The one description of the production services, from which both the compose file and the native
rehearsal are made.

Every service that runs project code (Airflow's components, the Celery workers, the one-shot
``airflow-init`` and the duty console) is described once here: its command (argv) and its
environment, written with compose's variable syntax (``${VAR}``, ``${VAR:-default}``,
``${VAR:?message}``). :func:`compose` renders ``docker/docker-compose.yml`` from it (the committed file
is checked against this rendering by ``tests/deploy``), and :func:`resolve_env` interpolates the same
strings the way compose does, which is how ``deploy.rehearsal`` starts the same commands with the same
environment on loopback. Elasticsearch node settings are described here too (the rehearsal passes
them as ``-E`` options, compose as the image's environment). PostgreSQL and Redis are stock images in
compose and Debian's packages in the rehearsal.

Host names are variables with compose's service names as defaults (``${POSTGRES_ADDR:-postgres:5432}``),
so the rehearsal points the same strings at 127.0.0.1.

Profiles: the default (single-node Elasticsearch, LocalExecutor, no workers) and ``scale`` (Redis,
CeleryExecutor, a worker per queue, three Elasticsearch nodes with one replica). ``scale`` is the
profile *and* the variables in ``docker/env.example``'s scale section (``AIRFLOW_EXECUTOR``,
``ES_DISCOVERY_*``, ``ES_NODES``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from typing import Any

import yaml

from yuqing import essecurity
from yuqing.paths import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker" / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / "docker" / "env.example"
ES_IMAGE = "docker.elastic.co/elasticsearch/elasticsearch:8.19.7"
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"

# Celery queues: crawling on its own worker, so a slow crawl never delays the minute sweep or dispatch.
QUEUE_CRAWL = "crawling"
QUEUE_ANALYSIS = "analysis"


def _required(name: str) -> str:
    return f"${{{name}:?set {name} in docker/.env}}"


# The environment of every service that runs project code (the Airflow image).
COMMON_ENV: dict[str, str] = {
    "AIRFLOW__CORE__EXECUTOR": "${AIRFLOW_EXECUTOR:-LocalExecutor}",
    "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
    "AIRFLOW__CORE__PARALLELISM": "${AIRFLOW_PARALLELISM:-8}",
    "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
    "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://${AIRFLOW_API_ADDR:-airflow-api-server:8080}/execution/",
    "AIRFLOW__API__PORT": "${AIRFLOW_API_PORT:-8080}",
    "AIRFLOW__API__BASE_URL": "${AIRFLOW_BASE_URL:-http://localhost:8080}",
    "AIRFLOW__API__WORKERS": "${AIRFLOW_API_WORKERS:-2}",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN":
        f"postgresql+psycopg2://airflow:{_required('POSTGRES_PASSWORD')}@${{POSTGRES_ADDR:-postgres:5432}}/airflow",
    "AIRFLOW__CELERY__BROKER_URL": "redis://:${REDIS_PASSWORD:-}@${REDIS_ADDR:-redis:6379}/0",
    "AIRFLOW__CELERY__RESULT_BACKEND":
        "db+postgresql+psycopg2://airflow:${POSTGRES_PASSWORD}@${POSTGRES_ADDR:-postgres:5432}/airflow",
    # A task message a dead worker had taken is handed out again after this long (longer than the
    # longest task: execution_timeout is 30 min).
    "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "${CELERY_VISIBILITY_TIMEOUT:-3600}",
    "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "default",
    # How long a task waits for the execution API (on the api-server) per call; the 5 s default
    # failed first tries on a loaded two-core host in the rehearsal.
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "${AIRFLOW_EXECUTION_API_TIMEOUT:-30}",
    "AIRFLOW__API_AUTH__JWT_SECRET": _required("AIRFLOW_JWT_SECRET"),
    "AIRFLOW__API__SECRET_KEY": _required("AIRFLOW_SECRET_KEY"),
    # How soon a task whose worker died is failed (then retried) and a queued task whose message was
    # lost is queued again; the rehearsal shortens both so a killed worker recovers within its run.
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "${AIRFLOW_TI_HEARTBEAT_TIMEOUT:-300}",
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "${AIRFLOW_TASK_QUEUED_TIMEOUT:-600}",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "${AIRFLOW_DAG_REFRESH:-60}",
    # Which Celery queue each kind of task goes to (read by dags/_yuqing_common.py; LocalExecutor
    # ignores queues, and dag.test() runs without these, on the default queue).
    "YUQING_QUEUE_CRAWL": QUEUE_CRAWL,
    "YUQING_QUEUE_ANALYSIS": QUEUE_ANALYSIS,
    # Elasticsearch for every task and command: every node's URL (the client fails over between them)
    # and the least-privilege tasks account (yuqing.essecurity), never the `elastic` superuser.
    "ES_URL": "${ES_NODES:-http://es01:9200}",
    "ES_USERNAME": "${ES_TASKS_USER:-yuqing_tasks}",
    "ES_PASSWORD": _required("ES_TASKS_PASSWORD"),
    "YUQING_INDEX_PREFIX": "${YUQING_INDEX_PREFIX:-yuqing}",
}


def _channel_connections() -> list[str]:
    """The connection ids the shipped alert channels name (config/alerts.yaml)."""
    data = yaml.safe_load((PROJECT_ROOT / "config" / "alerts.yaml").read_text(encoding="utf-8")) or {}
    return sorted({str(ch["connection"]) for ch in data.get("channels") or [] if ch.get("connection")})


def channel_env() -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` for each alert channel, passed through from docker/.env (empty when unset:
    add them in Airflow's connection store instead)."""
    return {f"AIRFLOW_CONN_{c.upper()}": f"${{AIRFLOW_CONN_{c.upper()}:-}}" for c in _channel_connections()}


@dataclasses.dataclass(frozen=True)
class Service:
    """One service that runs the project's image."""

    name: str
    command: tuple[str, ...]
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)  # on top of COMMON_ENV
    profiles: tuple[str, ...] = ()  # () = every profile
    port: str | None = None  # "${VAR:-default}" published on 127.0.0.1
    needs_init: bool = True  # waits for airflow-init (the metadata DB migrated)
    needs_redis: bool = False
    one_shot: bool = False
    channels: bool = True  # gets the alert channels' connections

    def environment(self) -> dict[str, str]:
        return {**COMMON_ENV, **(channel_env() if self.channels else {}), **self.env}


INIT_SCRIPT = (
    "airflow db migrate && "
    "yuqing init && "
    "yuqing config check && "
    "(airflow users list | grep -qw \"$$AIRFLOW_ADMIN_USER\" || "
    "airflow users create --role Admin --username=\"$$AIRFLOW_ADMIN_USER\" "
    "--password=\"$$AIRFLOW_ADMIN_PASSWORD\" --email=\"$$AIRFLOW_ADMIN_USER@localhost\" "
    "--firstname Airflow --lastname Admin)"
)

SERVICES: tuple[Service, ...] = (
    Service("airflow-init", ("/bin/sh", "-c", INIT_SCRIPT), one_shot=True, needs_init=False, channels=False,
            env={"AIRFLOW_ADMIN_USER": "${AIRFLOW_ADMIN_USER:-admin}",
                 "AIRFLOW_ADMIN_PASSWORD": _required("AIRFLOW_ADMIN_PASSWORD")}),
    Service("airflow-api-server", ("airflow", "api-server"), port="${AIRFLOW_API_PORT:-8080}", channels=False),
    Service("airflow-scheduler", ("airflow", "scheduler")),
    Service("airflow-dag-processor", ("airflow", "dag-processor")),
    Service("airflow-triggerer", ("airflow", "triggerer")),
    Service("airflow-worker-crawl",
            ("airflow", "celery", "worker", "--queues", QUEUE_CRAWL, "--concurrency", "${WORKER_CRAWL_CONCURRENCY:-2}",
             "--celery-hostname", "crawl@%h"),
            env={"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": "${WORKER_CRAWL_LOG_PORT:-8793}"},
            profiles=("scale",), needs_redis=True),
    Service("airflow-worker-analysis",
            ("airflow", "celery", "worker", "--queues", f"{QUEUE_ANALYSIS},default",
             "--concurrency", "${WORKER_ANALYSIS_CONCURRENCY:-2}", "--celery-hostname", "analysis@%h"),
            env={"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": "${WORKER_ANALYSIS_LOG_PORT:-8793}"},
            profiles=("scale",), needs_redis=True),
    Service("console",
            ("yuqing", "console", "--host", "${CONSOLE_HOST:-0.0.0.0}", "--port", "${CONSOLE_PORT:-8600}"),
            env={"ES_USERNAME": "${ES_CONSOLE_USER:-yuqing_console}",
                 "ES_PASSWORD": _required("ES_CONSOLE_PASSWORD"),
                 "YUQING_CONSOLE_SECRET": _required("YUQING_CONSOLE_SECRET"),
                 "YUQING_CONSOLE_USERS": "${YUQING_CONSOLE_USERS:-/var/lib/yuqing/console/users.json}"},
            port="${CONSOLE_PORT:-8600}", needs_init=False, channels=False),
)

# Elasticsearch nodes: settings every node shares, and the nodes (es01 alone, or es01–es03 in scale).
ES_NODES = ("es01", "es02", "es03")
CERTS_DIR = "certs"  # under each node's config directory
ES_COMMON_SETTINGS: dict[str, str] = {
    "cluster.name": "yuqing",
    # security on, file realm first (yuqing.essecurity); HTTP TLS is terminated by the reverse proxy
    **essecurity.node_settings(),
    "xpack.security.authc.realms.file.file1.order": "0",
    "xpack.security.authc.realms.native.native1.order": "1",
    # nodes talk to each other over TLS (required for a cluster with security on)
    "xpack.security.transport.ssl.enabled": "true",
    "xpack.security.transport.ssl.verification_mode": "certificate",
    "xpack.security.transport.ssl.key": f"{CERTS_DIR}/node.key",
    "xpack.security.transport.ssl.certificate": f"{CERTS_DIR}/node.crt",
    "xpack.security.transport.ssl.certificate_authorities": f"{CERTS_DIR}/ca.crt",
    "action.destructive_requires_name": "true",
}

# Transport certificates: one CA and one node certificate, made with the distribution's own tool
# (run by compose's es-setup and by the rehearsal; arguments after the tool's path).
CERTUTIL_CA = ("ca", "--silent", "--pem", "--days", "1095", "--out")  # + ca.zip
CERTUTIL_NODE = ("cert", "--silent", "--pem", "--days", "1095", "--name", "node")  # + --ca-cert/--ca-key/--out

# The accounts every node's file realm gets: (purpose in yuqing.essecurity.ACCOUNTS, user var, password var)
ES_ACCOUNTS = (("tasks", "ES_TASKS_USER", "ES_TASKS_PASSWORD"),
               ("console", "ES_CONSOLE_USER", "ES_CONSOLE_PASSWORD"),
               ("admin", "ES_ADMIN_USER", "ES_ADMIN_PASSWORD"))


def es_node_settings(name: str) -> dict[str, str]:
    """The settings of one Elasticsearch node, as compose's environment (the rehearsal adds loopback
    addresses, ports and paths). es01 is alone in the default profile (``discovery.type=single-node``);
    the scale section of docker/.env makes it one of three (the image skips settings left empty)."""
    cluster = ",".join(ES_NODES)
    if name == "es01":
        discovery = {"discovery.type": "${ES_DISCOVERY_TYPE:-single-node}",
                     "discovery.seed_hosts": "${ES_DISCOVERY_SEEDS:-}",
                     "cluster.initial_master_nodes": "${ES_INITIAL_MASTERS:-}"}
    else:
        discovery = {"discovery.seed_hosts": cluster, "cluster.initial_master_nodes": cluster}
    return {**ES_COMMON_SETTINGS, "node.name": name, **discovery}


# -- compose's variable interpolation ---------------------------------------------------------------

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class MissingVariable(ValueError):
    """A ``${VAR:?message}`` variable is unset or empty."""


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """``value`` with ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?msg}`` and ``$$``
    replaced as ``docker compose`` does."""

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        op, arg = match.group(2), match.group(3)
        current = variables.get(name)
        if op in (":-", "-"):
            unset = current is None or (op == ":-" and current == "")
            return interpolate(arg or "", variables) if unset else str(current)
        if op in (":?", "?"):
            if current is None or (op == ":?" and current == ""):
                raise MissingVariable(f"{name}: {arg or 'required'}")
            return str(current)
        return "" if current is None else str(current)

    return _VAR.sub(sub, value)


def resolve_env(service: Service, variables: Mapping[str, str]) -> dict[str, str]:
    """The environment ``service`` gets from compose when ``variables`` is its ``.env``."""
    return {k: interpolate(v, variables) for k, v in service.environment().items()}


def resolve_command(service: Service, variables: Mapping[str, str]) -> list[str]:
    return [interpolate(part, variables) for part in service.command]


def service(name: str) -> Service:
    for s in SERVICES:
        if s.name == name:
            return s
    raise KeyError(name)


# -- the compose file -------------------------------------------------------------------------------

HEADER = """\
# GENERATED from deploy/services.py by `python -m deploy.services compose` — edit that, not this.
# tests/deploy checks this file against it; scripts/rehearse.sh runs the same commands and environment.
#
# Production deployment of Yuqing Watch: Elasticsearch 8.19 with security on, Airflow 3 on PostgreSQL
# (api-server, scheduler, dag-processor, triggerer; FAB auth manager) and the duty console.
#
#   cp docker/env.example docker/.env        # then set every secret in it
#   docker compose -f docker/docker-compose.yml --env-file docker/.env up -d --build
#
# Scale-out (Redis, CeleryExecutor, a worker per queue, three Elasticsearch nodes, one replica):
# uncomment the scale section of docker/.env (COMPOSE_PROFILES=scale and its variables), then the same
# command. Elasticsearch users and roles: docker/README.md.
"""


def _depends(svc: Service) -> dict[str, Any]:
    deps: dict[str, Any] = {}
    if svc.name == "airflow-init" or svc.needs_init:
        deps["postgres"] = {"condition": "service_healthy"}
    deps["es01"] = {"condition": "service_healthy"}
    if svc.needs_redis:
        deps["redis"] = {"condition": "service_healthy"}
    if svc.needs_init:
        deps["airflow-init"] = {"condition": "service_completed_successfully"}
    return deps


ES_SHARED_CONF = "/usr/share/elasticsearch/config"
ROLES_FILE = PROJECT_ROOT / "docker" / "elasticsearch" / "roles.yml"


def roles_text(prefix: str = "yuqing") -> str:
    """docker/elasticsearch/roles.yml: the project's roles (yuqing.essecurity) for ``prefix``."""
    return ("# GENERATED by `python -m deploy.services roles` from yuqing/data/es_roles.yaml for the index\n"
            f"# prefix {prefix!r}; regenerate with --prefix when YUQING_INDEX_PREFIX differs.\n"
            + yaml.safe_dump(essecurity.role_definitions([prefix]), sort_keys=True, allow_unicode=True))


def es_setup_script() -> str:
    """compose's es-setup: the shared node configuration (certificates, roles, file-realm users)."""
    tool = "/usr/share/elasticsearch/bin/elasticsearch-certutil"
    users = " && ".join(
        f"ES_PATH_CONF=$$C /usr/share/elasticsearch/bin/elasticsearch-users useradd \"$${user}\" "
        f"-p \"$${password}\" -r {essecurity.ACCOUNTS[purpose][1]}"
        for purpose, user, password in ES_ACCOUNTS)
    return (
        "set -e; C=/shared; "
        "[ -f $$C/elasticsearch.yml ] || cp -a /usr/share/elasticsearch/config/. $$C/; "
        "[ -f $$C/elasticsearch.keystore ] || "
        "ES_PATH_CONF=$$C /usr/share/elasticsearch/bin/elasticsearch-keystore create; "
        f"mkdir -p $$C/{CERTS_DIR}; "
        f"if [ ! -f $$C/{CERTS_DIR}/node.crt ]; then "
        f"{tool} {' '.join(CERTUTIL_CA)} /tmp/ca.zip && unzip -oq /tmp/ca.zip -d /tmp && "
        f"{tool} {' '.join(CERTUTIL_NODE)} --ca-cert /tmp/ca/ca.crt --ca-key /tmp/ca/ca.key --out /tmp/node.zip && "
        f"unzip -oq /tmp/node.zip -d /tmp && cp /tmp/ca/ca.crt /tmp/node/node.crt /tmp/node/node.key $$C/{CERTS_DIR}/; "
        "fi; "
        "cp /roles.yml $$C/roles.yml; : > $$C/users; : > $$C/users_roles; "
        f"{users}; "
        "chown -R 1000:0 $$C"
    )


def _es_setup_service() -> dict[str, Any]:
    env = {}
    for _, user, password in ES_ACCOUNTS:
        default = {"ES_TASKS_USER": essecurity.TASKS_USER, "ES_CONSOLE_USER": essecurity.CONSOLE_USER,
                   "ES_ADMIN_USER": essecurity.ADMIN_USER}[user]
        env[user] = f"${{{user}:-{default}}}"
        env[password] = _required(password)
    return {
        "image": ES_IMAGE,
        "user": "0:0",
        "entrypoint": ["/bin/bash", "-c"],
        "command": [es_setup_script()],
        "environment": env,
        "volumes": ["es-config:/shared", "./elasticsearch/roles.yml:/roles.yml:ro"],
        "restart": "no",
    }


def _es_service(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "image": ES_IMAGE,
        "environment": {
            **es_node_settings(name),
            "ES_JAVA_OPTS": "-Xms${ES_HEAP:-1g} -Xmx${ES_HEAP:-1g}",
        },
        "volumes": [f"{name}-data:/usr/share/elasticsearch/data", f"es-config:{ES_SHARED_CONF}"],
        "depends_on": {"es-setup": {"condition": "service_completed_successfully"}},
        "healthcheck": {
            # up and asking for credentials (no password needed in the health check)
            "test": ["CMD-SHELL", "curl -s -o /dev/null -w '%{http_code}' http://localhost:9200/ | grep -q 401"],
            "interval": "10s", "timeout": "10s", "retries": 30,
        },
        "restart": "unless-stopped",
    }
    if name == "es01":
        spec["ports"] = ["127.0.0.1:9200:9200"]
    else:
        spec["profiles"] = ["scale"]
    return spec


def compose() -> dict[str, Any]:
    """The compose file as a mapping (rendered to YAML by :func:`compose_text`)."""
    services: dict[str, Any] = {"es-setup": _es_setup_service()}
    for name in ES_NODES:
        services[name] = _es_service(name)
    services["postgres"] = {
        "image": "postgres:16",
        "environment": {"POSTGRES_USER": "airflow", "POSTGRES_PASSWORD": _required("POSTGRES_PASSWORD"),
                        "POSTGRES_DB": "airflow"},
        "volumes": ["pg-data:/var/lib/postgresql/data"],
        "healthcheck": {"test": ["CMD", "pg_isready", "-U", "airflow"], "interval": "10s", "retries": 10},
        "restart": "unless-stopped",
    }
    services["redis"] = {
        "image": "redis:7",
        "command": ["redis-server", "--requirepass", _required("REDIS_PASSWORD"), "--appendonly", "no"],
        "healthcheck": {"test": ["CMD-SHELL", "redis-cli -a \"$$REDIS_PASSWORD\" --no-auth-warning ping"],
                        "interval": "10s", "retries": 10},
        "environment": {"REDIS_PASSWORD": _required("REDIS_PASSWORD")},
        "profiles": ["scale"],
        "restart": "unless-stopped",
    }
    for svc in SERVICES:
        spec: dict[str, Any] = {
            "image": "yuqing-watch:latest",
            "environment": svc.environment(),
            "command": list(svc.command),
            "volumes": ["yuqing-var:/var/lib/yuqing", "../config:/opt/yuqing/config:ro"],
            "depends_on": _depends(svc),
            "restart": "no" if svc.one_shot else "unless-stopped",
        }
        if svc.name == "airflow-init":
            spec["build"] = {"context": "..", "dockerfile": "docker/Dockerfile"}
            spec["entrypoint"] = []
        if svc.profiles:
            spec["profiles"] = list(svc.profiles)
        if svc.port:
            inner = re.sub(r"\$\{[A-Z_]+:-(\d+)\}", r"\1", svc.port)
            spec["ports"] = [f"127.0.0.1:{svc.port}:{inner}"]
        services[svc.name] = spec
    volumes = {f"{n}-data": None for n in ES_NODES} | {"pg-data": None, "yuqing-var": None, "es-config": None}
    return {"name": "yuqing", "services": services, "volumes": volumes}


def compose_text() -> str:
    body = yaml.safe_dump(compose(), allow_unicode=True, sort_keys=False, width=120, default_flow_style=False)
    return HEADER + "\n" + body.replace(": null\n", ":\n")


def variables_in_compose(text: str | None = None) -> set[str]:
    """Every variable compose interpolates in the file."""
    text = compose_text() if text is None else text
    return {m.group(1) or m.group(4) for m in _VAR.finditer(text) if m.group(0) != "$$"}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m deploy.services")
    parser.add_argument("what", choices=["compose", "roles", "check"])
    parser.add_argument("--prefix", default="yuqing", help="index prefix for `roles` (default yuqing)")
    args = parser.parse_args(argv)
    if args.what == "compose":
        COMPOSE_FILE.write_text(compose_text(), encoding="utf-8")
        print(f"wrote {os.path.relpath(COMPOSE_FILE)}")
        return 0
    if args.what == "roles":
        ROLES_FILE.parent.mkdir(parents=True, exist_ok=True)
        ROLES_FILE.write_text(roles_text(args.prefix), encoding="utf-8")
        print(f"wrote {os.path.relpath(ROLES_FILE)}")
        return 0
    same = COMPOSE_FILE.read_text(encoding="utf-8") == compose_text()
    print("docker-compose.yml is up to date" if same else "docker-compose.yml differs: run "
          "`python -m deploy.services compose`")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())


