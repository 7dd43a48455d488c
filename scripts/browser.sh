# Sourced by scripts/test.sh: installs Chromium and its WebDriver (Debian packages
# `chromium`, `chromium-driver`, as root) when missing, so the browser tests run for real.

br_log() { printf '[browser.sh] %s\n' "$*" >&2; }

if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    br_log "Chromium is not installed and this is not root: run 'sudo apt-get install -y chromium chromium-driver' first"
    exit 1
  fi
  br_log "installing Chromium and chromedriver (Debian packages chromium, chromium-driver)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; }
fi
export TUSK_REQUIRE_BROWSER=1
