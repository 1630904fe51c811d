//! Fonts: egui's defaults for Latin text, with IPAexGothic (bundled, IPA Font License) as the
//! fallback so Japanese names and UI text render everywhere.

use eframe::egui::{self, FontData, FontDefinitions, FontFamily};

const JAPANESE_FONT: &[u8] = include_bytes!("../../assets/fonts/ipaexg.ttf");

pub fn install(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert("ipaexg".into(), std::sync::Arc::new(FontData::from_static(JAPANESE_FONT)));
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("ipaexg".into());
    }
    ctx.set_fonts(fonts);
}
