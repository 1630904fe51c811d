#!/usr/bin/env bash
# Load tests at scale (issue 8): generates three data sets with `sumi demo-scale` (100 studies /
# 50,000 64×64 instances; one 2,000-slice 512×512 int16 series, 1 GB; one 800×600 RGB × 720-frame
# uncompressed US cine, 1 GB), then measures, one JSON line each:
#   import of the 50,000 instances (seconds, instances/s, peak RSS), the browser tree listed from
#   the project (`sumi bench tree`), `sumi bench load` on the series and the cine (seconds, peak RSS
#   vs voxel bytes), and the GUI (`sumi bench gui` under xvfb-run on lavapipe) on each data set:
#   time to first image and the longest / p99 UI frame while the scan and the load run.
# Usage: scripts/bench-scale.sh [data dir, default /tmp/sumi-scale]   (GUI=0 skips the GUI runs;
# KEEP=1 keeps the ~2.5 GB of data). Uses target/release/sumi if built, else target/debug/sumi.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-/tmp/sumi-scale}"
SUMI="$REPO/target/release/sumi"
[[ -x "$SUMI" ]] || SUMI="$REPO/target/debug/sumi"
[[ -x "$SUMI" ]] || (cd "$REPO" && cargo build)
profile=$(basename "$(dirname "$SUMI")")
mkdir -p "$DATA"
[[ "${KEEP:-0}" == 1 ]] || trap 'rm -rf "$DATA"' EXIT
export SUMI_LOG=error SUMI_DATA_DIR="$DATA/home" SUMI_CONFIG_DIR="$DATA/home"
[[ -d "$DATA/studies" ]] || "$SUMI" demo-scale studies "$DATA/studies" --studies 100 --instances 50000 >/dev/null
[[ -d "$DATA/series" ]] || "$SUMI" demo-scale series "$DATA/series" --slices 2000 --size 512 >/dev/null
[[ -d "$DATA/cine" ]] || "$SUMI" demo-scale cine "$DATA/cine" --frames 720 --width 800 --height 600 >/dev/null

# Peak RSS (KiB) and seconds of a command, from GNU time; its stdout goes to $out.
timed() { /usr/bin/time -f "%e %M" -o "$DATA/time.txt" "$@" > "$DATA/out.json"; read -r secs kib < "$DATA/time.txt"; }

rm -f "$DATA"/p.sumi*
timed "$SUMI" import "$DATA/studies" --project "$DATA/p.sumi"
python3 - "$DATA/out.json" "$secs" "$kib" "$profile" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); secs = float(sys.argv[2]); kib = int(sys.argv[3])
print(json.dumps({"measure": "import", "build": sys.argv[4], "instances": s["instances"], "studies": s["studies"],
                  "series": s["series"], "seconds": secs, "instances_per_second": round(s["instances"] / secs),
                  "peak_rss_bytes": kib * 1024}))
PY
timed "$SUMI" bench tree --project "$DATA/p.sumi" --rescan
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["measure"]="tree"; print(json.dumps(r))' "$DATA/out.json"

for set in series cine; do
  cat "$DATA/$set"/* > /dev/null   # warm the page cache
  timed "$SUMI" bench load "$DATA/$set" --json
  python3 - "$DATA/out.json" "$secs" "$kib" "$set" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); kib = int(sys.argv[3])
print(json.dumps({"measure": "load", "set": sys.argv[4], "dims": r["dims"], "seconds": r["seconds"],
                  "wall_seconds": float(sys.argv[2]), "peak_rss_bytes": kib * 1024, "voxel_bytes": r["voxel_bytes"],
                  "rss_over_voxels": round(kib * 1024 / r["voxel_bytes"], 3)}))
PY
done

if [[ "${GUI:-1}" == 1 ]]; then
  mkdir -p /tmp/xdg
  for set in studies series cine; do
    XDG_RUNTIME_DIR=/tmp/xdg WGPU_BACKEND=vulkan timeout 600 \
      xvfb-run -a -s "-screen 0 1600x1000x24" "$SUMI" bench gui "$DATA/$set" > "$DATA/out.json" 2> "$DATA/gui.err" || {
      echo "{\"measure\": \"gui\", \"set\": \"$set\", \"error\": \"exit $?\"}"; continue; }
    python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); r["measure"]="gui"; r["set"]=sys.argv[2]; print(json.dumps(r))' "$DATA/out.json" "$set"
  done
fi
