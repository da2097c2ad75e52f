#!/usr/bin/env bash
# The README's test command (`npm test`): install what the tests need, build, then run every
# test file with node:test.
set -euo pipefail
cd "$(dirname "$0")/.."
# the dashboard's browser tests drive Debian's Chromium (playwright-core brings no browser)
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  echo "installing chromium (apt-get) for the dashboard's browser tests"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq chromium >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium; }
fi
# the nginx test runs the shipped deploy/nginx config in front of a real server
if [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx-light (apt-get) for the reverse-proxy test"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq nginx-light >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq nginx-light; }
fi
npm run build --silent
# browser tests (*.browser.test.js) run after the rest, alone: Chromium's bursts of CPU would
# otherwise land on the timing-sensitive server tests running beside them on a 2-core machine
status=0
node --test --test-concurrency=2 $(find dist/test -name '*.test.js' ! -name '*.browser.test.js' | sort) || status=$?
node --test --test-concurrency=1 $(find dist/test -name '*.browser.test.js' | sort) || status=$?
exit $status
