//! Annotation persistence: every finished stroke is committed on its own, so reopening the
//! project (after a crash or a normal exit) gives back the label map and its undo history.

use sumi::annotate::tools::{Brush, dab};
use sumi::annotate::{History, LabelMap, Recorder};
use sumi::project::Project;
use sumi::project::annotations::Label;

const DIMS: [usize; 3] = [512, 512, 300];

fn stroke(map: &mut LabelMap, label: u8, centers: &[[f64; 3]]) -> sumi::annotate::Delta {
    let mut rec = Recorder::default();
    let brush = Brush { radius_mm: 6.0, sphere: true, label, erase: false, range: None, locked: vec![] };
    for c in centers {
        dab(map, &mut rec, [0.7, 0.7, 1.5], *c, &brush, None);
    }
    rec.finish(map)
}

#[test]
fn committed_strokes_and_undo_history_survive_reopening_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.sumi");
    let mut project = Project::open(&file).unwrap();
    let layer = project.create_label_layer("1.2.3", "reader-1", "dr-a", DIMS).unwrap();
    let layers = project.label_layers("1.2.3").unwrap();
    assert_eq!((layers.len(), layers[0].id, layers[0].dims), (1, layer, DIMS));
    assert_eq!((layers[0].annotator.as_str(), layers[0].status.as_str()), ("dr-a", "draft"));
    assert!(project.label_layers("9.9").unwrap().is_empty());
    let mut map = LabelMap::new(DIMS);
    let mut history = History::default();
    for k in 0..20 {
        let y = 100.0 + 10.0 * f64::from(k);
        let delta = stroke(&mut map, 1 + (k % 2) as u8, &[[200.0, y, 150.0], [230.0, y, 152.0]]);
        let id = project.commit_label_edit(layer, &map, &delta, "brush", "dr-a").unwrap();
        history.push(id, delta);
    }
    // Two undos, one redo: the second undo stays undone.
    let a = history.undo(&mut map).unwrap().unwrap();
    project.commit_label_undo(layer, &map, a, true).unwrap();
    let b = history.undo(&mut map).unwrap().unwrap();
    project.commit_label_undo(layer, &map, b, true).unwrap();
    let r = history.redo(&mut map).unwrap().unwrap();
    project.commit_label_undo(layer, &map, r, false).unwrap();
    assert_eq!(r, b);
    let expected: Vec<Option<Vec<u8>>> = (0..DIMS[2]).map(|z| map.slice(z).map(<[u8]>::to_vec)).collect();
    let history_bytes = history.bytes();
    drop(project); // as if the process ended here

    let project = Project::open(&file).unwrap();
    assert_eq!(project.integrity_check().unwrap(), "ok");
    let mut reopened = project.load_label_layer(layer).unwrap();
    for (z, e) in expected.iter().enumerate() {
        assert_eq!(reopened.slice(z).map(<[u8]>::to_vec), *e, "slice {z}");
    }
    let edits = project.label_edits(layer).unwrap();
    assert_eq!(edits.len(), 20);
    assert_eq!(edits.iter().filter(|e| e.undone).count(), 1);
    let mut history = History::restore(edits.into_iter().map(|e| (e.id, e.delta, e.undone)));
    assert_eq!(history.bytes(), history_bytes);
    assert!(history.can_redo());
    history.redo(&mut reopened).unwrap();
    for _ in 0..20 {
        history.undo(&mut reopened).unwrap().unwrap();
    }
    assert_eq!(reopened.bytes_in_memory(), 0, "undoing everything empties the layer");
    // Undo memory follows the change: 20 strokes of two 6 mm balls on a 75 M voxel grid.
    assert!(history_bytes < 200_000, "{history_bytes} bytes of history");
}

#[test]
fn a_new_edit_after_undo_drops_the_stored_redo_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open(&dir.path().join("b.sumi")).unwrap();
    let layer = project.create_label_layer("1.2.3", "consensus", "dr-b", [64, 64, 8]).unwrap();
    let mut map = LabelMap::new([64, 64, 8]);
    let mut history = History::default();
    let d = stroke(&mut map, 1, &[[10.0, 10.0, 2.0]]);
    history.push(project.commit_label_edit(layer, &map, &d, "brush", "dr-b").unwrap(), d);
    let id = history.undo(&mut map).unwrap().unwrap();
    project.commit_label_undo(layer, &map, id, true).unwrap();
    let d = stroke(&mut map, 2, &[[40.0, 40.0, 5.0]]);
    history.push(project.commit_label_edit(layer, &map, &d, "brush", "dr-b").unwrap(), d);
    let edits = project.label_edits(layer).unwrap();
    assert_eq!(edits.len(), 1, "the undone stroke cannot come back after a new one");
    assert!(!history.can_redo());
    assert_eq!(project.load_label_layer(layer).unwrap().get(40, 40, 5), 2);
    assert_eq!(project.load_label_layer(layer).unwrap().get(10, 10, 2), 0);
}

#[test]
fn label_table_changes_are_stored_and_audited_with_the_old_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open(&dir.path().join("c.sumi")).unwrap();
    let tumour = Label {
        value: 1,
        name: "Enhancing tumour".into(),
        colour: "#ff3030".into(),
        code: Some(("4147007".into(), "SCT".into(), "Mass".into())),
        visible: true,
        locked: false,
    };
    project.save_label(&tumour, "dr-a").unwrap();
    let renamed = Label { name: "Glioma, enhancing".into(), locked: true, ..tumour.clone() };
    project.save_label(&renamed, "dr-a").unwrap();
    assert_eq!(project.labels().unwrap(), vec![renamed]);
    let events = sumi::project::audit_events(&project.conn).unwrap();
    let last = events.iter().rfind(|e| e.action == "label").unwrap();
    assert_eq!(last.details["before"]["name"], "Enhancing tumour");
    assert_eq!(last.details["after"]["name"], "Glioma, enhancing");
}

#[test]
fn a_damaged_layer_in_the_database_is_an_error_naming_the_project_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.sumi");
    let mut project = Project::open(&file).unwrap();
    let layer = project.create_label_layer("1.2.3", "x", "dr", [8, 8, 2]).unwrap();
    project.conn.execute("INSERT INTO label_slices (layer_ref, z, rle) VALUES (?1, 1, x'0501')", [layer]).unwrap();
    let e = project.load_label_layer(layer).unwrap_err().to_string();
    assert!(e.contains("d.sumi") && e.contains("slice 1"), "{e}");
    assert!(project.load_label_layer(999).is_err());
}
