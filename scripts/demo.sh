#!/usr/bin/env bash
# The README's first command: set everything up and run the main job on the bundled demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/yuqing demo "$@"
