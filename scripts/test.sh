#!/usr/bin/env bash
# The whole test suite: fetch the public sample data into the cache, then run every test
# (core, CLI, database, decoding conformance, GPU shader and UI tests on lavapipe).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/fetch-sample-data.sh
# pydicom in .cache/venv, for the tests that check outputs with it.
scripts/setup-python.sh

# wgpu on Mesa's lavapipe when there is no GPU; a private runtime dir silences Mesa warnings.
export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 0700 "$XDG_RUNTIME_DIR"
# User settings and sumi's own data (demo study, logs/sumi.log) in throw-away folders, not the user's.
export SUMI_CONFIG_DIR="${SUMI_CONFIG_DIR:-$(mktemp -d)}"
export SUMI_DATA_DIR="${SUMI_DATA_DIR:-$(mktemp -d)}"

cargo fmt --check
# The core must build and test without the GUI.
cargo test --no-default-features --lib
# All test binaries run even when one fails, so a run reports every failure.
cargo test --all-targets --no-fail-fast
