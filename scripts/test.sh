#!/usr/bin/env bash
# Runs every test of the workspace on a fresh Debian 12 machine: installs what the build and
# the tests need (scripts/setup.sh), then the whole suite. CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
