#!/usr/bin/env bash
# The main job on embedded defaults: setup (cached), build, run the demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
CACHE="${FILLROUTE_CACHE:-$HOME/.cache/fillroute}"
# shellcheck source=/dev/null
source "$CACHE/env.sh"
cargo run --release --locked -q -p fillroute-cli -- scenario run --out out/scenario "$@"
