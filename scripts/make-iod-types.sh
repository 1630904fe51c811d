#!/usr/bin/env bash
# Regenerate src/deid/data/iod-attribute-types.tsv (see scripts/make-iod-types.py).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --no-deps -q -d "$tmp" dicom-standard==0.1.0
(cd "$tmp" && python3 -m zipfile -e dicom_standard-0.1.0-py3-none-any.whl x)
python3 "$REPO/scripts/make-iod-types.py" "$tmp/x/dicom_standard-0.1.0.data/data/standard" \
  "$REPO/src/deid/data/ps3.15-annex-e-table-e1-1.tsv" "$REPO/src/deid/data/iod-attribute-types.tsv"
