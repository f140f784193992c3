"""A warm crawl starter: ``python -m crawlers.zygote`` loads Scrapy, Twisted, trafilatura and the
jieba dictionary once, then forks one fresh child per crawl request, so each crawl gets its own
reactor (Twisted's cannot be restarted) without paying seconds of imports every time.

Protocol on stdin/stdout, one JSON object per line: the parent sends ``{"argv": […], "env": {…}}``;
the zygote answers ``{"pid": n}`` when the child starts and ``{"code": n}`` when it ends. The
zygote exits when its stdin closes (its parent went away). Used by :mod:`crawlers.api`.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys


def _warm() -> None:
    import numpy as np
    import scrapy.crawler  # noqa: F401
    import trafilatura  # noqa: F401

    import crawlers.pipelines
    import crawlers.run
    import crawlers.spiders  # noqa: F401
    from crawlers import dedup
    from yuqing.segment import segmenter

    segmenter()
    _import_components()
    # what the write path imports on first use (numpy's masked arrays for np.unique, scipy.sparse)
    dedup.probe_values(np.zeros(1, dtype=np.uint64), dedup.MAX_DISTANCE)
    dedup.simhashes([["预热"]])


def _import_components() -> None:
    """Import every component the project's Scrapy settings name (download handlers, middlewares,
    extensions, queues, the stats collector …): a crawl child would otherwise import them itself,
    about 0.4 s of every crawl."""
    from scrapy.settings import BaseSettings, Settings
    from scrapy.utils.misc import load_object

    from crawlers import settings as project_settings

    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    paths: set[str] = set()
    for name in settings:
        value = settings[name]
        # component dicts name paths as keys (middlewares: order) or as values (handlers: scheme)
        named = [*value.keys(), *value.values()] if isinstance(value, BaseSettings | dict) else [value]
        for candidate in named:
            if isinstance(candidate, str) and candidate.startswith(("scrapy.", "crawlers.")):
                paths.add(candidate)
    for path in sorted(paths):
        # a value that is not a component's path (a plain setting that happens to start so) is skipped
        with contextlib.suppress(ImportError, NameError, AttributeError, ValueError):
            load_object(path)


def _answer(obj: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> int:
    _warm()
    # Everything loaded so far (Scrapy, Twisted, trafilatura, the jieba dictionary: about 150,000
    # objects the collector tracks) lives as long as the zygote. Frozen, a crawl child's collector
    # never walks it again nor writes to those objects' headers (which also keeps their memory pages
    # shared with the zygote). With the child's threshold (crawlers/run.py) the collector's time in a
    # 1,575-page crawl fell from about 0.3 s to 0.05 s.
    gc.collect()  # garbage left by the imports is freed, not frozen for the zygote's lifetime
    gc.freeze()
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
