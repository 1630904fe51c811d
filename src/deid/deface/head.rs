//! Is this series a head CT/MR with the face in the field of view? Header words first (Body
//! Part Examined, then descriptions), then the geometry: the size of the largest body section
//! and the facial landmarks found on its anterior surface. Every step adds a reason.

use serde::{Deserialize, Serialize};

/// What the headers say about a series (empty for NIfTI, which records none of it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HeadHints {
    /// "CT" or "MR" (anything else is refused); empty: guessed from the values.
    pub modality: String,
    /// Body Part Examined (0018,0015).
    pub body_part: Option<String>,
    /// Study and series descriptions, protocol name.
    pub descriptions: Vec<String>,
}

const HEAD_WORDS: &[&str] =
    &["HEAD", "BRAIN", "SKULL", "NEURO", "CRANI", "CEREB", "FACE", "ORBIT", "SINUS", "IAC", "頭", "脳"];
const BODY_WORDS: &[&str] = &[
    "CHEST", "THORAX", "LUNG", "ABDOMEN", "ABD", "PELVIS", "KNEE", "SPINE", "SHOULDER", "HIP", "ANKLE", "FOOT", "HAND",
    "WRIST", "ELBOW", "BREAST", "HEART", "CARDIAC", "LIVER", "KIDNEY", "LEG", "ARM", "BODY",
];

fn has_word(text: &str, words: &[&'static str]) -> Option<&'static str> {
    let up = text.to_uppercase();
    let tokens: Vec<&str> = up.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    words.iter().copied().find(|w| {
        if w.is_ascii() { tokens.iter().any(|t| t == w || (w.len() >= 5 && t.starts_with(w))) } else { up.contains(w) }
    })
}

/// The header verdict: `Some(true)` head, `Some(false)` another body part, `None` silent.
pub fn header_verdict(h: &HeadHints, reasons: &mut Vec<String>) -> Option<bool> {
    if let Some(bp) = h.body_part.as_deref().filter(|b| !b.trim().is_empty()) {
        if let Some(w) = has_word(bp, HEAD_WORDS) {
            reasons.push(format!("Body Part Examined {bp:?} names the head ({w})"));
            return Some(true);
        }
        if let Some(w) = has_word(bp, BODY_WORDS) {
            reasons.push(format!("Body Part Examined {bp:?} is not the head ({w})"));
            return Some(false);
        }
    }
    for d in &h.descriptions {
        if let Some(w) = has_word(d, HEAD_WORDS) {
            reasons.push(format!("description {d:?} names the head ({w})"));
            return Some(true);
        }
    }
    for d in &h.descriptions {
        if let Some(w) = has_word(d, BODY_WORDS) {
            reasons.push(format!("description {d:?} names another body part ({w})"));
            return Some(false);
        }
    }
    None
}

/// Extent of the largest body section, mm.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct BodyExtent {
    pub left_right: f64,
    pub anterior_posterior: f64,
    pub inferior_superior: f64,
}

/// Whether a section this size can be a head (adult or child; a cropped face shortens AP).
pub fn head_sized(e: &BodyExtent, reasons: &mut Vec<String>) -> bool {
    let ok = (100.0..=230.0).contains(&e.left_right) && (100.0..=280.0).contains(&e.anterior_posterior);
    reasons.push(format!(
        "largest body section {:.0} mm left-right × {:.0} mm anterior-posterior: {}",
        e.left_right,
        e.anterior_posterior,
        if ok { "head-sized" } else { "not head-sized" }
    ));
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(bp: Option<&str>, desc: &[&str]) -> HeadHints {
        HeadHints {
            modality: "CT".into(),
            body_part: bp.map(String::from),
            descriptions: desc.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn body_part_examined_decides_before_descriptions() {
        let mut r = Vec::new();
        assert_eq!(header_verdict(&hints(Some("KNEE"), &["HEAD PHANTOM"]), &mut r), Some(false));
        assert_eq!(header_verdict(&hints(Some("HEAD"), &["CHEST"]), &mut r), Some(true));
        assert!(r.iter().all(|s| s.contains("Body Part Examined")));
    }

    #[test]
    fn descriptions_name_the_head_by_whole_words_only() {
        let mut r = Vec::new();
        assert_eq!(header_verdict(&hints(None, &["CLINICAL BRAIN"]), &mut r), Some(true));
        assert_eq!(header_verdict(&hints(None, &["CT THORAX 1.0"]), &mut r), Some(false));
        // "ABDOMINAL" starts with ABD but is short; "HEADER" starts with HEAD (4 letters: whole word only).
        assert_eq!(header_verdict(&hints(None, &["HEADER TEST"]), &mut r), None);
        assert_eq!(header_verdict(&hints(None, &["頭部 単純"]), &mut r), Some(true));
    }

    #[test]
    fn chest_sized_section_is_not_a_head() {
        let mut r = Vec::new();
        let chest = BodyExtent { left_right: 340.0, anterior_posterior: 230.0, inferior_superior: 300.0 };
        assert!(!head_sized(&chest, &mut r));
        let head = BodyExtent { left_right: 150.0, anterior_posterior: 190.0, inferior_superior: 220.0 };
        assert!(head_sized(&head, &mut r));
    }
}
