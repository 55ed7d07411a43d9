#!/usr/bin/env bash
# Long API fuzz run (outside npm test): the same properties as test/hardening/fuzzApi.test.ts with
# many more calls and a fresh seed each run. Usage: scripts/fuzz-api/run.sh [runs] [seed]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-200000}"
SEED="${2:-$RANDOM$RANDOM}"
echo "API fuzz: FUZZ_RUNS=$RUNS FUZZ_SEED=$SEED (rerun with the same seed to reproduce)"
FUZZ_RUNS="$RUNS" FUZZ_SEED="$SEED" npx vitest run test/hardening/fuzzApi.test.ts
