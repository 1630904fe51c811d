//! Series planning and volume loading on synthetic fixtures: slice order, patient geometry,
//! gaps, tilt, mixed content and every pixel-value path (sign, rescale, voxel type).

mod support;

use std::path::{Path, PathBuf};

use nalgebra::{Point3, Vector3};
use sumi::dicom::{InstanceMeta, ScanReport, group_instances, scan_paths};
use sumi::volume::{SeriesPlan, Volume, VoxelType, Voxels, load_volume, plan_series};
use support::{CORONAL, SAGITTAL, SliceSpec, axial_series, write_all, write_series};

const MM_TOL: f64 = 1e-4;

fn scan(dir: &Path) -> ScanReport {
    let report = scan_paths(&[dir.to_path_buf()], &|_, _| {});
    assert!(report.unreadable.is_empty(), "unexpected unreadable files: {:?}", report.unreadable);
    report
}

/// Plans every instance found under `dir` as one series.
fn plan_dir(dir: &Path) -> SeriesPlan {
    let report = scan(dir);
    let metas: Vec<&InstanceMeta> = report.instances.iter().collect();
    plan_series(&metas).expect("plan")
}

fn load_dir(dir: &Path) -> (SeriesPlan, Volume) {
    let plan = plan_dir(dir);
    let volume = load_volume(&plan, None).expect("load");
    (plan, volume)
}

fn point(p: [f64; 3]) -> Point3<f64> {
    Point3::new(p[0], p[1], p[2])
}

fn assert_close(a: Point3<f64>, b: Point3<f64>, what: &str) {
    assert!((a - b).norm() < MM_TOL, "{what}: {a} != {b}");
}

fn assert_vec_close(a: Vector3<f64>, b: Vector3<f64>, what: &str) {
    assert!((a - b).norm() < MM_TOL, "{what}: {a} != {b}");
}

/// Every voxel of k-slice `k` holds the modality values of `spec`.
fn assert_slice_is(volume: &Volume, k: usize, spec: &SliceSpec) {
    for j in 0..usize::from(spec.rows) {
        for i in 0..usize::from(spec.cols) {
            let (got, want) = (volume.at(i, j, k), spec.modality_value(i, j));
            assert_eq!(got, want, "voxel ({i}, {j}, {k}) should come from the slice at {:?}", spec.ipp);
        }
    }
}

/// Voxel (0, 0, k) sits at the Image Position of the slice loaded there, and back.
fn assert_corner_at_ipp(plan: &SeriesPlan, k: usize, ipp: [f64; 3]) {
    let g = &plan.geometry;
    assert_close(g.index_to_patient(Vector3::new(0.0, 0.0, k as f64)), point(ipp), &format!("corner of slice {k}"));
    let ijk = g.patient_to_index(point(ipp)).expect("invertible grid");
    assert_vec_close(ijk, Vector3::new(0.0, 0.0, k as f64), &format!("index of IPP {ipp:?}"));
}

fn has_problem(plan: &SeriesPlan, needle: &str) -> bool {
    plan.problems.iter().any(|p| p.contains(needle))
}

fn unit(v: [f64; 3]) -> Vector3<f64> {
    Vector3::new(v[0], v[1], v[2]).normalize()
}

#[test]
fn slices_are_sorted_by_position_along_normal_not_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let specs = axial_series("2.25.100", 5, [-20.0, 10.0, -30.0], 2.5);
    // File names run against the positions: the slice at the top is 00.dcm.
    let names: Vec<String> = (0..specs.len()).map(|k| format!("{:02}.dcm", specs.len() - 1 - k)).collect();
    let files: Vec<(&str, &SliceSpec)> = names.iter().map(String::as_str).zip(&specs).collect();
    write_all(dir.path(), &files);

    let (plan, volume) = load_dir(dir.path());
    assert_eq!(plan.geometry.dims, [4, 3, 5]);
    assert!(plan.problems.is_empty(), "regular stack has no problems: {:?}", plan.problems);
    assert_close(plan.geometry.origin, point(specs[0].ipp), "origin is the lowest slice");
    assert_vec_close(plan.geometry.axes.column(2).into(), Vector3::new(0.0, 0.0, 2.5), "k step");
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
}

#[test]
fn slice_order_ignores_shuffled_file_names_and_lying_instance_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut specs = axial_series("2.25.101", 7, [0.0, 0.0, 0.0], 3.0);
    let name_of = [3, 6, 0, 5, 1, 4, 2];
    let lying_instance = [5, 2, 7, 1, 6, 3, 4];
    for (k, s) in specs.iter_mut().enumerate() {
        s.instance_number = Some(lying_instance[k]);
    }
    let names: Vec<String> = name_of.iter().map(|n| format!("img{n}.dcm")).collect();
    let files: Vec<(&str, &SliceSpec)> = names.iter().map(String::as_str).zip(&specs).collect();
    write_all(dir.path(), &files);

    let (plan, volume) = load_dir(dir.path());
    assert_eq!(plan.geometry.dims[2], 7);
    assert_close(plan.geometry.origin, point(specs[0].ipp), "origin");
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
        assert_corner_at_ipp(&plan, k, spec.ipp);
    }
}

#[test]
fn coronal_slices_are_ordered_along_their_posterior_normal_not_along_z() {
    let dir = tempfile::tempdir().unwrap();
    // Coronal normal = row × column = (1,0,0) × (0,0,-1) = (0,1,0): k must grow towards posterior.
    // Positions are written anterior-last so file order runs against k.
    let specs: Vec<SliceSpec> = (0..4)
        .map(|k| SliceSpec { iop: CORONAL, ..SliceSpec::ct("2.25.102", k, [5.0, -6.0 + 4.0 * k as f64, 12.0]) })
        .collect();
    let files: Vec<(&str, &SliceSpec)> = ["d.dcm", "c.dcm", "b.dcm", "a.dcm"].into_iter().zip(&specs).collect();
    write_all(dir.path(), &files);

    let (plan, volume) = load_dir(dir.path());
    let axes = plan.geometry.axes;
    assert_vec_close(axes.column(0).into(), Vector3::new(0.8, 0.0, 0.0), "i step: row direction × column spacing");
    assert_vec_close(axes.column(1).into(), Vector3::new(0.0, 0.0, -0.5), "j step: column direction × row spacing");
    assert_vec_close(axes.column(2).into(), Vector3::new(0.0, 4.0, 0.0), "k step: posterior");
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
        assert_corner_at_ipp(&plan, k, spec.ipp);
    }
}

#[test]
fn oblique_axes_are_orientation_cosines_times_spacing_and_each_corner_maps_to_its_ipp() {
    let dir = tempfile::tempdir().unwrap();
    // Rotated 30° about the L-R axis: columns tilt from posterior towards superior.
    let (s, c) = 30f64.to_radians().sin_cos();
    let iop = [1.0, 0.0, 0.0, 0.0, c, s];
    let row = unit([iop[0], iop[1], iop[2]]);
    let col = unit([iop[3], iop[4], iop[5]]);
    let normal = row.cross(&col);
    let origin = Vector3::new(-10.0, 5.0, 20.0);
    let specs: Vec<SliceSpec> = (0..5)
        .map(|k| {
            let p = origin + normal * (2.0 * k as f64);
            SliceSpec { iop, ..SliceSpec::ct("2.25.103", k, [p.x, p.y, p.z]) }
        })
        .collect();
    let files: Vec<(&str, &SliceSpec)> =
        ["e.dcm", "a.dcm", "d.dcm", "b.dcm", "c.dcm"].into_iter().zip(&specs).collect();
    write_all(dir.path(), &files);

    let (plan, volume) = load_dir(dir.path());
    assert!(plan.problems.is_empty(), "perpendicular oblique stack has no problems: {:?}", plan.problems);
    let axes = plan.geometry.axes;
    // Pixel Spacing is [row spacing 0.5, column spacing 0.8]: i steps 0.8 along the row direction.
    assert_vec_close(axes.column(0).into(), row * 0.8, "i axis");
    assert_vec_close(axes.column(1).into(), col * 0.5, "j axis");
    assert_vec_close(axes.column(2).into(), normal * 2.0, "k axis");
    let spacing = plan.geometry.spacing();
    assert!((spacing[0] - 0.8).abs() < 1e-6 && (spacing[1] - 0.5).abs() < 1e-6 && (spacing[2] - 2.0).abs() < 1e-5);
    for (k, spec) in specs.iter().enumerate() {
        assert_corner_at_ipp(&plan, k, spec.ipp);
        assert_slice_is(&volume, k, spec);
        // The far corner: 3 columns along the row direction, 2 rows along the column direction.
        let far = plan.geometry.index_to_patient(Vector3::new(3.0, 2.0, k as f64));
        assert_close(far, point(spec.ipp) + row * 2.4 + col * 1.0, "far corner");
    }
}

#[test]
fn missing_slice_is_reported_left_empty_and_present_slices_keep_their_positions() {
    let dir = tempfile::tempdir().unwrap();
    let all = axial_series("2.25.104", 6, [1.0, 2.0, 0.0], 2.0);
    let present: Vec<SliceSpec> = all.iter().enumerate().filter(|(k, _)| *k != 3).map(|(_, s)| s.clone()).collect();
    write_series(dir.path(), &present);

    let (plan, volume) = load_dir(dir.path());
    assert!(has_problem(&plan, "missing slice"), "gap not reported: {:?}", plan.problems);
    assert_eq!(plan.slices.len(), 6, "the grid keeps room for the missing slice");
    assert_eq!(plan.slices.iter().map(Option::is_none).collect::<Vec<_>>(), [false, false, false, true, false, false]);
    assert_eq!(plan.geometry.dims, [4, 3, 6]);
    assert_vec_close(plan.geometry.axes.column(2).into(), Vector3::new(0.0, 0.0, 2.0), "k step is the true spacing");
    for (k, spec) in all.iter().enumerate() {
        if k == 3 {
            for (i, j) in [(0, 0), (3, 2), (1, 1)] {
                assert_eq!(volume.at(i, j, k), plan.background, "missing slice is background");
            }
        } else {
            assert_slice_is(&volume, k, spec);
            assert_corner_at_ipp(&plan, k, spec.ipp);
        }
    }
}

#[test]
fn non_uniform_spacing_is_reported_without_inventing_missing_slices() {
    let dir = tempfile::tempdir().unwrap();
    // Steps 1, 1, 1, 3.4, 1: 3.4 is not a whole multiple of the usual step, so it is no gap.
    let specs: Vec<SliceSpec> = [0.0, 1.0, 2.0, 3.0, 6.4, 7.4]
        .iter()
        .enumerate()
        .map(|(k, &z)| SliceSpec::ct("2.25.105", k, [0.0, 0.0, z]))
        .collect();
    write_series(dir.path(), &specs);

    let (plan, volume) = load_dir(dir.path());
    assert!(has_problem(&plan, "non-uniform slice spacing"), "irregular spacing not reported: {:?}", plan.problems);
    assert!(!has_problem(&plan, "missing"), "no slice is missing: {:?}", plan.problems);
    assert!(plan.slices.iter().all(Option::is_some));
    assert_eq!(plan.geometry.dims[2], 6);
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
}

#[test]
fn two_series_in_one_folder_are_grouped_apart_and_each_loads_its_own_slices() {
    let dir = tempfile::tempdir().unwrap();
    // Same positions in both series, interleaved file names: only the Series UID separates them.
    let ct = axial_series("2.25.106.1", 4, [0.0, 0.0, 0.0], 2.0);
    let mr: Vec<SliceSpec> = (0..3)
        .map(|k| {
            let s = SliceSpec::mr("2.25.106.2", k, [0.0, 0.0, 2.0 * k as f64]);
            // MR pixels differ from the CT ones at the same position.
            SliceSpec { series_number: 2, pixels: s.pixels.iter().map(|v| v + 5000).collect(), ..s }
        })
        .collect();
    let names: Vec<String> = (0..ct.len() + mr.len()).map(|n| format!("im{n:02}.dcm")).collect();
    let interleaved: Vec<&SliceSpec> =
        (0..4).flat_map(|k| std::iter::once(&ct[k]).chain(mr.get(k))).collect::<Vec<_>>();
    let files: Vec<(&str, &SliceSpec)> = names.iter().map(String::as_str).zip(interleaved).collect();
    write_all(dir.path(), &files);

    let report = scan(dir.path());
    let tree = group_instances(&report.instances);
    assert_eq!(tree.len(), 1);
    assert_eq!(tree[0].studies.len(), 1);
    let series = &tree[0].studies[0].series;
    assert_eq!(series.iter().map(|s| s.series_uid.as_str()).collect::<Vec<_>>(), ["2.25.106.1", "2.25.106.2"]);
    for (node, specs) in series.iter().zip([&ct, &mr]) {
        let metas: Vec<&InstanceMeta> = node.instances.iter().map(|&i| &report.instances[i]).collect();
        assert!(metas.iter().all(|m| m.series_uid == node.series_uid));
        let plan = plan_series(&metas).expect("plan");
        assert!(plan.problems.is_empty(), "{}: {:?}", node.series_uid, plan.problems);
        let volume = load_volume(&plan, None).expect("load");
        assert_eq!(volume.geometry.dims, [4, 3, specs.len()]);
        assert_eq!(volume.display.modality, specs[0].modality);
        for (k, spec) in specs.iter().enumerate() {
            assert_slice_is(&volume, k, spec);
        }
    }
}

fn monochrome_fixture(dir: &Path, photometric: &str) -> Vec<SliceSpec> {
    let specs: Vec<SliceSpec> = axial_series("2.25.107", 3, [0.0, 0.0, 10.0], 1.5)
        .into_iter()
        .map(|s| SliceSpec { photometric: photometric.into(), bits_stored: 12, signed: false, ..s })
        .collect();
    write_series(dir, &specs);
    specs
}

#[test]
fn monochrome1_sets_the_invert_hint_and_keeps_stored_values() {
    let dir = tempfile::tempdir().unwrap();
    let specs = monochrome_fixture(dir.path(), "MONOCHROME1");
    let (plan, volume) = load_dir(dir.path());
    assert!(plan.monochrome1);
    assert!(volume.display.invert, "MONOCHROME1 is shown inverted by default");
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }

    let dir2 = tempfile::tempdir().unwrap();
    monochrome_fixture(dir2.path(), "MONOCHROME2");
    let (plan2, volume2) = load_dir(dir2.path());
    assert!(!plan2.monochrome1 && !volume2.display.invert, "MONOCHROME2 is not inverted");
}

#[test]
fn signed_16_bit_negative_values_load_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let values = [-32768, -2000, -1, 0, 1, 1500, 32767, -1024, 3071, -7, 42, -32767];
    let specs: Vec<SliceSpec> = (0..2)
        .map(|k| {
            let pixels = values.iter().map(|v: &i32| if k == 0 { *v } else { -(v + 1) }).collect();
            SliceSpec { pixels, ..SliceSpec::ct("2.25.108", k, [0.0, 0.0, 2.0 * k as f64]) }
        })
        .collect();
    write_series(dir.path(), &specs);

    let (plan, volume) = load_dir(dir.path());
    assert_eq!(plan.voxel_type, VoxelType::I16);
    assert!(matches!(volume.voxels, Voxels::I16(_)));
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
    assert_eq!(volume.value_range, (-32768.0, 32767.0));
}

#[test]
fn fractional_rescale_loads_as_f32_with_exact_modality_values() {
    let dir = tempfile::tempdir().unwrap();
    let specs: Vec<SliceSpec> = axial_series("2.25.109", 3, [0.0, 0.0, 0.0], 2.0)
        .into_iter()
        .map(|s| SliceSpec { slope: 2.5, intercept: -100.0, ..s })
        .collect();
    write_series(dir.path(), &specs);

    let (plan, volume) = load_dir(dir.path());
    assert_eq!(plan.voxel_type, VoxelType::F32);
    assert!(matches!(volume.voxels, Voxels::F32(_)));
    // Slice at z = 2: stored 20 * 16 + 5 at (1, 1) → 325 * 2.5 - 100.
    assert_eq!(volume.at(1, 1, 1), 712.5);
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
}

#[test]
fn integer_intercept_on_unsigned_12_bit_loads_as_i16_with_negative_values() {
    let dir = tempfile::tempdir().unwrap();
    let pixels = vec![0, 1, 1023, 1024, 1025, 2048, 4095, 4094, 10, 20, 30, 40];
    let specs: Vec<SliceSpec> = (0..2)
        .map(|k| SliceSpec {
            bits_stored: 12,
            signed: false,
            intercept: -1024.0,
            pixels: pixels.iter().map(|v| if k == 0 { *v } else { 4095 - v }).collect(),
            ..SliceSpec::ct("2.25.110", k, [0.0, 0.0, 2.0 * k as f64])
        })
        .collect();
    write_series(dir.path(), &specs);

    let (plan, volume) = load_dir(dir.path());
    assert_eq!(plan.voxel_type, VoxelType::I16);
    assert!(matches!(volume.voxels, Voxels::I16(_)));
    assert_eq!(volume.at(0, 0, 0), -1024.0);
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
    assert_eq!(volume.value_range, (-1024.0, 3071.0));
}

fn unsigned_ct_with_intercept(dir: &Path, pixels: &[i32]) -> Vec<SliceSpec> {
    let specs: Vec<SliceSpec> = (0..2)
        .map(|k| SliceSpec {
            bits_stored: 16,
            signed: false,
            intercept: -1024.0,
            pixels: pixels.iter().map(|v| v - k as i32).collect(),
            ..SliceSpec::ct("2.25.111", k, [0.0, 0.0, 2.0 * k as f64])
        })
        .collect();
    write_series(dir, &specs);
    specs
}

#[test]
fn unsigned_16_bit_beyond_i16_after_intercept_falls_back_to_f32_exactly() {
    let dir = tempfile::tempdir().unwrap();
    // 40000 - 1024 = 38976 and 65535 - 1024 = 64511 do not fit i16.
    let specs = unsigned_ct_with_intercept(dir.path(), &[1, 100, 1024, 2000, 33791, 33792, 40000, 65535, 7, 8, 9, 10]);
    let (plan, volume) = load_dir(dir.path());
    assert_eq!(plan.voxel_type, VoxelType::I16, "the plan is optimistic for unsigned CT");
    assert!(matches!(volume.voxels, Voxels::F32(_)), "the loader must not clip: falls back to f32");
    assert_eq!(volume.at(3, 1, 0), 64511.0);
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
}

#[test]
fn unsigned_16_bit_with_intercept_stays_i16_when_every_value_fits() {
    let dir = tempfile::tempdir().unwrap();
    // 33791 - 1024 = 32767 is the largest value i16 holds.
    let specs = unsigned_ct_with_intercept(dir.path(), &[1, 100, 1024, 2000, 33791, 30000, 4000, 5000, 7, 8, 9, 10]);
    let (_, volume) = load_dir(dir.path());
    assert!(matches!(volume.voxels, Voxels::I16(_)));
    assert_eq!(volume.at(0, 1, 0), 32767.0);
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
}

#[test]
fn gantry_tilt_is_reported_and_every_slice_corner_maps_to_its_ipp() {
    let dir = tempfile::tempdir().unwrap();
    // Image planes tilted 15° about L-R while the table steps straight along z.
    let (s, c) = 15f64.to_radians().sin_cos();
    let iop = [1.0, 0.0, 0.0, 0.0, c, s];
    let specs: Vec<SliceSpec> =
        (0..5).map(|k| SliceSpec { iop, ..SliceSpec::ct("2.25.112", k, [-5.0, 3.0, 4.0 * k as f64]) }).collect();
    let files: Vec<(&str, &SliceSpec)> =
        ["c.dcm", "e.dcm", "a.dcm", "b.dcm", "d.dcm"].into_iter().zip(&specs).collect();
    write_all(dir.path(), &files);

    let (plan, volume) = load_dir(dir.path());
    assert!(has_problem(&plan, "gantry tilt"), "tilt not reported: {:?}", plan.problems);
    assert!(!has_problem(&plan, "missing"), "{:?}", plan.problems);
    let row = unit([iop[0], iop[1], iop[2]]);
    let col = unit([iop[3], iop[4], iop[5]]);
    for (k, spec) in specs.iter().enumerate() {
        assert_corner_at_ipp(&plan, k, spec.ipp);
        let far = plan.geometry.index_to_patient(Vector3::new(3.0, 2.0, k as f64));
        assert_close(far, point(spec.ipp) + row * 2.4 + col * 1.0, "in-plane axes keep the image orientation");
        assert_slice_is(&volume, k, spec);
    }
}

#[test]
fn localizer_of_a_different_size_in_the_series_is_left_out_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let specs = axial_series("2.25.113", 5, [0.0, 0.0, 0.0], 2.0);
    let localizer = SliceSpec {
        iop: SAGITTAL,
        rows: 5,
        cols: 6,
        pixels: vec![999; 30],
        sop_uid: "2.25.113.99".into(),
        instance_number: Some(1),
        ..SliceSpec::ct("2.25.113", 0, [0.0, -40.0, 30.0])
    };
    let mut files: Vec<(&str, &SliceSpec)> = vec![("000_localizer.dcm", &localizer)];
    let names: Vec<String> = (0..specs.len()).map(|k| format!("ax{k}.dcm")).collect();
    files.extend(names.iter().map(String::as_str).zip(&specs));
    let paths = write_all(dir.path(), &files);

    let (plan, volume) = load_dir(dir.path());
    assert!(has_problem(&plan, "left out"), "localizer not reported: {:?}", plan.problems);
    assert!(!plan.paths.contains(&paths[0]), "the localizer is not part of the volume");
    assert_eq!(plan.paths.len(), 5);
    assert_eq!(plan.geometry.dims, [4, 3, 5]);
    assert_close(plan.geometry.origin, point(specs[0].ipp), "origin");
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
}

fn find<'a>(report: &'a ScanReport, path: &PathBuf) -> &'a sumi::dicom::Unreadable {
    report.unreadable.iter().find(|u| &u.path == path).unwrap_or_else(|| panic!("{} not listed", path.display()))
}

#[test]
fn unreadable_files_are_listed_with_kind_and_path_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let specs = axial_series("2.25.114", 3, [0.0, 0.0, 0.0], 2.0);
    write_series(dir.path(), &specs);
    let [text_file, empty, truncated] = support::write_unreadable_files(dir.path());

    let report = scan_paths(&[dir.path().to_path_buf()], &|_, _| {});
    assert_eq!(report.files_seen, 6);
    assert_eq!(report.instances.len(), 3, "every valid file is still read");
    assert_eq!(report.unreadable.len(), 3, "{:?}", report.unreadable);
    for (path, kind) in [(&text_file, "not_dicom"), (&empty, "not_dicom"), (&truncated, "malformed")] {
        let u = find(&report, path);
        assert_eq!(u.kind, kind, "{}: {}", path.display(), u.reason);
        assert!(u.reason.contains(&path.display().to_string()), "reason names the file: {}", u.reason);
    }
    let metas: Vec<&InstanceMeta> = report.instances.iter().collect();
    let volume = load_volume(&plan_series(&metas).expect("plan"), None).expect("load");
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
}

#[test]
fn pixel_data_cut_short_fails_the_load_with_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let specs = axial_series("2.25.9999", 2, [0.0, 0.0, 0.0], 2.0);
    write_series(dir.path(), &specs[1..]);
    let cut = dir.path().join("cut.dcm");
    // Drop the last 6 bytes: the header is intact, the Pixel Data value is not.
    support::write_truncated(&cut, |len| len - 6);

    let report = scan_paths(&[dir.path().to_path_buf()], &|_, _| {});
    // The header read stops before Pixel Data, so the file is only found short on decoding.
    assert!(report.unreadable.is_empty(), "{:?}", report.unreadable);
    let metas: Vec<&InstanceMeta> = report.instances.iter().collect();
    assert!(metas.iter().any(|m| m.path == cut));
    let plan = plan_series(&metas).expect("plan");
    let err = load_volume(&plan, None).err().expect("a short Pixel Data value must fail the load").to_string();
    assert!(err.contains(&cut.display().to_string()), "error names the file: {err}");
}

#[test]
fn gantry_tilt_with_irregular_spacing_keeps_the_shear_of_the_slice_step() {
    let dir = tempfile::tempdir().unwrap();
    let (s, c) = 15f64.to_radians().sin_cos();
    let iop = [1.0, 0.0, 0.0, 0.0, c, s];
    // Table steps straight along z: 4, 4, 4, 6.5, 4 mm (the 6.5 is neither a step nor a gap).
    let specs: Vec<SliceSpec> = [0.0, 4.0, 8.0, 12.0, 18.5, 22.5]
        .iter()
        .enumerate()
        .map(|(k, &z)| SliceSpec { iop, ..SliceSpec::ct("2.25.115", k, [-5.0, 3.0, z]) })
        .collect();
    write_series(dir.path(), &specs);

    let (plan, volume) = load_dir(dir.path());
    assert!(has_problem(&plan, "non-uniform slice spacing"), "{:?}", plan.problems);
    assert!(has_problem(&plan, "gantry tilt"), "tilt not reported: {:?}", plan.problems);
    // The k axis runs along the table (z), with the median step measured along the normal.
    let k_axis: Vector3<f64> = plan.geometry.axes.column(2).into();
    assert_vec_close(k_axis.normalize(), Vector3::new(0.0, 0.0, 1.0), "k direction follows the table");
    // The regular part (before the odd step) sits exactly at its Image Positions.
    for (k, spec) in specs.iter().enumerate().take(4) {
        assert_corner_at_ipp(&plan, k, spec.ipp);
    }
    for (k, spec) in specs.iter().enumerate() {
        assert_slice_is(&volume, k, spec);
    }
}
