#!/usr/bin/env bash
# The Python venv the tests use (<repo>/.cache/venv): created when missing, with pydicom and numpy
# installed at the versions scripts/make-decode-reference.sh pins, and nibabel (NIfTI affines the
# tests compare sumi's reader with; quickshear in scripts/bench-deface.sh needs it too), and highdicom
# (scripts/check-seg.py reads sumi's DICOM SEG with it). Idempotent and quiet: does
# nothing when the venv already has them.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.cache/venv"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS=(pydicom==3.0.2 numpy==2.4.6 nibabel==5.4.2 highdicom==0.28.2)

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" - <<'PY' >/dev/null 2>&1; then
import sys
import highdicom, nibabel, numpy, pydicom
sys.exit(0 if pydicom.__version__ == "3.0.2" and nibabel.__version__ == "5.4.2" and highdicom.__version__ == "0.28.2" else 1)
PY
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --only-binary :all: "${REQUIREMENTS[@]}"
fi
