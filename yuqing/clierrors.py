"""What the command line says about an error, and with which exit code.

Every error a user can cause or meet in ordinary work (bad configuration, a missing file, a bad CSV,
Elasticsearch down or refusing the login, an unknown id, Ctrl-C) becomes one line in Chinese naming
what is wrong and where; anything else is an internal error, reported as such with the place its
traceback was written to. :func:`describe` is pure, so the wording is testable without a process.

Exit codes (docs/operations.md, "Exit codes"):

==== ======================================================================================
0    done
1    internal error, or the command ran but its work failed (e.g. every crawled source failing)
2    usage or input error: bad arguments, configuration, files, CSV, unknown ids, forbidden actions
3    Elasticsearch unavailable or refusing the login (a crawl whose items wait in the spool too)
130  interrupted (Ctrl-C)
==== ======================================================================================
"""

from __future__ import annotations

import csv
import errno
from dataclasses import dataclass

from yuqing import errors

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BACKEND = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Described:
    code: int
    line: str  # one line, Chinese
    detail: str = ""  # more lines, shown with -v
    internal: bool = False  # unexpected: the traceback is kept


# Problems the configuration loader names in English, as the user reads them.
_CONFIG_PROBLEMS = {
    "file not found": "文件不存在",
    "not UTF-8 text": "不是 UTF-8 文本",
    "configuration directory not found": "配置目录不存在",
    "required field is missing": "缺少必填项",
    "unknown key (check the spelling; see config/README.md)": "不认识的配置项（请检查拼写，见 config/README.md）",
}

_OS_PROBLEMS = {
    errno.ENOENT: "文件不存在",
    errno.EACCES: "没有读写权限",
    errno.EPERM: "没有读写权限",
    errno.EISDIR: "这是一个目录，需要文件",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.ENOSPC: "磁盘已满",
    errno.EROFS: "只读文件系统",
}


def _one_line(text: str) -> tuple[str, str]:
    first, _, rest = text.strip().partition("\n")
    return first.strip(), rest.strip()


def _config(exc: errors.ConfigError) -> str:
    problem = _CONFIG_PROBLEMS.get(exc.problem)
    if problem is None and exc.problem.startswith("not valid YAML: "):
        problem = "YAML 格式错误：" + exc.problem.removeprefix("not valid YAML: ")
    problem = problem or exc.problem
    if exc.field == "(directory)":
        return f"配置有误：{exc.file}：{problem}"
    if exc.field == "(file)":
        return f"配置有误：{exc.file}：{problem}"
    if exc.field.startswith("line "):
        return f"配置有误：{exc.file} 第 {exc.field.removeprefix('line ')} 行：{problem}"
    value = "" if exc.value is None else f"，值 {exc.value!r}"
    return f"配置有误：{exc.file}，字段 {exc.field}{value}：{problem}"


def _storage(exc: errors.StorageError) -> Described:
    hosts = exc.hosts or "Elasticsearch"
    if isinstance(exc, errors.StorageUnavailable):
        return Described(EXIT_BACKEND, f"无法连接 Elasticsearch（{hosts}，{exc.what or '请求'}）："
                                       "请用 `yuqing es start` 启动本地节点，或检查 ES_URL", str(exc))
    if isinstance(exc, errors.StorageAuthError):
        if exc.status == 403:
            line = (f"Elasticsearch（{hosts}）不允许账号 {exc.user or '?'!r} {exc.what}（403）："
                    "该账号的角色缺少此权限（角色见 yuqing/data/es_roles.yaml）")
        elif exc.user:
            line = f"Elasticsearch（{hosts}）拒绝了账号 {exc.user!r} 的登录（401）：请检查密码"
        elif exc.status == 401:
            line = (f"Elasticsearch（{hosts}）要求登录（401），但没有给出账号：请在 ES_URL 中写 "
                    "user:password@，或设置 ES_USERNAME/ES_PASSWORD")
        else:
            line = f"Elasticsearch 拒绝登录：{_one_line(str(exc))[0]}"
        return Described(EXIT_BACKEND, line, str(exc))
    first, rest = _one_line(str(exc))
    if first.startswith("indices missing under prefix"):
        return Described(EXIT_BACKEND, f"Elasticsearch 中缺少索引，请先运行 `yuqing init`：{first}", rest)
    return Described(EXIT_BACKEND, f"Elasticsearch 拒绝了请求：{first}", rest)


def describe(exc: BaseException) -> Described:
    """The exit code and the one line to print for ``exc``."""
    if isinstance(exc, KeyboardInterrupt):
        return Described(EXIT_INTERRUPTED, "已中断")
    if isinstance(exc, errors.ConfigError):
        return Described(EXIT_USAGE, _config(exc), str(exc))
    if isinstance(exc, errors.StorageError):
        return _storage(exc)
    if isinstance(exc, errors.NodeError):
        first, rest = _one_line(str(exc))
        said_in_chinese = not first.isascii() and not first[:1].isascii()
        return Described(EXIT_BACKEND, first if said_in_chinese else f"Elasticsearch 节点不可用：{first}", rest)
    if isinstance(exc, errors.CalendarNotCovered):
        return Described(EXIT_USAGE, f"缺少 {exc.year} 年的节假日数据，无法计算工作日：请在 config/calendar.yaml "
                                     f"中补充国务院 {exc.year} 年放假安排，或升级 chinese_calendar", str(exc))
    if isinstance(exc, errors.TransitionError):
        first, rest = _one_line(str(exc))
        return Described(EXIT_USAGE, f"不允许的操作：{first}", rest)
    if isinstance(exc, errors.YuqingError):
        first, rest = _one_line(str(exc))
        code = getattr(exc, "exit_code", None)
        kind = getattr(exc, "kind_zh", None) or "错误"
        return Described(code if isinstance(code, int) else EXIT_USAGE, f"{kind}：{first}", rest)
    if isinstance(exc, OSError) and exc.filename is not None:
        problem = _OS_PROBLEMS.get(exc.errno or 0) or exc.strerror or type(exc).__name__
        name = exc.filename if exc.filename2 is None else f"{exc.filename} → {exc.filename2}"
        return Described(EXIT_USAGE, f"无法访问文件 {name}：{problem}", str(exc))
    if isinstance(exc, UnicodeDecodeError):
        return Described(EXIT_USAGE, f"输入不是 UTF-8 文本（第 {exc.start} 字节：{exc.reason}）", str(exc))
    if isinstance(exc, csv.Error):
        return Described(EXIT_USAGE, f"CSV 格式有误：{exc}", str(exc))
    first, _ = _one_line(str(exc))
    what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return Described(EXIT_FAILED, f"内部错误（{what}）", internal=True)
