//! Operator spot checks of an export: a stated sampling plan, a reproducible draw, a pass/fail
//! per sampled instance, and a signed report kept in the project and beside the export.

mod plan;
mod report;
pub mod sign;

pub use plan::SamplingPlan;
pub use report::{REPORT_FORMAT, Report, Sample, SignedReport, SpotCheck, Verdict, start};
