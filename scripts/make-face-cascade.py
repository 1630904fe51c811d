#!/usr/bin/env python3
"""Converts an OpenCV Haar cascade (new XML format, upright features only) into sumi's compact
text cascade: the source's licence comment first (its terms require keeping it), then one line
per feature and per weak classifier. Standard library only.

Usage: make-face-cascade.py SOURCE.xml OUTPUT.cascade "provenance line"

Output format (whitespace-separated tokens, '#' lines are comments):
  window W H                       the training window
  feature x y w h weight ...       2 or 3 rectangles, weights as in the XML; one line per feature
  stage THRESHOLD NTREES           followed by NTREES tree lines
  tree N left right feature threshold ... (N nodes) leaf ... (N+1 leaves)
Child indices keep OpenCV's meaning: > 0 is the next node of the tree, <= 0 is leaf -child.
"""
import struct
import sys
import xml.etree.ElementTree as ET


def f32(text):
    """Shortest decimal that reads back as the same 32-bit float (sumi evaluates in f32)."""
    want = struct.pack("<f", float(text))
    for digits in range(1, 10):
        s = "%.*g" % (digits, struct.unpack("<f", want)[0])
        if struct.pack("<f", float(s)) == want:
            return s
    raise ValueError(text)


def licence_comment(path):
    with open(path, encoding="utf-8") as f:
        xml = f.read()
    start, end = xml.find("<!--"), xml.find("-->")
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no licence comment before the cascade")
    return xml[start + 4 : end].strip("\n").splitlines()


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    src, out, provenance = sys.argv[1:]
    cascade = ET.parse(src).getroot().find("cascade")
    if cascade is None or cascade.findtext("featureType", "").strip() != "HAAR":
        raise SystemExit(f"{src}: not a Haar cascade in OpenCV's new format")
    lines = [f"# sumi frontal-face cascade, converted by scripts/make-face-cascade.py from {provenance}."]
    lines.append("# The source file's licence comment follows, unchanged.")
    lines += ["#" + (" " + l if l.strip() else "") for l in licence_comment(src)]
    lines.append(f"window {cascade.findtext('width').strip()} {cascade.findtext('height').strip()}")
    for feat in cascade.find("features"):
        if (feat.findtext("tilted") or "0").strip() not in ("", "0"):
            raise SystemExit(f"{src}: tilted features are not supported")
        rects = [r.text.split() for r in feat.find("rects")]
        tokens = [" ".join(r[:4] + [f32(r[4])]) for r in rects]
        lines.append("feature " + "  ".join(tokens))
    for stage in cascade.find("stages"):
        trees = list(stage.find("weakClassifiers"))
        lines.append(f"stage {f32(stage.findtext('stageThreshold'))} {len(trees)}")
        for tree in trees:
            nodes = tree.findtext("internalNodes").split()
            leaves = tree.findtext("leafValues").split()
            if len(nodes) % 4 or len(leaves) != len(nodes) // 4 + 1:
                raise SystemExit(f"{src}: tree with categorical splits or odd node count")
            n = len(nodes) // 4
            body = [" ".join(nodes[4 * i : 4 * i + 3] + [f32(nodes[4 * i + 3])]) for i in range(n)]
            lines.append(f"tree {n}  " + "  ".join(body) + "  " + " ".join(f32(v) for v in leaves))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
