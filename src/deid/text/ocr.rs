//! Reading the text of proposed boxes with the `tesseract` command (cargo feature `ocr`; Debian
//! packages tesseract-ocr, tesseract-ocr-eng, tesseract-ocr-jpn). The command, not the C library,
//! so that nothing is needed to build sumi; `$SUMI_TESSERACT` names another binary.
//!
//! Each box is cropped with a margin, turned into dark ink on white (light-on-dark text inverted,
//! contrast stretched to the background) and scaled up to the ~30 px x-height tesseract reads
//! best. The crops of one image are stacked, with white gaps, into one tall PNG piped to one
//! tesseract process (`tsv` output gives every word's place, which maps it back to its crop):
//! process start-up and model loading, not the reading, dominate the cost of small boxes. Images
//! run in parallel on the rayon pool, each tesseract limited to one thread so as not to
//! oversubscribe the cores. No temporary files: the image goes through stdin.

use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use image::GrayImage;
use image::imageops::{FilterType, resize};
use rayon::prelude::*;

use super::phi_match::PatientPhi;
use super::{LumaFrames, TextBox};

/// The languages to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    English,
    /// For headers with Japanese names: slower, and reads kanji and kana too.
    EnglishJapanese,
}

impl Lang {
    /// Japanese as well when the patient's names hold non-ASCII text.
    pub fn for_patient(phi: &PatientPhi) -> Lang {
        if phi.has_non_ascii_names() { Lang::EnglishJapanese } else { Lang::English }
    }

    fn arg(self) -> &'static str {
        match self {
            Lang::English => "eng",
            Lang::EnglishJapanese => "eng+jpn",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("OCR needs the tesseract command (Debian: tesseract-ocr tesseract-ocr-eng tesseract-ocr-jpn): {0}")]
    Missing(String),
    #[error("OCR needs tesseract's '{lang}' language data (Debian: {package})")]
    NoLanguage { lang: &'static str, package: &'static str },
    #[error("tesseract failed: {0}")]
    Failed(String),
}

/// A box to read: its frame and `[x, y, w, h]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub frame: usize,
    pub rect: [u32; 4],
}

fn tesseract() -> OsString {
    std::env::var_os("SUMI_TESSERACT").unwrap_or_else(|| "tesseract".into())
}

/// The languages tesseract has, asked once per process.
fn languages() -> Result<&'static [String], OcrError> {
    static LANGS: OnceLock<Result<Vec<String>, String>> = OnceLock::new();
    let found = LANGS.get_or_init(|| {
        let out = Command::new(tesseract()).arg("--list-langs").output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("`tesseract --list-langs` exited with {}", out.status));
        }
        // The first line is a heading ("List of available languages in …").
        Ok(String::from_utf8_lossy(&out.stdout).lines().skip(1).map(|l| l.trim().to_string()).collect())
    });
    found.as_deref().map_err(|e| OcrError::Missing(e.clone()))
}

/// Whether tesseract runs and can read `lang`.
pub fn check(lang: Lang) -> Result<(), OcrError> {
    let have = languages()?;
    let needed: &[(&str, &str)] = match lang {
        Lang::English => &[("eng", "tesseract-ocr-eng")],
        Lang::EnglishJapanese => &[("eng", "tesseract-ocr-eng"), ("jpn", "tesseract-ocr-jpn")],
    };
    match needed.iter().find(|(l, _)| !have.iter().any(|h| h == l)) {
        Some(&(lang, package)) => Err(OcrError::NoLanguage { lang, package }),
        None => Ok(()),
    }
}

/// Reads every box of `boxes` and classifies its text against the header's PHI (see
/// [`TextBox::set_ocr_text`]).
pub fn read_boxes(luma: &LumaFrames, boxes: &mut [TextBox], phi: &PatientPhi) -> Result<(), OcrError> {
    let regions: Vec<Region> =
        boxes.iter().map(|b| Region { frame: b.frames.0 as usize, rect: [b.x, b.y, b.w, b.h] }).collect();
    let texts = read_regions(luma, &regions, Lang::for_patient(phi))?;
    for (b, t) in boxes.iter_mut().zip(texts) {
        b.set_ocr_text(t, phi);
    }
    Ok(())
}

/// Crops per tesseract process: enough to pay for its start-up, few enough that a file with
/// many boxes still spreads over the cores.
const BATCH: usize = 32;

/// The text of each region, one line each (empty where nothing was read).
pub fn read_regions(luma: &LumaFrames, regions: &[Region], lang: Lang) -> Result<Vec<String>, OcrError> {
    if regions.is_empty() {
        return Ok(Vec::new());
    }
    check(lang)?;
    let batches: Vec<Vec<String>> = regions
        .par_chunks(BATCH)
        .map(|chunk| {
            let crops: Vec<GrayImage> = chunk.iter().map(|r| prepare(luma, r)).collect();
            read_stack(&crops, lang)
        })
        .collect::<Result<_, _>>()?;
    Ok(batches.into_iter().flatten().collect())
}

/// Margin left and right of a box: glyph edges the detector cut. Above and below only a pixel:
/// screens stack fields a few pixels apart, and bits of the neighbouring lines in the crop read
/// as stray characters. The white gaps of the stack give tesseract its room.
fn margin(h: u32) -> u32 {
    (h / 3).clamp(2, 8)
}
const MARGIN_Y: u32 = 1;

/// Box height (text plus the detector's 1 px margin) after scaling: cap height about 40 px,
/// x-height about 30.
const TARGET_HEIGHT: f32 = 44.0;
const MAX_SCALE: f32 = 6.0;

/// The crop of one region as dark ink on white, scaled for tesseract.
fn prepare(luma: &LumaFrames, r: &Region) -> GrayImage {
    let (w, h) = (luma.width as u32, luma.height as u32);
    let frame = luma.frame(r.frame.min(luma.frames.saturating_sub(1)));
    let [x, y, bw, bh] = r.rect;
    let m = margin(bh);
    let (x0, y0) = (x.saturating_sub(m).min(w.saturating_sub(1)), y.saturating_sub(MARGIN_Y).min(h.saturating_sub(1)));
    let (x1, y1) = ((x + bw + m).min(w).max(x0 + 1), (y + bh + MARGIN_Y).min(h).max(y0 + 1));
    let mut px: Vec<u8> =
        (y0..y1).flat_map(|yy| frame[(yy * w + x0) as usize..(yy * w + x1) as usize].iter().copied()).collect();
    let mut sorted = px.clone();
    sorted.sort_unstable();
    let at = |q: f32| sorted[((sorted.len() - 1) as f32 * q) as usize];
    let (lo, background, hi) = (at(0.02), at(0.5), at(0.98));
    // Ink is the minority: a background nearer the dark end means light ink, to be inverted.
    let invert = u16::from(background) * 2 < u16::from(lo) + u16::from(hi);
    if invert {
        px.iter_mut().for_each(|v| *v = 255 - *v);
    }
    let (ink, paper) = if invert { (255 - hi, 255 - background) } else { (lo, background) };
    if paper > ink {
        // A ramp over the middle half between ink and background: glyph edges stay grey, anatomy
        // or speckle a little off the background turns white instead of into stray blots.
        let quarter = f32::from(paper - ink) / 4.0;
        let from = f32::from(ink) + quarter;
        px.iter_mut().for_each(|v| *v = ((f32::from(*v) - from) * 127.5 / quarter).clamp(0.0, 255.0) as u8);
    }
    let crop = GrayImage::from_raw(x1 - x0, y1 - y0, px).expect("crop size matches its pixels");
    let scale = (TARGET_HEIGHT / bh.max(1) as f32).clamp(1.0, MAX_SCALE);
    if scale <= 1.0 {
        return crop;
    }
    let (sw, sh) = ((crop.width() as f32 * scale).round() as u32, (crop.height() as f32 * scale).round() as u32);
    resize(&crop, sw.max(1), sh.max(1), FilterType::Triangle)
}

/// White around and between the stacked crops.
const GAP: u32 = 24;

/// Reads crops stacked into one image; the text of each crop.
fn read_stack(crops: &[GrayImage], lang: Lang) -> Result<Vec<String>, OcrError> {
    let width = crops.iter().map(GrayImage::width).max().unwrap_or(1) + 2 * GAP;
    let height = crops.iter().map(|c| c.height() + GAP).sum::<u32>() + GAP;
    let mut stack = GrayImage::from_pixel(width, height, image::Luma([255]));
    let mut spans = Vec::with_capacity(crops.len());
    let mut top = GAP;
    for c in crops {
        image::imageops::replace(&mut stack, c, i64::from(GAP), i64::from(top));
        spans.push((top, top + c.height()));
        top += c.height() + GAP;
    }
    let mut png = Vec::new();
    stack
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| OcrError::Failed(format!("encoding the crops: {e}")))?;
    let tsv = run_tesseract(&png, lang)?;
    Ok(words_per_span(&tsv, &spans))
}

fn run_tesseract(png: &[u8], lang: Lang) -> Result<String, OcrError> {
    let mut child = Command::new(tesseract())
        // psm 6: one uniform block of text, read line by line; the crops are its lines.
        .args(["stdin", "stdout", "-l", lang.arg(), "--psm", "6", "tsv"])
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| OcrError::Missing(e.to_string()))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Tesseract reads all its input before writing: write, close, then collect the output.
    let written = stdin.write_all(png);
    drop(stdin);
    let out = child.wait_with_output().map_err(|e| OcrError::Failed(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(OcrError::Failed(format!("exit {}: {}", out.status, stderr.trim())));
    }
    written.map_err(|e| OcrError::Failed(format!("writing the image: {e}")))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Words of tesseract's TSV output, joined per crop by the crop that holds the word's middle.
fn words_per_span(tsv: &str, spans: &[(u32, u32)]) -> Vec<String> {
    let mut out = vec![String::new(); spans.len()];
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        // level page block par line word left top width height conf text
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let (Ok(top), Ok(h)) = (cols[7].parse::<u32>(), cols[9].parse::<u32>()) else { continue };
        let text = cols[11].trim();
        let mid = top + h / 2;
        if let Some(k) = spans.iter().position(|&(a, b)| a <= mid && mid < b)
            && !text.is_empty()
        {
            if !out[k].is_empty() {
                out[k].push(' ');
            }
            out[k].push_str(text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_go_to_the_crop_that_holds_their_middle() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t500\t300\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t24\t30\t80\t30\t96.5\tDEPTH\n\
                   5\t1\t1\t1\t1\t2\t110\t31\t40\t30\t95.0\t16\n\
                   5\t1\t1\t1\t2\t1\t24\t100\t90\t30\t91.0\tMARY\n\
                   5\t1\t1\t1\t3\t1\t24\t250\t90\t30\t91.0\tstray\n";
        let got = words_per_span(tsv, &[(24, 64), (88, 140), (164, 200)]);
        assert_eq!(got, vec!["DEPTH 16".to_string(), "MARY".into(), String::new()]);
    }

    #[test]
    fn light_text_on_dark_becomes_dark_ink_on_white_scaled_to_the_target_height() {
        let (w, h) = (60usize, 30usize);
        let mut pixels = vec![10u8; w * h];
        // A light bar, 3 px of an 11 px box: ink is the minority.
        for y in 12..15 {
            pixels[y * w + 10..y * w + 40].fill(240);
        }
        let luma = LumaFrames { width: w, height: h, frames: 1, pixels };
        let crop = prepare(&luma, &Region { frame: 0, rect: [8, 8, 34, 11] });
        let scale = TARGET_HEIGHT / 11.0;
        assert_eq!(crop.height(), ((11 + 2 * MARGIN_Y) as f32 * scale).round() as u32);
        assert_eq!(crop.get_pixel(1, 1).0[0], 255, "background is white");
        // The bar's middle row, 13.5, is 6.5 rows into the crop (which starts a margin above y = 8).
        let middle = crop.get_pixel(crop.width() / 2, (6.5 * scale) as u32).0[0];
        assert!(middle < 40, "ink is dark: {middle}");
    }
}
