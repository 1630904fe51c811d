//! The translation table: every UI string has an English and a Japanese text. Switchable at run time.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

/// (key, English, Japanese)
pub const TABLE: &[(&str, &str, &str)] = &[
    ("app.title", "sumi — medical image workstation", "sumi（墨）— 医用画像ワークステーション"),
    ("menu.file", "File", "ファイル"),
    ("menu.open_folder", "Open folder…", "フォルダを開く…"),
    ("menu.open_demo", "Open demo study", "デモ検査を開く"),
    ("menu.open_path", "Open path…", "パスを指定して開く…"),
    ("dialog.open", "Open", "開く"),
    ("dialog.not_found", "no such file or folder", "ファイルまたはフォルダが見つかりません"),
    ("menu.new_project", "New project…", "新規プロジェクト…"),
    ("menu.open_project", "Open project…", "プロジェクトを開く…"),
    ("status.project", "Project", "プロジェクト"),
    ("menu.quit", "Quit", "終了"),
    ("menu.view", "View", "表示"),
    ("menu.language", "Language", "言語"),
    ("menu.tags", "Tag browser", "タグブラウザ"),
    ("menu.problems", "Problems", "問題一覧"),
    ("layout.1x1", "1×1", "1×1"),
    ("layout.1x3", "1×3", "1×3"),
    ("layout.2x2", "2×2", "2×2"),
    ("browser.title", "Series", "シリーズ"),
    (
        "browser.empty",
        "No DICOM series. Open a folder or drop files here.",
        "DICOMシリーズがありません。フォルダを開くか、ここにファイルをドロップしてください。",
    ),
    ("browser.scanning", "Scanning", "スキャン中"),
    ("browser.instances", "images", "画像"),
    ("browser.frames", "frames", "フレーム"),
    ("browser.unreadable", "Unreadable files", "読み込めないファイル"),
    ("viewer.loading", "Loading", "読み込み中"),
    ("viewer.no_series", "Select a series", "シリーズを選択してください"),
    ("viewer.axial", "Axial", "体軸断"),
    ("viewer.coronal", "Coronal", "冠状断"),
    ("viewer.sagittal", "Sagittal", "矢状断"),
    ("viewer.native", "Acquired", "収集断面"),
    ("viewer.slice", "Slice", "スライス"),
    ("viewer.frame", "Frame", "フレーム"),
    ("viewer.zoom", "Zoom", "拡大率"),
    ("viewer.first_image", "first image", "最初の画像"),
    ("viewer.loaded_in", "loaded in", "読み込み時間"),
    ("toolbar.window", "Window", "ウィンドウ"),
    ("toolbar.auto", "Auto", "自動"),
    ("toolbar.header", "Header", "ヘッダ値"),
    ("toolbar.invert", "Invert", "白黒反転"),
    ("toolbar.colourmap", "Colour map", "カラーマップ"),
    ("colourmap.grey", "Grey", "グレー"),
    ("colourmap.hot", "Hot iron", "ホットアイアン"),
    ("colourmap.rainbow", "Rainbow", "レインボー"),
    ("toolbar.play", "Play", "再生"),
    ("toolbar.pause", "Pause", "一時停止"),
    ("toolbar.fps", "fps", "fps"),
    ("toolbar.reset", "Reset view", "表示をリセット"),
    ("preset.brain", "Brain", "脳"),
    ("preset.subdural", "Subdural", "硬膜下"),
    ("preset.stroke", "Stroke", "脳梗塞"),
    ("preset.bone", "Bone", "骨"),
    ("preset.lung", "Lung", "肺野"),
    ("preset.abdomen", "Abdomen", "腹部"),
    ("preset.mediastinum", "Mediastinum", "縦隔"),
    ("tags.title", "Tags", "タグ"),
    ("tags.filter", "Filter", "絞り込み"),
    ("tags.tag", "Tag", "タグ"),
    ("tags.vr", "VR", "VR"),
    ("tags.name", "Name", "名称"),
    ("tags.value", "Value", "値"),
    ("tags.private", "Private", "プライベート"),
    ("tags.item", "Item", "項目"),
    ("tags.none", "No instance selected", "インスタンスが選択されていません"),
    ("problems.title", "Problems", "問題"),
    ("problems.none", "No problems", "問題はありません"),
    ("problems.clear", "Clear", "消去"),
    ("status.ready", "Ready", "準備完了"),
    ("status.gpu", "GPU", "GPU"),
    ("overlay.patient", "Patient", "患者"),
    ("overlay.study", "Study", "検査"),
    ("overlay.series", "Series", "シリーズ"),
    ("overlay.wl", "W/L", "W/L"),
    ("overlay.position", "Pos", "位置"),
];

/// The text for `key` in `lang`; the key itself if missing (visible in the UI and caught by tests).
pub fn tr(lang: Lang, key: &str) -> &'static str {
    for (k, en, ja) in TABLE {
        if *k == key {
            return match lang {
                Lang::En => en,
                Lang::Ja => ja,
            };
        }
    }
    tracing::warn!("missing translation key {key}");
    "?"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_has_both_languages() {
        let mut keys = std::collections::HashSet::new();
        for (k, en, ja) in TABLE {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!en.is_empty() && !ja.is_empty(), "{k} lacks a text");
        }
    }

    #[test]
    fn every_key_used_in_the_ui_sources_is_in_the_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
        let re_start = "tr(lang, \"";
        for entry in std::fs::read_dir(dir).unwrap() {
            let src = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for (i, _) in src.match_indices(re_start) {
                let rest = &src[i + re_start.len()..];
                let key = &rest[..rest.find('"').unwrap()];
                assert!(TABLE.iter().any(|(k, _, _)| *k == key), "key {key} is used but not translated");
            }
        }
    }
}
