#!/usr/bin/env bash
# The native production rehearsal: PostgreSQL, Redis, a three-node Elasticsearch cluster, Airflow
# (api-server, scheduler, dag-processor, triggerer, CeleryExecutor with a crawling worker and an
# analysis worker) and the duty console on loopback, run by the real scheduler on the demo web's live
# clock for REHEARSAL_MINUTES (default 16), with one Elasticsearch node and one Celery worker killed
# midway and brought back. Prints a summary and, last, `rehearsal=ok` or `rehearsal=failed`.
#
#   scripts/rehearse.sh                      # about 25 minutes on 2 cores
#   REHEARSAL_MINUTES=8 scripts/rehearse.sh  # shorter
#
# Needs root or sudo for the Debian packages (installed once). Stops everything it started.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup-checks.sh
. scripts/setup-checks.sh

need_apt=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
apt_install "${need_apt[@]}" || { echo "rehearsal=failed"; exit 1; }
YUQING_SKIP_BROWSER=1 scripts/setup.sh || { echo "rehearsal=failed"; exit 1; }

# The driver stops what it started on exit, Ctrl-C or SIGTERM; this trap passes the signal on.
start=$(date +%s)
.venv/bin/python -m deploy.rehearsal "$@" &
driver=$!
trap 'kill -TERM "$driver" 2>/dev/null; wait "$driver"' INT TERM
wait "$driver"
rc=$?
echo "(scripts/rehearse.sh: $(( $(date +%s) - start )) s wall)" >&2
exit $rc
