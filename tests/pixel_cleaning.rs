//! PS3.15 Clean Pixel Data: `sumi::deid::pixels::clean_pixels` blanks boxes in the stored pixel
//! values. Every case cleans a file read by `open_dicom`, writes the result, re-reads it with sumi's
//! decoder and checks that (a) every pixel in a box reads as black, (b) every other pixel equals the
//! decoded original (for native data the stored bytes outside the boxes are unchanged too), (c)
//! Burned In Annotation is NO and (d) the transfer syntax is the expected one; the source file's
//! bytes never change. Real files come from the sample-data cache (scripts/fetch-sample-data.sh;
//! `$SUMI_SAMPLE_DATA` overrides its place): the tests fail when it is missing.

use std::path::{Path, PathBuf};

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{DefaultDicomObject, FileMetaTableBuilder, InMemDicomObject};
use sha2::{Digest, Sha256};
use sumi::deid::pixels::{CleanError, CleanReport, PixelBox, clean_pixels};
use sumi::dicom::{DecodedFrames, decode_file, open_dicom};

const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
const PYDICOM: &str = "pydicom/data/test_files";
const PYDICOM_DATA: &str = "pydicom-data/data_store/data";
const ULTRASOUNDS: &str = "deid-data/deid_data/data/ultrasounds";

fn sample(dir: &str, name: &str) -> PathBuf {
    let root = std::env::var_os("SUMI_SAMPLE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/sample-data"));
    assert!(
        root.join("PATHS.txt").is_file(),
        "sample data missing at {}: run scripts/fetch-sample-data.sh (or set SUMI_SAMPLE_DATA)",
        root.display()
    );
    let path = root.join(dir).join(name);
    assert!(path.is_file(), "sample file missing: {}", path.display());
    path
}

fn bx(x: u32, y: u32, w: u32, h: u32, first_frame: u32, last_frame: u32) -> PixelBox {
    PixelBox { x, y, w, h, first_frame, last_frame }
}

/// What a blanked pixel decodes to: a stored grey value or an RGB colour.
fn grey(v: i64) -> [i64; 3] {
    [v, 0, 0]
}
const RGB_BLACK: [i64; 3] = [0, 0, 0];

/// Every decoded pixel of every frame, frame by frame: stored grey values as `[v, 0, 0]`, colour as RGB.
fn values(d: &DecodedFrames) -> Vec<[i64; 3]> {
    let mut out = Vec::with_capacity(d.frames * d.pixels_per_frame());
    if !d.for_each_stored(|v| out.push(grey(v))) {
        for k in 0..d.frames {
            let rgb = d.rgb_frame(k).expect("colour frame");
            out.extend(rgb.chunks_exact(3).map(|c| [i64::from(c[0]), i64::from(c[1]), i64::from(c[2])]));
        }
    }
    out
}

fn sha256(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> String {
    obj.get(tag).map(|e| e.to_str().unwrap().trim_end_matches(['\0', ' ']).to_string()).unwrap_or_default()
}

fn raw_pixels(obj: &InMemDicomObject) -> Vec<u8> {
    obj.get(tags::PIXEL_DATA).unwrap().value().to_bytes().unwrap().into_owned()
}

/// Whether pixel (x, y) of frame k is blanked; `pairs` widens boxes to whole YBR_FULL_422 pairs.
fn inside(boxes: &[PixelBox], k: usize, x: usize, y: usize, pairs: bool) -> bool {
    boxes.iter().any(|b| {
        let (x0, x1) = (b.x as usize, (b.x + b.w) as usize);
        let (x0, x1) = if pairs { (x0 & !1, (x1 + 1) & !1) } else { (x0, x1) };
        (b.first_frame as usize..=b.last_frame as usize).contains(&k)
            && (x0..x1).contains(&x)
            && (b.y as usize..(b.y + b.h) as usize).contains(&y)
    })
}

/// Cleans `src`, writes the result, checks (a)–(d) and the source's bytes; returns the report and
/// the written object as read back.
fn clean_and_check(src: &Path, boxes: &[PixelBox], black: [i64; 3], ts: &str) -> (CleanReport, DefaultDicomObject) {
    let dir = tempfile::tempdir().unwrap();
    let before = sha256(src);
    let mut file = open_dicom(src, false).unwrap();
    let native = !matches!(file.obj.get(tags::PIXEL_DATA).unwrap().value(), dicom_core::value::Value::PixelSequence(_));
    let report = clean_pixels(&mut file.obj, boxes).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    let out = dir.path().join(format!("clean-{}", src.file_name().unwrap().to_string_lossy()));
    file.obj.write_to_file(&out).unwrap();
    assert_eq!(sha256(src), before, "{}: the source file changed", src.display());

    let name = src.file_name().unwrap().to_string_lossy().into_owned();
    let (a, b) = (decode_file(src).unwrap(), decode_file(&out).unwrap());
    assert_eq!((a.rows, a.cols, a.frames), (b.rows, b.cols, b.frames), "{name}: geometry");
    // Only native YBR_FULL_422 shares chroma between pixels; decoded JPEG is RGB per pixel.
    let pairs = native && text(&file.obj, tags::PHOTOMETRIC_INTERPRETATION) == "YBR_FULL_422";
    let (va, vb) = (values(&a), values(&b));
    let (mut filled, mut had_content) = (0u64, false);
    for (i, (orig, new)) in va.iter().zip(&vb).enumerate() {
        let (k, p) = (i / a.pixels_per_frame(), i % a.pixels_per_frame());
        let (x, y) = (p % a.cols, p / a.cols);
        if inside(boxes, k, x, y, pairs) {
            assert_eq!(*new, black, "{name}: frame {k} pixel ({x}, {y}) in a box is not black");
            filled += 1;
            had_content |= *orig != black;
        } else {
            assert_eq!(new, orig, "{name}: frame {k} pixel ({x}, {y}) outside the boxes changed");
        }
    }
    assert!(had_content, "{name}: the boxes were black already, the case proves nothing");
    assert_eq!(report.pixels_filled, filled, "{name}: pixels filled");
    assert!(report.pixels_changed > 0 && report.pixels_changed <= filled, "{name}: {report:?}");

    let written = open_dicom(&out, false).unwrap().obj;
    assert_eq!(text(&written, tags::BURNED_IN_ANNOTATION), "NO", "{name}: Burned In Annotation");
    assert_eq!(written.meta().transfer_syntax().trim_end_matches('\0'), ts, "{name}: transfer syntax");
    assert_eq!(report.transfer_syntax, ts, "{name}: reported transfer syntax");
    assert_eq!(report.reencoded, !native, "{name}: re-encoded");
    if native {
        assert_native_bytes_kept(&name, &open_dicom(src, false).unwrap().obj, &written, boxes);
    }
    (report, written)
}

/// Native data: the stored bytes may differ only at the samples of pixels inside the boxes
/// (interleaved, planar or YBR_FULL_422 pairs, per PS3.5 8.1–8.2).
fn assert_native_bytes_kept(name: &str, src: &InMemDicomObject, out: &InMemDicomObject, boxes: &[PixelBox]) {
    let (old, new) = (raw_pixels(src), raw_pixels(out));
    assert_eq!(old.len(), new.len(), "{name}: Pixel Data length");
    let int = |tag| src.get(tag).map_or(0, |e| e.to_int::<usize>().unwrap());
    let (rows, cols, spp, bytes) =
        (int(tags::ROWS), int(tags::COLUMNS), int(tags::SAMPLES_PER_PIXEL).max(1), int(tags::BITS_ALLOCATED) / 8);
    let planar = spp > 1 && int(tags::PLANAR_CONFIGURATION) == 1;
    let pixels = rows * cols;
    let pairs = text(src, tags::PHOTOMETRIC_INTERPRETATION) == "YBR_FULL_422" && old.len() < pixels * 3;
    let frame_len = if pairs { pixels * 2 } else { pixels * spp * bytes };
    for i in (0..old.len()).filter(|&i| old[i] != new[i]) {
        let (k, j) = (i / frame_len, i % frame_len);
        let p = match (pairs, planar) {
            (true, _) => j / 4 * 2 + if j % 4 < 2 { j % 4 } else { 0 },
            (false, true) => j / bytes % pixels,
            (false, false) => j / (bytes * spp),
        };
        assert!(inside(boxes, k, p % cols, p / cols, pairs), "{name}: stored byte {i} outside the boxes changed");
    }
}

/// A synthetic image; `data` holds little-endian samples, written as OB for 8 bits (or `ob`), else OW.
struct Synthetic {
    size: (u16, u16, u32),
    spp: u16,
    bits: (u16, u16),
    signed: bool,
    photometric: &'static str,
    planar: bool,
    data: Vec<u8>,
    extra: Vec<DataElement<InMemDicomObject>>,
    big_endian: bool,
    ob: bool,
}

impl Synthetic {
    /// `rows`×`cols`×`frames` grey samples `values` (two's complement when negative).
    fn grey(size: (u16, u16, u32), bits: (u16, u16), signed: bool, photometric: &'static str, values: &[i64]) -> Self {
        let data = values.iter().flat_map(|&v| v.to_le_bytes()[..usize::from(bits.0 / 8)].to_vec()).collect();
        Synthetic {
            size,
            spp: 1,
            bits,
            signed,
            photometric,
            planar: false,
            data,
            extra: vec![],
            big_endian: false,
            ob: false,
        }
    }

    fn write(self, dir: &Path, name: &str) -> PathBuf {
        let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
        let ((rows, cols, frames), (bits_allocated, bits_stored)) = (self.size, self.bits);
        let mut obj = InMemDicomObject::from_element_iter([
            DataElement::new(tags::SOP_CLASS_UID, VR::UI, uids::SECONDARY_CAPTURE_IMAGE_STORAGE),
            DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, format!("2.25.{}", name.len() * 7919 + 12345)),
            DataElement::new(tags::BURNED_IN_ANNOTATION, VR::CS, "YES"),
            us(tags::SAMPLES_PER_PIXEL, self.spp),
            DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, self.photometric),
            DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, frames.to_string()),
            us(tags::ROWS, rows),
            us(tags::COLUMNS, cols),
            us(tags::BITS_ALLOCATED, bits_allocated),
            us(tags::BITS_STORED, bits_stored),
            us(tags::HIGH_BIT, bits_stored - 1),
            us(tags::PIXEL_REPRESENTATION, u16::from(self.signed)),
        ]);
        if self.spp == 3 {
            obj.put(us(tags::PLANAR_CONFIGURATION, u16::from(self.planar)));
        }
        self.extra.into_iter().for_each(|e| drop(obj.put(e)));
        let mut data = self.data;
        let sample = usize::from(bits_allocated / 8);
        // Big endian: OB bytes hold each sample most significant byte first, OW words high word first.
        let pixels = if bits_allocated == 8 || self.ob {
            if self.big_endian {
                data.chunks_exact_mut(sample).for_each(<[u8]>::reverse);
            }
            DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(data))
        } else {
            if self.big_endian && sample == 4 {
                data.chunks_exact_mut(4).for_each(|c| c.rotate_left(2));
            }
            let words = data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(words))
        };
        obj.put(pixels);
        let path = dir.join(name);
        let ts = if self.big_endian { BIG_ENDIAN } else { EXPLICIT_LE };
        obj.with_meta(FileMetaTableBuilder::new().transfer_syntax(ts)).unwrap().write_to_file(&path).unwrap();
        path
    }
}

/// Deterministic non-zero noise in 1..=max.
fn noise(n: usize, max: i64) -> Vec<i64> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            1 + (s % max as u64) as i64
        })
        .collect()
}

#[test]
fn monochrome2_unsigned_fills_zero_and_keeps_other_stored_values() {
    let dir = tempfile::tempdir().unwrap();
    let src = Synthetic::grey((6, 8, 1), (16, 12), false, "MONOCHROME2", &noise(48, 4095)).write(dir.path(), "m2.dcm");
    clean_and_check(&src, &[bx(1, 1, 3, 2, 0, 0), bx(3, 2, 2, 3, 0, 0)], grey(0), EXPLICIT_LE);
    let real = sample(PYDICOM, "CT_small.dcm"); // signed, but the fill must read as the lowest value
    clean_and_check(&real, &[bx(10, 20, 30, 15, 0, 0)], grey(-32768), EXPLICIT_LE);
}

#[test]
fn monochrome2_signed_fills_the_most_negative_storable_value() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<i64> = noise(48, 4000).iter().map(|v| v - 2000).collect();
    let src = Synthetic::grey((6, 8, 1), (16, 12), true, "MONOCHROME2", &values).write(dir.path(), "signed.dcm");
    let (_, written) = clean_and_check(&src, &[bx(0, 0, 2, 2, 0, 0)], grey(-2048), EXPLICIT_LE);
    assert_eq!(&raw_pixels(&written)[..2], &[0x00, 0xF8], "-2048 sign-extended in 16 bits");
    let wide: Vec<i64> = noise(12, 1 << 31).iter().map(|v| v - (1 << 30)).collect();
    let src = Synthetic::grey((3, 4, 1), (32, 32), true, "MONOCHROME2", &wide).write(dir.path(), "s32.dcm");
    clean_and_check(&src, &[bx(1, 1, 2, 1, 0, 0)], grey(-(1 << 31)), EXPLICIT_LE);
    for (name, ts) in
        [("MR_small.dcm", EXPLICIT_LE), ("MR_small_implicit.dcm", IMPLICIT_LE), ("MR_small_bigendian.dcm", BIG_ENDIAN)]
    {
        clean_and_check(&sample(PYDICOM, name), &[bx(40, 0, 24, 10, 0, 0)], grey(-32768), ts);
    }
}

#[test]
fn monochrome1_fills_the_highest_storable_value() {
    let dir = tempfile::tempdir().unwrap();
    let src = Synthetic::grey((4, 4, 1), (8, 8), false, "MONOCHROME1", &noise(16, 200)).write(dir.path(), "m1.dcm");
    clean_and_check(&src, &[bx(2, 0, 2, 4, 0, 0)], grey(255), EXPLICIT_LE);
    let rg1 = sample(PYDICOM_DATA, "RG1_UNCR.dcm"); // 15 bits stored
    clean_and_check(&rg1, &[bx(100, 100, 400, 60, 0, 0)], grey(32767), EXPLICIT_LE);
}

/// Interleaved RGB samples from `noise`.
fn rgb_noise(pixels: usize, frames: usize) -> Vec<u8> {
    noise(pixels * 3 * frames, 255).iter().map(|&v| v as u8).collect()
}

#[test]
fn rgb_fills_zero_in_interleaved_and_planar_data() {
    let dir = tempfile::tempdir().unwrap();
    let grey_spec = || Synthetic::grey((5, 6, 1), (8, 8), false, "", &[]);
    let rgb = |planar, data| Synthetic { spp: 3, photometric: "RGB", planar, data, ..grey_spec() };
    let boxes = [bx(1, 1, 3, 3, 0, 0)];
    let src = rgb(false, rgb_noise(30, 1)).write(dir.path(), "interleaved.dcm");
    clean_and_check(&src, &boxes, RGB_BLACK, EXPLICIT_LE);
    let src = rgb(true, rgb_noise(30, 1)).write(dir.path(), "planar.dcm");
    let (_, written) = clean_and_check(&src, &boxes, RGB_BLACK, EXPLICIT_LE);
    assert_eq!(text(&written, tags::PLANAR_CONFIGURATION), "1", "native planar data stays planar");
    for (name, ts) in [
        ("SC_rgb.dcm", EXPLICIT_LE),
        ("SC_rgb_2frame.dcm", EXPLICIT_LE),
        ("SC_rgb_16bit_2frame.dcm", EXPLICIT_LE),
        ("SC_rgb_32bit_2frame.dcm", EXPLICIT_LE),
        ("SC_rgb_expb_2frame.dcm", BIG_ENDIAN),
        ("SC_rgb_expb_16bit_2frame.dcm", BIG_ENDIAN),
        ("SC_rgb_expb_32bit_2frame.dcm", BIG_ENDIAN),
    ] {
        let last = u32::from(name.contains("2frame"));
        let boxes = [bx(0, 0, 30, 12, 0, 0), bx(60, 40, 100, 100, last, last)];
        clean_and_check(&sample(PYDICOM_DATA, name), &boxes, RGB_BLACK, ts);
    }
}

#[test]
fn ybr_full_fills_zero_luma_and_neutral_chroma() {
    let src = sample(PYDICOM_DATA, "SC_ybr_full_uncompressed.dcm");
    let (_, written) = clean_and_check(&src, &[bx(5, 5, 40, 20, 0, 0)], RGB_BLACK, EXPLICIT_LE);
    let raw = raw_pixels(&written);
    let at = (5 * 100 + 5) * 3;
    assert_eq!(&raw[at..at + 3], &[0, 128, 128], "stored Y, Cb, Cr of a blanked pixel");
}

#[test]
fn ybr_full_422_blanks_whole_pixel_pairs() {
    // Odd x and odd width: both ends widen to the enclosing pairs.
    let src = sample(PYDICOM, "SC_ybr_full_422_uncompressed.dcm");
    let (report, written) = clean_and_check(&src, &[bx(11, 3, 5, 4, 0, 0)], RGB_BLACK, EXPLICIT_LE);
    assert_eq!(report.pixels_filled, 6 * 4, "x 10..16 on 4 rows");
    let at = (3 * 100 + 10) * 2;
    assert_eq!(&raw_pixels(&written)[at..at + 4], &[0, 0, 128, 128], "stored Y0 Y1 Cb Cr of a blanked pair");
}

/// Descriptor and data of the red, green and blue palette tables.
const PALETTE_TAGS: [(dicom_core::Tag, dicom_core::Tag); 3] = [
    (tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR, tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA),
    (tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR, tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA),
    (tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR, tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA),
];

/// The darkest entry (lowest BT.601 luma, first of equals) of a non-segmented palette, as 8-bit RGB.
fn darkest_palette_colour(path: &Path) -> [i64; 3] {
    let obj = open_dicom(path, false).unwrap().obj;
    let luts: Vec<Vec<i64>> = PALETTE_TAGS
        .iter()
        .map(|&(desc, data)| {
            let bits = obj.get(desc).unwrap().to_multi_int::<i64>().unwrap()[2];
            let raw = obj.get(data).unwrap().value().to_bytes().unwrap().into_owned();
            raw.chunks_exact(2).map(|c| i64::from(u16::from_le_bytes([c[0], c[1]])) >> (bits - 8)).collect()
        })
        .collect();
    let luma = |i: usize| 299 * luts[0][i] + 587 * luts[1][i] + 114 * luts[2][i];
    let darkest = (0..luts[0].len()).min_by_key(|&i| luma(i)).unwrap();
    [luts[0][darkest], luts[1][darkest], luts[2][darkest]]
}

#[test]
fn palette_color_fills_the_index_of_the_darkest_entry() {
    let dir = tempfile::tempdir().unwrap();
    // 256 entries of 16 bits, all bright except entry 37: its index, not 0, is black.
    let entry = |i: u16, c: u16| if i == 37 { 0 } else { 0x8000 + i * 0x40 + c * 0x100 };
    let extra = (0..3u16)
        .zip(PALETTE_TAGS)
        .flat_map(|(c, (descriptor, data))| {
            let table = (0..256).map(|i| entry(i, c)).collect();
            [
                DataElement::new(descriptor, VR::US, PrimitiveValue::U16(vec![256, 0, 16].into())),
                DataElement::new(data, VR::OW, PrimitiveValue::U16(table)),
            ]
        })
        .collect();
    let data: Vec<i64> = noise(20, 255).iter().map(|&v| if v == 37 { 38 } else { v }).collect();
    let spec = Synthetic { extra, ..Synthetic::grey((4, 5, 1), (8, 8), false, "PALETTE COLOR", &data) };
    let src = spec.write(dir.path(), "palette.dcm");
    let (_, written) = clean_and_check(&src, &[bx(0, 0, 2, 2, 0, 0)], RGB_BLACK, EXPLICIT_LE);
    assert_eq!(raw_pixels(&written)[0], 37, "the stored index is the darkest entry's");

    let face = sample(PYDICOM_DATA, "OT-PAL-8-face.dcm");
    clean_and_check(&face, &[bx(0, 0, 200, 40, 0, 0)], darkest_palette_colour(&face), IMPLICIT_LE);
    let rle = sample(PYDICOM_DATA, "OBXXXX1A_rle.dcm");
    let (report, _) = clean_and_check(&rle, &[bx(0, 0, 800, 60, 0, 0)], darkest_palette_colour(&rle), EXPLICIT_LE);
    assert_eq!(report.photometric, "PALETTE COLOR", "RLE palette data stays indexed");
}

#[test]
fn segmented_palette_fill_is_no_brighter_than_any_pixel() {
    let dir = tempfile::tempdir().unwrap();
    let src = sample(PYDICOM_DATA, "gdcm-US-ALOKA-16.dcm");
    let luma = |c: [i64; 3]| 299 * c[0] + 587 * c[1] + 114 * c[2];
    let original = values(&decode_file(&src).unwrap());
    let darkest_seen = original.iter().copied().min_by_key(|&c| luma(c)).unwrap();
    // The fill is the palette's darkest entry; the image shows the darkest it uses, no darker.
    let mut file = open_dicom(&src, false).unwrap();
    clean_pixels(&mut file.obj, &[bx(0, 0, 4, 4, 0, 0)]).unwrap();
    let out = dir.path().join("aloka.dcm");
    file.obj.write_to_file(&out).unwrap();
    let fill = values(&decode_file(&out).unwrap())[0];
    assert!(luma(fill) <= luma(darkest_seen), "fill {fill:?} brighter than {darkest_seen:?}");
    clean_and_check(&src, &[bx(0, 0, 640, 30, 0, 0)], fill, IMPLICIT_LE);
}

#[test]
fn encapsulated_data_is_decoded_cleaned_and_rewritten_as_explicit_le() {
    // (file, box, fill, lossy): JPEG baseline YBR_FULL and RGB (Adobe-marked), JPEG lossless,
    // JPEG-LS, JPEG 2000 (YBR_RCT) and RLE.
    let cases: [(&str, &str, PixelBox, [i64; 3], bool); 7] = [
        (PYDICOM, "SC_rgb_jpeg_dcmtk.dcm", bx(0, 0, 50, 10, 0, 0), RGB_BLACK, true),
        (PYDICOM, "SC_rgb_jpeg.dcm", bx(20, 30, 100, 40, 0, 0), RGB_BLACK, true),
        (PYDICOM, "SC_rgb_jpeg_gdcm.dcm", bx(50, 50, 60, 60, 0, 0), RGB_BLACK, false),
        (PYDICOM, "MR_small_jpeg_ls_lossless.dcm", bx(0, 0, 64, 8, 0, 0), grey(-32768), false),
        (PYDICOM_DATA, "US1_J2KR.dcm", bx(0, 0, 640, 40, 0, 0), RGB_BLACK, false),
        (PYDICOM, "SC_rgb_rle_2frame.dcm", bx(10, 10, 20, 20, 1, 1), RGB_BLACK, false),
        (PYDICOM_DATA, "emri_small_jpeg_2k_lossless.dcm", bx(0, 50, 64, 14, 2, 7), grey(0), false),
    ];
    for (folder, name, b, black, lossy) in cases {
        let (report, written) = clean_and_check(&sample(folder, name), &[b], black, EXPLICIT_LE);
        let pixel_data = written.get(tags::PIXEL_DATA).unwrap();
        let bits = written.get(tags::BITS_ALLOCATED).unwrap().to_int::<u16>().unwrap();
        assert_eq!(pixel_data.vr(), if bits == 8 { VR::OB } else { VR::OW }, "{name}: Pixel Data VR");
        assert_eq!(text(&written, tags::PHOTOMETRIC_INTERPRETATION), report.photometric, "{name}");
        if written.get(tags::SAMPLES_PER_PIXEL).unwrap().to_int::<u16>().unwrap() == 3 {
            assert_eq!(report.photometric, "RGB", "{name}: decoded colour is RGB");
            assert_eq!(text(&written, tags::PLANAR_CONFIGURATION), "0", "{name}: interleaved");
        }
        let flag = text(&written, tags::LOSSY_IMAGE_COMPRESSION);
        assert_eq!(flag == "01", lossy, "{name}: Lossy Image Compression {flag:?}");
    }
}

#[test]
fn multi_frame_boxes_apply_to_their_own_frames_only() {
    let dir = tempfile::tempdir().unwrap();
    let src =
        Synthetic::grey((6, 7, 3), (16, 16), false, "MONOCHROME2", &noise(126, 60000)).write(dir.path(), "mf.dcm");
    let boxes = [bx(0, 0, 3, 3, 0, 0), bx(4, 2, 3, 4, 1, 2), bx(2, 3, 3, 2, 2, 2)];
    let (report, _) = clean_and_check(&src, &boxes, grey(0), EXPLICIT_LE);
    assert_eq!((report.frames, report.pixels_filled), (3, 9 + 12 + 12 + 6 - 2), "overlaps counted once");
    let emri = sample(PYDICOM_DATA, "emri_small.dcm");
    clean_and_check(&emri, &[bx(0, 0, 30, 20, 0, 3), bx(30, 40, 34, 24, 5, 9)], grey(0), EXPLICIT_LE);
    let ybr = sample(PYDICOM, "examples_ybr_color.dcm"); // 30 frames of YBR_FULL_422 JPEG
    let boxes = [bx(0, 0, 320, 20, 0, 29), bx(101, 100, 49, 50, 10, 12)]; // odd x: decoded RGB is not widened
    clean_and_check(&ybr, &boxes, RGB_BLACK, EXPLICIT_LE);
}

#[test]
fn ultrasound_top_text_bands_are_blanked() {
    let grey_us = sample(ULTRASOUNDS, "GREYSCALE_IMAGE.dcm");
    clean_and_check(&grey_us, &[bx(0, 0, 1024, 22, 0, 0)], grey(0), EXPLICIT_LE);
    let rgb_us = sample(ULTRASOUNDS, "RGB_IMAGE.dcm");
    clean_and_check(&rgb_us, &[bx(0, 0, 900, 54, 0, 0)], RGB_BLACK, EXPLICIT_LE);
}

#[test]
fn boxes_are_clipped_to_the_image_and_frames() {
    let dir = tempfile::tempdir().unwrap();
    let src = Synthetic::grey((6, 8, 2), (8, 8), false, "MONOCHROME2", &noise(96, 255)).write(dir.path(), "clip.dcm");
    let (report, _) = clean_and_check(&src, &[bx(5, 4, 100, 100, 1, 99)], grey(0), EXPLICIT_LE);
    assert_eq!((report.frames, report.pixels_filled), (1, 3 * 2));
}

#[test]
fn a_box_outside_the_image_is_an_error_naming_it_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let src = Synthetic::grey((6, 8, 2), (8, 8), false, "MONOCHROME2", &noise(96, 255)).write(dir.path(), "out.dcm");
    let original = open_dicom(&src, false).unwrap().obj;
    for bad in
        [bx(8, 0, 2, 2, 0, 0), bx(0, 6, 2, 2, 0, 0), bx(0, 0, 2, 2, 2, 3), bx(0, 0, 0, 2, 0, 0), bx(0, 0, 2, 2, 1, 0)]
    {
        let mut obj = original.clone();
        let err = clean_pixels(&mut obj, &[bx(0, 0, 1, 1, 0, 0), bad]).unwrap_err();
        assert!(matches!(err, CleanError::BoxOutside { index: 1, .. }), "{bad:?}: {err:?}");
        let message = err.to_string();
        assert!(message.contains("box 1") && message.contains("instance 2.25."), "{message}");
        assert_eq!(obj, original, "{bad:?}: the object changed");
    }
}

#[test]
fn an_object_without_pixel_data_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = Synthetic::grey((2, 2, 1), (8, 8), false, "MONOCHROME2", &[1, 2, 3, 4]).write(dir.path(), "none.dcm");
    let mut obj = open_dicom(&src, false).unwrap().obj;
    obj.remove_element(tags::PIXEL_DATA);
    assert!(matches!(clean_pixels(&mut obj, &[bx(0, 0, 1, 1, 0, 0)]), Err(CleanError::NoPixelData { .. })));
}

#[test]
fn big_endian_samples_are_cleaned_in_their_own_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    // Signed fills (0x8000…) and noise are not byte palindromes: a byte-order slip shows.
    for (bits, ob) in [(16, false), (16, true), (32, false), (32, true)] {
        let values: Vec<i64> = noise(20, 1 << (bits - 2)).iter().map(|v| v - (1 << (bits - 3))).collect();
        let spec = Synthetic::grey((4, 5, 1), (bits, bits), true, "MONOCHROME2", &values);
        let src = Synthetic { big_endian: true, ob, ..spec }.write(dir.path(), &format!("be{bits}{ob}.dcm"));
        clean_and_check(&src, &[bx(1, 1, 3, 2, 0, 0)], grey(-(1 << (bits - 1))), BIG_ENDIAN);
    }
}

#[test]
fn lossy_history_is_recorded_when_a_lossy_source_did_not_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let src = sample(PYDICOM, "SC_rgb_jpeg_dcmtk.dcm");
    let mut obj = open_dicom(&src, false).unwrap().obj;
    obj.remove_element(tags::LOSSY_IMAGE_COMPRESSION);
    clean_pixels(&mut obj, &[bx(0, 0, 10, 10, 0, 0)]).unwrap();
    obj.write_to_file(dir.path().join("lossy.dcm")).unwrap();
    let written = open_dicom(&dir.path().join("lossy.dcm"), false).unwrap().obj;
    assert_eq!(text(&written, tags::LOSSY_IMAGE_COMPRESSION), "01");
}
