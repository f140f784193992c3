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

# Install the Debian packages named (none: nothing to do). As root it installs them; otherwise it
# prints the sudo command and returns 1, so the caller decides whether that is fatal.
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" = "0" ]; then
    echo "==> installing Debian packages: $*"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "==> please install: sudo apt-get install $*" >&2
    return 1
  fi
}
