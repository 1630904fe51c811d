"""Write a synthetic uncompressed CT series for load benchmarks: N slices of 512x512 int16,
a body-like ellipse with noise, files named in shuffled order (as real exports often are)."""
import argparse
import os
import random

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid, CTImageStorage

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--slices", type=int, default=400)
p.add_argument("--size", type=int, default=512)
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
n = a.size
yy, xx = np.mgrid[0:n, 0:n]
body = ((xx - n / 2) / (n * 0.42)) ** 2 + ((yy - n / 2) / (n * 0.33)) ** 2 < 1
rng = np.random.default_rng(7)
study, series, frame = generate_uid(), generate_uid(), generate_uid()
names = list(range(a.slices))
random.Random(7).shuffle(names)
for k in range(a.slices):
    img = np.where(body, 40, -1000).astype(np.int16) + rng.integers(-20, 20, (n, n), dtype=np.int16)
    img[n // 2 - 20 : n // 2 + 20, n // 2 - 20 : n // 2 + 20] = 700 + k
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
    ds.PatientName, ds.PatientID, ds.Modality = "BENCH^CT", "BENCH", "CT"
    ds.SeriesNumber, ds.InstanceNumber = 1, k + 1
    ds.ImagePositionPatient = [-250.0, -250.0, -200.0 + k * 1.0]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing, ds.SliceThickness = [0.9765625, 0.9765625], 1.0
    ds.Rows = ds.Columns = n
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleIntercept, ds.RescaleSlope = 0, 1
    ds.PixelData = img.tobytes()
    ds.save_as(os.path.join(a.out, f"IM{names[k]:05d}.dcm"), enforce_file_format=True)
print(a.out)
