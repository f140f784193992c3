"""``yuqing console``: serve the duty console; ``yuqing console user …``: manage its users file."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("console", help="在 127.0.0.1 上运行舆情值班台")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    parser.add_argument("--port", type=int, default=8600, help="端口（默认 8600）")
    parser.add_argument("--config", default=None, help="配置目录（默认 config/）")
    parser.add_argument("--now", default=None,
                        help="假定时钟从此 ISO-8601 时间开始（演示用），之后照常走时")
    parser.set_defaults(func=_serve)
    sub = parser.add_subparsers(dest="console_command", metavar="SUBCOMMAND")

    user = sub.add_parser("user", help="管理值班台用户（文件：YUQING_CONSOLE_USERS）")
    user.add_argument("action", choices=["add", "remove", "list"])
    user.add_argument("name", nargs="?", help="用户名")
    user.add_argument("--role", choices=["duty_officer", "office_staff", "leader", "administrator"])
    user.add_argument("--office", help="处置单位编号（office_staff 必填）")
    user.add_argument("--display-name", default="", help="值班台上显示的姓名")
    user.add_argument("--password-env", metavar="VAR",
                      help="从该环境变量读取密码（默认：提示输入）")
    user.set_defaults(func=_user)


def _serve(args: argparse.Namespace) -> int:
    import datetime as dt

    import uvicorn

    from console.app import create_app
    from console.auth import load_users, require_secret, users_file
    from yuqing import clock
    from yuqing.config import load_config
    from yuqing.errors import InputError
    from yuqing.storage import Store

    config = load_config(args.config)
    secret = require_secret(args.host)  # refuses to start outside a local run without YUQING_CONSOLE_SECRET
    _check_console_url(config.alerts.console_url, args.host, args.port)
    store = Store.connect(purpose="console")
    store.require_indices()  # the console's account creates no indices: `yuqing init` does
    users = load_users()
    if not len(users):
        print(f"yuqing console: 注意：{users_file()} 中没有用户；请用 "
              "`yuqing console user add NAME --role duty_officer` 添加")
    now_fn = clock.now
    if args.now:
        start = clock.parse_ts(args.now)
        if start is None:
            raise InputError(f"--now {args.now!r} 不是 ISO-8601 时间")
        offset = start - clock.now()

        def now_fn() -> dt.datetime:
            return clock.now() + offset

    app = create_app(store, config, clock=now_fn, users=users, secret=secret)
    print(f"yuqing console: http://{args.host}:{args.port}/（接口说明：/openapi.json）", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


def _check_console_url(console_url: str, host: str, port: int) -> None:
    """Alerts and reports link to ``alerts.console_url``: say so when this console is elsewhere."""
    from urllib.parse import urlsplit

    parts = urlsplit(console_url)
    linked = parts.port or (443 if parts.scheme == "https" else 80)
    if linked != port:
        print(f"yuqing console: 注意：alerts.yaml 的 console_url 是 {console_url}，但本值班台监听 {host}:{port}；"
              "推送和报告中的链接将打不开本值班台", flush=True)


def _user(args: argparse.Namespace) -> int:
    import getpass
    import os

    from console.auth import User, hash_password, load_users, users_file
    from yuqing.errors import InputError

    path = users_file()
    users = load_users()
    if args.action == "list":
        for u in users:
            print(f"{u.name}\t{u.role}\t{u.office or ''}\t{u.display_name}")
        return 0
    if not args.name:
        raise InputError("请给出用户名")
    if args.action == "remove":
        remaining = [u for u in users if u.name != args.name]
        if len(remaining) == len(users):
            raise InputError(f"用户不存在：{args.name!r}（{path}）")
        type(users)(remaining).save(path)
        print(f"已从 {path} 删除用户 {args.name}")
        _revoke_sessions(args.name, "user_removed")
        return 0
    if not args.role:
        raise InputError("添加用户须用 --role 指定角色")
    if args.password_env:
        password = os.environ.get(args.password_env, "")
    else:
        password = getpass.getpass(f"{args.name} 的密码：")
        if password != getpass.getpass("再输入一次："):
            raise InputError("两次输入的密码不一致")
    if len(password) < 8:
        raise InputError("密码至少需要 8 个字符")
    if args.office:
        from yuqing.config import load_config

        try:
            load_config().offices.office(args.office)
        except KeyError as exc:
            raise InputError(f"处置单位不存在：{args.office!r}（见 config/offices.yaml）") from exc
    existing = users.get(args.name)
    users.add(User(name=args.name, role=args.role, office=args.office, display_name=args.display_name,
                   password_hash=hash_password(password)))
    users.save(path)
    print(f"已保存用户 {args.name}（{args.role}）到 {path}")
    if existing is not None:
        _revoke_sessions(args.name, "password_changed")
    return 0


def _revoke_sessions(name: str, reason: str) -> None:
    """End the user's console sessions in Elasticsearch (every console process honours it at once).
    Should the node be unreachable, the sessions still end: a console re-reads the users file and
    refuses a session whose user is gone or whose password changed."""
    from console.sessions import revoke_user_sessions
    from yuqing import clock
    from yuqing.errors import StorageError
    from yuqing.storage import Store

    try:
        store = Store.connect()
        store.ensure_indices()
        n = revoke_user_sessions(store, name, now=clock.now(), reason=reason)
    except StorageError as exc:
        print(f"注意：未能在 Elasticsearch 中注销 {name} 的会话（{exc}）；"
              "用户文件已改，值班台仍会拒绝这些会话")
        return
    print(f"已注销 {name} 的 {n} 个值班台会话")
