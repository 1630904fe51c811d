//! The demo recipe: fake patient/study data and series parameters, read from
//! `assets/demo-recipe.toml` (embedded at compile time so the binary is self-contained).

use serde::Deserialize;

/// The recipe text compiled into the binary.
pub const RECIPE_TOML: &str = include_str!("../../assets/demo-recipe.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub version: u32,
    pub uid_root: String,
    pub software_versions: String,
    pub patient: Patient,
    pub study: Study,
    pub private: Private,
    pub ct: CtSeries,
    pub us: UsSeries,
    pub cine: CineSeries,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    pub name: String,
    pub name_burned: String,
    pub id: String,
    pub other_ids: String,
    pub other_id_issuer: String,
    pub birth_date: String,
    pub sex: String,
    pub age: String,
    pub address: String,
    pub telephone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    pub date: String,
    pub time: String,
    pub datetime_burned: String,
    pub id: String,
    pub accession: String,
    pub description: String,
    pub institution: String,
    pub institution_burned: String,
    pub institution_address: String,
    pub referring_physician: String,
    pub performing_physician: String,
    pub operator: String,
    pub requested_procedure_id: String,
    pub requested_procedure_description: String,
    pub scheduled_step_id: String,
    pub manufacturer: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Private {
    pub creator: String,
    pub name_copy: String,
    pub date: String,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtSeries {
    pub series_number: u32,
    pub description: String,
    pub series_time: String,
    pub model: String,
    pub station: String,
    pub serial: String,
    pub protocol: String,
    pub rows: u16,
    pub columns: u16,
    pub slices: u32,
    pub pixel_spacing: f64,
    pub slice_spacing: f64,
    pub first_z: f64,
    pub kvp: u32,
    pub tube_current: u32,
    pub exposure_time: u32,
    pub kernel: String,
    pub noise_hu: f32,
    pub noise_seed: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsSeries {
    pub series_number: u32,
    pub description: String,
    pub series_time: String,
    pub model: String,
    pub station: String,
    pub serial: String,
    pub transducer: String,
    pub frequency_khz: u32,
    pub rows: u16,
    pub columns: u16,
    pub depth_cm: f64,
    pub gain: u32,
    pub noise_seed: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CineSeries {
    pub series_number: u32,
    pub description: String,
    pub series_time: String,
    pub rows: u16,
    pub columns: u16,
    pub frames: u32,
    pub frame_time_ms: f64,
    pub depth_cm: f64,
    pub noise_seed: u64,
}

impl Recipe {
    /// Parses the embedded recipe.
    pub fn embedded() -> Result<Recipe, toml::de::Error> {
        toml::from_str(RECIPE_TOML)
    }

    /// Checks the invariants the generator relies on, so a bad edit of the recipe fails
    /// loudly instead of producing a study that loaders or tests choke on.
    pub fn validate(&self) -> Result<(), String> {
        let ct = &self.ct;
        if ct.rows < 256 || ct.columns < 256 || ct.slices < 200 {
            return Err("CT must be at least 256x256x200".into());
        }
        if !(ct.pixel_spacing > 0.0 && ct.slice_spacing > 0.0) {
            return Err("CT spacing must be positive".into());
        }
        if self.us.rows < 300 || self.us.columns < 400 {
            return Err("ultrasound image must be at least 400x300".into());
        }
        if self.cine.rows < 200 || self.cine.columns < 260 || self.cine.frames == 0 {
            return Err("cine must be at least 260x200 with 1+ frames".into());
        }
        if !self.uid_root.starts_with("2.25.") || self.uid_root.len() > 48 {
            return Err("uid_root must be a 2.25 root of at most 48 characters".into());
        }
        Ok(())
    }
}
