#!/usr/bin/env bash
# The README's test command (`npm test`): install what the tests need, build, then run every
# test file with node:test.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages the tests run for real, installed when a fresh machine lacks them
# (`apt-get update` only when the package index is too old to find them).
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
need() { # need <command or path> <package> <why>
  if [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; then return; fi
  echo "installing $2 (apt-get) for $3"
  $sudo apt-get install -y -qq "$2" >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "$2"; }
}
[ -n "${CHROMIUM_PATH:-}" ] || need /usr/bin/chromium chromium "the dashboard's browser tests"
need /usr/sbin/nginx nginx-light "the reverse-proxy test (the shipped deploy/nginx config)"
need openssl openssl "the provider TLS tests (they make their certificates)"
command -v nats-server >/dev/null 2>&1 || need /usr/sbin/nats-server nats-server "the cluster tests (real nats-server processes, JetStream, loopback)"
rm -rf dist/test # compiled tests of deleted sources must not run
npm run build --silent
# browser tests (*.browser.test.js) run after the rest, alone: Chromium's bursts of CPU would
# otherwise land on the timing-sensitive server tests running beside them on a 2-core machine
status=0
node --test --test-concurrency=2 $(find dist/test -name '*.test.js' ! -name '*.browser.test.js' | sort) || status=$?
node --test --test-concurrency=1 $(find dist/test -name '*.browser.test.js' | sort) || status=$?
exit $status
