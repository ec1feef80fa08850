#!/usr/bin/env bash
# Builds the Element X engine test client (test/clients/rust-sdk: matrix-sdk and matrix-sdk-ui from
# crates.io, pinned by its Cargo.lock) into .rust-sdk/ (git-ignored) for test/clients/rust-sdk.test.ts.
# Nothing built is committed. Needs cargo (Rust 1.95 or newer); the first build compiles about 430
# crates (see docs/sliding-sync.md for how long that takes here).
#
#   scripts/rust-sdk/install.sh        # builds, or says it is up to date (cargo's own check)
#
# The test finds the binary at .rust-sdk/target/release/conduit-rust-sdk-client (or RUST_SDK_CLIENT).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if ! command -v cargo >/dev/null; then
  echo "cargo is needed to build the rust-sdk test client" >&2
  exit 1
fi
mkdir -p "$ROOT/.rust-sdk"
start=$(date +%s)
CARGO_TARGET_DIR="$ROOT/.rust-sdk/target" cargo build --release --locked --manifest-path "$ROOT/test/clients/rust-sdk/Cargo.toml"
echo "rust-sdk test client built in $(( $(date +%s) - start )) s: $ROOT/.rust-sdk/target/release/conduit-rust-sdk-client"
