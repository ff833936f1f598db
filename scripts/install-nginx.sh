#!/usr/bin/env bash
# The reverse-proxy test runs Debian's nginx with deploy/nginx/cqrs.conf in front of gunicorn.
# Installs the `nginx` package when there is no nginx; does nothing when there is one, or when
# this is not a root shell with apt-get (then the test says why).
set -euo pipefail

command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "nginx is not installed and cannot be here (needs root and apt-get); the reverse-proxy test needs it." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists (or stale ones that point at removed files).
if ! apt-get install -y -qq --no-install-recommends nginx >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
[ -x /usr/sbin/nginx ]
