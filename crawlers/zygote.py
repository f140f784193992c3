"""A warm crawl starter: ``python -m crawlers.zygote`` loads Scrapy, Twisted, trafilatura and the
jieba dictionary once, then forks one fresh child per crawl request, so each crawl gets its own
reactor (Twisted's cannot be restarted) without paying seconds of imports every time.

Protocol on stdin/stdout, one JSON object per line: the parent sends ``{"argv": […], "env": {…}}``;
the zygote answers ``{"pid": n}`` when the child starts and ``{"code": n}`` when it ends. The
zygote exits when its stdin closes (its parent went away). Used by :mod:`crawlers.api`.
"""

from __future__ import annotations

import json
import os
import sys


def _warm() -> None:
    import scrapy.crawler  # noqa: F401
    import trafilatura  # noqa: F401

    import crawlers.pipelines
    import crawlers.run
    import crawlers.spiders  # noqa: F401
    from yuqing.segment import segmenter

    segmenter()


def _answer(obj: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> int:
    _warm()
    _answer({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the crawl child: a clean slate except for the imported modules
            code = 1
            try:
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, 0)
                os.dup2(devnull, 1)  # stdout is the zygote's answer channel
                os.environ.clear()
                os.environ.update(request["env"])
                from crawlers.run import main as run_main

                code = run_main(request["argv"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        _answer({"pid": pid})
        _, status = os.waitpid(pid, 0)
        _answer({"code": os.waitstatus_to_exitcode(status)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
