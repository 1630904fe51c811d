#!/usr/bin/env bash
# Regenerate src/deid/face/data/frontalface_alt2.cascade from Debian's opencv-data package:
# apt-get download the .deb, `dpkg-deb -x` it, convert OpenCV's Haar XML with
# make-face-cascade.py (the XML's Intel licence comment is kept at the top of the output).
#
# Needs: apt-get (+ root for the `apt-get update` fallback), dpkg-deb, python3.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO/src/deid/face/data/frontalface_alt2.cascade"
XML="usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Sandbox user root: as root, _apt cannot write into the temporary dir.
if ! (cd "$WORK" && apt-get -q -o APT::Sandbox::User=root download opencv-data) >"$WORK/log" 2>&1; then
    apt-get -q update >>"$WORK/log" 2>&1 || { cat "$WORK/log" >&2; exit 1; }
    (cd "$WORK" && apt-get -q -o APT::Sandbox::User=root download opencv-data) >>"$WORK/log" 2>&1 \
        || { echo "make-face-cascade: apt-get download opencv-data failed" >&2; tail -n 20 "$WORK/log" >&2; exit 1; }
fi
DEB="$(ls "$WORK"/opencv-data_*.deb)"
VERSION="$(dpkg-deb -f "$DEB" Version)"
dpkg-deb -x "$DEB" "$WORK/x"
[[ -f "$WORK/x/$XML" ]] || { echo "make-face-cascade: $DEB lacks $XML" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
python3 "$REPO/scripts/make-face-cascade.py" "$WORK/x/$XML" "$OUT" "Debian opencv-data $VERSION, /$XML"
echo "make-face-cascade: wrote $OUT ($(wc -c <"$OUT") bytes) from opencv-data $VERSION"
