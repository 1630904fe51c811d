//! What the UI tests share: a wgpu set-up that works on lavapipe, stepping until a condition
//! holds, and the annotate-mode drivers (open the demo CT in annotate mode, drag, click, count).
// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sumi::ui::SumiApp;

pub fn wgpu_setup() -> sumi::render::egui_wgpu::WgpuSetup {
    let mut setup = egui_kittest::wgpu::default_wgpu_setup();
    if let sumi::render::egui_wgpu::WgpuSetup::CreateNew(new) = &mut setup {
        new.device_descriptor = std::sync::Arc::new(sumi::render::device_descriptor);
    }
    setup
}

pub fn step_until(harness: &mut Harness<'_, SumiApp>, what: &str, done: impl Fn(&SumiApp) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(start.elapsed() < Duration::from_secs(180), "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(3);
}

pub fn open(project: &std::path::Path, demo: Option<&std::path::Path>) -> Harness<'static, SumiApp> {
    let (project, demo) = (project.to_path_buf(), demo.map(|d| d.to_path_buf()));
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(move |cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(project.clone());
            if let Some(d) = &demo {
                app.open_paths(vec![d.clone()]);
            }
            app
        });
    step_until(&mut harness, "the CT to load", |app| app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some()));
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Annotate").click();
    harness.run_steps(3);
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().annotate.open, "the View menu entry enters annotate mode");
    harness
}

/// A primary-button drag from `a` to `b` in `n` moves.
pub fn drag(harness: &mut Harness<'_, SumiApp>, a: egui::Pos2, b: egui::Pos2, n: usize) {
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    harness.event(egui::Event::PointerMoved(a));
    harness.step();
    harness.event(button(a, true));
    harness.step();
    for i in 1..=n {
        harness.event(egui::Event::PointerMoved(a + (b - a) * (i as f32 / n as f32)));
        harness.step();
    }
    harness.event(button(b, false));
    harness.run_steps(3);
}

pub fn painted(app: &SumiApp) -> u64 {
    let map = &app.annotate.layer.as_ref().expect("a layer for the open series").map;
    map.histogram()[1..].iter().sum()
}

/// The voxel index the viewport shows under a screen point (on its slice), as the tools map it.
pub fn index_under(app: &SumiApp, vp: usize, p: egui::Pos2) -> [f64; 3] {
    let (_, r) = app.viewer.viewport_rects.iter().copied().find(|(v, _)| *v == vp).unwrap();
    let g = &app.viewer.loaded.as_ref().unwrap().plan.geometry;
    let uv = [f64::from((p.x - r.min.x) / r.width()), f64::from((p.y - r.min.y) / r.height())];
    let size = [f64::from(r.width()), f64::from(r.height())];
    let v = g.patient_to_index(app.viewer.views[vp].patient_at(g, app.viewer.focus, size, uv)).unwrap();
    [v.x, v.y, v.z.round()]
}

/// Primary-button clicks at `pos` with `modifiers` held, one per frame (frames are 0.25 s apart,
/// so two make a double click).
pub fn clicks(harness: &mut Harness<'_, SumiApp>, pos: egui::Pos2, modifiers: egui::Modifiers, n: usize) {
    harness.input_mut().events.extend([egui::Event::ModifiersChanged(modifiers), egui::Event::PointerMoved(pos)]);
    for _ in 0..n {
        for pressed in [true, false] {
            let e = egui::Event::PointerButton { pos, button: egui::PointerButton::Primary, pressed, modifiers };
            harness.input_mut().events.push(e);
        }
        harness.step();
    }
    harness.input_mut().events.push(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    harness.step();
}

pub fn click(harness: &mut Harness<'_, SumiApp>, pos: egui::Pos2, modifiers: egui::Modifiers) {
    clicks(harness, pos, modifiers, 1);
}

pub fn label_voxels(app: &SumiApp, label: u8) -> u64 {
    app.annotate.layer.as_ref().expect("a layer").map.histogram()[usize::from(label)]
}

/// Voxels of `label` per k-slice.
pub fn per_slice(app: &SumiApp, label: u8) -> Vec<usize> {
    let map = &app.annotate.layer.as_ref().expect("a layer").map;
    (0..map.dims()[2]).map(|z| map.slice(z).map_or(0, |s| s.iter().filter(|&&v| v == label).count())).collect()
}

/// A `w`×`h`×`d` block of `label` with its lower corner at `lo`, recorded as one edit.
pub fn block(
    map: &mut sumi::annotate::LabelMap,
    rec: &mut sumi::annotate::Recorder,
    lo: [usize; 3],
    n: [usize; 3],
    label: u8,
) {
    let width = map.dims()[0];
    for z in lo[2]..lo[2] + n[2] {
        rec.touch(map, z, [lo[0], lo[1], lo[0] + n[0], lo[1] + n[1]]);
        let s = map.slice_mut(z);
        for y in lo[1]..lo[1] + n[1] {
            s[y * width + lo[0]..y * width + lo[0] + n[0]].fill(label);
        }
    }
}

/// Scrolls the side panel to its end (sections below the fold do not take clicks or typing).
pub fn scroll_panel(harness: &mut Harness<'_, SumiApp>) {
    harness.hover_at(egui::pos2(1400.0, 500.0));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, -2000.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run_steps(5);
}
