//! The shown label layer of the open series: this annotator's own unless another was chosen in
//! the review section; loaded with its undo history from the project, created there on the
//! first stroke, and written back one transaction per edit. Edits are refused (with a message)
//! while the layer is submitted or approved.

use std::path::Path;

use crate::annotate::{Delta, History, LabelMap, Recorder, Step};
use crate::project::default_actor;

use super::super::app::SumiApp;
use super::super::i18n::{Lang, tr};
use super::Annotate;

pub struct Layer {
    pub series_uid: String,
    /// The layer's row in the project; `None` until the first stroke (or without a project).
    pub id: Option<i64>,
    pub map: LabelMap,
    pub history: History,
    /// Bumped on every change of `map` (overlay caches and statistics follow it).
    pub revision: u64,
    /// The layer's name and annotator in the project (this user's until stored otherwise).
    pub name: String,
    pub annotator: String,
    /// Sign-off status: draft, submitted, approved or changes-requested.
    pub status: String,
    /// Ids for edits kept only in memory (no project): negative, counting down.
    local_id: i64,
}

impl Layer {
    /// An id for a step kept only in memory (no project): negative, counting down.
    pub(super) fn next_local_id(&mut self) -> i64 {
        self.local_id -= 1;
        self.local_id
    }

    fn empty(series_uid: &str, dims: [usize; 3]) -> Layer {
        Layer {
            series_uid: series_uid.to_string(),
            id: None,
            map: LabelMap::new(dims),
            history: History::default(),
            revision: 0,
            name: default_actor(),
            annotator: default_actor(),
            status: "draft".into(),
            local_id: 0,
        }
    }

    /// Whether the sign-off status allows edits (draft or changes requested), as the core enforces.
    pub fn editable(&self) -> bool {
        matches!(self.status.as_str(), "draft" | "changes-requested")
    }
}

/// Refuses an edit of a submitted or approved layer with a message; true when editing may go on.
pub(super) fn may_edit(app: &mut SumiApp) -> bool {
    match &app.annotate.layer {
        Some(l) if !l.editable() => {
            app.annotate.message = Some(format!("{} ({})", tr(app.lang, "review.locked"), l.status));
            false
        }
        _ => true,
    }
}

/// Makes `annotate.layer` the layer of the loaded series (loading it when the series changed).
pub(super) fn sync(app: &mut SumiApp) {
    let Some(l) = &app.viewer.loaded else {
        app.annotate.layer = None;
        return;
    };
    let (uid, dims) = (l.series_uid.clone(), l.plan.geometry.dims);
    let switch = app.annotate.review.switch_to.take();
    if switch.is_none() && app.annotate.layer.as_ref().is_some_and(|x| x.series_uid == uid && x.map.dims() == dims) {
        return;
    }
    app.annotate.stroke = None;
    app.annotate.message = None;
    let project = app.project.clone();
    match load(&mut app.annotate, project.as_deref(), &uid, dims, app.lang, switch) {
        Ok(layer) => app.annotate.layer = Some(layer),
        Err(e) => {
            app.problems.push(e);
            app.annotate.layer = Some(Layer::empty(&uid, dims));
        }
    }
}

fn load(
    a: &mut Annotate,
    project: Option<&Path>,
    uid: &str,
    dims: [usize; 3],
    lang: Lang,
    want: Option<i64>,
) -> Result<Layer, String> {
    let mut layer = Layer::empty(uid, dims);
    let Some(db) = a.db(project) else { return Ok(layer) };
    let db = db.map_err(|e| e.to_string())?;
    let me = default_actor();
    let layers = db.label_layers(uid).map_err(|e| e.to_string())?;
    // The chosen layer, else my own (named after me; any of mine for layers stored otherwise).
    let chosen = match want {
        Some(id) => layers.iter().find(|i| i.id == id),
        None => layers
            .iter()
            .find(|i| i.annotator == me && i.name == me)
            .or_else(|| layers.iter().find(|i| i.annotator == me && i.name != super::review::CONSENSUS)),
    };
    let Some(info) = chosen.cloned() else {
        // No layer yet: label-table and markup steps have a history all the same.
        layer.history = History::restore(db.undo_history(uid, &me, None).map_err(|e| e.to_string())?);
        return Ok(layer);
    };
    if info.dims != dims {
        return Err(format!(
            "{}: {} ({} {:?} ≠ {:?})",
            db.path,
            tr(lang, "annot.layer_mismatch"),
            info.name,
            info.dims,
            dims
        ));
    }
    layer.map = db.load_label_layer(info.id).map_err(|e| e.to_string())?;
    layer.id = Some(info.id);
    // Strokes, label-table and markup steps in the order they were made.
    layer.history = History::restore(db.undo_history(uid, &me, layer.id).map_err(|e| e.to_string())?);
    (layer.name, layer.annotator, layer.status) = (info.name, info.annotator, info.status);
    Ok(layer)
}

/// Commits a finished edit (one stroke, fill or operation): creates the layer in the project on
/// the first one, writes the changed slices and the delta in one transaction and pushes the
/// undo step. If the project refuses it the edit is taken back, so the screen shows what is stored.
pub(super) fn commit(app: &mut SumiApp, delta: Delta, kind: &str) {
    let project = app.project.clone();
    let a = &mut app.annotate;
    let Some(mut layer) = a.layer.take() else { return };
    if !delta.is_empty() {
        let me = default_actor();
        let stored = match a.db(project.as_deref()) {
            None => {
                layer.local_id -= 1;
                Ok(layer.local_id)
            }
            Some(Err(e)) => Err(e),
            Some(Ok(db)) => {
                let id = match layer.id {
                    Some(id) => Ok(id),
                    None => db.create_label_layer(&layer.series_uid, &layer.name, &layer.annotator, layer.map.dims()),
                };
                id.and_then(|id| {
                    layer.id = Some(id);
                    db.commit_label_edit(id, &layer.map, &delta, kind, &me)
                })
            }
        };
        match stored {
            Ok(id) => layer.history.push(id, delta),
            Err(e) => {
                let _ = delta.revert(&mut layer.map);
                app.problems.push(e.to_string());
            }
        }
    }
    layer.revision += 1;
    app.annotate.layer = Some(layer);
}

/// Runs an operation on the whole layer as one edit (one undo step). Returns what the operation
/// returned (the voxels it changed), `None` when it could not run.
pub(super) fn operate(
    app: &mut SumiApp,
    kind: &str,
    op: impl FnOnce(&mut LabelMap, &mut Recorder) -> usize,
) -> Option<usize> {
    if app.annotate.stroke.is_some() || !may_edit(app) {
        return None;
    }
    let layer = app.annotate.layer.as_mut()?;
    let mut rec = Recorder::default();
    let changed = op(&mut layer.map, &mut rec);
    let delta = rec.finish(&layer.map);
    commit(app, delta, kind);
    Some(changed)
}

/// Undoes (or redoes) the last step and records it in the project: a stroke on the layer, a
/// label-table change or a markup change.
pub(super) fn undo(app: &mut SumiApp, redo: bool) {
    let project = app.project.clone();
    let lang = app.lang;
    if app.annotate.stroke.is_some() || !may_edit(app) {
        return;
    }
    let a = &mut app.annotate;
    let Some(mut layer) = a.layer.take() else { return };
    let step = if redo { layer.history.redo_step(&mut layer.map) } else { layer.history.undo_step(&mut layer.map) };
    // Label and markup steps: the state to put back (voxels are already back on the map).
    let step = step.map(|s| s.map(|(id, s)| (id, (!matches!(s, Step::Voxels(_))).then(|| s.clone()))));
    layer.revision += 1;
    app.annotate.layer = Some(layer);
    match step {
        Ok(Some((id, None))) if id > 0 => {
            let a = &mut app.annotate;
            let layer = a.layer.as_ref().expect("put back above");
            let recorded = match (a.db.as_mut(), layer.id) {
                (Some(db), Some(layer_id)) => db.commit_label_undo(layer_id, &layer.map, id, !redo),
                _ => Ok(()),
            };
            if let Err(e) = recorded {
                app.problems.push(format!("{}: {e}", tr(lang, "annot.undo")));
            }
        }
        Ok(Some((id, Some(step)))) => {
            match &step {
                Step::Label { before, after } => {
                    let state = if redo { after } else { before };
                    let value = before.as_ref().or(after.as_ref()).map_or(0, |l| l.value);
                    super::set_label_state(app, value, state.as_ref());
                }
                Step::Markup { before, after } => {
                    let state = if redo { after } else { before };
                    let mid = before.as_ref().or(after.as_ref()).map_or(0, |m| m.id);
                    super::markups::set_state(app, mid, state.as_ref());
                }
                Step::Voxels(_) => {}
            }
            if id > 0
                && let Some(Err(e)) = app
                    .annotate
                    .db(project.as_deref())
                    .map(|r| r.and_then(|db| db.commit_step_undo(id, !redo, &default_actor())))
            {
                app.problems.push(format!("{}: {e}", tr(lang, "annot.undo")));
            }
        }
        Ok(_) => {}
        Err(e) => app.problems.push(format!("{}: {e}", tr(lang, "annot.undo"))),
    }
}
