"""The `yuqing` command line as its user meets it: the real entry point in a subprocess.

Expected errors are one Chinese line naming what is wrong and where, with the documented exit code
(0 done, 1 internal error, 2 usage/input, 3 Elasticsearch unavailable or refusing the login, 130
interrupted), never a traceback or a library's log lines; ``-v`` adds the detail; progress is drawn
on stderr only on a terminal (or when forced), never in a pipe.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

YUQING = str(Path(sys.executable).with_name("yuqing"))


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "YUQING_PROGRESS": "auto", **(env or {})}
    proc = subprocess.run([YUQING, *args], env=full, capture_output=True, timeout=timeout)
    # decoded by hand: text mode would turn the progress line's carriage returns into newlines
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The error line, asserting it is all there is on stderr."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("yuqing"), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def closed_port() -> int:
    """A loopback port nothing listens on: Elasticsearch "down"."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def var(tmp_path: Path) -> dict[str, str]:
    return {"YUQING_VAR": str(tmp_path / "var")}


# -- configuration -------------------------------------------------------------------------------


def test_a_missing_configuration_directory_is_one_line_naming_it(tmp_path: Path, var: dict[str, str]) -> None:
    proc = run("config", "check", "--config", str(tmp_path / "nowhere"), env=var)
    assert proc.returncode == 2
    assert one_line(proc) == f"yuqing: 配置有误：{tmp_path / 'nowhere'}：配置目录不存在"


def test_a_bad_configuration_value_names_file_field_and_value(config_dir: Path, var: dict[str, str]) -> None:
    path = config_dir / "alerts.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["duty_office"] = "night_desk"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc = run("config", "check", "--config", str(config_dir), env=var)
    assert proc.returncode == 2
    line = one_line(proc)
    assert line.startswith(f"yuqing: 配置有误：{path}，字段 duty_office，值 'night_desk'："), line

    verbose = run("config", "check", "--config", str(config_dir), "-v", env=var)  # -v after the command
    assert verbose.returncode == 2 and "Traceback" not in verbose.stderr
    assert len(verbose.stderr.splitlines()) == 2  # the line, then the loader's own words
    assert f"{path}: duty_office = 'night_desk'" in verbose.stderr


def test_an_unknown_key_in_yaml_is_named_in_chinese(config_dir: Path, var: dict[str, str]) -> None:
    path = config_dir / "storage.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nretension: 3\n", encoding="utf-8")
    proc = run("config", "check", "--config", str(config_dir), env=var)
    assert proc.returncode == 2
    assert "字段 retension" in one_line(proc) and "不认识的配置项" in proc.stderr


# -- files and CSV ---------------------------------------------------------------------------------


def test_a_missing_csv_is_one_line_naming_the_file(tmp_path: Path, var: dict[str, str]) -> None:
    missing = tmp_path / "no-such.csv"
    proc = run("analyze-text", "--data", str(missing), env=var)
    assert proc.returncode == 2
    assert one_line(proc) == f"yuqing: 输入有误：{missing}：文件不存在"


def test_a_csv_without_the_column_names_the_column(tmp_path: Path, var: dict[str, str]) -> None:
    data = tmp_path / "in.csv"
    data.write_text("content,label\n市民反映噪音扰民,negative\n", encoding="utf-8")
    proc = run("analyze-text", "--data", str(data), env=var)
    assert proc.returncode == 2
    assert one_line(proc) == f"yuqing: 输入有误：{data}：缺少列 'text'（实有列：content, label）"


def test_a_csv_that_is_not_utf8_says_so(tmp_path: Path, var: dict[str, str]) -> None:
    data = tmp_path / "gbk.csv"
    data.write_bytes("text\n市民反映噪音扰民\n".encode("gbk"))
    proc = run("analyze-text", "--data", str(data), env=var)
    assert proc.returncode == 2
    assert "不是 UTF-8 文本" in one_line(proc) and str(data) in proc.stderr


def test_a_missing_saved_page_is_one_line(tmp_path: Path, var: dict[str, str]) -> None:
    proc = run("extract", str(tmp_path / "page.html"), env=var)
    assert proc.returncode == 2
    assert one_line(proc).startswith(f"yuqing: 输入有误：无法读取 {tmp_path / 'page.html'}")


# -- usage ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "expected"), [
    (["frob"], "yuqing: 参数有误：参数 COMMAND：无效的取值 'frob'"),
    (["crawl", "--bogus"], "yuqing: 参数有误：无法识别的参数：--bogus"),
    (["report", "daily", "--date", "20-11-2026"], "yuqing report daily: 参数有误：参数 --date：'20-11-2026' 不是日期"),
    (["incident", "close"], "yuqing incident: 参数有误：缺少必需的参数：incident_id, --actor"),
])
def test_usage_errors_are_one_chinese_line_with_exit_2(args: list[str], expected: str, var: dict[str, str]) -> None:
    proc = run(*args, env=var)
    assert proc.returncode == 2
    assert one_line(proc).startswith(expected)


def test_help_is_in_chinese_and_documents_the_exit_codes() -> None:
    proc = run("-h")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("用法：yuqing") and "显示本帮助并退出" in proc.stdout
    assert "3 Elasticsearch 不可用或拒绝登录" in proc.stdout and "130 已中断" in proc.stdout
    sub = run("crawl", "-h")
    assert sub.returncode == 0 and "-v, --verbose" in sub.stdout


# -- Elasticsearch down / malformed address --------------------------------------------------------


@pytest.mark.parametrize("args", [["init"], ["analyze"], ["alerts", "list"], ["report", "daily"], ["explain", "x"]])
def test_elasticsearch_down_is_one_line_exit_3_without_client_log_lines(args: list[str], closed_port: int,
                                                                        var: dict[str, str]) -> None:
    env = {**var, "ES_URL": f"http://127.0.0.1:{closed_port}"}
    proc = run(*args, env=env)
    assert proc.returncode == 3, proc.stderr
    line = one_line(proc)
    assert line.startswith(f"yuqing: 无法连接 Elasticsearch（http://127.0.0.1:{closed_port}，"), line
    assert "yuqing es start" in line


def test_verbose_shows_the_client_log_and_vv_the_traceback(closed_port: int, var: dict[str, str]) -> None:
    env = {**var, "ES_URL": f"http://127.0.0.1:{closed_port}"}
    quiet = run("init", env=env)
    verbose = run("-v", "init", env=env)
    assert verbose.returncode == quiet.returncode == 3
    assert "elastic_transport" in verbose.stderr and "is not reachable (cluster health)" in verbose.stderr
    assert "Traceback" not in verbose.stderr
    very = run("init", "-vv", env=env)
    assert very.returncode == 3 and "Traceback" in very.stderr and "StorageUnavailable" in very.stderr


def test_a_malformed_es_url_is_an_input_error(var: dict[str, str]) -> None:
    proc = run("alerts", "list", env={**var, "ES_URL": "not-a-url"})
    assert proc.returncode == 2
    assert one_line(proc).startswith("yuqing: 输入有误：Elasticsearch 地址无效：'not-a-url'")


# -- interrupted, internal errors ------------------------------------------------------------------


def _blocked_reading_stdin(pid: int) -> bool:
    """Whether the process sits in read(0, …) (Linux: /proc/PID/syscall, syscall 0 with fd 0)."""
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return len(fields) > 1 and fields[0] == "0" and int(fields[1], 16) == 0


def test_ctrl_c_exits_130_with_one_line(var: dict[str, str]) -> None:
    if not Path("/proc/self/syscall").exists():
        pytest.skip("needs /proc/PID/syscall to know the command is waiting for input")
    proc = subprocess.Popen([YUQING, "analyze-text", "--data", "-"], env={**os.environ, **var},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not _blocked_reading_stdin(proc.pid):  # the command runs, waiting for texts on stdin
            assert proc.poll() is None and time.monotonic() < deadline, "never reached the stdin read"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert err == "yuqing: 已中断\n" and out == ""


@pytest.fixture
def failing_command(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A command module that fails the way a bug does, registered as the domain packages register."""
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "broken_cli.py").write_text(
        "def register(sub):\n"
        "    p = sub.add_parser('broken')\n"
        "    p.set_defaults(func=lambda args: {}['missing'])\n", encoding="utf-8")
    yield {"PYTHONPATH": str(plugin), "YUQING_VAR": str(tmp_path / "var")}


def test_an_internal_error_says_so_and_where_its_traceback_is(failing_command: dict[str, str],
                                                              tmp_path: Path) -> None:
    code = "import sys, yuqing.cli as c; c.COMMAND_MODULES.append('broken_cli'); sys.exit(c.main())"
    env = {**os.environ, **failing_command}
    proc = subprocess.run([sys.executable, "-c", code, "broken"], env=env, capture_output=True, text=True,
                          timeout=120)
    log = tmp_path / "var" / "log" / "cli-errors.log"
    assert proc.returncode == 1
    assert one_line(proc) == f"yuqing: 内部错误（KeyError: 'missing'）；错误堆栈已写入 {log}；加 -v 可直接显示"
    assert "Traceback" in log.read_text(encoding="utf-8") and "KeyError" in log.read_text(encoding="utf-8")
    verbose = subprocess.run([sys.executable, "-c", code, "broken", "-v"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


# -- progress --------------------------------------------------------------------------------------


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    data = tmp_path / "texts.csv"
    rows = ["text"] + [f"某某路第{i}号路段积水严重，市民出行受阻" for i in range(600)]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return data


def test_progress_is_drawn_when_forced_and_never_in_a_pipe(texts: Path, var: dict[str, str]) -> None:
    forced = run("analyze-text", "--data", str(texts), env={**var, "YUQING_PROGRESS": "always"})
    assert forced.returncode == 0, forced.stderr
    assert len(forced.stdout.splitlines()) == 600
    drawn = forced.stderr.replace("\x1b[K", "").split("\r")
    assert any("分析文本" in d and "600/600" in d and "100%" in d for d in drawn), forced.stderr[-500:]
    assert forced.stderr.endswith("\r\x1b[K")  # wiped at the end: the terminal is left clean

    piped = run("analyze-text", "--data", str(texts), env=var)  # YUQING_PROGRESS=auto, stderr a pipe
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout == forced.stdout


# -- with the scratch node: unknown ids, refused login ---------------------------------------------


@pytest.fixture
def node_env(store: Any, es_url: str, var: dict[str, str]) -> dict[str, str]:
    return {**var, "ES_URL": es_url, "YUQING_INDEX_PREFIX": store.prefix}


@pytest.mark.integration
@pytest.mark.parametrize(("args", "expected"), [
    (["explain", "no-such-incident"], "yuqing: 输入有误：事件不存在：no-such-incident"),
    (["incident", "acknowledge", "no-such-incident", "--actor", "张三"],
     "yuqing: 输入有误：事件不存在：no-such-incident"),
    (["report", "incident", "no-such-incident"], "yuqing: 输入有误：事件不存在：'no-such-incident'"),
    (["alerts", "ack", "0123456789ab", "--actor", "张三"], "yuqing: 输入有误：推送记录不存在：'0123456789ab'"),
    (["crawl", "no-such-source"], "yuqing: 输入有误：来源不存在：'no-such-source'"),
])
def test_unknown_ids_are_one_line_naming_the_id(args: list[str], expected: str, node_env: dict[str, str],
                                                tmp_path: Path) -> None:
    if args[0] == "report":
        args = [*args, "--out", str(tmp_path / "reports")]
    proc = run(*args, env=node_env)
    assert proc.returncode == 2, proc.stderr
    assert one_line(proc).startswith(expected)


@pytest.mark.integration
def test_a_refused_login_is_one_line_exit_3(es_cluster: Any, node_env: dict[str, str]) -> None:
    from yuqing import essecurity

    if not es_cluster.secured or "tasks" not in es_cluster.accounts:
        pytest.skip("the test cluster has no credentials")
    wrong = essecurity.with_credentials(es_cluster.url, es_cluster.accounts["tasks"]["user"], "Wr0ng-S3cret")
    proc = run("analyze", env={**node_env, "ES_URL": wrong})
    assert proc.returncode == 3
    line = one_line(proc)
    assert "拒绝了账号 'yuqing_tasks' 的登录（401）：请检查密码" in line and "Wr0ng-S3cret" not in proc.stderr
