#!/usr/bin/env bash
# sumi's defacing proposal beside quickshear (PyPI 1.2.0, needs a brain mask) on Colin27
# (ch2.nii.gz with ch2bet.nii.gz as quickshear's mask), and sumi alone on pydeface's average head.
# Needs: scripts/fetch-sample-data.sh, scripts/setup-python.sh, a release build.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$REPO/.cache/venv/bin/python"
SUMI="$REPO/target/release/sumi"
source <(sed 's/^/export /' "$REPO/.cache/sample-data/PATHS.txt")
"$PY" -m pip install -q --disable-pip-version-check --no-deps quickshear==1.2.0
OUT="$(mktemp -d)"; trap 'rm -rf "$OUT"' EXIT
"$SUMI" bench deface "$MRICRON_TEMPLATES/ch2.nii.gz" --runs 5
"$SUMI" bench deface "$PYDEFACE_DATA/mean_reg2mean.nii.gz" --runs 5
start=$(date +%s.%N)
"$PY" -m quickshear "$MRICRON_TEMPLATES/ch2.nii.gz" "$MRICRON_TEMPLATES/ch2bet.nii.gz" "$OUT/qs.nii.gz" >/dev/null
echo "{\"tool\":\"quickshear\",\"input\":\"ch2.nii.gz\",\"seconds\":$(echo "$(date +%s.%N) - $start" | bc)}"
