#!/usr/bin/env bash
# Bounded cargo-fuzz run of the Rust loader (crates/oxnet-core/fuzz, target network_new): a spec
# JSON + parameter arrays into Network::new, then predict and one training step. Needs a nightly
# toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Not part of npm test or CI.
# Usage: scripts/fuzz-native/run.sh [seconds=120]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-120}"
FUZZ_DIR=crates/oxnet-core/fuzz
node scripts/fuzz-native/seeds.mjs "$FUZZ_DIR/corpus/network_new"
cd "$FUZZ_DIR"
# -rss_limit_mb / -malloc_limit_mb: an allocation sized by an unchecked spec field is a finding.
cargo +nightly fuzz run network_new corpus/network_new -- \
  -max_total_time="$SECS" -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=4096 -print_final_stats=1
