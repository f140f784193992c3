#!/usr/bin/env bash
# Run every benchmark in bench/ once, one after another, and print each one's last line with the
# wall time it took and the machine's load average before and after it. This is the run the README's
# "Measured" table quotes; run it on a quiet machine (nothing else busy), since the timings are
# absolute. The full output of each benchmark is kept in var/bench/run-<UTC time>/<name>.log.
#
#   scripts/bench.sh                   # all of them
#   scripts/bench.sh console_load …    # only these (names without .py)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# Order: the cheap ones first, so a broken setup shows quickly; the console run last, since on a
# clean checkout it first builds its 1,000,000-mention corpus.
ALL=(analysis_throughput clock_sweep index_throughput crawl_throughput report_time detection_latency sustained console_load)
if [ "$#" -gt 0 ]; then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi

out="var/bench/run-$(date -u +%Y%m%dT%H%MZ)"
mkdir -p "$out"
summary="$out/summary.txt"
load() { cut -d' ' -f1-3 /proc/loadavg; }
{
  echo "# scripts/bench.sh on $(hostname) at $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$summary"
status=0
for name in "${NAMES[@]}"; do
  script="bench/$name.py"
  if [ ! -f "$script" ]; then echo "no such benchmark: $script" >&2; exit 2; fi
  before=$(load); start=$(date +%s)
  if .venv/bin/python "$script" >"$out/$name.log" 2>&1; then rc=0; else rc=$?; status=1; fi
  secs=$(( $(date +%s) - start )); after=$(load)
  last=$(grep -v '^[[:space:]]*$' "$out/$name.log" | tail -n 1)
  printf '%-20s %5ds  load %s -> %s  rc=%d  %s\n' "$name" "$secs" "$before" "$after" "$rc" "$last" | tee -a "$summary"
done
echo "full logs: $out" | tee -a "$summary"
exit "$status"
