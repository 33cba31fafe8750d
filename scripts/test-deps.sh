#!/usr/bin/env bash
# What the tests need beyond npm packages, from Debian's packages: chromium (the GraphiQL browser test drives
# /usr/bin/chromium; never a downloaded browser) and redis-server (the multi-instance tests start their own on a free
# port with a temporary directory). Installs whatever is missing; `npm test` runs it first (pretest), `.ci/run` too.
# Where it cannot install (no apt, no root or sudo), it says so and the tests say what is missing.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
as_root=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then as_root="sudo"; else
    echo "test-deps: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) to run every test" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "test-deps: missing ${missing[*]} and no apt-get here; install them to run every test" >&2
  exit 0
fi
echo "test-deps: installing ${missing[*]} from Debian's packages" >&2
$as_root apt-get update -qq
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The package starts its own service; the tests start their own servers, so stop it where it started.
if [[ " ${missing[*]} " == *" redis-server "* ]]; then $as_root service redis-server stop >/dev/null 2>&1 || true; fi
