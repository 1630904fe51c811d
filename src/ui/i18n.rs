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
    ("menu.export", "Export…", "エクスポート…"),
    ("export.title", "Export", "エクスポート"),
    ("export.folder", "Export folder", "出力フォルダ"),
    ("export.choose", "Choose…", "選択…"),
    ("export.selection", "Studies and series to export", "エクスポートする検査とシリーズ"),
    ("export.study", "Study", "検査"),
    ("export.series", "Series", "シリーズ"),
    ("export.nothing_selected", "Nothing is selected.", "何も選択されていません。"),
    ("export.check", "Run pre-flight check", "事前チェックを実行"),
    ("export.start", "Start export", "エクスポート開始"),
    ("export.cancel", "Cancel", "キャンセル"),
    ("export.need_project", "Open or create a project first.", "先にプロジェクトを開くか作成してください。"),
    ("export.files_per_s", "files/s", "ファイル/秒"),
    (
        "export.manifest_hint",
        "Recorded in the audit log; the manifest lists every file with its SHA-256.",
        "監査ログに記録済み。マニフェストに全ファイルの SHA-256 を記載。",
    ),
    ("export.not_checked", "The pre-flight check has not run yet.", "事前チェックはまだ実行されていません。"),
    ("export.profile", "Profile", "プロファイル"),
    ("export.blockers", "blocker(s)", "件の阻害要因"),
    ("export.ready", "Ready: nothing blocks the export.", "準備完了：エクスポートを妨げる項目はありません。"),
    ("export.blocker.no_profile", "No de-identification profile", "匿名化プロファイル未設定"),
    ("export.blocker.text_not_examined", "Burned-in text not examined", "焼き込み文字の検出が未実施"),
    ("export.blocker.text_not_reviewed", "Burned-in text not reviewed", "焼き込み文字のレビュー未完了"),
    ("export.blocker.deface", "Defacing not approved", "顔除去（デフェイス）未承認"),
    ("export.blocker.labels", "Annotations not approved", "アノテーション未承認"),
    ("export.overridden", "overridden", "上長判断で除外"),
    ("export.override", "Override…", "上長判断で許可…"),
    ("export.supervisor", "Supervisor", "責任者"),
    ("export.reason", "Reason (required)", "理由（必須）"),
    ("export.override_confirm", "Record override", "許可を記録"),
    ("menu.spot_check", "Spot-check an export…", "エクスポートの抜き取り検査…"),
    ("spot.title", "Spot check", "抜き取り検査"),
    ("spot.export", "Export folder", "エクスポートフォルダ"),
    ("spot.confidence", "Confidence", "信頼度"),
    ("spot.defect_rate", "Defect rate below", "不良率の上限"),
    ("spot.seed", "Seed", "乱数シード"),
    ("spot.draw", "Draw sample", "サンプルを抽出"),
    ("spot.sample", "Sample", "サンプル"),
    ("spot.decided", "decided", "判定済み"),
    ("spot.failed", "failed", "不合格"),
    ("spot.exported", "Exported", "エクスポート後"),
    ("spot.original", "Original (project)", "元画像（プロジェクト）"),
    (
        "spot.no_image",
        "No image (open the project to compare with the original)",
        "画像なし（元画像と比較するにはプロジェクトを開いてください）",
    ),
    ("spot.findings", "Verification findings", "検証結果"),
    ("spot.verifying", "Verifying the export…", "エクスポートを検証中…"),
    ("spot.no_findings", "Verification found nothing in this file.", "このファイルに検出事項はありません。"),
    ("spot.comment", "Comment", "コメント"),
    ("spot.pass", "Pass", "合格"),
    ("spot.fail", "Fail (comment required)", "不合格（コメント必須）"),
    ("spot.operator", "Operator", "検査担当者"),
    ("spot.sign", "Sign report", "報告書に署名"),
    ("spot.header", "Header of the exported file", "エクスポート後ファイルのヘッダ"),
    ("menu.quit", "Quit", "終了"),
    ("menu.settings", "Settings…", "設定…"),
    ("welcome.title", "Welcome to sumi (墨)", "sumi（墨）へようこそ"),
    (
        "welcome.intro",
        "sumi is a desktop workstation for medical images: it opens DICOM series and photos, shows them in a \
         GPU slice/MPR and 3D viewer, de-identifies headers and burned-in text, supports annotation with \
         physician sign-off, and exports verified, de-identified data sets. Source files are never modified; \
         every decision is written to the project's audit log.",
        "sumi は医用画像のためのデスクトップ・ワークステーションです。DICOM シリーズや写真を開き、GPU による\
         断面・MPR・3D 表示を行い、ヘッダと焼き込み文字の匿名化、医師の承認付きアノテーション、検証済みの匿名化\
         データのエクスポートを行います。元ファイルは一切変更せず、すべての判断はプロジェクトの監査ログに記録されます。",
    ),
    (
        "welcome.roles",
        "What do you do? (your role decides where sumi starts)",
        "担当する作業（役割に応じて開始画面が変わります）",
    ),
    ("welcome.continue", "Continue", "続ける"),
    ("welcome.language", "Language / 言語", "言語 / Language"),
    ("role.qa", "QA reviewer", "QA レビュアー"),
    (
        "role.qa.start",
        "Open or import a folder (File → Open folder…), then check every header change in the \
         De-identification review.",
        "フォルダを開くか取り込み（ファイル → フォルダを開く…）、匿名化レビューでヘッダの変更をすべて確認します。",
    ),
    ("role.annotator", "Annotator", "アノテーター"),
    (
        "role.annotator.start",
        "Open a series, then draw and measure labels in Annotate mode (View → Annotate).",
        "シリーズを開き、アノテーションモード（表示 → アノテーション）でラベルの描画と計測を行います。",
    ),
    ("role.operator", "Operator", "オペレーター"),
    (
        "role.operator.start",
        "Export de-identified data (File → Export…), then sign a spot check of the export.",
        "匿名化データをエクスポート（ファイル → エクスポート…）し、抜き取り検査に署名します。",
    ),
    ("settings.title", "Settings", "設定"),
    ("settings.language", "Language", "言語"),
    ("settings.role", "Role", "役割"),
    ("settings.user_name", "Your name (audit log)", "氏名（監査ログ用）"),
    ("settings.profile", "Default de-identification profile", "既定の匿名化プロファイル"),
    ("settings.data_dir", "Data folder", "データフォルダ"),
    ("settings.file", "Settings file", "設定ファイル"),
    ("settings.log_file", "Log file", "ログファイル"),
    ("settings.no_log", "(not written)", "（出力なし）"),
    ("settings.save", "Save", "保存"),
    ("menu.view", "View", "表示"),
    ("menu.language", "Language", "言語"),
    ("menu.tags", "Tag browser", "タグブラウザ"),
    ("menu.problems", "Problems", "問題一覧"),
    ("layout.1x1", "1×1", "1×1"),
    ("layout.1x3", "1×3", "1×3"),
    ("layout.2x2", "2×2", "2×2"),
    ("layout.3d", "3D", "3D"),
    ("view3d.title", "3D", "3D"),
    ("render3d.mip", "MIP", "MIP"),
    ("render3d.minip", "MinIP", "MinIP"),
    ("render3d.dvr", "Volume rendering", "ボリュームレンダリング"),
    ("render3d.iso", "Surface", "サーフェス"),
    ("tf.ct_skin", "CT skin", "CT 皮膚"),
    ("tf.ct_bone", "CT bone", "CT 骨"),
    ("tf.ct_soft", "CT soft tissue", "CT 軟部組織"),
    ("tf.ct_angio", "CT angio", "CT 血管"),
    ("tf.mr", "MR", "MR"),
    ("view3d.threshold", "Threshold", "しきい値"),
    ("view3d.anterior", "A", "前"),
    ("view3d.left", "L", "左"),
    ("view3d.right", "R", "右"),
    ("view3d.superior", "S", "上"),
    ("view3d.reset", "Reset 3D", "3D をリセット"),
    ("view3d.clip", "Clip box", "クリップボックス"),
    ("view3d.clip_x", "R–L", "右–左"),
    ("view3d.clip_y", "A–P", "前–後"),
    ("view3d.clip_z", "I–S", "下–上"),
    ("view3d.labels", "Labels in 3D", "3D にラベル表示"),
    ("view3d.oblique_plane", "Oblique plane", "斜断面を表示"),
    ("view3d.oblique_opacity", "Plane opacity", "斜断面の不透明度"),
    ("view3d.fourth", "Viewport 4", "ビューポート 4"),
    ("view3d.fourth_3d", "3D view", "3D 表示"),
    ("view3d.fourth_oblique", "Oblique", "斜断面"),
    (
        "view3d.oblique_hint",
        "Ctrl/Alt-drag rotates the oblique plane about the crosshair",
        "Ctrl/Alt ドラッグで十字の点を中心に斜断面を回転",
    ),
    ("browser.title", "Series", "シリーズ"),
    (
        "browser.empty",
        "No DICOM series. Open a folder or drop files here.",
        "DICOMシリーズがありません。フォルダを開くか、ここにファイルをドロップしてください。",
    ),
    ("browser.scanning", "Scanning", "スキャン中"),
    ("browser.cancel_scan", "Cancel", "中止"),
    (
        "browser.scan_cancelled",
        "Scan cancelled; files read (the project was not changed)",
        "スキャンを中止しました。読み込んだファイル数（プロジェクトは変更していません）",
    ),
    ("browser.instances", "images", "画像"),
    ("browser.frames", "frames", "フレーム"),
    ("browser.unreadable", "Unreadable files", "読み込めないファイル"),
    ("viewer.loading", "Loading", "読み込み中"),
    ("viewer.no_series", "Select a series", "シリーズを選択してください"),
    ("viewer.axial", "Axial", "体軸断"),
    ("viewer.coronal", "Coronal", "冠状断"),
    ("viewer.sagittal", "Sagittal", "矢状断"),
    ("viewer.native", "Acquired", "収集断面"),
    ("viewer.oblique", "Oblique", "斜断面"),
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
    ("menu.deid", "De-identification", "匿名化"),
    ("deid.title", "De-identification", "匿名化（ヘッダ）"),
    ("deid.profile", "Profile", "プロファイル"),
    ("deid.options", "PS3.15 options", "PS3.15 オプション"),
    ("deid.profile_file", "Profile file", "プロファイルファイル"),
    (
        "deid.preview_note",
        "Preview of this instance: pseudonyms and date offsets are samples.",
        "このインスタンスのプレビュー：仮名と日付シフトは例示です。",
    ),
    ("deid.residuals", "Suspicious residuals", "残存の疑い"),
    (
        "deid.no_residuals",
        "No kept value contains this patient's identifiers.",
        "残された値に患者の識別情報は含まれていません。",
    ),
    ("deid.filter_changed", "Changed", "変更"),
    ("deid.filter_removed", "Removed", "削除"),
    ("deid.filter_kept", "Kept", "保持"),
    ("deid.filter_private", "Private", "プライベート"),
    ("deid.filter_all", "All", "すべて"),
    ("deid.empty", "(empty)", "（空）"),
    ("deid.removed", "(removed)", "（削除）"),
    ("deid.col_original", "Original", "元の値"),
    ("deid.col_new", "New", "新しい値"),
    ("deid.col_action", "Action", "処理"),
    ("deid.col_reason", "Rule / reason", "規則・理由"),
    ("option.clean_pixel_data", "Clean Pixel Data", "画素データのクリーニング"),
    ("option.clean_visual_features", "Clean Recognizable Visual Features", "識別可能な視覚的特徴のクリーニング"),
    ("option.clean_graphics", "Clean Graphics", "グラフィックのクリーニング"),
    ("option.clean_structured_content", "Clean Structured Content", "構造化コンテンツのクリーニング"),
    ("option.clean_descriptors", "Clean Descriptors", "記述子のクリーニング"),
    ("option.retain_full_dates", "Retain Longitudinal Full Dates", "日付を保持（完全）"),
    ("option.retain_modified_dates", "Retain Longitudinal Modified Dates", "日付を保持（シフト）"),
    ("option.retain_patient_characteristics", "Retain Patient Characteristics", "患者特性を保持"),
    ("option.retain_device_identity", "Retain Device Identity", "装置識別を保持"),
    ("option.retain_uids", "Retain UIDs", "UIDを保持"),
    ("option.retain_safe_private", "Retain Safe Private", "安全なプライベートタグを保持"),
    ("option.retain_institution_identity", "Retain Institution Identity", "施設識別を保持"),
    ("menu.deface", "Defacing review", "顔除去のレビュー"),
    ("deface.title", "Defacing review", "顔除去のレビュー"),
    (
        "deface.no_series",
        "Open a CT or MR series to review its defacing.",
        "顔除去を確認する CT または MR シリーズを開いてください。",
    ),
    ("deface.need_project", "Open a project to record decisions.", "決定を記録するにはプロジェクトを開いてください。"),
    ("deface.status", "Review", "レビュー"),
    ("deface.status_none", "not proposed yet", "未提案"),
    ("deface.status_pending", "pending", "未決定"),
    ("deface.status_approved", "approved", "承認済み"),
    ("deface.status_rejected", "rejected", "却下"),
    ("deface.status_not_head", "not a head", "頭部ではない"),
    ("deface.margin", "Margin from the brain (mm)", "脳からの余裕 (mm)"),
    ("deface.depth", "Cut depth behind the face (mm)", "顔面からの切除深さ (mm)"),
    (
        "deface.drag_hint",
        "Drag the red region in a sagittal view to move the cut",
        "矢状断の赤い領域をドラッグして切除面を動かせます",
    ),
    ("deface.rerun", "Re-run proposal", "提案を再計算"),
    ("deface.computing", "Computing…", "計算中…"),
    ("deface.not_head", "Not a head: nothing to remove", "頭部ではありません: 除去なし"),
    ("deface.no_face", "Head without a face in view: nothing to remove", "顔が写っていない頭部: 除去なし"),
    ("deface.face_found", "Face in view: removal proposed", "顔が写っています: 除去を提案"),
    ("deface.removed", "Voxels removed", "除去ボクセル数"),
    ("deface.reasons", "Evidence", "根拠"),
    ("deface.approve", "Approve", "承認"),
    ("deface.reject", "Reject", "却下"),
    ("deface.comment", "Comment", "コメント"),
    ("deface.saved", "Decision saved to the project (audited).", "決定をプロジェクトに保存しました（監査記録あり）。"),
    ("deface.front", "Front: before | after", "正面: 処理前 | 処理後"),
    (
        "deface.side",
        "Midline: before | after (red: removed, green: brain estimate)",
        "正中矢状断: 処理前 | 処理後（赤: 除去、緑: 脳の推定）",
    ),
    ("menu.review", "Burned-in text review", "焼き込み文字のレビュー"),
    ("browser.no_patient", "(no patient: photos and screenshots)", "（患者情報なし：写真・画面画像）"),
    ("review.title", "Review queue", "レビュー待ち"),
    ("review.detect", "Find text in the project", "プロジェクト内の文字を検出"),
    (
        "review.need_project",
        "Open or create a project first (File menu).",
        "先にプロジェクトを開くか作成してください（ファイルメニュー）。",
    ),
    ("review.queued", "queued", "キュー登録"),
    ("review.images_examined", "images examined", "枚を検査済み"),
    ("review.cancel_detect", "Cancel", "中止"),
    (
        "review.detect_cancelled",
        "Detection cancelled; the queue was not changed. Images examined",
        "検出を中止しました（キューは変更されていません）。検査済みの画像",
    ),
    ("review.phi_matches", "text matching patient data", "患者情報と一致する文字"),
    ("review.item", "Item", "項目"),
    ("review.remaining", "remaining", "件残り"),
    ("review.approve", "Approve", "承認"),
    ("review.previous", "Previous", "前へ"),
    ("review.next", "Next", "次へ"),
    ("review.flag", "Needs second look", "要再確認"),
    ("review.comment", "comment", "コメント"),
    ("review.preview_clean", "Preview cleaned", "マスク後を表示"),
    ("review.hide_boxes", "Hide boxes", "枠を隠す"),
    ("review.delete_box", "Delete box", "枠を削除"),
    ("review.all_frames", "All frames", "全フレームに適用"),
    ("review.save_template", "Save as device template", "装置テンプレートとして保存"),
    ("review.template_saved", "Device template saved.", "装置テンプレートを保存しました。"),
    ("review.apply_series", "Apply to series", "シリーズ全体に適用"),
    ("review.applied_series", "Boxes added to images of the series", "シリーズ内で枠を追加した画像"),
    (
        "review.offer_template",
        "Save the approved boxes as the template for this device and image size? Later images from it get them proposed.",
        "承認した枠をこの装置・画像サイズのテンプレートとして保存しますか？以後の同じ装置の画像に提案されます。",
    ),
    ("review.dismiss", "Not now", "今はしない"),
    ("review.templates_export", "Export templates…", "テンプレートを書き出す…"),
    ("review.templates_import", "Import templates…", "テンプレートを読み込む…"),
    ("review.templates_exported", "Templates written", "書き出したテンプレート"),
    ("review.templates_imported", "Templates imported", "読み込んだテンプレート"),
    (
        "review.keys",
        "Enter approve · Space/→ next · ← previous · F flag · drag to draw · Delete removes · arrows nudge the selected box (Shift ×10) · Esc deselects",
        "Enter 承認 · Space/→ 次 · ← 前 · F 要再確認 · ドラッグで枠を描く · Delete で削除 · 矢印で選択枠を移動（Shift で10px）· Esc で選択解除",
    ),
    ("tags.title", "Tags", "タグ"),
    ("tags.filter", "Filter", "絞り込み"),
    ("tags.tag", "Tag", "タグ"),
    ("tags.vr", "VR", "VR"),
    ("tags.name", "Name", "名称"),
    ("tags.value", "Value", "値"),
    ("tags.private", "Private", "プライベート"),
    ("tags.item", "Item", "項目"),
    ("tags.none", "No instance selected", "インスタンスが選択されていません"),
    (
        "tags.foreign",
        "image (not DICOM). Metadata in the file, never exported:",
        "画像（DICOM ではありません）。ファイル内のメタデータ（書き出されません）:",
    ),
    ("tags.foreign_none", "none", "なし"),
    (
        "deid.foreign",
        "image (not DICOM): no header to de-identify. On export every metadata item is dropped (EXIF incl. GPS, XMP, ICC, text chunks, TIFF tags) and approved boxes are filled black; the file is written in its own format or as DICOM Secondary Capture, as the project setting says.",
        "画像（DICOM ではありません）：匿名化するヘッダはありません。書き出し時にメタデータ（GPS を含む EXIF、XMP、ICC、テキストチャンク、TIFF タグ）はすべて削除され、承認済みの枠は黒で塗りつぶされます。形式はプロジェクト設定に従い、元の形式または DICOM Secondary Capture です。",
    ),
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
    for (k, en, ja) in TABLE.iter().chain(super::annotate::strings::TABLE).chain(super::annotate::strings_review::TABLE)
    {
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
        for (k, en, ja) in TABLE
            .iter()
            .chain(super::super::annotate::strings::TABLE)
            .chain(super::super::annotate::strings_review::TABLE)
        {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!en.is_empty() && !ja.is_empty(), "{k} lacks a text");
        }
    }

    #[test]
    fn every_key_used_in_the_ui_sources_is_in_the_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
        let re_start = "tr(lang, \"";
        let mut dirs = vec![dir];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let src = std::fs::read_to_string(path).unwrap();
                for (i, _) in src.match_indices(re_start) {
                    let rest = &src[i + re_start.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    assert!(tr(Lang::En, key) != "?", "key {key} is used but not translated");
                }
            }
        }
    }
}
