"""Reads a DICOM SEG with highdicom and pydicom (third-party readers the tests compare sumi with)
and prints JSON: the segments (number, label, type code, CIELab), highdicom's voxel count per
segment from its volume of the segmentation, and pydicom's count from the raw frames. Given a
reference grid, also writes highdicom's volume placed on that grid (segment numbers, raw uint8).

Usage: check-seg.py SEG_FILE [RAW_OUT GRID_JSON]
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
    # Where each segment lies: with a reference grid (dims and LPS affine as JSON), every voxel of
    # highdicom's volume goes through its affine onto that grid and the segment numbers are
    # written there as raw uint8 (x fastest), for a voxel-by-voxel comparison.
    off_grid = 0
    if len(sys.argv) > 3:
        grid = json.loads(sys.argv[3])
        dims = grid["dims"]
        to_index = np.linalg.inv(np.array(grid["affine"], dtype=float))
        out = np.zeros((dims[2], dims[1], dims[0]), dtype=np.uint8)
        for i, n in enumerate(seg.segment_numbers):
            idx = np.argwhere(array[..., i] > 0)
            lps = idx @ volume.affine[:3, :3].T + volume.affine[:3, 3]
            ijk = lps @ to_index[:3, :3].T + to_index[:3, 3]
            rounded = np.rint(ijk).astype(np.int64)
            off_grid += int((np.abs(ijk - rounded).max(axis=1) > 1e-3).sum()) if len(idx) else 0
            out[rounded[:, 2], rounded[:, 1], rounded[:, 0]] = n
        with open(sys.argv[2], "wb") as f:
            f.write(out.tobytes())
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
                "highdicom_off_grid_voxels": off_grid,
                "pydicom_voxels": raw_counts,
                "source_instances": len(seg.get_source_image_uids()),
            }
        )
    )


if __name__ == "__main__":
    main()
