#!/usr/bin/env bash
# The whole test suite, from a fresh machine: setup (cached), services, tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
CACHE="${FILLROUTE_CACHE:-$HOME/.cache/fillroute}"
# shellcheck source=/dev/null
source "$CACHE/env.sh"
bash scripts/services.sh
# CI reuses one build directory per machine between clean clones.
if [ "${CI:-}" = "true" ]; then export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/ci-target}"; fi
# fmt, clippy -D warnings, sqlx offline data; FILLROUTE_SKIP_GATES=1 skips them locally.
if [ "${FILLROUTE_SKIP_GATES:-}" != "1" ]; then bash scripts/gates.sh; fi
cargo test --workspace --release --locked --no-fail-fast "$@"
