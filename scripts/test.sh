#!/usr/bin/env bash
# The README's test command: set everything up, lint, type-check and run the whole suite
# (unit tests, integration tests against a real Elasticsearch node the suite starts itself,
# crawls of the loopback demo web, Airflow dag.test() runs, browser tests, evaluation floors).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> ruff"
.venv/bin/ruff check .
echo "==> mypy"
.venv/bin/mypy yuqing crawlers analysis response alerts reports console demo pipeline deploy
echo "==> pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
