#!/usr/bin/env bash
# Set up everything Yuqing Watch needs on a fresh machine of this kind; safe to run again.
#   - Debian packages: Java 17 and Maven (the local Elasticsearch node), CJK fonts (reports),
#     Chromium (console browser tests)
#   - uv, then the locked Python environment in .venv (uv.lock; no Airflow constraints file needed)
#   - the Elasticsearch distribution from Maven Central (cached under ~/.cache/yuqing)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup-checks.sh
. scripts/setup-checks.sh

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
have_cjk_fonts || need_apt+=(fonts-noto-cjk fonts-wqy-zenhei fontconfig)
if [ "${YUQING_SKIP_BROWSER:-0}" != "1" ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fi
apt_install "${need_apt[@]}" || true  # without root: the hint is printed, the rest still runs

if ! command -v uv >/dev/null 2>&1; then
  echo "==> installing uv"
  python3 -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
fi
UV=$(command -v uv || echo "python3 -m uv")

echo "==> Python environment (.venv, from uv.lock)"
$UV sync --frozen --quiet

echo "==> Elasticsearch distribution"
.venv/bin/python -c "from yuqing.esnode import fetch_distribution, find_java_home; find_java_home(); print('    ', fetch_distribution())"
