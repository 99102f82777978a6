#!/usr/bin/env bash
# Regenerates the scenario replay figures quoted in crates/scenario/RESULTS.md
# and the README from the built binary, into out/results/ (one folder per
# run, each with results.json, comparison.md where several seeds ran, the
# frontier plot and the KPI table as printed).
#
#   bash scripts/replay-results.sh            # small (5 seeds) and andorra (real model)
#   bash scripts/replay-results.sh --all      # also andorra 5 seeds (sampled reader) and metro
#
# Headline tables use the real vision model on every photo; the multi-seed
# andorra run uses the sampled reader (`--reader sampled`), named as such in
# its output. Wall times are printed per run (the per-phase table).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
CACHE="${FILLROUTE_CACHE:-$HOME/.cache/fillroute}"
# shellcheck source=/dev/null
source "$CACHE/env.sh"
cargo build --release --locked -p fillroute-cli
B=target/release/fillroute
OUT=out/results
mkdir -p "$OUT"
run() {
    local name=$1
    shift
    echo "== $name: fillroute $*"
    "$B" "$@" --out "$OUT/$name" | tee "$OUT/$name.txt"
}
run small-seeds scenario run scenarios/small.toml --seeds 1..5
run andorra scenario run scenarios/andorra.toml
if [ "${1:-}" = "--all" ]; then
    run andorra-seeds-sampled scenario run scenarios/andorra.toml --seeds 11..15 --reader sampled
    run metro scenario run scenarios/metro.toml
fi
echo "figures in $OUT/"
