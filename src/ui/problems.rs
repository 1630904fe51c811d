//! The non-blocking problem list: unreadable files, geometry warnings, load failures.

use eframe::egui;

use super::i18n::{Lang, tr};

#[derive(Default)]
pub struct Problems {
    pub items: Vec<String>,
    pub open: bool,
}

impl Problems {
    pub fn push(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        tracing::warn!("{msg}");
        if !self.items.contains(&msg) {
            self.items.push(msg);
        }
        self.open = true;
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal(|ui| {
            ui.strong(format!("{} ({})", tr(lang, "problems.title"), self.items.len()));
            if ui.small_button(tr(lang, "problems.clear")).clicked() {
                self.items.clear();
            }
        });
        egui::ScrollArea::vertical().max_height(120.0).auto_shrink([false, true]).show(ui, |ui| {
            if self.items.is_empty() {
                ui.weak(tr(lang, "problems.none"));
            }
            for p in &self.items {
                ui.label(egui::RichText::new(p).color(ui.visuals().warn_fg_color).small());
            }
        });
    }
}
