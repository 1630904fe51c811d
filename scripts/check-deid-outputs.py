#!/usr/bin/env python3
"""Independent check of de-identified outputs with pydicom (not sumi's own reader).

For every file below each folder given:
  * it re-reads with pydicom.dcmread without force (preamble, DICM, valid file meta);
  * SOP Instance UID (0008,0018) equals the file meta Media Storage SOP Instance UID (0002,0003),
    and SOP Class UID equals Media Storage SOP Class UID;
  * the Type 1 basics are present and non-empty: SOP Class UID, SOP Instance UID,
    Study Instance UID, Series Instance UID, Modality;
  * Patient Identity Removed (0012,0062) is YES.

Prints "checked N files in FOLDER" per folder and one line per problem; exits 1 on any problem.
Usage: check-deid-outputs.py FOLDER [FOLDER ...]
"""

import sys
import warnings
from pathlib import Path

import pydicom

TYPE1 = ["SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Modality"]


def check_file(path: Path) -> list[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path)
    except Exception as e:  # noqa: BLE001 - any reading failure is the finding
        return [f"does not re-read with pydicom: {type(e).__name__}: {e}"]
    problems = []
    meta = ds.file_meta
    for keyword in TYPE1:
        value = ds.get(keyword)
        if value is None or str(value).strip() == "":
            problems.append(f"Type 1 {keyword} is missing or empty")
    if str(ds.get("SOPInstanceUID", "")) != str(meta.get("MediaStorageSOPInstanceUID", "")):
        problems.append(
            f"SOP Instance UID {ds.get('SOPInstanceUID')!s} != Media Storage SOP Instance UID "
            f"{meta.get('MediaStorageSOPInstanceUID')!s}"
        )
    if str(ds.get("SOPClassUID", "")) != str(meta.get("MediaStorageSOPClassUID", "")):
        problems.append(
            f"SOP Class UID {ds.get('SOPClassUID')!s} != Media Storage SOP Class UID "
            f"{meta.get('MediaStorageSOPClassUID')!s}"
        )
    if ds.get("PatientIdentityRemoved") != "YES":
        problems.append(f"Patient Identity Removed is {ds.get('PatientIdentityRemoved')!r}, not YES")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    failed = False
    for folder in map(Path, argv[1:]):
        if not folder.is_dir():
            print(f"{folder}: not a folder")
            failed = True
            continue
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        for path in files:
            for problem in check_file(path):
                print(f"{path}: {problem}")
                failed = True
        print(f"checked {len(files)} files in {folder}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
