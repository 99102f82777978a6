#!/usr/bin/env bash
# The CI gates, run by scripts/test.sh before the tests: formatting, clippy
# with warnings as errors, and the committed sqlx offline data
# (crates/store/.sqlx) matching the migrations. Each failure says how to fix it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="${FILLROUTE_CACHE:-$HOME/.cache/fillroute}"
log() { printf '[gates] %s\n' "$*" >&2; }

log "cargo fmt --check"
cargo fmt --all --check || { log "run: cargo fmt --all"; exit 1; }

log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --release --locked -- -D warnings

# sqlx-cli, pinned to the sqlx in Cargo.lock, installed once into the cache.
if ! [ -x "$CACHE/tools/bin/cargo-sqlx" ]; then
  log "installing sqlx-cli 0.9.0 into $CACHE/tools (once)"
  cargo install sqlx-cli --version '=0.9.0' --locked --no-default-features \
    --features postgres,rustls --root "$CACHE/tools" >&2
fi
export PATH="$CACHE/tools/bin:$PATH"
DB="postgres://postgres@127.0.0.1:5432/fillroute_sqlx_check"
log "sqlx prepare --check against the migrations"
DATABASE_URL="$DB" cargo sqlx database reset -y --source migrations >/dev/null
(cd crates/store && DATABASE_URL="$DB" cargo sqlx prepare --check -- --release --locked) \
  || { log "the query cache is stale: create a migrated database and run (cd crates/store && DATABASE_URL=... cargo sqlx prepare)"; exit 1; }
DATABASE_URL="$DB" cargo sqlx database drop -y >/dev/null
