//! The conformance statement shipped with every export: in plain text, which attributes the
//! active profile removes, replaces, cleans or keeps and why, and what was done to the pixels.
//! Generated from the same declarations the de-identification engine applies.

use std::fmt::Write;

use crate::deid::action::Action;
use crate::deid::profile::{AgeMode, BirthDateMode, PatientIdMode, SizeWeightMode};
use crate::deid::table::annex_e;
use crate::deid::{Deidentifier, Profile, Vault};

fn heading(action: Action) -> &'static str {
    match action {
        Action::X => "Removed (X)",
        Action::Z => "Replaced with an empty value (Z)",
        Action::D => "Replaced with a dummy value (D)",
        Action::U => "Replaced with a new UID, consistent across the export (U)",
        Action::C => "Cleaned: replaced with values of similar meaning without identity (C)",
        Action::K => "Kept (K)",
        _ => {
            "Removed, emptied or replaced according to the attribute's Type in each IOD (X/Z, Z/D, X/D, X/Z/D, X/Z/U*)"
        }
    }
}

/// Order of the sections: what leaves nothing first, what is kept last.
const ORDER: &[Action] = &[Action::X, Action::Z, Action::D, Action::U, Action::C, Action::XZ, Action::K];

fn section_of(a: Action) -> Action {
    if a.is_combined() { Action::XZ } else { a }
}

/// The statement for `profile`, with a line per Annex E attribute and per override.
pub fn conformance_statement(profile: &Profile, software: &str, pixel_notes: &[String]) -> Result<String, String> {
    let vault = Vault::in_memory();
    let deid = Deidentifier::new(profile, &vault)?;
    let mut out = String::new();
    let _ = writeln!(out, "De-identification conformance statement");
    let _ = writeln!(out, "========================================\n");
    let _ = writeln!(out, "Software: {software}");
    let _ = writeln!(out, "Profile: {} version {}", profile.name, profile.version);
    if !profile.description.is_empty() {
        let _ = writeln!(out, "  {}", profile.description);
    }
    let options: Vec<&str> = profile.options.iter().map(|o| o.code().1).collect();
    let _ = writeln!(
        out,
        "PS3.15 Basic Application Level Confidentiality Profile with options: {}",
        if options.is_empty() { "none".into() } else { options.join(", ") }
    );
    let _ = writeln!(
        out,
        "Patient Identity Removed (0012,0062) = YES; De-identification Method (0012,0063): {}",
        profile.method_description().join("; ")
    );
    let _ = writeln!(out, "\nPatient-level rules");
    let _ = writeln!(
        out,
        "- Patient ID: {}",
        match profile.patient_id {
            PatientIdMode::Table => "as Table E.1-1 says",
            PatientIdMode::Pseudonym =>
                "a random pseudonym; the key (pseudonym → original ID) stays in the key vault, not in the export",
            PatientIdMode::Random => "a random ID for this export only; no key is kept",
        }
    );
    let _ = writeln!(
        out,
        "- Birth date: {}",
        match profile.birth_date {
            BirthDateMode::Table => "as Table E.1-1 says",
            BirthDateMode::Keep => "kept, as the purpose of use needs it",
            BirthDateMode::Remove => "removed",
            BirthDateMode::YearMonth => "generalised to year and month (day 01)",
            BirthDateMode::Year => "generalised to the year",
        }
    );
    let _ = writeln!(
        out,
        "- Age: {}",
        match profile.age {
            AgeMode::Table => "as Table E.1-1 says",
            AgeMode::Band10 => "10-year bands (under 40 as 000Y, 90 and over as 090Y)",
            AgeMode::Keep => "kept, as the purpose of use needs it",
        }
    );
    let _ = writeln!(
        out,
        "- Size and weight: {}",
        match profile.size_weight {
            SizeWeightMode::Table => "as Table E.1-1 says",
            SizeWeightMode::Band => "banded",
        }
    );
    let _ = writeln!(
        out,
        "- Private attributes: removed{}",
        if profile.safe_private_list().is_empty() {
            String::new()
        } else {
            format!(", except {} numeric attributes on the safe-private list", profile.safe_private_list().len())
        }
    );
    let _ = writeln!(
        out,
        "- Dates and times not listed in Table E.1-1: by VR ({})",
        if profile.has(crate::deid::ProfileOption::RetainLongFullDates) {
            "kept"
        } else if profile.has(crate::deid::ProfileOption::RetainLongModifiedDates) {
            "shifted by a random per-patient offset kept in the key vault"
        } else {
            "emptied"
        }
    );
    let _ = writeln!(out, "\nPixel data");
    for note in pixel_notes {
        let _ = writeln!(out, "- {note}");
    }
    let mut rows: Vec<(Action, String, String)> = Vec::new();
    for row in &annex_e().rows {
        let tag = row.pattern.example();
        if let Some((action, reason)) = deid.declared_action(tag) {
            // "PS3.15 Basic Profile: Patient's Name" → "PS3.15 Basic Profile": the name is already on the line.
            let why = reason.strip_suffix(&format!(": {}", row.name)).unwrap_or(&reason).to_string();
            rows.push((action, format!("{} {}", pattern_text(row), row.name), why));
        }
    }
    for o in profile.compiled_overrides()? {
        if !annex_e().rows.iter().any(|r| r.pattern == o.pattern) {
            rows.push((o.action, format!("{} (profile override)", pattern_text_of(&o.pattern)), o.reason.clone()));
        }
    }
    for section in ORDER {
        let in_section: Vec<&(Action, String, String)> = rows.iter().filter(|r| section_of(r.0) == *section).collect();
        if in_section.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} — {} attribute(s)", heading(*section), in_section.len());
        for (action, what, why) in in_section {
            let _ = writeln!(out, "- [{}] {what}: {why}", action.code());
        }
    }
    Ok(out)
}

fn pattern_text(row: &crate::deid::table::AnnexRow) -> String {
    pattern_text_of(&row.pattern)
}

fn pattern_text_of(p: &crate::deid::table::TagPattern) -> String {
    let hex = |v: u16, mask: u16| -> String {
        (0..4)
            .rev()
            .map(|i| {
                let nibble_mask = (mask >> (i * 4)) & 0xF;
                if nibble_mask == 0 {
                    'x'
                } else {
                    char::from_digit(u32::from((v >> (i * 4)) & 0xF), 16).unwrap_or('?').to_ascii_uppercase()
                }
            })
            .collect()
    };
    if p.group_mask == 1 && p.group == 1 {
        return "(gggg,eeee) odd group".into();
    }
    format!("({},{})", hex(p.group, p.group_mask), hex(p.element, p.element_mask))
}
