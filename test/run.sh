#!/usr/bin/env bash
# The README's test command (`npm test`): build, then run every test file with node:test.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
node --test --test-concurrency=2 $(find dist/test -name '*.test.js' | sort)
