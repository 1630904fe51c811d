//! A row of the project's label table. It lives in the core (not in `project/`) because the undo
//! history keeps label rows as before/after states.

use serde::{Deserialize, Serialize};

/// A row of the label table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Voxel value, 1–255.
    pub value: u8,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    /// Optional coded concept (e.g. SNOMED CT or RadLex): value, scheme, meaning.
    pub code: Option<(String, String, String)>,
    pub visible: bool,
    pub locked: bool,
}
