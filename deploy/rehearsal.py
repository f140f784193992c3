"""The native production rehearsal (``scripts/rehearse.sh``): the scale topology on loopback, run by
the real scheduler for a bounded time, with an Elasticsearch node and a Celery worker killed midway.

Steps (docs/operations.md explains each and what an operator watches):

1. secrets: generated into the rehearsal's own ``.env`` (mode 600), as an operator fills docker/.env;
2. PostgreSQL (Debian's binaries, as the ``postgres`` user) and Redis (password required) on loopback;
3. a three-node Elasticsearch cluster (:mod:`yuqing.escluster`) from the same distribution as the
   local node, with the compose file's node settings;
4. the demo web (on the live clock, scenario day = today) and the local alert receivers, and a
   configuration pointing the sources at the web and the channels at the receivers;
5. ``airflow-init``, then the Airflow api-server, scheduler, dag-processor, triggerer, the two Celery
   workers (crawling; analysis + default) and the duty console — the commands and environment of
   ``deploy.services``, interpolated from the ``.env`` as compose does;
6. the scheduler runs the DAGs: collection on its schedules, analysis and routing on assets, the sweep
   and dispatch every minute; fresh posts are published on the demo web while it runs;
7. midway the elected master Elasticsearch node and the crawl worker are killed (SIGKILL, by pid),
   later started again; during the outage and at the end a duty officer signs in to the console and
   reads the queue;
8. when the time is up, it waits for the runs in flight, then checks from Airflow's database,
   Elasticsearch and the receivers: no task failed after its retries, the asset chain ran, every item
   the web published (up to each source's last crawl) is stored exactly once, every alert sent arrived
   once and the fresh emergency was alerted; prints a summary and ``rehearsal=ok|failed``;
9. everything it started is stopped, whatever happened (also on Ctrl-C / SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deploy import services as svc
from yuqing import esnode
from yuqing.clock import TZ
from yuqing.paths import PROJECT_ROOT

VENV_BIN = Path(sys.executable).parent
# Fixed loopback ports below Linux's ephemeral range (32768+), so no client connection holds one.
PG_PORT, REDIS_PORT, API_PORT, CONSOLE_PORT = 25432, 26379, 28080, 28600
ES_HTTP_BASE, ES_TRANSPORT_BASE = 29201, 29301
WORKER_LOG_PORTS = {"airflow-worker-crawl": 28793, "airflow-worker-analysis": 28794}
KILL_WORKER = "airflow-worker-crawl"
CONSOLE_USER = "rehearsal-duty"  # a duty officer signs in to the console during the outage and after


def log(text: str) -> None:
    print(f"[{dt.datetime.now(TZ):%H:%M:%S}] {text}", flush=True)


def root_dir() -> Path:
    """Where the rehearsal keeps its state: under /opt/yuqing as root (the node and PostgreSQL users
    must reach it), else under the cache directory."""
    return esnode._install_root() / "rehearsal"


def _tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and every live descendant (plus the waited-for children they counted)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        stats[int(entry)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            f = stats[current]
            total += sum(int(x) for x in f[11:15]) / tick  # utime stime cutime cstime
        todo.extend(children.get(current, []))
    return total


@dataclasses.dataclass
class Proc:
    name: str
    cmd: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    cpu_done: float = 0.0  # CPU of earlier incarnations (killed and started again)

    def start(self) -> None:
        out = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.popen = subprocess.Popen(self.cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                      cwd=PROJECT_ROOT, start_new_session=True)
        out.close()

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def cpu(self) -> float:
        return self.cpu_done + (_tree_cpu(self.pid) if self.alive() else 0.0)

    def kill(self) -> int:
        """SIGKILL the whole process group (the worker and its task processes): a crash."""
        pid = self.pid
        self.cpu_done += _tree_cpu(pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        assert self.popen is not None
        self.popen.wait(timeout=30)
        return pid

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


class Rehearsal:
    def __init__(self, minutes: float, root: Path) -> None:
        self.minutes = minutes
        self.root = root
        self.procs: dict[str, Proc] = {}
        self.cluster: Any = None
        self.web: Any = None
        self.receivers: Any = None
        self.pg_data = root / "pg"
        self.variables: dict[str, str] = {}
        self.events: list[str] = []
        self.failures: list[str] = []
        self.figures: dict[str, Any] = {}
        self.started = time.monotonic()
        self.published: list[Any] = []
        self.cpu: dict[str, float] = {}
        self.run_end = dt.datetime.now(dt.UTC)
        self.killed_node = ""
        self.fresh: list[tuple[str, str, float]] = []  # (label, stamp in the titles, published at)

    # -- 1. secrets ---------------------------------------------------------------------------------

    def write_env(self) -> None:
        token = secrets.token_urlsafe
        self.variables = {
            "POSTGRES_PASSWORD": token(18), "POSTGRES_ADDR": f"127.0.0.1:{PG_PORT}",
            "REDIS_PASSWORD": token(18), "REDIS_ADDR": f"127.0.0.1:{REDIS_PORT}",
            "AIRFLOW_JWT_SECRET": token(32), "AIRFLOW_SECRET_KEY": token(32),
            "AIRFLOW_ADMIN_USER": "admin", "AIRFLOW_ADMIN_PASSWORD": token(12),
            "AIRFLOW_API_ADDR": f"127.0.0.1:{API_PORT}", "AIRFLOW_API_PORT": str(API_PORT),
            "AIRFLOW_BASE_URL": f"http://127.0.0.1:{API_PORT}", "AIRFLOW_API_WORKERS": "1",
            "AIRFLOW_EXECUTOR": "CeleryExecutor", "AIRFLOW_PARALLELISM": "4", "AIRFLOW_DAG_REFRESH": "30",
            "AIRFLOW_TI_HEARTBEAT_TIMEOUT": "90", "AIRFLOW_TASK_QUEUED_TIMEOUT": "180",
            "WORKER_CRAWL_CONCURRENCY": "2", "WORKER_ANALYSIS_CONCURRENCY": "2",
            "WORKER_CRAWL_LOG_PORT": str(WORKER_LOG_PORTS["airflow-worker-crawl"]),
            "WORKER_ANALYSIS_LOG_PORT": str(WORKER_LOG_PORTS["airflow-worker-analysis"]),
            "ES_NODES": ",".join(f"http://127.0.0.1:{ES_HTTP_BASE + i}" for i in range(len(svc.ES_NODES))),
            "ES_TASKS_PASSWORD": token(18), "ES_CONSOLE_PASSWORD": token(18), "ES_ADMIN_PASSWORD": token(18),
            "YUQING_INDEX_PREFIX": "rehearsal", "YUQING_CONSOLE_SECRET": token(32),
            "CONSOLE_HOST": "127.0.0.1", "CONSOLE_PORT": str(CONSOLE_PORT),
            "YUQING_CONSOLE_USERS": str(self.root / "var" / "console" / "users.json"),
            "CONSOLE_DUTY_PASSWORD": token(12),
        }
        self.flush_env()

    def flush_env(self) -> None:
        path = self.root / ".env"
        path.write_text("".join(f"{k}={v}\n" for k, v in sorted(self.variables.items())), encoding="utf-8")
        path.chmod(0o600)

    # -- 2. PostgreSQL and Redis --------------------------------------------------------------------

    @staticmethod
    def _pg_bin() -> Path:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not versions:
            raise RuntimeError("PostgreSQL is not installed (scripts/rehearse.sh installs `postgresql`)")
        return versions[-1].parent

    @staticmethod
    def _as_postgres(cmd: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    def start_postgres(self) -> None:
        pg = self._pg_bin()
        self.pg_data.mkdir(parents=True)
        pwfile = self.root / "pg.pw"
        pwfile.write_text(self.variables["POSTGRES_PASSWORD"] + "\n")
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres", str(self.pg_data), str(pwfile)], check=True)
        subprocess.run(self._as_postgres([str(pg / "initdb"), "-D", str(self.pg_data / "data"), "-U", "airflow",
                                          "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                                          f"--pwfile={pwfile}", "-E", "UTF8"]),
                       check=True, capture_output=True)
        pwfile.unlink()
        opts = f"-p {PG_PORT} -c listen_addresses=127.0.0.1 -k {self.pg_data} -c max_connections=200"
        subprocess.run(self._as_postgres([str(pg / "pg_ctl"), "-D", str(self.pg_data / "data"), "-o", opts,
                                          "-l", str(self.pg_data / "postgres.log"), "-w", "start"]),
                       check=True, capture_output=True)
        env = {**os.environ, "PGPASSWORD": self.variables["POSTGRES_PASSWORD"]}
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "airflow", "-d", "postgres",
                        "-qc", "CREATE DATABASE airflow"], env=env, check=True, capture_output=True)
        self.events.append(f"postgresql up on 127.0.0.1:{PG_PORT}")

    def stop_postgres(self) -> None:
        if not (self.pg_data / "data" / "postmaster.pid").exists():
            return
        subprocess.run(self._as_postgres([str(self._pg_bin() / "pg_ctl"), "-D", str(self.pg_data / "data"),
                                          "-m", "fast", "-w", "stop"]), capture_output=True)

    def postgres_cpu(self) -> float:
        try:
            pid = int((self.pg_data / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        return _tree_cpu(pid)

    def start_redis(self) -> None:
        exe = shutil.which("redis-server")
        if not exe:
            raise RuntimeError("Redis is not installed (scripts/rehearse.sh installs `redis-server`)")
        conf = self.root / "redis.conf"
        conf.write_text(f"bind 127.0.0.1\nport {REDIS_PORT}\nrequirepass {self.variables['REDIS_PASSWORD']}\n"
                        f"save \"\"\nappendonly no\ndir {self.root}\n")
        conf.chmod(0o600)
        self.spawn("redis", [exe, str(conf)], dict(os.environ))
        self.wait_port(REDIS_PORT, 30, "redis")

    # -- 3. Elasticsearch ---------------------------------------------------------------------------

    def accounts(self) -> dict[str, Any]:
        from yuqing import essecurity

        out = {}
        for purpose, user_var, password_var in svc.ES_ACCOUNTS:
            user, role = essecurity.ACCOUNTS[purpose]
            out[purpose] = essecurity.Account(user=self.variables.get(user_var, user),
                                              password=self.variables[password_var], role=role)
        return out

    def make_certs(self) -> Path:
        """The transport CA and node certificate, with the distribution's certutil (as es-setup does)."""
        import zipfile

        from yuqing import esnode

        home, java = esnode.fetch_distribution(), esnode.find_java_home()
        out = self.root / "es-certs"
        out.mkdir()
        env = {**os.environ, "ES_JAVA_HOME": str(java), "ES_JAVA_OPTS": "-Xms64m -Xmx256m"}
        tool = str(home / "bin" / "elasticsearch-certutil")
        subprocess.run([tool, *svc.CERTUTIL_CA, str(out / "ca.zip")], env=env, check=True, capture_output=True)
        zipfile.ZipFile(out / "ca.zip").extractall(out)
        subprocess.run([tool, *svc.CERTUTIL_NODE, "--ca-cert", str(out / "ca" / "ca.crt"), "--ca-key",
                        str(out / "ca" / "ca.key"), "--out", str(out / "node.zip")],
                       env=env, check=True, capture_output=True)
        zipfile.ZipFile(out / "node.zip").extractall(out)
        return out

    def start_cluster(self) -> None:
        from yuqing import esnode, essecurity
        from yuqing.escluster import Cluster

        certs = self.make_certs()
        accounts = self.accounts()
        prefix = self.variables["YUQING_INDEX_PREFIX"]

        # The file realm is written once (three JVM runs of elasticsearch-users) and copied to every
        # node: a cluster's nodes must agree on users and roles.
        realm = self.root / "es-realm"
        shutil.copytree(esnode.fetch_distribution() / "config", realm)
        essecurity.write_file_realm(realm, accounts, prefixes=[prefix], es_home=esnode.fetch_distribution(),
                                    java_home=esnode.find_java_home())

        def prepare(conf: Path) -> None:
            (conf / svc.CERTS_DIR).mkdir(exist_ok=True)
            for src in (certs / "ca" / "ca.crt", certs / "node" / "node.crt", certs / "node" / "node.key"):
                shutil.copy2(src, conf / svc.CERTS_DIR / src.name)
            essecurity.copy_realm_files(realm, conf)

        admin = accounts["admin"]
        self.cluster = Cluster(self.root / "es", http_base=ES_HTTP_BASE, transport_base=ES_TRANSPORT_BASE,
                               cluster_name=svc.ES_COMMON_SETTINGS["cluster.name"], settings=svc.ES_COMMON_SETTINGS,
                               auth=(admin.user, admin.password), prepare_config=prepare)
        t0 = time.monotonic()
        self.cluster.start(timeout=420)
        self.figures["es_start_seconds"] = round(time.monotonic() - t0, 1)
        self.events.append(f"elasticsearch: 3 nodes up in {self.figures['es_start_seconds']} s "
                           f"(security on, file realm, transport TLS; master {self.cluster.master()})")

    def admin_url(self) -> str:
        from yuqing import essecurity

        admin = self.accounts()["admin"]
        return essecurity.with_credentials(self.variables["ES_NODES"], admin.user, admin.password)

    def check_replicas(self) -> None:
        """`yuqing init` gave every index the replicas of config/storage.yaml (1; capped at data nodes - 1)."""
        from yuqing.storage import Store

        store = Store.connect(self.admin_url(), prefix=self.variables["YUQING_INDEX_PREFIX"])
        settings = store.client.indices.get_settings(index=f"{store.prefix}-*", name="index.number_of_replicas")
        replicas = {idx: int(v["settings"]["index"]["number_of_replicas"]) for idx, v in settings.items()}
        health = store.client.cluster.health(wait_for_status="green", timeout="120s")
        self.events.append(f"indices from config/storage.yaml: replicas {sorted(set(replicas.values()))}; cluster "
                           f"{health['status']}, {health['active_shards']} shards on {health['number_of_nodes']} nodes")
        if set(replicas.values()) != {1}:
            self.failures.append(f"indices without one replica on three nodes: {replicas}")

    # -- 4. demo web, receivers, configuration ------------------------------------------------------

    def start_fixtures(self) -> None:
        from demo.main import write_config
        from demo.receivers import Receivers
        from demo.web import DemoWeb
        from yuqing.config import load_config

        today = dt.datetime.now(TZ).date()
        self.web = DemoWeb(day=today, port=0)
        self.web.start()
        config_dir = write_config(self.root / "config", self.web.base_url)
        self.variables["YUQING_CONFIG"] = str(config_dir)
        self.receivers = Receivers().start()
        self.receivers.start_smtp()
        channels = self.receivers.env_for(load_config(config_dir).alerts)
        self.variables.update(channels)
        self.flush_env()
        self.events.append(f"demo web {self.web.base_url} (day {today}, live clock, "
                           f"{sum(len(self.web.visible(s)) for s in _sites())} items online); "
                           f"receivers {self.receivers.url} ({len(channels)} channels)")

    # -- 5. the services ----------------------------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        """What the image provides (Dockerfile ENV), with this checkout's paths."""
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("AIRFLOW", "YUQING_", "ES_URL", "ES_JAVA"))}
        return {
            **keep,
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PYTHONUNBUFFERED": "1",
            "AIRFLOW_HOME": str(self.root / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "YUQING_CONFIG": self.variables["YUQING_CONFIG"],
            "YUQING_VAR": str(self.root / "var"),
        }

    def service_env(self, name: str) -> dict[str, str]:
        service = svc.service(name)
        return {**self.base_env(), **svc.resolve_env(service, self.variables)}

    def spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, cmd, env, self.root / "logs" / f"{name}.log")
        proc.start()
        self.procs[name] = proc
        return proc

    def start_service(self, name: str) -> Proc:
        service = svc.service(name)
        return self.spawn(name, svc.resolve_command(service, self.variables), self.service_env(name))

    def run_init(self) -> None:
        service = svc.service("airflow-init")
        t0 = time.monotonic()
        proc = subprocess.run(svc.resolve_command(service, self.variables), env=self.service_env("airflow-init"),
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
        (self.root / "logs" / "airflow-init.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"airflow-init failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-2500:]}")
        self.figures["init_seconds"] = round(time.monotonic() - t0, 1)
        self.events.append(f"airflow-init: metadata DB migrated, indices created, admin user made "
                           f"({self.figures['init_seconds']} s)")

    def add_console_user(self) -> None:
        """A duty officer account in the console's users file, made by the documented command."""
        env = {**self.service_env("console"), "REHEARSAL_CONSOLE_PASSWORD": self.variables["CONSOLE_DUTY_PASSWORD"]}
        proc = subprocess.run([str(VENV_BIN / "yuqing"), "console", "user", "add", CONSOLE_USER, "--role",
                               "duty_officer", "--display-name", "演练值班员", "--password-env",
                               "REHEARSAL_CONSOLE_PASSWORD"], env=env, cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=120)
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr)[-800:]
            raise RuntimeError(f"console user add failed (exit {proc.returncode}): {output}")

    def check_console(self, label: str) -> None:
        """Sign in as the duty officer (the console's own sign-in API), read the queue; the fresh
        emergency published on the demo web must be in it once the pipeline has carried it there."""
        import http.cookiejar

        base = f"http://127.0.0.1:{CONSOLE_PORT}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        body = json.dumps({"name": CONSOLE_USER, "password": self.variables["CONSOLE_DUTY_PASSWORD"]}).encode()
        t0 = time.monotonic()
        try:
            opener.open(urllib.request.Request(f"{base}/api/session", data=body, method="POST",
                                               headers={"Content-Type": "application/json"}), timeout=30).close()
            with opener.open(f"{base}/api/incidents?page=1", timeout=30) as resp:
                page = json.load(resp)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            self.failures.append(f"console ({label}): sign-in or queue failed: {exc}")
            return
        ms = round((time.monotonic() - t0) * 1000)
        titles = [str(item["incident"].get("title") or "") for item in page["items"]]
        fresh = sum("盘龙区" in t for t in titles)
        self.events.append(f"console ({label}): {CONSOLE_USER} signed in, queue of {page['total']} incidents "
                           f"read in {ms} ms; {fresh} on the first page name the fresh emergency's place")
        self.figures.setdefault("console_checks", []).append(f"{label}: total {page['total']}, {ms} ms")
        if label == "after the run" and not fresh:
            self.failures.append("console: the fresh emergency is not in the duty officer's queue")

    def start_airflow(self) -> None:
        self.add_console_user()
        for name in ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                     "airflow-worker-crawl", "airflow-worker-analysis", "console"):
            self.start_service(name)
        self.wait_http(f"http://127.0.0.1:{API_PORT}/api/v2/monitor/health", 240, "api-server")
        self.wait_http(f"http://127.0.0.1:{CONSOLE_PORT}/login", 120, "console")
        self.events.append("airflow api-server, scheduler, dag-processor, triggerer, 2 celery workers "
                           "(crawling; analysis,default) and the console up")

    # -- waiting helpers ----------------------------------------------------------------------------

    def wait_port(self, port: int, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not esnode.port_free(port):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f}s")

    def wait_http(self, url: str, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status < 500:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
                last = str(exc)
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            for name, proc in self.procs.items():
                if proc.popen is not None and not proc.alive() and name != KILL_WORKER:
                    raise RuntimeError(f"{name} exited (code {proc.popen.returncode}); see {proc.log_path}")
            time.sleep(1.0)
        raise RuntimeError(f"{what} not answering at {url} within {timeout:.0f}s ({last})")

    # -- 6./7. the run ------------------------------------------------------------------------------

    def publish_fresh(self, label: str) -> None:
        """A fresh emergency on the Weibo-like timeline and a report on the news site, now."""
        stamp = dt.datetime.now(TZ).strftime("%H%M%S")
        title = f"突发：昆明市盘龙区一居民楼发生火灾 已致2人受伤（{label}{stamp}）"
        post = self.web.publish("weibo", {
            "title": title, "author": "昆明生活圈",
            "body": f"{title}。现场浓烟滚滚，消防救援人员已赶到现场处置，伤者已送医救治，起火原因正在调查中。",
            "reposts": 320})
        report = self.web.publish("news", {
            "title": f"昆明盘龙区居民楼火灾致2人受伤 消防部门紧急处置（{label}{stamp}）",
            "body": ["记者从昆明市消防救援支队获悉，盘龙区一居民楼发生火灾，已造成2人受伤。",
                     "目前火势已得到控制，伤者正在医院接受治疗，事故原因正在进一步调查。"]})
        self.published += [post, report]
        self.fresh.append((label, stamp, time.time()))
        self.events.append(f"published on the demo web: {post.id} (weibo), {report.id} (news) — {label}")

    def run(self) -> None:
        total = self.minutes * 60
        t0 = time.monotonic()
        kill_at = self.kill_offset(total)
        revive_at = max(total * 0.6, kill_at + 150)  # the heartbeat timeout has failed the lost task by then
        killed = revived = False
        published_late = False
        self.publish_fresh("开场")
        while (elapsed := time.monotonic() - t0) < total:
            if not killed and elapsed >= kill_at:
                self.kill_midway()
                killed = True
            if killed and not published_late and elapsed >= kill_at + 30:
                self.publish_fresh("故障期间")
                self.check_console("node and worker down")
                published_late = True
            if killed and not revived and elapsed >= revive_at:
                self.revive()
                revived = True
            for name, proc in self.procs.items():
                if name != KILL_WORKER and proc.popen is not None and not proc.alive():
                    raise RuntimeError(f"{name} exited unexpectedly (code {proc.popen.returncode}); "
                                       f"see {proc.log_path}")
            time.sleep(5)
        if not revived and killed:
            self.revive()
        self.run_end = dt.datetime.now(dt.UTC)

    @staticmethod
    def kill_offset(total: float) -> float:
        """When to kill (seconds into the run): 20 s after the first five-minute mark past 30 % of the run,
        when the five-minute collection has just started a crawl on the worker about to die."""
        now = dt.datetime.now(TZ)
        earliest = now + dt.timedelta(seconds=total * 0.3)
        mark = earliest.replace(second=0, microsecond=0) + dt.timedelta(minutes=(-earliest.minute) % 5)
        if mark < earliest:
            mark += dt.timedelta(minutes=5)
        offset = (mark - now).total_seconds() + 20
        return offset if offset < total * 0.6 else total * 0.35

    def kill_midway(self) -> None:
        """Kill the elected master node (the harder case: the cluster must elect another before any
        write is acknowledged) and the crawl worker in the middle of its crawl."""
        assert self.cluster is not None
        master = self.cluster.master() or self.cluster.nodes[0].name
        self.killed_node = master
        es_pid = self.cluster.kill(master)
        worker_pid = self.procs[KILL_WORKER].kill()
        self.kill_time = time.monotonic()
        first = self.variables["ES_NODES"].split(",")[0].endswith(f":{self.cluster.node(master).http_port}")
        self.events.append(f"KILLED elasticsearch node {master} (pid {es_pid}; the elected master"
                           f"{', also the first address clients try' if first else ''}) and "
                           f"celery worker {KILL_WORKER} (pid {worker_pid}, SIGKILL to its process group)")
        from yuqing.escluster import NodeError

        # The survivors notice the loss and elect a new master; until they do, health still counts three.
        try:
            health = self.cluster.wait_nodes(2, timeout=120, status=("yellow", "green", "red"))
        except NodeError as exc:
            self.failures.append(f"the cluster did not notice the killed node within 120 s: {exc}")
            return
        detected = round(time.monotonic() - self.kill_time, 1)
        self.figures["es_new_master_seconds"] = detected
        self.events.append(f"  cluster after the kill: {health.get('status')} with {health.get('number_of_nodes')} "
                           f"nodes after {detected} s, new master {self.cluster.master()}, "
                           f"{health.get('unassigned_shards')} unassigned shards")

    def revive(self) -> None:
        assert self.cluster is not None
        t0 = time.monotonic()
        self.cluster.start_node(self.killed_node, timeout=300)
        self.start_service(KILL_WORKER)
        green = self.cluster.wait_nodes(3, timeout=300, status=("green",))
        self.figures["es_rejoin_green_seconds"] = round(time.monotonic() - t0, 1)
        self.events.append(f"RESTARTED {self.killed_node} (pid {self.cluster.node(self.killed_node).pid()}) and "
                           f"{KILL_WORKER} "
                           f"(pid {self.procs[KILL_WORKER].pid}); cluster {green.get('status')} with "
                           f"{green.get('number_of_nodes')} nodes after {self.figures['es_rejoin_green_seconds']} s")

    # -- 8. checks ----------------------------------------------------------------------------------

    def db(self) -> Any:
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=PG_PORT, user="airflow", dbname="airflow",
                                password=self.variables["POSTGRES_PASSWORD"])

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(self.db()) as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            rows = list(cur.fetchall()) if cur.description else []
            conn.commit()
            return rows

    def settle(self, timeout: float = 600) -> None:
        """Wait until every DAG run created before the end of the run is finished (the scheduler keeps
        creating new ones meanwhile: those are not judged), then pause every DAG for the checks."""
        deadline = time.monotonic() + timeout
        open_runs: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline:
            open_runs = self.query("SELECT dag_id, run_id, state FROM dag_run WHERE queued_at <= %s "
                                   "AND state IN ('queued','running')", self.run_end)
            if not open_runs:
                break
            time.sleep(5)
        else:
            self.failures.append(f"runs still open {timeout:.0f}s after the end: {open_runs}")
        # The chain's last link may be triggered by a routing run that finished just now: give the
        # asset-triggered runs it queued time to finish before pausing (a loaded host stretches them).
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and self.asset_chain_missing():
            time.sleep(5)
        self.query("UPDATE dag SET is_paused = true")

    CHAIN = ("yuqing_analysis", "yuqing_routing", "yuqing_alert_dispatch")

    def asset_chain_missing(self) -> list[str]:
        """The DAGs of the asset chain without a successful asset-triggered run yet."""
        done = {d for (d,) in self.query("SELECT DISTINCT dag_id FROM dag_run WHERE run_type = 'asset_triggered' "
                                         "AND state = 'success'")}
        return [d for d in self.CHAIN if d not in done]

    JUDGED = "JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id AND r.queued_at <= %s"

    def store(self) -> Any:
        from yuqing.storage import Store

        return Store.connect(self.admin_url(), prefix=self.variables["YUQING_INDEX_PREFIX"])

    def check(self) -> None:
        # Airflow: runs and tasks
        end = self.run_end
        runs = self.query("SELECT dag_id, run_type, state, count(*) FROM dag_run WHERE queued_at <= %s "
                          "GROUP BY 1,2,3 ORDER BY 1,2,3", end)
        self.figures["dag_runs"] = [f"{d} {t} {s} ×{n}" for d, t, s, n in runs]
        failed_tis = self.query("SELECT t.dag_id, t.task_id, t.run_id, t.try_number FROM task_instance t "
                                f"{self.JUDGED} WHERE t.state IN ('failed','upstream_failed')", end)
        retried = self.query("SELECT t.dag_id, t.task_id, t.run_id, t.try_number, t.state FROM task_instance t "
                             f"{self.JUDGED} WHERE t.try_number > 1", end)
        by_state = dict(self.query(f"SELECT t.state, count(*) FROM task_instance t {self.JUDGED} GROUP BY t.state",
                                   end))
        self.figures["task_instances"] = by_state
        self.figures["retried"] = [f"{d}.{t} {r} try {n} → {s}" for d, t, r, n, s in retried]
        durations = self.query("SELECT t.dag_id, count(*), avg(t.duration), max(t.duration), sum(t.duration) "
                               f"FROM task_instance t {self.JUDGED} WHERE t.state = 'success' "
                               "GROUP BY t.dag_id ORDER BY t.dag_id", end)
        self.figures["task_seconds"] = [f"{d}: {n} runs, mean {a or 0:.1f} s, max {m or 0:.1f} s, total {t or 0:.0f} s"
                                        for d, n, a, m, t in durations]
        queues = self.query("SELECT queue, count(*) FROM task_instance GROUP BY queue")
        self.figures["queues"] = dict(queues)
        if failed_tis:
            self.failures.append(f"tasks failed after their retries: {failed_tis}")
        failed_runs = [r for r in runs if r[2] == "failed"]
        if failed_runs:
            self.failures.append(f"failed DAG runs: {failed_runs}")
        for dag_id in self.asset_chain_missing():
            self.failures.append(f"asset chain: no successful asset-triggered run of {dag_id}")
        crawl_queue = self.query("SELECT DISTINCT queue FROM task_instance WHERE dag_id LIKE 'yuqing_collect%%'")
        if {q for (q,) in crawl_queue} - {svc.QUEUE_CRAWL}:
            self.failures.append(f"collection tasks ran outside the crawling queue: {crawl_queue}")
        self.check_mentions()
        self.check_alerts()

    def last_crawl(self) -> dict[str, dt.datetime]:
        """Each source's last successful crawl: the data-interval end of its group's last good run."""
        from pipeline.groups import source_groups

        ends: dict[str, dt.datetime] = {}
        for group in source_groups(Path(self.variables["YUQING_CONFIG"]) / "sources.yaml"):
            rows = self.query("SELECT max(data_interval_end) FROM dag_run WHERE dag_id = %s AND state = 'success'",
                              f"yuqing_collect_every_{group.slug}")
            if rows and rows[0][0] is not None:
                for source_id in group.source_ids:
                    ends[source_id] = rows[0][0].astimezone(TZ)
        return ends

    def check_mentions(self) -> None:
        from demo.scenario import SITE_SOURCE

        store = self.store()
        store.refresh()
        by_url: Counter[str] = Counter()
        stored = 0
        for doc in store.scan("mentions"):
            stored += 1
            for key in {str(u).split("?")[0] for u in (doc.get("url"), doc.get("canonical_url")) if u}:
                by_url[key] += 1
        ends = self.last_crawl()
        expected = missing = doubled = 0
        missing_examples: list[str] = []
        for site in _sites():
            source_id = SITE_SOURCE[site]
            if source_id not in ends:
                continue
            for item in self.web.visible(site, ends[source_id]):
                expected += 1
                count = by_url[self.web.item_url(item).split("?")[0]]
                if count == 0:
                    missing += 1
                    missing_examples.append(f"{site}:{item.id}")
                elif count > 1:
                    doubled += 1
        stats = store.client.indices.stats(index=store.alias("mentions"), metric="store,docs")["_all"]["primaries"]
        per_doc = stats["store"]["size_in_bytes"] / max(1, stats["docs"]["count"])
        self.figures["mentions"] = {"stored": stored, "expected": expected, "missing": missing,
                                    "doubled": doubled, "bytes_per_mention_primary": round(per_doc)}
        if missing:
            self.failures.append(f"{missing} published items not stored: {missing_examples[:8]}")
        if doubled:
            self.failures.append(f"{doubled} published items stored more than once")
        for item in self.published:
            end = ends.get(SITE_SOURCE[item.site])
            if end is None or item.id not in {i.id for i in self.web.visible(item.site, end)}:
                continue  # published after its source's last crawl: nothing could have stored it yet
            if by_url[self.web.item_url(item).split("?")[0]] != 1:
                self.failures.append(f"the fresh post {item.id} is stored {by_url[self.web.item_url(item)]} times")

    def check_alerts(self) -> None:
        """Each channel received exactly one message per batch of sent deliveries (the dispatcher sends
        one message per target per batch; its batch id is the idempotency key), none twice."""
        store = self.store()
        batches: dict[str, set[str]] = {}
        sent = Counter[str]()
        for doc in store.scan("deliveries"):
            if doc.get("state") == "sent":
                sent[doc["channel_id"]] += 1
                batches.setdefault(doc["channel_id"], set()).add(str(doc.get("batch_id") or doc["id"]))
        received_all = self.receivers.received()
        received = Counter(r.channel_id for r in received_all)
        webhook_ids = Counter({k.lower(): v for k, v in r.headers.items()}.get("webhook-id")
                              for r in received_all if r.channel == "webhook")
        fresh_alerted = sum(1 for r in received_all if "盘龙区" in r.text)  # the place of the fresh posts
        self.figures["alerts"] = {"deliveries_sent": dict(sent),
                                  "messages_expected": {c: len(b) for c, b in batches.items()},
                                  "messages_received": dict(received), "fresh_alert_messages": fresh_alerted}
        for channel in set(batches) | set(received):
            if len(batches.get(channel, ())) != received[channel]:
                self.failures.append(f"channel {channel}: {len(batches.get(channel, ()))} messages sent "
                                     f"(batches of deliveries), {received[channel]} received")
        doubled = [k for k, n in webhook_ids.items() if n > 1]
        if doubled:
            self.failures.append(f"webhook messages received twice (same webhook-id): {doubled[:3]}")
        if not sum(sent.values()):
            self.failures.append("no alert was sent")
        if not fresh_alerted:
            self.failures.append("no alert named the fresh emergency published during the run")
        self.detection_latency(store, received_all)

    def detection_latency(self, store: Any, received: list[Any]) -> None:
        """The scheduler-driven detection latency (bench/detection_latency.py quotes it): from the
        first fresh post's publication on the demo web to the first message about it at a receiver.

        It is split at the end of the crawl task that stored the post (the run of the DAG that
        crawls the post's source whose data interval ends at the post's ``crawled_at``), so the wait
        for the source's next scheduled crawl is stated apart from what the pipeline adds; and the
        pipeline's part is split again at the moment routing decided to alert (the first delivery
        about the incident was written), since a level III/IV alert to a target that had a message in
        the last ``suppression.aggregate_window`` is held until that window closes (bursts become one
        message): that hold is configured, not pipeline time, and is stated on its own."""
        from pipeline.groups import source_groups
        from yuqing.clock import parse_ts

        if not self.fresh:
            return
        label, stamp, published = self.fresh[0]
        messages = [r.at for r in received if "盘龙区" in r.text and r.at >= published]
        mentions = store.find("mentions", {"match_phrase": {"title": stamp}})
        slug_of = {sid: g.slug for g in source_groups(Path(self.variables["YUQING_CONFIG"]) / "sources.yaml")
                   for sid in g.source_ids}
        crawl_ends: list[float] = []
        for doc in mentions:
            crawled, slug = parse_ts(doc.get("crawled_at")), slug_of.get(str(doc.get("source_id")))
            if crawled is None or slug is None:
                continue
            rows = self.query("SELECT min(t.end_date) FROM task_instance t JOIN dag_run r ON r.dag_id = t.dag_id "
                              "AND r.run_id = t.run_id WHERE r.dag_id = %s AND t.task_id = 'crawl' "
                              "AND t.state = 'success' AND r.data_interval_end = %s AND t.end_date >= to_timestamp(%s)",
                              f"yuqing_collect_every_{slug}", crawled, published)
            if rows and rows[0][0]:
                crawl_ends.append(rows[0][0].timestamp())
        if not messages or not crawl_ends:
            self.events.append(f"detection latency ({label}): not measured (message or crawl task not found)")
            return
        first = min(messages)
        # The alert may need more than the first post (e.g. the news report's casualty figures): the
        # pipeline's part starts at the end of the last crawl that stored a fresh post before the message.
        crawl_end = max(c for c in crawl_ends if c <= first) if any(c <= first for c in crawl_ends) else min(crawl_ends)
        incident_ids = sorted({str(d["incident_id"]) for d in mentions if d.get("incident_id")})
        decided = None
        held = False
        if incident_ids:
            from yuqing.config import load_config

            deliveries = store.find("deliveries", {"bool": {"filter": [{"terms": {"incident_id": incident_ids}},
                                                                       {"term": {"state": "sent"}}]}})
            stamps = [(parse_ts(d.get("created_at")), parse_ts(d.get("sent_at"))) for d in deliveries]
            pairs = [(c.timestamp(), s.timestamp()) for c, s in stamps if c is not None and s is not None]
            if pairs:
                decided = min(c for c, _ in pairs)
                made, sent = min(pairs, key=lambda p: p[1])
                # Dispatch runs right after routing (asset-triggered) and every minute: a first message
                # sent more than a minute after its delivery was written was held by the aggregate window.
                held = sent - made > 60.0
                window = load_config(Path(self.variables["YUQING_CONFIG"])).alerts.suppression.aggregate_window
                self.events.append(f"detection latency: the first message was held {sent - made:.0f} s by the "
                                   f"aggregate window ({window}: the target had a message shortly before)" if held
                                   else "detection latency: the first message was not held by the aggregate window")
        figures: dict[str, Any] = {"publication_to_message": round(first - published, 1),
                                   "publication_to_crawl_end": round(crawl_end - published, 1),
                                   "crawl_end_to_message": round(first - crawl_end, 1)}
        if decided is not None:
            figures["crawl_end_to_alert_decided"] = round(decided - crawl_end, 1)
            figures["alert_decided_to_message"] = round(first - decided, 1)
            figures["held_by_aggregate_window"] = held
        self.figures["detection_latency_seconds"] = figures

    # -- 9. teardown --------------------------------------------------------------------------------

    def measure_cpu(self) -> None:
        for name, proc in self.procs.items():
            self.cpu[name] = round(proc.cpu(), 1)
        if self.cluster is not None:
            for node in self.cluster.nodes:
                pid = node.pid()
                self.cpu[f"elasticsearch {node.name}"] = round(_tree_cpu(pid), 1) if pid else 0.0
        self.cpu["postgresql"] = round(self.postgres_cpu(), 1)
        self.cpu["rehearsal driver (demo web, receivers, checks)"] = round(
            sum(os.times()[:2]), 1)

    def teardown(self) -> None:
        for name in reversed(list(self.procs)):
            with contextlib.suppress(Exception):
                self.procs[name].stop()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.stop()
        with contextlib.suppress(Exception):
            self.stop_postgres()
        if self.web is not None:
            with contextlib.suppress(Exception):
                self.web.stop()
        if self.receivers is not None:
            with contextlib.suppress(Exception):
                self.receivers.stop()

    # -- the whole ----------------------------------------------------------------------------------

    def main(self) -> bool:
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "logs").mkdir(parents=True)
        (self.root / "var").mkdir(parents=True)
        os.chmod(self.root, 0o755)
        busy = [p for p in (PG_PORT, REDIS_PORT, API_PORT, CONSOLE_PORT, ES_HTTP_BASE, ES_TRANSPORT_BASE,
                            *WORKER_LOG_PORTS.values()) if not esnode.port_free(p)]
        if busy:
            raise RuntimeError(f"ports in use on 127.0.0.1: {busy} (another rehearsal still running?)")
        log("1/9 secrets → " + str(self.root / ".env"))
        self.write_env()
        log("2/9 PostgreSQL and Redis")
        self.start_postgres()
        self.start_redis()
        log("3/9 Elasticsearch: three nodes")
        self.start_cluster()
        log("4/9 demo web, receivers, configuration")
        self.start_fixtures()
        log("5/9 airflow-init, then Airflow, workers, console")
        self.run_init()
        self.check_replicas()
        self.start_airflow()
        log(f"6/9 the scheduler runs the DAGs for {self.minutes:g} minutes "
            "(kill after 30 %, restart 2.5 min later or at 60 %)")
        self.run()
        log("8/9 waiting for the runs in flight, pausing, checking")
        self.settle()
        self.check_console("after the run")
        self.check()
        self.measure_cpu()
        return not self.failures

    def summary(self, ok: bool, wall: float) -> str:
        lines = ["", "== rehearsal summary ==", *self.events]
        for key, value in self.figures.items():
            if isinstance(value, list):
                lines.append(f"{key}:")
                lines += [f"  {v}" for v in value] or ["  (none)"]
            else:
                lines.append(f"{key}: {json.dumps(value, ensure_ascii=False, default=str)}")
        if self.cpu:
            lines.append(f"cpu seconds: {json.dumps(self.cpu, ensure_ascii=False)} "
                         f"(total {sum(self.cpu.values()):.0f} s)")
        lines.append(f"wall time: {wall:.0f} s; logs and .env: {self.root}")
        lines += [f"FAILED: {f}" for f in self.failures]
        lines.append(f"rehearsal={'ok' if ok else 'failed'}")
        return "\n".join(lines)


def _sites() -> tuple[Any, ...]:
    from demo.scenario import SITES

    return tuple(SITES)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.rehearsal", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("REHEARSAL_MINUTES", "16")),
                        help="how long the scheduler runs the DAGs (default 16)")
    parser.add_argument("--root", type=Path, default=None, help="state directory (default under /opt/yuqing)")
    args = parser.parse_args(argv)
    rehearsal = Rehearsal(args.minutes, args.root or root_dir())
    t0 = time.monotonic()
    ok = False
    with _signals_raise():
        try:
            ok = rehearsal.main()
        except BaseException as exc:
            rehearsal.failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            log("9/9 stopping everything")
            if not rehearsal.cpu:
                with contextlib.suppress(Exception):
                    rehearsal.measure_cpu()
            rehearsal.teardown()
    wall = time.monotonic() - t0
    text = rehearsal.summary(ok and not rehearsal.failures, wall)
    with contextlib.suppress(OSError):
        (rehearsal.root / "summary.txt").write_text(text + "\n", encoding="utf-8")
    print(text, flush=True)
    return 0 if ok and not rehearsal.failures else 1


if __name__ == "__main__":
    raise SystemExit(main())


