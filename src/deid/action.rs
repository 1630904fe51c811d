//! Annex E action codes and how combined codes resolve by the attribute's Type in the IOD.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Replace with a non-zero-length dummy consistent with the VR.
    D,
    /// Replace with a zero-length value.
    Z,
    /// Remove.
    X,
    /// Keep (sequences are still cleaned recursively).
    K,
    /// Clean: replace with values of similar meaning without identifying information.
    C,
    /// Replace with an internally consistent new UID.
    U,
    ZD,
    XZ,
    XD,
    XZD,
    /// X/Z/U*: by Type, and U for UIDs inside sequences.
    XZUStar,
}

impl Action {
    pub fn parse(code: &str) -> Option<Action> {
        Some(match code.trim() {
            "D" => Action::D,
            "Z" => Action::Z,
            "X" => Action::X,
            "K" => Action::K,
            "C" => Action::C,
            "U" => Action::U,
            "Z/D" => Action::ZD,
            "X/Z" => Action::XZ,
            "X/D" => Action::XD,
            "X/Z/D" => Action::XZD,
            "X/Z/U*" | "X/Z/U" => Action::XZUStar,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            Action::D => "D",
            Action::Z => "Z",
            Action::X => "X",
            Action::K => "K",
            Action::C => "C",
            Action::U => "U",
            Action::ZD => "Z/D",
            Action::XZ => "X/Z",
            Action::XD => "X/D",
            Action::XZD => "X/Z/D",
            Action::XZUStar => "X/Z/U*",
        }
    }

    pub fn is_combined(self) -> bool {
        matches!(self, Action::ZD | Action::XZ | Action::XD | Action::XZD | Action::XZUStar)
    }

    /// Resolves a combined code. `ty` is the attribute's Type at this place in the IOD, if known;
    /// `may_be_type1` says whether any IOD makes it Type 1 (used when `ty` is unknown, so that
    /// the object stays valid); `in_sequence` selects U for X/Z/U*.
    pub fn resolve(self, ty: Option<AttrType>, may_be_type1: bool, in_sequence: bool) -> Action {
        use AttrType::*;
        match (self, ty) {
            (Action::ZD, Some(Type1)) => Action::D,
            (Action::ZD, Some(_)) => Action::Z,
            (Action::ZD, None) => {
                if may_be_type1 {
                    Action::D
                } else {
                    Action::Z
                }
            }
            (Action::XZ, Some(Type3)) => Action::X,
            (Action::XZ, Some(Type1)) => Action::D,
            (Action::XZ, _) => Action::Z,
            (Action::XD, Some(Type3)) => Action::X,
            (Action::XD, _) => Action::D,
            (Action::XZD, Some(Type1)) => Action::D,
            (Action::XZD, Some(Type2)) => Action::Z,
            (Action::XZD, Some(Type3)) => Action::X,
            (Action::XZD, None) => {
                if may_be_type1 {
                    Action::D
                } else {
                    Action::Z
                }
            }
            (Action::XZUStar, _) if in_sequence => Action::U,
            (Action::XZUStar, Some(Type1)) | (Action::XZUStar, None) => Action::U,
            (Action::XZUStar, Some(Type2)) => Action::Z,
            (Action::XZUStar, Some(Type3)) => Action::X,
            (a, _) => a,
        }
    }
}

/// Attribute Type in an IOD module (1C/2C count as 1/2: when present they must be valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AttrType {
    Type1,
    Type2,
    Type3,
}

impl AttrType {
    pub fn parse(s: &str) -> Option<AttrType> {
        match s.trim() {
            "1" | "1C" => Some(AttrType::Type1),
            "2" | "2C" => Some(AttrType::Type2),
            "3" => Some(AttrType::Type3),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttrType::*;

    #[test]
    fn combined_codes_resolve_by_type_d_or_u_for_type1_z_for_type2_x_for_type3() {
        assert_eq!(Action::ZD.resolve(Some(Type1), false, false), Action::D);
        assert_eq!(Action::ZD.resolve(Some(Type2), false, false), Action::Z);
        assert_eq!(Action::XZ.resolve(Some(Type3), false, false), Action::X);
        assert_eq!(Action::XZ.resolve(Some(Type2), false, false), Action::Z);
        assert_eq!(Action::XD.resolve(Some(Type3), false, false), Action::X);
        assert_eq!(Action::XD.resolve(Some(Type1), false, false), Action::D);
        assert_eq!(Action::XZD.resolve(Some(Type1), false, false), Action::D);
        assert_eq!(Action::XZD.resolve(Some(Type2), false, false), Action::Z);
        assert_eq!(Action::XZD.resolve(Some(Type3), false, false), Action::X);
        assert_eq!(Action::XZUStar.resolve(Some(Type1), false, false), Action::U);
        assert_eq!(Action::XZUStar.resolve(Some(Type2), false, false), Action::Z);
        assert_eq!(Action::XZUStar.resolve(Some(Type3), false, false), Action::X);
    }

    #[test]
    fn uid_in_a_sequence_is_replaced_under_x_z_u_star() {
        assert_eq!(Action::XZUStar.resolve(Some(Type3), false, true), Action::U);
    }

    #[test]
    fn unknown_type_keeps_the_object_valid_rather_than_removing() {
        assert_eq!(Action::ZD.resolve(None, true, false), Action::D);
        assert_eq!(Action::XZD.resolve(None, false, false), Action::Z);
        assert_eq!(Action::XZ.resolve(None, false, false), Action::Z);
        assert_eq!(Action::XD.resolve(None, false, false), Action::D);
    }

    #[test]
    fn every_code_round_trips() {
        for code in ["D", "Z", "X", "K", "C", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"] {
            assert_eq!(Action::parse(code).unwrap().code(), code);
        }
    }
}
