#!/usr/bin/env bash
# De-identification benchmark (issue: header de-identification): N synthetic 512x512 16-bit CT
# files, profile ps315-basic with outputs written, side by side in one run with dcmanon (PyPI,
# Rust core driven from Python) and dicognito (PyPI). Prints files/s per tool and the ratios.
# Usage: scripts/bench-deid.sh [files]   (needs a release build: cargo build --release)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-2000}"
VENV="$REPO/.cache/venv"
DATA="$REPO/.cache/bench/ct-512x512x$N"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q pydicom==3.0.2 numpy==2.4.6 dcmanon==0.3.1 dicognito==0.19.0
[[ -d "$DATA" ]] || "$VENV/bin/python" "$REPO/scripts/make-bench-ct.py" "$DATA" --slices "$N" >/dev/null
SUMI="$REPO/target/release/sumi"
[[ -x "$SUMI" ]] || (cd "$REPO" && cargo build --release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat "$DATA"/*.dcm > /dev/null   # warm the page cache for everyone

# sync before each run so no tool pays for another's writeback; three interleaved rounds.
timeit() { local s e; sync; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
cat > "$work/dcmanon_pool.py" <<'PY'
import os, sys
from multiprocessing import Pool
from dcmanon import Anonymizer
src, out, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
def run(name):
    data = Anonymizer().anonymize(os.path.join(src, name))
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
if jobs == 1:
    for name in sorted(os.listdir(src)):
        run(name)
else:
    with Pool(jobs) as p:
        p.map(run, sorted(os.listdir(src)), chunksize=16)
PY
declare -A T
for round in 1 2 3; do
  for d in sumi2 sumi1 dcmanon dcmanon1 dicognito; do rm -rf "$work/$d"; done
  T[sumi2]+="$(timeit "$SUMI" deid "$DATA" "$work/sumi2" --profile ps315-basic --jobs 2) "
  T[sumi1]+="$(timeit "$SUMI" deid "$DATA" "$work/sumi1" --profile ps315-basic --jobs 1) "
  T[dcmanon]+="$(timeit "$VENV/bin/python" "$work/dcmanon_pool.py" "$DATA" "$work/dcmanon" 2) "
  T[dcmanon1]+="$(timeit "$VENV/bin/python" "$work/dcmanon_pool.py" "$DATA" "$work/dcmanon1" 1) "
  T[dicognito]+="$(timeit "$VENV/bin/python" -m dicognito --quiet -o "$work/dicognito" "$DATA") "
done
for d in sumi2 sumi1 dcmanon dcmanon1 dicognito; do
  echo "$d: $(find "$work/$d" -type f | wc -l) files written"
done
python3 - "$N" "${T[sumi2]}" "${T[sumi1]}" "${T[dcmanon]}" "${T[dcmanon1]}" "${T[dicognito]}" <<'PY'
import json, statistics, sys
n = int(sys.argv[1])
runs = [list(map(float, a.split())) for a in sys.argv[2:]]
t = dict(zip(["sumi_2_jobs", "sumi_1_job", "dcmanon_2_procs", "dcmanon_1_proc", "dicognito"], map(statistics.median, runs)))
fps = {k: round(n / v, 1) for k, v in t.items()}
print(json.dumps({"files": n, "rounds": len(runs[0]), "median_seconds": t, "files_per_s": fps,
                  "sumi_vs_dcmanon_same_cores": round(fps["sumi_2_jobs"] / fps["dcmanon_2_procs"], 2),
                  "sumi_vs_dcmanon_1_core": round(fps["sumi_1_job"] / fps["dcmanon_1_proc"], 2),
                  "sumi_vs_dicognito": round(fps["sumi_2_jobs"] / fps["dicognito"], 2)}, indent=1))
PY
