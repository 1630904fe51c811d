//! The series browser: Patient → Study → Series with thumbnails and counts, scan progress, and
//! the files that could not be read, with their reasons.

use eframe::egui;

use super::app::SumiApp;
use super::i18n::tr;

pub fn browser(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    ui.heading(tr(lang, "browser.title"));
    if let Some(job) = &app.scan_job {
        use std::sync::atomic::Ordering::Relaxed;
        let (done, total) = (job.progress.done.load(Relaxed), job.progress.total.load(Relaxed));
        ui.horizontal(|ui| {
            let text = format!("{} {done} / {total}", tr(lang, "browser.scanning"));
            ui.add(egui::ProgressBar::new(job.progress.fraction()).text(text).desired_width(200.0));
            if ui.button(tr(lang, "browser.cancel_scan")).clicked() {
                job.progress.cancel.store(true, Relaxed);
            }
        });
    }
    let mut open: Option<String> = None;
    let current = app.viewer.loaded.as_ref().map(|l| l.series_uid.clone());
    let loading = app.viewer.loading_series().map(str::to_string);
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        if app.tree.is_empty() && app.scan_job.is_none() {
            ui.weak(tr(lang, "browser.empty"));
        }
        for (n, patient) in app.tree.iter().enumerate() {
            let mut title = format!("{}  {}", patient.patient_name, patient.patient_id).trim().to_string();
            if app.viewer.blind {
                title = format!("{} {}", tr(lang, "browser.blinded"), n + 1);
            } else if title.is_empty() {
                // Photos and screenshots carry no patient: the header still needs a name.
                title = tr(lang, "browser.no_patient").to_string();
            }
            egui::CollapsingHeader::new(title)
                .id_salt(("patient", &patient.patient_id, &patient.patient_name))
                .default_open(true)
                .show(ui, |ui| {
                    for study in &patient.studies {
                        let mut title = format!("{}  {}", study.date, study.description).trim().to_string();
                        if title.is_empty() {
                            title = study.study_uid.clone();
                        }
                        egui::CollapsingHeader::new(title)
                            .id_salt(("study", &study.study_uid))
                            .default_open(true)
                            .show(ui, |ui| {
                                for s in &study.series {
                                    let selected = current.as_deref() == Some(s.series_uid.as_str())
                                        || loading.as_deref() == Some(s.series_uid.as_str());
                                    let resp = ui
                                        .horizontal(|ui| {
                                            if let Some(t) = app.thumbnails.get(&s.series_uid) {
                                                ui.add(egui::Image::new(t).fit_to_exact_size(egui::vec2(56.0, 56.0)));
                                            } else {
                                                let (r, _) = ui
                                                    .allocate_exact_size(egui::vec2(56.0, 56.0), egui::Sense::hover());
                                                ui.painter().rect_filled(r, 2.0, egui::Color32::from_gray(30));
                                            }
                                            let label = format!(
                                                "{} #{}  {}\n{} {} · {} {}",
                                                s.modality,
                                                s.number.map(|n| n.to_string()).unwrap_or_default(),
                                                s.description,
                                                s.instances.len(),
                                                tr(lang, "browser.instances"),
                                                s.frames,
                                                tr(lang, "browser.frames")
                                            );
                                            ui.selectable_label(selected, label)
                                        })
                                        .inner;
                                    if resp.clicked() {
                                        open = Some(s.series_uid.clone());
                                    }
                                }
                            });
                    }
                });
        }
        if let Some(scan) = &app.scan
            && !scan.unreadable.is_empty()
        {
            ui.separator();
            egui::CollapsingHeader::new(format!("{} ({})", tr(lang, "browser.unreadable"), scan.unreadable.len()))
                .show(ui, |ui| {
                    for u in &scan.unreadable {
                        ui.label(egui::RichText::new(&u.reason).small().color(ui.visuals().warn_fg_color));
                    }
                });
        }
    });
    if let Some(uid) = open {
        app.open_series(&uid);
    }
}
