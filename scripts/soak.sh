#!/usr/bin/env bash
# The load test on demand, for longer than CI's 45 s: 50 browsers (SOAK_CLIENTS) doing
# mixed reads, writes, logins, logouts and short visits against an Express app with the
# store on dynalite, on loopback, for SOAK_SECONDS (default here 300). It prints the
# figures (requests, req/s, errors, heap after GC, touch bookkeeping) and fails on any
# error, lost write or heap growth. See docs/reliability.md.
#
#   scripts/soak.sh              # 5 minutes
#   scripts/soak.sh 1800         # 30 minutes
#   SOAK_CLIENTS=100 scripts/soak.sh 600
#
# CI runs the 45 s version, with the race tests, through `npm run soak`.
set -euo pipefail
cd "$(dirname "$0")/.."
export SOAK=1
export SOAK_SECONDS="${1:-${SOAK_SECONDS:-300}}"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# The test forces a full GC before each heap sample (through V8 flags when --expose-gc is not given).
exec npx jest --runInBand --testPathPatterns 'soak\.soak\.test'
