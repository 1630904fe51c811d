#!/usr/bin/env bash
# Regenerate tests/data/decode-reference.tsv (pydicom 3 decode results for the sample data).
#   1. scripts/fetch-sample-data.sh (idempotent) -> ${SUMI_SAMPLE_DATA:-<repo>/.cache/sample-data}
#   2. venv at <repo>/.cache/venv with the pinned packages below (reinstalled when the pins change)
#   3. scripts/make-decode-reference.py --cache <cache> --out tests/data/decode-reference.tsv
# Extra arguments are passed to the .py (e.g. --out /tmp/x.tsv).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SUMI_SAMPLE_DATA:-$REPO/.cache/sample-data}"
VENV="$REPO/.cache/venv"
PYTHON="${PYTHON:-python3}"

# pylibjpeg-libjpeg: JPEG baseline/extended/lossless + JPEG-LS; -openjpeg: JPEG 2000/HTJ2K;
# -rle: RLE; pyjpegls: JPEG-LS fallback. Deflate needs only zlib.
REQUIREMENTS=(
    pydicom==3.0.2
    numpy==2.4.6
    pylibjpeg==2.1.0
    pylibjpeg-libjpeg==2.5.0
    pylibjpeg-openjpeg==2.6.0
    pylibjpeg-rle==2.2.0
    pyjpegls==1.5.1
)

"$REPO/scripts/fetch-sample-data.sh" >/dev/null

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.sumi-requirements"
WANT="$(printf '%s\n' "${REQUIREMENTS[@]}")"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --only-binary :all: \
        "${REQUIREMENTS[@]}"
    printf '%s\n' "$WANT" >"$STAMP"
fi

cd "$REPO"
exec "$VENV/bin/python" scripts/make-decode-reference.py \
    --cache "$CACHE" --out tests/data/decode-reference.tsv "$@"
