//! Retain Safe Private: listed numeric private attributes (and their creators) stay; everything
//! else private goes, and text is never kept even when its tag is listed.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use sumi::deid::{Deidentifier, Profile, ProfileOption, Vault};

fn object() -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.4")),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, PrimitiveValue::from("1.2.3.4")),
        DataElement::new(tags::PATIENT_NAME, VR::PN, PrimitiveValue::from("Doe^Jane")),
        DataElement::new(Tag(0x0019, 0x0010), VR::LO, PrimitiveValue::from("SIEMENS MR HEADER")),
        DataElement::new(Tag(0x0019, 0x100C), VR::IS, PrimitiveValue::from("1000")),
        DataElement::new(Tag(0x0019, 0x100D), VR::CS, PrimitiveValue::from("Doe^Jane")),
        DataElement::new(Tag(0x0019, 0x1010), VR::LO, PrimitiveValue::from("Doe^Jane")),
        DataElement::new(Tag(0x0029, 0x0010), VR::LO, PrimitiveValue::from("ACME PHI")),
        DataElement::new(Tag(0x0029, 0x100C), VR::IS, PrimitiveValue::from("7")),
    ])
}

fn run(options: &[ProfileOption]) -> InMemDicomObject {
    let profile = Profile::load("ps315-basic").unwrap().with_options(options);
    let vault = Vault::in_memory();
    let mut obj = object();
    Deidentifier::new(&profile, &vault).unwrap().apply(&mut obj).unwrap();
    obj
}

#[test]
fn retain_safe_private_keeps_listed_numeric_attributes_and_their_creator_only() {
    let out = run(&[ProfileOption::RetainSafePrivate]);
    assert_eq!(out.get(Tag(0x0019, 0x100C)).unwrap().to_str().unwrap(), "1000", "Siemens b-value is on the safe list");
    assert!(out.get(Tag(0x0019, 0x0010)).is_some(), "its creator stays so the block still resolves");
    assert!(out.get(Tag(0x0019, 0x100D)).is_none(), "a listed tag holding text is not kept");
    assert!(out.get(Tag(0x0019, 0x1010)).is_none(), "unlisted private attributes go");
    assert!(
        out.get(Tag(0x0029, 0x0010)).is_none() && out.get(Tag(0x0029, 0x100C)).is_none(),
        "same element number under another creator goes"
    );
}

#[test]
fn without_the_option_every_private_attribute_is_removed() {
    let out = run(&[]);
    assert!(out.iter().all(|e| e.header().tag.group() % 2 == 0), "no private element left");
}
