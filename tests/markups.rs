//! Measurement markups and the one undo history: markups persist across reopening, a label
//! rename undone stays undone after a restart, label/markup steps interleave with voxel edits in
//! the order they were made, and measurements on an oblique, anisotropic, tilted grid match
//! values computed by hand.

use nalgebra::{Matrix3, Point3, Rotation3, Vector3};
use sumi::annotate::markup::measure;
use sumi::annotate::tools::{Brush, dab};
use sumi::annotate::{History, Label, LabelMap, Markup, MarkupKind, Recorder, Step};
use sumi::project::Project;
use sumi::volume::Geometry;

const SERIES: &str = "1.2.840.1";

fn markup(kind: MarkupKind) -> Markup {
    Markup {
        id: 0,
        series_uid: SERIES.into(),
        kind,
        label: None,
        note: String::new(),
        author: String::new(),
        created: String::new(),
    }
}

fn label(value: u8, name: &str) -> Label {
    Label { value, name: name.into(), colour: "#ff4040".into(), code: None, visible: true, locked: false }
}

#[test]
fn markups_persist_across_reopening_and_deleted_ones_are_flagged_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.sumi");
    let mut p = Project::open(&file).unwrap();
    let (line, _) =
        p.add_markup(&markup(MarkupKind::Line { a: [1.0, 2.0, 3.0], b: [10.5, 2.0, 3.0] }), "dr-a").unwrap();
    let (bx, _) =
        p.add_markup(&markup(MarkupKind::Box { min: [4.0, 4.0, 7.0], max: [9.0, 12.0, 7.0] }), "dr-a").unwrap();
    let (pt, _) = p.add_markup(&markup(MarkupKind::Point { at: [5.0, 6.0, 7.0], name: "tip".into() }), "dr-b").unwrap();
    assert!(line.id > 0 && line.author == "dr-a" && !line.created.is_empty());
    let moved =
        Markup { kind: MarkupKind::Line { a: [1.0, 2.0, 3.0], b: [20.0, 2.0, 3.0] }, note: "RUL".into(), ..line };
    p.update_markup(&moved, "dr-a").unwrap();
    p.delete_markup(pt.id, "dr-b").unwrap();
    let bad = markup(MarkupKind::Point { at: [f64::NAN, 0.0, 0.0], name: String::new() });
    assert!(p.add_markup(&bad, "dr-a").is_err(), "a non-finite point is refused");
    drop(p);

    let p = Project::open(&file).unwrap();
    assert_eq!(p.integrity_check().unwrap(), "ok");
    assert_eq!(p.markups(SERIES).unwrap(), vec![moved.clone(), bx]);
    assert!(p.markups("9.9").unwrap().is_empty());
    assert_eq!(p.markup(pt.id).unwrap().map(|(_, deleted)| deleted), Some(true), "kept, flagged deleted");
    let actions: Vec<String> = sumi::project::audit_events(&p.conn).unwrap().into_iter().map(|e| e.action).collect();
    for a in ["add-markup", "update-markup", "delete-markup"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
}

#[test]
fn an_undone_label_rename_stays_undone_after_reopening_and_can_be_redone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.sumi");
    let mut p = Project::open(&file).unwrap();
    p.edit_label(&label(1, "Tumour"), SERIES, "dr-a").unwrap();
    let step = p.edit_label(&label(1, "Liver"), SERIES, "dr-a").unwrap();
    assert_eq!(p.labels().unwrap()[0].name, "Liver");
    let undone = p.commit_step_undo(step, true, "dr-a").unwrap();
    assert_eq!(undone, Step::Label { before: Some(label(1, "Tumour")), after: Some(label(1, "Liver")) });
    drop(p);

    let mut p = Project::open(&file).unwrap();
    assert_eq!(p.labels().unwrap()[0].name, "Tumour", "the rename is undone after a restart");
    let steps = p.undo_history(SERIES, "dr-a", None).unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!((steps[0].2, steps[1].0, steps[1].2), (false, step, true), "the rename is the redo stack");
    assert!(p.undo_history(SERIES, "dr-b", None).unwrap().is_empty(), "histories are per annotator");
    let mut history = History::restore(steps);
    let mut map = LabelMap::new([4, 4, 4]);
    let (id, redone) = history.redo_step(&mut map).unwrap().unwrap();
    assert!(matches!(redone, Step::Label { after: Some(l), .. } if l.name == "Liver"));
    p.commit_step_undo(id, false, "dr-a").unwrap();
    assert_eq!(p.labels().unwrap()[0].name, "Liver");
    // Deleting the label and undoing it brings the row back.
    let del = p.delete_label(1, SERIES, "dr-a").unwrap();
    assert!(p.labels().unwrap().is_empty());
    p.commit_step_undo(del, true, "dr-a").unwrap();
    assert_eq!(p.labels().unwrap(), vec![label(1, "Liver")]);
}

#[test]
fn label_and_markup_steps_interleave_with_strokes_and_a_new_step_drops_every_redo() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::open(&dir.path().join("h.sumi")).unwrap();
    let dims = [64, 64, 8];
    let layer = p.create_label_layer(SERIES, "dr-a", "dr-a", dims).unwrap();
    let mut map = LabelMap::new(dims);
    let stroke = |map: &mut LabelMap, x: f64| {
        let mut rec = Recorder::default();
        let b = Brush { radius_mm: 3.0, sphere: false, label: 1, erase: false, range: None, locked: vec![] };
        dab(map, &mut rec, [1.0, 1.0, 1.0], [x, 20.0, 3.0], &b, None);
        rec.finish(map)
    };
    let d1 = stroke(&mut map, 10.0);
    let e1 = p.commit_label_edit(layer, &map, &d1, "brush", "dr-a").unwrap();
    let s1 = p.edit_label(&label(1, "Nodule"), SERIES, "dr-a").unwrap();
    let d2 = stroke(&mut map, 30.0);
    let e2 = p.commit_label_edit(layer, &map, &d2, "brush", "dr-a").unwrap();
    let (m, s2) = p.add_markup(&markup(MarkupKind::Line { a: [0.0; 3], b: [5.0, 0.0, 0.0] }), "dr-a").unwrap();
    let kinds = |p: &Project| -> Vec<(i64, &'static str, bool)> {
        let steps = p.undo_history(SERIES, "dr-a", Some(layer)).unwrap();
        steps
            .into_iter()
            .map(|(id, s, u)| {
                let k = match s {
                    Step::Voxels(_) => "voxels",
                    Step::Label { .. } => "label",
                    Step::Markup { .. } => "markup",
                };
                (id, k, u)
            })
            .collect()
    };
    assert_eq!(
        kinds(&p),
        vec![(e1, "voxels", false), (s1, "label", false), (e2, "voxels", false), (s2, "markup", false)]
    );
    // Undo the markup and the second stroke, then rename: both redo entries are gone.
    p.commit_step_undo(s2, true, "dr-a").unwrap();
    assert!(p.markups(SERIES).unwrap().is_empty(), "undoing the add hides the markup");
    d2.revert(&mut map).unwrap();
    p.commit_label_undo(layer, &map, e2, true).unwrap();
    assert_eq!(kinds(&p)[2..], [(e2, "voxels", true), (s2, "markup", true)]);
    let s3 = p.edit_label(&label(1, "Mass"), SERIES, "dr-a").unwrap();
    assert_eq!(kinds(&p), vec![(e1, "voxels", false), (s1, "label", false), (s3, "label", false)]);
    assert_eq!(p.markup(m.id).unwrap().map(|(_, d)| d), Some(true));
    // A stroke after an undone rename drops the rename's redo too.
    p.commit_step_undo(s3, true, "dr-a").unwrap();
    let d4 = stroke(&mut map, 40.0);
    let e4 = p.commit_label_edit(layer, &map, &d4, "brush", "dr-a").unwrap();
    assert_eq!(kinds(&p), vec![(e1, "voxels", false), (s1, "label", false), (e4, "voxels", false)]);
}

/// Axes 0.7 × 0.9 mm in plane, 2.5 mm slices tilted 20° towards +j (gantry tilt), the whole grid
/// rotated 30° about the patient's z and 10° about x.
fn tilted_grid() -> (Geometry, f64) {
    let t = 20f64.to_radians();
    let local = Matrix3::from_columns(&[
        Vector3::new(0.7, 0.0, 0.0),
        Vector3::new(0.0, 0.9, 0.0),
        Vector3::new(0.0, 2.5 * t.sin(), 2.5 * t.cos()),
    ]);
    let r = Rotation3::from_euler_angles(10f64.to_radians(), 0.0, 30f64.to_radians());
    let g = Geometry { dims: [64, 64, 20], origin: Point3::new(-40.0, 12.0, 300.0), axes: r.matrix() * local };
    (g, t)
}

#[test]
fn measurements_on_an_oblique_anisotropic_tilted_grid_match_hand_computed_values() {
    let (g, t) = tilted_grid();
    let close = |a: f64, b: f64, what: &str| assert!((a - b).abs() < 1e-9, "{what}: {a} vs {b}");
    // In plane: 3 columns and 4 rows.
    let m = measure(&g, &MarkupKind::Line { a: [2.0, 3.0, 5.0], b: [5.0, 7.0, 5.0] }, None);
    close(m.length_mm.unwrap(), (2.1f64.powi(2) + 3.6f64.powi(2)).sqrt(), "in-plane length");
    // Across slices: 2 rows and 2 slices, the slice step leaning 20° towards the rows.
    let m = measure(&g, &MarkupKind::Line { a: [0.0; 3], b: [0.0, 2.0, 2.0] }, None);
    let hand = ((1.8 + 5.0 * t.sin()).powi(2) + (5.0 * t.cos()).powi(2)).sqrt();
    close(m.length_mm.unwrap(), hand, "through-slice length");
    // Angles at a vertex between the column axis, the row axis and the slice axis.
    let angle = |a, b| measure(&g, &MarkupKind::Angle { a, vertex: [5.0; 3], b }, None).angle_deg.unwrap();
    close(angle([9.0, 5.0, 5.0], [5.0, 5.0, 8.0]), 90.0, "columns ⟂ slices");
    close(angle([5.0, 9.0, 5.0], [5.0, 5.0, 8.0]), 70.0, "rows vs tilted slices");
    close(angle([9.0, 5.0, 5.0], [9.0, 9.0, 5.0]), (3.6f64 / 2.8).atan().to_degrees(), "diagonal in plane");
    // Boxes: axial (k flat), sagittal-like (i flat) and 3D.
    let b = |min, max| measure(&g, &MarkupKind::Box { min, max }, None);
    let axial = b([1.5, 1.5, 4.0], [11.5, 21.5, 4.0]);
    close(axial.area_mm2.unwrap(), 10.0 * 0.7 * 20.0 * 0.9, "axial box area");
    let sag = b([6.0, 0.5, 0.5], [6.0, 4.5, 6.5]);
    close(sag.area_mm2.unwrap(), 4.0 * 0.9 * 6.0 * 2.5 * t.cos(), "i-flat box area (sheared)");
    let cube = b([0.5, 0.5, 0.5], [10.5, 20.5, 4.5]);
    close(cube.volume_ml.unwrap(), 10.0 * 0.7 * 20.0 * 0.9 * 4.0 * 2.5 * t.cos() / 1000.0, "box volume");
    let size = cube.size_mm.unwrap();
    close(size[0], 7.0, "width");
    close(size[1], 18.0, "height");
    close(size[2], 10.0, "depth along the tilted slice axis");
}

#[test]
fn the_cli_lists_markups_with_measurements_and_label_statistics_as_json_and_csv() {
    use std::process::Command;
    use sumi::dicom::{InstanceMeta, scan_paths};
    use sumi::project::import_scan;
    let dir = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(dir.path()).unwrap();
    let scan = scan_paths(&[demo], &|_, _| {});
    let file = dir.path().join("c.sumi");
    let mut p = Project::open(&file).unwrap();
    import_scan(&mut p, &scan, "importer", &[]).unwrap();
    let ct: Vec<&InstanceMeta> = scan.instances.iter().filter(|m| m.modality.as_deref() == Some("CT")).collect();
    let uid = ct[0].series_uid.clone();
    let volume = sumi::volume::load_volume(&sumi::volume::plan_series(&ct).unwrap(), None).unwrap();
    let s = volume.geometry.spacing();
    // A 2D box over voxels 100..=139 × 110..=129 of slice 90, and a line 30 columns long.
    let bx = Markup {
        series_uid: uid.clone(),
        note: "brain \"ROI\"".into(),
        ..markup(MarkupKind::Box { min: [99.5, 109.5, 90.0], max: [139.5, 129.5, 90.0] })
    };
    let (bx, _) = p.add_markup(&bx, "dr-a").unwrap();
    let line =
        Markup { series_uid: uid.clone(), ..markup(MarkupKind::Line { a: [10.0, 20.0, 5.0], b: [40.0, 20.0, 5.0] }) };
    p.add_markup(&line, "dr-a").unwrap();
    drop(p);
    let (mut sum, mut n) = (0.0, 0u64);
    for j in 110..130 {
        for i in 100..140 {
            sum += volume.at(i, j, 90);
            n += 1;
        }
    }

    let run = |fmt: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_sumi"))
            .args(["labels", "measurements", "--project", file.to_str().unwrap(), "--series", &uid, fmt])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run("--json")).unwrap();
    let markups = &json["series"][0]["markups"];
    assert_eq!(markups.as_array().unwrap().len(), 2);
    assert_eq!(markups[0]["markup"]["id"], bx.id);
    let m = &markups[0]["measurement"];
    let area = m["area_mm2"].as_f64().unwrap();
    assert!((area - 40.0 * s[0] * 20.0 * s[1]).abs() < 1e-6, "{area} mm²");
    assert_eq!(m["stats"]["voxels"], n);
    assert!((m["stats"]["mean"].as_f64().unwrap() - sum / n as f64).abs() < 1e-6);
    let length = markups[1]["measurement"]["length_mm"].as_f64().unwrap();
    assert!((length - 30.0 * s[0]).abs() < 1e-9, "{length} mm");
    let csv = run("--csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains(",markup,") && lines[1].contains("\"brain \"\"ROI\"\"\""), "{}", lines[1]);
    assert!(lines[2].contains(&format!("{:.4}", 30.0 * s[0])), "{}", lines[2]);
}
