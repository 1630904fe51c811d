#!/usr/bin/env bash
# Load benchmark (issue: foundation): sumi bench load vs dcm2niix on the same synthetic
# 512x512x400 uncompressed CT, side by side in one run. Prints a JSON line per tool and the ratios.
# Usage: scripts/bench-load.sh [slices]   (needs a release build: cargo build --release)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLICES="${1:-400}"
VENV="$REPO/.cache/venv"
DATA="$REPO/.cache/bench/ct-512x512x$SLICES"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q pydicom==3.0.2 numpy==2.4.6 dcm2niix
[[ -d "$DATA" ]] || "$VENV/bin/python" "$REPO/scripts/make-bench-ct.py" "$DATA" --slices "$SLICES" >/dev/null
SUMI="$REPO/target/release/sumi"
[[ -x "$SUMI" ]] || (cd "$REPO" && cargo build --release)
# Warm the page cache equally for both tools.
cat "$DATA"/*.dcm > /dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
runs=3
for i in $(seq $runs); do
  s=$( { /usr/bin/time -f "%e %M" "$SUMI" bench load "$DATA" --json > "$out/sumi.json"; } 2>&1 | tail -1)
  d=$( { /usr/bin/time -f "%e %M" "$VENV/bin/dcm2niix" -z n -o "$out" -f "d$i" "$DATA" > /dev/null; } 2>&1 | tail -1)
  echo "run $i: sumi ${s% *} s (${s#* } KiB)  dcm2niix ${d% *} s (${d#* } KiB)"
  echo "$s $d" >> "$out/times"
done
python3 - "$out/times" "$out/sumi.json" <<'PY'
import json, statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
sumi = json.load(open(sys.argv[2]))
s_t = statistics.median(r[0] for r in rows); d_t = statistics.median(r[2] for r in rows)
s_m = statistics.median(r[1] for r in rows) * 1024; d_m = statistics.median(r[3] for r in rows) * 1024
raw = sumi["voxel_bytes"]
print(json.dumps({"dims": sumi["dims"], "sumi_seconds": s_t, "dcm2niix_seconds": d_t, "time_ratio": round(s_t / d_t, 3),
                  "sumi_peak_rss_bytes": s_m, "dcm2niix_peak_rss_bytes": d_m, "voxel_bytes": raw,
                  "sumi_rss_over_voxels": round(s_m / raw, 3)}))
PY
