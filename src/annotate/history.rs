//! Undo and redo of an annotator's work on a series, as one history: voxel edits (one stroke,
//! fill or operation = one [`Delta`]), label-table edits (add, rename, colour, visibility, lock,
//! delete: the row before and after) and markup edits (add, move or change, delete: the markup
//! before and after). Each step keeps the id it has in the project database (voxel edits in
//! `annotation_edits`, the others in `annotation_undo`), so undoing is recorded there too and
//! the history survives a restart.
//!
//! Review decisions (submit, approve, request changes) are not steps: once recorded a decision is
//! immutable, and a later decision supersedes it (see `project::annotation_review`).

use super::edit::Delta;
use super::label_table::Label;
use super::labelmap::LabelMap;
use super::markup::Markup;
use super::rle::RleError;

/// One undoable step. `before: None` means the thing was created by the step, `after: None`
/// that it was deleted.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Voxels(Delta),
    Label { before: Option<Label>, after: Option<Label> },
    Markup { before: Option<Markup>, after: Option<Markup> },
}

impl From<Delta> for Step {
    fn from(d: Delta) -> Step {
        Step::Voxels(d)
    }
}

impl Step {
    fn bytes(&self) -> usize {
        match self {
            Step::Voxels(d) => d.bytes(),
            _ => std::mem::size_of::<Step>(),
        }
    }
}

#[derive(Default)]
pub struct History {
    done: Vec<(i64, Step)>,
    undone: Vec<(i64, Step)>,
}

impl History {
    /// Rebuilds the history from stored steps, oldest first: `(id, step, undone)`.
    pub fn restore<S: Into<Step>>(steps: impl IntoIterator<Item = (i64, S, bool)>) -> History {
        let mut h = History::default();
        for (id, step, undone) in steps {
            if undone {
                h.undone.push((id, step.into()));
            } else {
                h.done.push((id, step.into()));
            }
        }
        // The redo stack pops the earliest undone step last.
        h.undone.reverse();
        h
    }

    /// A new step: the redo stack is dropped.
    pub fn push(&mut self, id: i64, step: impl Into<Step>) {
        self.undone.clear();
        self.done.push((id, step.into()));
    }

    /// Takes back the last step: a voxel step is reverted on `map`; the others are returned for
    /// the caller to restore their `before` state. Returns its id and the step.
    pub fn undo_step(&mut self, map: &mut LabelMap) -> Result<Option<(i64, &Step)>, RleError> {
        let Some((id, step)) = self.done.pop() else { return Ok(None) };
        if let Step::Voxels(delta) = &step
            && let Err(e) = delta.revert(map)
        {
            self.done.push((id, step));
            return Err(e);
        }
        self.undone.push((id, step));
        Ok(self.undone.last().map(|(id, s)| (*id, s)))
    }

    /// Re-applies the last undone step (voxels on `map`; the caller restores the others' `after`).
    pub fn redo_step(&mut self, map: &mut LabelMap) -> Result<Option<(i64, &Step)>, RleError> {
        let Some((id, step)) = self.undone.pop() else { return Ok(None) };
        if let Step::Voxels(delta) = &step
            && let Err(e) = delta.apply(map)
        {
            self.undone.push((id, step));
            return Err(e);
        }
        self.done.push((id, step));
        Ok(self.done.last().map(|(id, s)| (*id, s)))
    }

    /// Reverts the last step on `map`; returns its id.
    pub fn undo(&mut self, map: &mut LabelMap) -> Result<Option<i64>, RleError> {
        Ok(self.undo_step(map)?.map(|(id, _)| id))
    }

    /// Re-applies the last undone step on `map`; returns its id.
    pub fn redo(&mut self, map: &mut LabelMap) -> Result<Option<i64>, RleError> {
        Ok(self.redo_step(map)?.map(|(id, _)| id))
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }

    /// Memory the history holds (encoded deltas).
    pub fn bytes(&self) -> usize {
        self.done.iter().chain(&self.undone).map(|(_, s)| s.bytes()).sum()
    }
}
