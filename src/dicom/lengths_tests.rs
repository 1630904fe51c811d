//! Unit tests of the length walk: each rule, most of them from a fuzzing finding.

use super::*;

/// A Part 10 file: preamble, DICM, a meta group naming `ts`, then `dataset`.
fn part10_ts(ts: &[u8], dataset: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 128];
    v.extend_from_slice(b"DICM");
    v.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
    v.extend_from_slice(&(ts.len() as u16).to_le_bytes());
    v.extend_from_slice(ts);
    v.extend_from_slice(dataset);
    v
}

fn part10(dataset: &[u8]) -> Vec<u8> {
    part10_ts(b"1.2.840.10008.1.2.1\0", dataset)
}

/// The walk's verdict on `bytes` written to a file.
fn walk_file(bytes: &[u8], header_only: bool) -> Result<DataSetLayout, DicomError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.dcm");
    std::fs::write(&p, bytes).unwrap();
    check_declared_lengths(&p, header_only)
}

fn layout(bytes: &[u8]) -> Result<DataSetLayout, DicomError> {
    walk_file(bytes, false)
}

fn element(group: u16, el: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&group.to_le_bytes());
    v.extend_from_slice(&el.to_le_bytes());
    v.extend_from_slice(vr);
    v.extend_from_slice(&(value.len() as u16).to_le_bytes());
    v.extend_from_slice(value);
    v
}

fn check(bytes: &[u8]) -> Result<(), DicomError> {
    layout(bytes).map(|_| ())
}

#[test]
fn a_huge_declared_length_is_refused_before_anything_is_allocated() {
    let mut ds = element(0x0008, 0x0005, b"CS", b"ISO_IR 100");
    ds.extend_from_slice(&[0x09, 0x00, 0x10, 0x00, b'O', b'B', 0, 0]);
    ds.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    ds.extend_from_slice(b"abc");
    let err = check(&part10(&ds)).unwrap_err().to_string();
    assert!(err.contains("(0009,0010)") && err.contains("4294967280 bytes"), "{err}");
}

#[test]
fn a_huge_length_inside_a_sequence_item_is_refused_too() {
    let inner = element(0x0010, 0x0010, b"PN", b"DOE^J");
    let mut ds = vec![0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
    ds.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    ds.extend_from_slice(&inner);
    ds.extend_from_slice(&[0x08, 0x00, 0x50, 0x11, b'U', b'T', 0, 0]);
    ds.extend_from_slice(&0x7FFF_0000u32.to_le_bytes());
    let err = check(&part10(&ds)).unwrap_err().to_string();
    assert!(err.contains("(0008,1150)"), "{err}");
}

#[test]
fn well_formed_nested_and_encapsulated_data_passes() {
    let inner = element(0x0010, 0x0010, b"PN", b"DOE^J");
    let mut ds = vec![0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
    ds.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
    ds.extend_from_slice(&(inner.len() as u32).to_le_bytes());
    ds.extend_from_slice(&inner);
    ds.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    ds.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
    ds.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
    ds.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0, 1, 2, 3, 4]);
    ds.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    check(&part10(&ds)).unwrap();
}

#[test]
fn a_stray_delimiter_in_the_top_level_data_set_ends_what_is_parsed() {
    // Fuzzing: behind a top-level item delimiter the walk stopped as if done, and the parser
    // read on into a 1.5 GB value.
    let mut ds = element(0x0008, 0x0005, b"CS", b"ISO_IR 100");
    let stray_at = 132 + 8 + 20 + ds.len() as u64;
    ds.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
    ds.extend_from_slice(&[0x5A, 0x5A, 0x5A, 0x5A, b'O', b'B', 0, 0]);
    ds.extend_from_slice(&0x5A5A_5A5Au32.to_le_bytes());
    assert_eq!(layout(&part10(&ds)).unwrap(), DataSetLayout::UnderstoodUntil(stray_at));
}

#[test]
fn a_binary_value_of_a_length_the_parser_reads_out_of_step_ends_what_is_parsed() {
    // Fuzzing: Pixel Representation as FL with 2 bytes; the parser read no float, stayed
    // 2 bytes behind and took value bytes for a 4 GB length.
    let mut ds = element(0x0028, 0x0010, b"US", &[10, 0]);
    let bad_at = 132 + 8 + 20 + ds.len() as u64;
    ds.extend(element(0x0028, 0x0103, b"FL", &[0, 0]));
    ds.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0, 0, 0xFF, 0xFF]);
    assert_eq!(layout(&part10(&ds)).unwrap(), DataSetLayout::UnderstoodUntil(bad_at));
    // Whole numbers pass, and so does a last element of odd length: nothing follows it.
    let ds = [element(0x0028, 0x0010, b"US", &[10, 0]), element(0x0018, 0x1164, b"DS", b"0.5 ")].concat();
    assert_eq!(layout(&part10(&ds)).unwrap(), DataSetLayout::AsDeclared);
    let ds = [element(0x0028, 0x0010, b"US", &[10, 0]), element(0x0028, 0x0011, b"US", &[3])].concat();
    assert_eq!(layout(&part10(&ds)).unwrap(), DataSetLayout::AsDeclared);
}

#[test]
fn the_meta_group_ends_where_its_group_length_says_as_the_parser_reads_it() {
    // Fuzzing: a stray (0032,0012) inside a deflated file's meta group. The parser reads on to
    // the group length and inflates from there; the walk must inflate the same bytes.
    let mut v = vec![0u8; 128];
    v.extend_from_slice(b"DICM");
    let ts = b"1.2.840.10008.1.2.1.99";
    let mut meta = vec![0x02, 0x00, 0x10, 0x00, b'U', b'I', ts.len() as u8, 0];
    meta.extend_from_slice(ts);
    meta.extend_from_slice(&[0x32, 0x00, 0x12, 0x00, b'U', b'I', 2, 0, b'1', 0]);
    v.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0]);
    v.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    v.extend_from_slice(&meta);
    // The deflated data set: one element declaring far more than it holds.
    let mut ds = vec![0x10, 0x00, 0x10, 0x00, b'U', b'T', 0, 0];
    ds.extend_from_slice(&0x3000_0000u32.to_le_bytes());
    ds.extend_from_slice(b"DOE^J");
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, &ds).unwrap();
    v.extend(z.finish().unwrap());
    let err = layout(&v).unwrap_err().to_string();
    assert!(err.contains("deflated data set") && err.contains("(0010,0010)"), "{err}");
}

#[test]
fn an_unknown_two_letter_vr_has_a_four_byte_length_as_the_parser_reads_it() {
    // Fuzzing: (0008,010C) with VR "XI": the parser reads it as UN and takes "1.2." for a
    // 775 MB length.
    let ds = element(0x0008, 0x010C, b"XI", b"1.2.276.0.7230010.3.0.0.1\0");
    let err = layout(&part10(&ds)).unwrap_err().to_string();
    assert!(err.contains("(0008,010C)"), "{err}");
}

#[test]
fn implicit_vr_elements_are_checked_with_their_dictionary_vr() {
    // Rows (0028,0010) is US: 3 bytes put the parser out of step, as in explicit VR.
    let mut v = part10_ts(b"1.2.840.10008.1.2\0\0", &[]);
    let implicit = |g: u16, e: u16, value: &[u8]| {
        [&g.to_le_bytes()[..], &e.to_le_bytes(), &(value.len() as u32).to_le_bytes(), value].concat()
    };
    v.extend(implicit(0x0008, 0x0060, b"CT"));
    let bad_at = v.len() as u64;
    v.extend(implicit(0x0028, 0x0010, &[1, 2, 3]));
    v.extend(implicit(0x0028, 0x0011, &[1, 2]));
    assert_eq!(layout(&v).unwrap(), DataSetLayout::UnderstoodUntil(bad_at));
}

#[test]
fn a_sequence_delimiter_among_an_items_elements_is_not_the_end_of_the_item() {
    // Fuzzing: the parser reads (FFFE,E0DD) there as an element and allocates its length.
    let inner = element(0x0010, 0x0010, b"PN", b"DOE^J");
    let mut ds = vec![0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
    ds.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    ds.extend_from_slice(&inner);
    let stray_at = 132 + 8 + 20 + ds.len() as u64;
    ds.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0x00, 0xFF, 0xFF, 0xFF]);
    ds.extend(element(0x0010, 0x0020, b"LO", b"ID"));
    assert_eq!(layout(&part10(&ds)).unwrap(), DataSetLayout::UnderstoodUntil(stray_at));
}

#[test]
fn a_meta_element_with_an_unknown_vr_has_a_four_byte_length_as_the_parser_reads_it() {
    // Fuzzing: (0002,0010) with VR bytes A4 B6 read as UN, its length made of value bytes
    // (775 MB from a 14 KB file).
    let mut v = vec![0u8; 128];
    v.extend_from_slice(b"DICM");
    v.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, 0xA4, 0xB6, 0x14, 0x00]);
    v.extend_from_slice(b"1.2.840.10008.1.2.1\0");
    let err = layout(&v).unwrap_err().to_string();
    assert!(err.contains("meta group"), "{err}");
}

#[test]
fn a_raw_data_set_is_read_whole_so_its_pixel_data_lengths_count_even_for_a_header() {
    // Fuzzing: a data set without a meta group declared a 4 GB fragment; a header read of a
    // Part 10 file stops before Pixel Data, the raw reader does not.
    let mut v = vec![0x08, 0x00, 0x60, 0x00, b'C', b'S', 2, 0, b'O', b'T'];
    v.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
    v.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
    v.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0x00, 0x00, 0x00, 0xFC, 1, 2, 3, 4]);
    let err = walk_file(&v, true).unwrap_err().to_string();
    assert!(err.contains("(7FE0,0010)"), "{err}");
}

#[test]
fn pixel_data_inside_an_item_counts_even_for_a_header_read() {
    // Fuzzing: an Icon Image Sequence item's Pixel Data declared 825 MB; the header read stops
    // before the top-level Pixel Data only, the item's is read.
    let mut v = part10(&[]);
    v.extend_from_slice(&[0x88, 0x00, 0x00, 0x02, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
    v.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    v.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0x31, 0x31, 1, 2]);
    let err = walk_file(&v, true).unwrap_err().to_string();
    assert!(err.contains("(7FE0,0010)") && err.contains("825360383"), "{err}");
}

#[test]
fn truncated_pixel_data_passes_a_header_read_but_not_a_full_read() {
    let mut v = part10(&[]);
    v.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0]);
    v.extend_from_slice(&8192u32.to_le_bytes());
    v.extend_from_slice(&[0u8; 100]);
    assert!(walk_file(&v, true).is_ok());
    let err = walk_file(&v, false).unwrap_err().to_string();
    assert!(err.contains("(7FE0,0010)") && err.contains("8192 bytes"), "{err}");
}
