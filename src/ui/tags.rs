//! The tag browser: every element of the current instance's header, nested sequences and
//! private elements included, with a filter. The header is read once per file and cached. For a
//! PNG/JPEG/TIFF image: the metadata it carries, which cleaning never exports.

use std::path::{Path, PathBuf};

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::value::Value;
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::InMemDicomObject;
use eframe::egui;

use crate::dicom::ForeignKind;
use crate::dicom::foreign::inventory::inventory;
use crate::dicom::open_dicom;

use super::i18n::{Lang, tr};

pub struct TagRow {
    pub depth: usize,
    pub tag: String,
    pub vr: String,
    pub name: String,
    pub value: String,
    pub private: bool,
    /// Set on the row that opens a sequence item (number from 1).
    pub item: Option<usize>,
}

#[derive(Default)]
pub struct TagBrowser {
    path: Option<PathBuf>,
    rows: Vec<TagRow>,
    error: Option<String>,
    filter: String,
    /// A PNG/JPEG/TIFF image: its container and the metadata it carries (never exported).
    pub foreign: Option<(ForeignKind, Vec<String>)>,
}

impl TagBrowser {
    fn load(&mut self, path: &Path) {
        self.path = Some(path.to_path_buf());
        self.rows.clear();
        self.error = None;
        self.foreign = None;
        if let Some(kind) = ForeignKind::of_file(path).filter(|_| open_dicom(path, true).is_err()) {
            match std::fs::read(path).map_err(|e| e.to_string()).and_then(|b| inventory(kind, &b)) {
                Ok(items) => self.foreign = Some((kind, items)),
                Err(e) => self.error = Some(format!("{}: {e}", path.display())),
            }
            return;
        }
        match open_dicom(path, true) {
            Ok(file) => {
                let meta: &dicom_object::FileMetaTable = file.obj.meta();
                self.rows.push(TagRow {
                    depth: 0,
                    tag: "(0002,0010)".into(),
                    vr: "UI".into(),
                    name: "TransferSyntaxUID".into(),
                    value: meta.transfer_syntax().trim_end_matches('\0').into(),
                    private: false,
                    item: None,
                });
                flatten(&file.obj, 0, &mut self.rows);
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, path: Option<&Path>, lang: Lang) {
        ui.heading(tr(lang, "tags.title"));
        let Some(path) = path else {
            ui.weak(tr(lang, "tags.none"));
            return;
        };
        if self.path.as_deref() != Some(path) {
            self.load(path);
        }
        ui.label(egui::RichText::new(path.display().to_string()).small().weak());
        ui.horizontal(|ui| {
            let label = ui.label(tr(lang, "tags.filter"));
            ui.text_edit_singleline(&mut self.filter).labelled_by(label.id);
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some((kind, items)) = &self.foreign {
            ui.label(format!("{} {}", kind.name(), tr(lang, "tags.foreign")));
            if items.is_empty() {
                ui.weak(tr(lang, "tags.foreign_none"));
            }
            egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
                for item in items {
                    ui.label(egui::RichText::new(item).small());
                }
            });
            return;
        }
        let filter = self.filter.to_lowercase();
        let rows: Vec<&TagRow> = self
            .rows
            .iter()
            .filter(|r| {
                filter.is_empty()
                    || r.tag.to_lowercase().contains(&filter)
                    || r.name.to_lowercase().contains(&filter)
                    || r.value.to_lowercase().contains(&filter)
            })
            .collect();
        let text_height = egui::TextStyle::Body.resolve(ui.style()).size + 4.0;
        egui::ScrollArea::both().auto_shrink([false, false]).show_rows(ui, text_height, rows.len(), |ui, range| {
            egui::Grid::new("tag-grid").striped(true).num_columns(4).show(ui, |ui| {
                for r in &rows[range] {
                    let indent = "  ".repeat(r.depth);
                    let mono = |s: String| egui::RichText::new(s).monospace().small();
                    match r.item {
                        Some(n) => ui.label(mono(format!("{indent}{} {n}", tr(lang, "tags.item")))),
                        None => ui.label(mono(format!("{indent}{}", r.tag))),
                    };
                    ui.label(mono(r.vr.clone()));
                    let name =
                        if r.private { format!("{} ({})", r.name, tr(lang, "tags.private")) } else { r.name.clone() };
                    ui.label(egui::RichText::new(name).small());
                    ui.label(egui::RichText::new(&r.value).small());
                    ui.end_row();
                }
            });
        });
    }
}

/// Flattens a data set into rows, recursing into sequence items.
pub fn flatten(obj: &InMemDicomObject, depth: usize, rows: &mut Vec<TagRow>) {
    for e in obj.iter() {
        let tag = e.header().tag;
        let private = tag.group() % 2 == 1;
        let name = if private {
            if (0x0010..=0x00FF).contains(&tag.element()) {
                "Private Creator".to_string()
            } else {
                "Private".to_string()
            }
        } else {
            StandardDataDictionary.by_tag(tag).map(|d| d.alias().to_string()).unwrap_or_else(|| "Unknown".into())
        };
        let value = match e.value() {
            Value::Sequence(seq) => format!("{} item(s)", seq.items().len()),
            Value::PixelSequence(seq) => format!("{} fragment(s)", seq.fragments().len()),
            Value::Primitive(p) => {
                let len = p.calculate_byte_len();
                if matches!(
                    e.vr(),
                    dicom_core::VR::OB
                        | dicom_core::VR::OW
                        | dicom_core::VR::UN
                        | dicom_core::VR::OF
                        | dicom_core::VR::OD
                        | dicom_core::VR::OL
                ) && len > 64
                {
                    format!("<{len} bytes>")
                } else {
                    let s = p.to_str();
                    let s = s.trim_end_matches(['\0', ' ']);
                    if s.chars().count() > 120 {
                        format!("{}…", s.chars().take(120).collect::<String>())
                    } else {
                        s.to_string()
                    }
                }
            }
        };
        rows.push(TagRow {
            depth,
            tag: format!("({:04X},{:04X})", tag.group(), tag.element()),
            vr: e.vr().to_string().to_string(),
            name,
            value,
            private,
            item: None,
        });
        if let Value::Sequence(seq) = e.value() {
            for (i, item) in seq.items().iter().enumerate() {
                rows.push(TagRow {
                    depth: depth + 1,
                    tag: String::new(),
                    vr: String::new(),
                    name: String::new(),
                    value: String::new(),
                    private,
                    item: Some(i + 1),
                });
                flatten(item, depth + 2, rows);
            }
        }
    }
}
