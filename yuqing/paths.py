"""Where the project keeps its files: the config directory, runtime state and caches.

Every location can be moved by an environment variable so that tests, the demo and production
each use their own.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """The operator-edited YAML configuration (``YUQING_CONFIG``, default ``config/``)."""
    return Path(os.environ.get("YUQING_CONFIG", PROJECT_ROOT / "config"))


def var_dir() -> Path:
    """Runtime state: reports, spool, node pid and logs (``YUQING_VAR``, default ``var/``)."""
    path = Path(os.environ.get("YUQING_VAR", PROJECT_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Downloads that survive a clean checkout (``YUQING_CACHE``, default ``~/.cache/yuqing``)."""
    path = Path(os.environ.get("YUQING_CACHE", Path.home() / ".cache" / "yuqing"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_data_dir() -> Path:
    """The team's development data (``YUQING_SHARED_DATA``, default ``../shared/data``)."""
    return Path(os.environ.get("YUQING_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
