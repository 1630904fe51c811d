"""Writes a third-party DICOM SEG with highdicom over a DICOM series, for sumi's reader tests:
segment 1 where the stored pixel value is a multiple of 3, segment 2 where it is 1 more than a
multiple of 3 and a multiple of 5 (no overlap). FRACTIONAL segments hold 0.8 inside and 0.3
outside (sumi keeps > 0.5); BINARY hold 1/0. Prints JSON {voxels: {segment: count}}.

Usage: make-seg.py SERIES_DIR OUT_FILE BINARY|FRACTIONAL
"""

import json
import pathlib
import sys

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes


def main() -> None:
    series, out, kind = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    images = [pydicom.dcmread(p) for p in sorted(series.iterdir()) if p.suffix == ".dcm"]
    images.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    pixels = np.stack([d.pixel_array for d in images]).astype(np.int64)
    masks = [pixels % 3 == 0, (pixels % 3 == 1) & (pixels % 5 == 0)]
    if kind == "FRACTIONAL":
        array = np.stack([np.where(m, 0.8, 0.3) for m in masks], axis=-1).astype(np.float32)
        seg_type = hd.seg.SegmentationTypeValues.FRACTIONAL
    else:
        array = np.stack(masks, axis=-1).astype(np.uint8)
        seg_type = hd.seg.SegmentationTypeValues.BINARY
    algorithm = hd.AlgorithmIdentificationSequence(
        name="threshold", version="1", family=codes.cid7162.ArtificialIntelligence
    )
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=n,
            segment_label=label,
            segmented_property_category=codes.cid7150.Tissue,
            segmented_property_type=codes.cid7166.ConnectiveTissue,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
        )
        for n, label in [(1, "threes"), (2, "fives")]
    ]
    seg = hd.seg.Segmentation(
        source_images=images,
        pixel_array=array,
        segmentation_type=seg_type,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=50,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="highdicom test",
        manufacturer_model_name="make-seg.py",
        software_versions=hd.__version__,
        device_serial_number="1",
        max_fractional_value=255,
    )
    seg.save_as(out)
    print(json.dumps({"voxels": {str(n + 1): int(m.sum()) for n, m in enumerate(masks)}}))


if __name__ == "__main__":
    main()
