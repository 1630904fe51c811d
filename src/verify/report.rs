//! The verification report as a self-contained HTML page (values masked, as in the JSON).

use std::collections::BTreeMap;

use super::Report;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn to_html(r: &Report) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in &r.findings {
        let k = serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        *counts.entry(k).or_default() += 1;
    }
    let summary: String = counts.iter().map(|(k, n)| format!("<tr><td>{k}</td><td>{n}</td></tr>")).collect();
    let rows: String = r
        .findings
        .iter()
        .map(|f| {
            let kind = serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
            format!(
                "<tr><td>{}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&f.file),
                esc(f.tag.as_deref().unwrap_or("")),
                esc(f.excerpt.as_deref().unwrap_or("")),
                esc(&f.detail)
            )
        })
        .collect();
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>sumi verify</title><style>\
         body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px 8px}}table{{border-collapse:collapse}}\
         .ok{{color:#060}}.bad{{color:#b00}}</style></head><body>\
         <h1 class={cls}>{verdict}</h1><p>Export <code>{dir}</code>: {files} files ({dicom} DICOM) checked against {needles} \
         identifying values in {secs:.2} s.</p><h2>Summary</h2><table><tr><th>kind</th><th>findings</th></tr>{summary}</table>\
         <h2>Findings</h2><table><tr><th>file</th><th>kind</th><th>element</th><th>value (masked)</th><th>detail</th></tr>\n{rows}</table>\
         </body></html>\n",
        cls = if r.clean { "ok" } else { "bad" },
        verdict = if r.clean { "Clean: nothing found" } else { "Findings: this export must not leave" },
        dir = esc(&r.export_dir.display().to_string()),
        files = r.files_scanned,
        dicom = r.dicom_files,
        needles = r.needles,
        secs = r.seconds,
    )
}
