# Checks scripts/setup.sh uses to decide what to install; sourced, so tests can run them alone.
# They must hold under `set -euo pipefail`.

# Whether a CJK font (Noto Sans CJK or WenQuanYi) is installed. fc-list's output is read whole
# before matching: piped into `grep -q`, fc-list dies of SIGPIPE when grep stops reading at the
# first match, and under pipefail that reads as "no font" (and the fonts get reinstalled).
have_cjk_fonts() {
  local fonts
  fonts=$(fc-list 2>/dev/null) || return 1
  grep -qi "Noto Sans CJK\|WenQuanYi" <<<"$fonts"
}
