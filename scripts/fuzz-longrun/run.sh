#!/usr/bin/env bash
# Full-size long-run checks (outside npm test): 10,000 MNIST-MLP steps for RSS growth, 200
# create/fit/predict/drop cycles for live native allocations, and a full MNIST epoch (8,000
# digits) of the W3 CNN for bitwise determinism across processes and 1 vs 2 threads.
set -euo pipefail
cd "$(dirname "$0")/../.."
HARDENING_LONG=1 npx vitest run test/hardening/longRuns.test.ts
