"""Reads a DICOM SEG with highdicom and pydicom (third-party readers the tests compare sumi with)
and prints JSON: the segments (number, label, type code, CIELab), highdicom's voxel count per
segment from its volume of the segmentation, and pydicom's count from the raw frames.

Usage: check-seg.py SEG_FILE
"""

import json
import sys

import highdicom as hd
import numpy as np
import pydicom


def main() -> None:
    path = sys.argv[1]
    seg = hd.seg.segread(path)
    segments = []
    for n in seg.segment_numbers:
        d = seg.get_segment_description(n)
        t = d.segmented_property_type
        segments.append(
            {
                "number": int(n),
                "label": d.segment_label,
                "type": [t.value, t.scheme_designator, t.meaning],
                "cielab": [int(v) for v in d.RecommendedDisplayCIELabValue],
            }
        )
    # highdicom: the whole segmentation as a volume (slices, rows, columns, segments).
    volume = seg.get_volume(combine_segments=False)
    array = volume.array
    hd_counts = {str(n): int(array[..., i].sum()) for i, n in enumerate(seg.segment_numbers)}
    # pydicom: unpack the 1-bit frames and count per Referenced Segment Number.
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
    raw_counts = {str(s["number"]): 0 for s in segments}
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        n = item.SegmentIdentificationSequence[0].ReferencedSegmentNumber
        raw_counts[str(n)] += int(np.count_nonzero(pixels[f]))
    print(
        json.dumps(
            {
                "segments": segments,
                "frames": int(ds.NumberOfFrames),
                "volume_shape": list(array.shape),
                "highdicom_voxels": hd_counts,
                "pydicom_voxels": raw_counts,
                "source_instances": len(seg.get_source_image_uids()),
            }
        )
    )


if __name__ == "__main__":
    main()
