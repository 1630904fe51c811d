//! Undo and redo of a layer's edits. Each step is a [`Delta`] with the id its edit has in the
//! project database, so that undoing is recorded there too and survives a restart.

use super::edit::Delta;
use super::labelmap::LabelMap;
use super::rle::RleError;

#[derive(Default)]
pub struct History {
    done: Vec<(i64, Delta)>,
    undone: Vec<(i64, Delta)>,
}

impl History {
    /// Rebuilds the history from stored edits, oldest first: `(id, delta, undone)`.
    pub fn restore(edits: impl IntoIterator<Item = (i64, Delta, bool)>) -> History {
        let mut h = History::default();
        for (id, delta, undone) in edits {
            if undone {
                h.undone.push((id, delta));
            } else {
                h.done.push((id, delta));
            }
        }
        // The redo stack pops the earliest undone edit last.
        h.undone.reverse();
        h
    }

    /// A new edit: the redo stack is dropped.
    pub fn push(&mut self, id: i64, delta: Delta) {
        self.undone.clear();
        self.done.push((id, delta));
    }

    /// Reverts the last edit on `map`; returns its id.
    pub fn undo(&mut self, map: &mut LabelMap) -> Result<Option<i64>, RleError> {
        let Some((id, delta)) = self.done.pop() else { return Ok(None) };
        delta.revert(map)?;
        self.undone.push((id, delta));
        Ok(Some(id))
    }

    /// Re-applies the last undone edit on `map`; returns its id.
    pub fn redo(&mut self, map: &mut LabelMap) -> Result<Option<i64>, RleError> {
        let Some((id, delta)) = self.undone.pop() else { return Ok(None) };
        delta.apply(map)?;
        self.done.push((id, delta));
        Ok(Some(id))
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }

    /// Memory the history holds (encoded deltas).
    pub fn bytes(&self) -> usize {
        self.done.iter().chain(&self.undone).map(|(_, d)| d.bytes()).sum()
    }
}
