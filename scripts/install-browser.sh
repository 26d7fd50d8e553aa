#!/usr/bin/env bash
# Installs Debian's chromium for the report's browser test (tests/test_report_browser.py), and
# a small CJK font (fonts-wqy-microhei, 1.6 MB) so the test's screenshot shows the Chinese
# fixture texts instead of empty boxes. Idempotent: does nothing when /usr/bin/chromium exists.
# Needs root and apt; without them it says why and exits 0, and the browser test then skips
# with that reason. Never downloads a browser any other way (playwright's own download cannot
# work offline). `apt-get update` runs once, only when something must be installed.
set -euo pipefail
BROWSER=${EMBEDGATE_CHROMIUM:-/usr/bin/chromium}
if [ -x "$BROWSER" ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "install-browser: not root; cannot apt-get install chromium (browser test will skip)" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get on this machine (browser test will skip)" >&2
  exit 0
fi
echo "install-browser: installing Debian chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; then
  echo "install-browser: apt-get install chromium failed (browser test will skip)" >&2
  exit 0
fi
apt-get install -y -qq fonts-wqy-microhei >/dev/null \
  || echo "install-browser: no CJK font (screenshots will show boxes for Chinese text)" >&2
echo "install-browser: $("$BROWSER" --version 2>/dev/null || echo chromium installed)" >&2
