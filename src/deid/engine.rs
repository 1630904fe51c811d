//! Applying a profile to one data set: every element at every nesting level gets exactly one
//! decision (with the rule that made it), then the required de-identification attributes are
//! written. Pixel Data is never touched here.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{StandardDataDictionary, tags};
use dicom_object::InMemDicomObject;
use serde::Serialize;

use super::action::Action;
use super::iod::iod_types;
use super::options::ProfileOption;
use std::collections::{HashMap, HashSet};

use super::profile::{AgeMode, BirthDateMode, CompiledOverride, PatientIdMode, Profile, SafePrivate, SizeWeightMode};
use super::table::annex_e;
use super::values;
use super::vault::{PatientKeys, Vault, VaultError};

/// One decision about one element, for the diff view and the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    /// Sequence path, e.g. "(0040,0275)[1](0008,0050)".
    pub path: String,
    pub tag: String,
    pub name: String,
    pub vr: String,
    pub original: String,
    /// `None` when the element was removed.
    pub new: Option<String>,
    pub action: String,
    pub reason: String,
    pub private: bool,
}

impl Change {
    pub fn changed(&self) -> bool {
        self.new.as_deref() != Some(self.original.as_str())
    }
}

/// What to do with an element, and why.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Table(Action),
    PatientId,
    BirthDate(BirthDateMode),
    AgeBand,
    WeightBand,
    HeightBand,
}

pub struct Deidentifier<'a> {
    pub profile: &'a Profile,
    overrides: Vec<CompiledOverride>,
    safe_private: Vec<SafePrivate>,
    pub vault: &'a Vault,
}

/// Private blocks of one data set level: the creator of each (group, block), and the blocks
/// that keep at least one safe element (their creator must stay too).
#[derive(Default)]
struct PrivateBlocks {
    creators: HashMap<(u16, u16), String>,
    kept: HashSet<(u16, u16)>,
}

/// Per-instance facts the decisions need.
struct Ctx {
    sop_class: String,
    patient: Option<PatientKeys>,
    phi_tokens: Vec<String>,
}

impl<'a> Deidentifier<'a> {
    pub fn new(profile: &'a Profile, vault: &'a Vault) -> Result<Deidentifier<'a>, String> {
        Ok(Deidentifier {
            overrides: profile.compiled_overrides()?,
            safe_private: profile.safe_private_list(),
            profile,
            vault,
        })
    }

    /// De-identifies `obj` in place and returns every decision taken.
    pub fn apply(&self, obj: &mut InMemDicomObject) -> Result<Vec<Change>, VaultError> {
        let p = self.profile;
        let original_id = text(obj, tags::PATIENT_ID)
            .or_else(|| text(obj, tags::PATIENT_NAME))
            .unwrap_or_else(|| "(no patient id)".into());
        let needs_keys = p.patient_id != PatientIdMode::Table || p.has(ProfileOption::RetainLongModifiedDates);
        let ctx = Ctx {
            sop_class: text(obj, tags::SOP_CLASS_UID).unwrap_or_default(),
            patient: if needs_keys { Some(self.vault.patient(&original_id)?) } else { None },
            phi_tokens: phi_tokens(obj),
        };
        let mut changes = Vec::new();
        self.walk(obj, &mut Vec::new(), "", &ctx, &mut changes)?;
        self.add_method_attributes(obj, &mut changes);
        Ok(changes)
    }

    /// Creators and safe blocks at this level (only with Retain Safe Private).
    fn private_blocks(&self, obj: &InMemDicomObject) -> PrivateBlocks {
        let mut blocks = PrivateBlocks::default();
        if self.safe_private.is_empty() {
            return blocks;
        }
        for e in obj.iter() {
            let t = e.header().tag;
            if t.group() % 2 == 1 && (0x0010..=0x00FF).contains(&t.element()) {
                blocks
                    .creators
                    .insert((t.group(), t.element()), e.to_str().map(|s| s.trim().to_string()).unwrap_or_default());
            }
        }
        for e in obj.iter() {
            let t = e.header().tag;
            if self.safe_private_entry(&blocks, t, e.vr()).is_some() {
                blocks.kept.insert((t.group(), t.element() >> 8));
            }
        }
        blocks
    }

    /// The safe-list entry for a private data element, if it is on the list and numeric.
    fn safe_private_entry(&self, blocks: &PrivateBlocks, tag: Tag, vr: VR) -> Option<&SafePrivate> {
        if tag.group().is_multiple_of(2) || tag.element() < 0x1000 || !is_numeric(vr) {
            return None;
        }
        let creator = blocks.creators.get(&(tag.group(), tag.element() >> 8))?;
        self.safe_private.iter().find(|s| s.matches(creator, tag))
    }

    fn walk(
        &self,
        obj: &mut InMemDicomObject,
        path: &mut Vec<Tag>,
        prefix: &str,
        ctx: &Ctx,
        out: &mut Vec<Change>,
    ) -> Result<(), VaultError> {
        let tags: Vec<Tag> = obj.iter().map(|e| e.header().tag).collect();
        let blocks = self.private_blocks(obj);
        for tag in tags {
            let Some(elem) = obj.take(tag) else { continue };
            path.push(tag);
            let (op, reason) = if tag.group() % 2 == 1 && !self.safe_private.is_empty() {
                self.decide_private(&blocks, tag, elem.vr())
            } else {
                self.decide(tag, elem.vr(), path, ctx)
            };
            let here = format!("{prefix}({:04X},{:04X})", tag.group(), tag.element());
            let original = display(&elem);
            let vr = elem.vr();
            let new_elem = self.apply_op(elem, &op, path, &here, ctx, out)?;
            let action = match &op {
                Op::Table(a) => a.code().to_string(),
                Op::PatientId => "pseudonym".into(),
                Op::BirthDate(m) => format!("birth-date:{m:?}"),
                Op::AgeBand => "band".into(),
                Op::WeightBand | Op::HeightBand => "band".into(),
            };
            out.push(Change {
                path: here,
                tag: format!("({:04X},{:04X})", tag.group(), tag.element()),
                name: tag_name(tag),
                vr: vr.to_string().to_string(),
                original,
                new: new_elem.as_ref().map(display),
                action,
                reason,
                private: tag.group() % 2 == 1,
            });
            if let Some(e) = new_elem {
                obj.put(e);
            }
            path.pop();
        }
        Ok(())
    }

    /// Retain Safe Private: keep listed numeric elements and their creators, remove the rest.
    fn decide_private(&self, blocks: &PrivateBlocks, tag: Tag, vr: VR) -> (Op, String) {
        if (0x0010..=0x00FF).contains(&tag.element()) && blocks.kept.contains(&(tag.group(), tag.element())) {
            return (Op::Table(Action::K), "PS3.15 Retain Safe Private: creator of a kept safe attribute".into());
        }
        match self.safe_private_entry(blocks, tag, vr) {
            Some(entry) => (Op::Table(Action::K), format!("PS3.15 Retain Safe Private: {}", entry.reason)),
            None => (Op::Table(Action::X), "private attribute not on the safe list: removed".into()),
        }
    }

    /// The action the profile declares for `tag` and why, before a combined code (X/Z, X/D, …) is
    /// resolved by the attribute's Type in the IOD: a profile override, the private-attribute
    /// rule, or the Annex E row under the profile's options. None when the table does not list it.
    pub fn declared_action(&self, tag: Tag) -> Option<(Action, String)> {
        let p = self.profile;
        if tag.element() == 0x0000 {
            return Some((Action::X, "group length: no longer valid once elements change (retired)".into()));
        }
        if let Some(o) = self.overrides.iter().find(|o| o.pattern.matches(tag)) {
            return Some((o.action, format!("profile {}: {}", p.name, o.reason)));
        }
        if tag.group() % 2 == 1 {
            return Some((Action::X, "private attribute: removed (no safe-private list entry)".into()));
        }
        let row = annex_e().lookup(tag)?;
        let chosen = row
            .options
            .iter()
            .filter(|(o, _)| p.has(*o))
            .max_by_key(|(o, _)| o.is_clean())
            .map(|(o, a)| (*a, format!("PS3.15 {}: {}", o.code().1, row.name)));
        Some(chosen.unwrap_or((row.basic, format!("PS3.15 Basic Profile: {}", row.name))))
    }

    fn decide(&self, tag: Tag, vr: VR, path: &[Tag], ctx: &Ctx) -> (Op, String) {
        let p = self.profile;
        let top = path.len() == 1;
        if top {
            match tag {
                tags::PATIENT_ID if p.patient_id == PatientIdMode::Pseudonym => {
                    return (Op::PatientId, "random pseudonym kept in the key vault (no derivable rule)".into());
                }
                tags::PATIENT_ID if p.patient_id == PatientIdMode::Random => {
                    return (Op::PatientId, "random ID for this export only; no key is kept".into());
                }
                tags::PATIENT_BIRTH_DATE if p.birth_date != BirthDateMode::Table => {
                    return (Op::BirthDate(p.birth_date), format!("profile {}: birth date {:?}", p.name, p.birth_date));
                }
                tags::PATIENT_AGE if p.age == AgeMode::Band10 => {
                    return (Op::AgeBand, format!("profile {}: age in 10-year bands", p.name));
                }
                tags::PATIENT_AGE if p.age == AgeMode::Keep => {
                    return (Op::Table(Action::K), format!("profile {}: age kept as the purpose needs", p.name));
                }
                tags::PATIENT_WEIGHT if p.size_weight == SizeWeightMode::Band => {
                    return (Op::WeightBand, format!("profile {}: weight banded", p.name));
                }
                tags::PATIENT_SIZE if p.size_weight == SizeWeightMode::Band => {
                    return (Op::HeightBand, format!("profile {}: height banded", p.name));
                }
                _ => {}
            }
        }
        if let Some((action, reason)) = self.declared_action(tag) {
            if action.is_combined() {
                let types = iod_types();
                let ty = types.type_of(&ctx.sop_class, path);
                let resolved = action.resolve(ty, types.may_be_type1(tag), !top);
                let why = match ty {
                    Some(t) => format!("{t:?} in this IOD"),
                    None => "Type unknown here: kept valid".into(),
                };
                return (Op::Table(resolved), format!("{reason} ({} → {}, {why})", action.code(), resolved.code()));
            }
            return (Op::Table(action), reason);
        }
        if matches!(vr, VR::DA | VR::DT | VR::TM) {
            let action = if p.has(ProfileOption::RetainLongFullDates) {
                Action::K
            } else if p.has(ProfileOption::RetainLongModifiedDates) {
                Action::C
            } else {
                Action::Z
            };
            return (Op::Table(action), "date/time not listed in Table E.1-1: handled by its VR".into());
        }
        (Op::Table(Action::K), "not listed in Table E.1-1".into())
    }

    fn apply_op(
        &self,
        elem: DataElement<InMemDicomObject>,
        op: &Op,
        path: &mut Vec<Tag>,
        here: &str,
        ctx: &Ctx,
        out: &mut Vec<Change>,
    ) -> Result<Option<DataElement<InMemDicomObject>>, VaultError> {
        let tag = elem.header().tag;
        let vr = elem.vr();
        let str_value = || elem.to_str().map(|s| s.trim_end_matches(['\0', ' ']).to_string()).unwrap_or_default();
        let replace =
            |v: Option<String>| Some(DataElement::new(tag, vr, v.map_or(PrimitiveValue::Empty, PrimitiveValue::from)));
        Ok(match op {
            Op::PatientId => {
                let pseudonym = ctx.patient.as_ref().map(|k| k.pseudonym.clone());
                replace(pseudonym)
            }
            Op::BirthDate(mode) => match mode {
                BirthDateMode::Keep => Some(elem),
                BirthDateMode::Remove => replace(None),
                BirthDateMode::YearMonth => replace(values::generalise_date(&str_value(), false)),
                BirthDateMode::Year => replace(values::generalise_date(&str_value(), true)),
                BirthDateMode::Table => replace(None),
            },
            Op::AgeBand => replace(values::band_age(&str_value())),
            Op::WeightBand => replace(values::band_weight(&str_value())),
            Op::HeightBand => replace(values::band_height(&str_value())),
            Op::Table(action) => match action {
                Action::X => None,
                Action::Z if vr == VR::SQ => {
                    Some(DataElement::new(tag, VR::SQ, DataSetSequence::<InMemDicomObject>::from(Vec::new())))
                }
                Action::Z => replace(None),
                // U on a sequence is X/Z/U* resolved to U: keep it and replace the instance UIDs
                // it contains (their own rows say U), rather than treating the sequence as a UID.
                Action::K | Action::D | Action::C | Action::U if vr == VR::SQ => {
                    Some(self.recurse(elem, path, here, ctx, out)?)
                }
                Action::K => Some(elem),
                Action::D => match vr {
                    VR::UI => Some(self.map_uids(elem)?),
                    _ => values::dummy(vr).map(|v| DataElement::new(tag, vr, v)).or_else(|| replace(None)),
                },
                Action::C => match vr {
                    VR::DA | VR::DT => {
                        let shift = ctx.patient.as_ref().map(|k| k.date_offset_days);
                        if self.profile.has(ProfileOption::RetainLongFullDates)
                            && !self.profile.has(ProfileOption::RetainLongModifiedDates)
                        {
                            Some(elem)
                        } else if let Some(days) = shift {
                            let s = str_value();
                            let shifted = if vr == VR::DA {
                                shift_multi(&s, |d| values::shift_da(d, days))
                            } else {
                                shift_multi(&s, |d| values::shift_dt(d, days))
                            };
                            replace(shifted)
                        } else {
                            replace(None)
                        }
                    }
                    VR::TM => Some(elem),
                    VR::AE | VR::LO | VR::LT | VR::SH | VR::ST | VR::UC | VR::UT | VR::PN => {
                        replace(Some(values::scrub(&str_value(), &ctx.phi_tokens)))
                    }
                    _ => Some(elem),
                },
                Action::U => Some(self.map_uids(elem)?),
                combined => unreachable!("combined action {combined:?} is resolved in decide()"),
            },
        })
    }

    fn recurse(
        &self,
        elem: DataElement<InMemDicomObject>,
        path: &mut Vec<Tag>,
        here: &str,
        ctx: &Ctx,
        out: &mut Vec<Change>,
    ) -> Result<DataElement<InMemDicomObject>, VaultError> {
        let tag = elem.header().tag;
        let mut items: Vec<InMemDicomObject> = match elem.into_value() {
            Value::Sequence(seq) => seq.into_items().into_iter().collect(),
            _ => Vec::new(),
        };
        for (i, item) in items.iter_mut().enumerate() {
            self.walk(item, path, &format!("{here}[{}]", i + 1), ctx, out)?;
        }
        // Undefined length: item contents changed, so any recorded lengths are stale.
        Ok(DataElement::new(tag, VR::SQ, DataSetSequence::from(items)))
    }

    fn map_uids(&self, elem: DataElement<InMemDicomObject>) -> Result<DataElement<InMemDicomObject>, VaultError> {
        let tag = elem.header().tag;
        let uids: Vec<String> = elem
            .to_multi_str()
            .map(|v| v.iter().map(|s| s.trim_end_matches(['\0', ' ']).to_string()).collect())
            .unwrap_or_default();
        let mapped: Vec<String> =
            uids.iter().filter(|u| !u.is_empty()).map(|u| self.vault.map_uid(u)).collect::<Result<_, _>>()?;
        Ok(DataElement::new(tag, VR::UI, PrimitiveValue::Strs(mapped.into_iter().collect())))
    }

    /// Patient Identity Removed, De-identification Method (+ Code Sequence) and Longitudinal
    /// Temporal Information Modified, as the Basic Profile requires.
    fn add_method_attributes(&self, obj: &mut InMemDicomObject, out: &mut Vec<Change>) {
        let p = self.profile;
        let mut codes = vec![("113100", "Basic Application Confidentiality Profile")];
        codes.extend(p.options.iter().map(|o| o.code()));
        let items: Vec<InMemDicomObject> = codes
            .iter()
            .map(|(value, meaning)| {
                InMemDicomObject::from_element_iter([
                    DataElement::new(tags::CODE_VALUE, VR::SH, PrimitiveValue::from(*value)),
                    DataElement::new(tags::CODING_SCHEME_DESIGNATOR, VR::SH, PrimitiveValue::from("DCM")),
                    DataElement::new(tags::CODE_MEANING, VR::LO, PrimitiveValue::from(*meaning)),
                ])
            })
            .collect();
        let temporal = if p.has(ProfileOption::RetainLongModifiedDates) {
            "MODIFIED"
        } else if p.has(ProfileOption::RetainLongFullDates) {
            "UNMODIFIED"
        } else {
            "REMOVED"
        };
        let added = [
            DataElement::new(tags::PATIENT_IDENTITY_REMOVED, VR::CS, PrimitiveValue::from("YES")),
            DataElement::new(
                tags::DEIDENTIFICATION_METHOD,
                VR::LO,
                PrimitiveValue::Strs(p.method_description().into_iter().collect()),
            ),
            DataElement::new(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE, VR::SQ, DataSetSequence::from(items)),
            DataElement::new(tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, VR::CS, PrimitiveValue::from(temporal)),
        ];
        for e in added {
            let tag = e.header().tag;
            out.push(Change {
                path: format!("({:04X},{:04X})", tag.group(), tag.element()),
                tag: format!("({:04X},{:04X})", tag.group(), tag.element()),
                name: tag_name(tag),
                vr: e.vr().to_string().to_string(),
                original: obj.get(tag).map(display).unwrap_or_default(),
                new: Some(display(&e)),
                action: "add".into(),
                reason: "PS3.15 E.1.1: required after de-identification".into(),
                private: false,
            });
            obj.put(e);
        }
    }
}

/// Applies `f` to each backslash-separated value; `None` if any value cannot be transformed.
fn shift_multi(s: &str, f: impl Fn(&str) -> Option<String>) -> Option<String> {
    s.split('\\')
        .map(|v| if v.is_empty() { Some(String::new()) } else { f(v) })
        .collect::<Option<Vec<_>>>()
        .map(|v| v.join("\\"))
}

fn is_numeric(vr: VR) -> bool {
    matches!(vr, VR::DS | VR::IS | VR::FL | VR::FD | VR::SL | VR::SS | VR::UL | VR::US | VR::SV | VR::UV)
}

fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?.trim_matches(['\0', ' ']).to_string();
    (!s.is_empty()).then_some(s)
}

/// Strings that identify this patient, for cleaning free text (names split into parts).
fn phi_tokens(obj: &InMemDicomObject) -> Vec<String> {
    let mut tokens = Vec::new();
    for tag in [
        tags::PATIENT_NAME,
        tags::OTHER_PATIENT_NAMES,
        tags::PATIENT_BIRTH_NAME,
        tags::PATIENT_MOTHER_BIRTH_NAME,
        tags::REFERRING_PHYSICIAN_NAME,
        tags::PERFORMING_PHYSICIAN_NAME,
        tags::OPERATORS_NAME,
    ] {
        if let Some(v) = text(obj, tag) {
            tokens.extend(v.split(['^', '=', ' ', '\\']).filter(|s| s.chars().count() >= 2).map(String::from));
        }
    }
    for tag in [
        tags::PATIENT_ID,
        dicom_core::Tag(0x0010, 0x1000), // Other Patient IDs (retired, still written by devices)
        tags::ACCESSION_NUMBER,
        tags::INSTITUTION_NAME,
        tags::PATIENT_BIRTH_DATE,
        tags::PATIENT_ADDRESS,
        tags::PATIENT_TELEPHONE_NUMBERS,
    ] {
        if let Some(v) = text(obj, tag) {
            tokens.extend(v.split('\\').filter(|s| !s.is_empty()).map(String::from));
        }
    }
    // Longest first, so "Yamada Taro" is removed before "Yamada".
    tokens.sort_by_key(|t| std::cmp::Reverse(t.len()));
    tokens.dedup();
    tokens
}

pub fn tag_name(tag: Tag) -> String {
    if tag.group() % 2 == 1 {
        return if (0x0010..=0x00FF).contains(&tag.element()) { "Private Creator".into() } else { "Private".into() };
    }
    StandardDataDictionary
        .by_tag(tag)
        .map(|d| d.alias().to_string())
        .or_else(|| annex_e().lookup(tag).map(|r| r.name.clone()))
        .unwrap_or_else(|| "Unknown".into())
}

/// A short text form of an element's value for reports.
pub fn display(e: &DataElement<InMemDicomObject>) -> String {
    match e.value() {
        Value::Sequence(s) => format!("<{} item(s)>", s.items().len()),
        Value::PixelSequence(s) => format!("<{} fragment(s)>", s.fragments().len()),
        Value::Primitive(p) => {
            if matches!(e.vr(), VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN) {
                return format!("<{} bytes>", p.calculate_byte_len());
            }
            let s = p.to_str();
            let s = s.trim_end_matches(['\0', ' ']);
            if s.chars().count() > 200 {
                format!("{}…", s.chars().take(200).collect::<String>())
            } else {
                s.to_string()
            }
        }
    }
}
