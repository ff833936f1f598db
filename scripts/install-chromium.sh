#!/usr/bin/env bash
# The admin's browser test drives Debian's Chromium with Playwright (Playwright's own browser
# download cannot work offline). Installs the `chromium` package when it is not on PATH; does
# nothing when it is, or when this is not a root shell with apt-get (then the test says why).
set -euo pipefail

command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium is not installed and cannot be here (needs root and apt-get); the browser test needs it." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists (or stale ones that point at removed files).
if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
command -v chromium >/dev/null
