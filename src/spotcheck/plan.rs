//! The sampling plan: how many exported instances an operator must look at, and which. Zero-
//! acceptance sampling (the batch passes only if no sampled instance fails): the sample size is
//! the smallest n for which a batch with the tolerated defect rate would show no defect in n
//! draws with probability at most 1 − confidence (hypergeometric, without replacement). The draw
//! is reproducible from the seed stated in the report.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplingPlan {
    /// e.g. 0.95.
    pub confidence: f64,
    /// The defect rate the batch must be shown to be below, e.g. 0.01.
    pub max_defect_rate: f64,
    pub seed: u64,
}

impl Default for SamplingPlan {
    fn default() -> Self {
        SamplingPlan { confidence: 0.95, max_defect_rate: 0.01, seed: 0x5EED }
    }
}

impl SamplingPlan {
    /// Checks the numbers a user typed.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.5..1.0).contains(&self.confidence) {
            return Err(format!("confidence {} must be at least 0.5 and below 1", self.confidence));
        }
        if !(self.max_defect_rate > 0.0 && self.max_defect_rate < 0.5) {
            return Err(format!("defect rate {} must be above 0 and below 0.5", self.max_defect_rate));
        }
        Ok(())
    }

    /// The sample size for a batch of `population` instances.
    pub fn sample_size(&self, population: usize) -> usize {
        if population == 0 {
            return 0;
        }
        let alpha = 1.0 - self.confidence;
        // The fewest defects that would make the rate reach the tolerated one.
        let defects = ((self.max_defect_rate * population as f64).ceil() as usize).max(1);
        // P(no defect in n draws) = Π_{i<n} (N − D − i) / (N − i).
        let mut p_none = 1.0f64;
        for n in 0..population {
            if p_none <= alpha {
                return n;
            }
            let good = population.saturating_sub(defects + n) as f64;
            p_none *= good / (population - n) as f64;
        }
        population
    }

    /// The indices (0..population) to check, in ascending order.
    pub fn draw(&self, population: usize) -> Vec<usize> {
        let n = self.sample_size(population);
        let mut idx: Vec<usize> = (0..population).collect();
        let mut rng = SplitMix64(self.seed);
        // Partial Fisher–Yates: the first n positions become a uniform sample.
        for i in 0..n {
            let j = i + (rng.next() % (population - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.truncate(n);
        idx.sort_unstable();
        idx
    }
}

/// A small, well-known generator: reproducible across platforms and versions.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_batches_need_the_textbook_299_for_95_percent_confidence_below_1_percent() {
        // (1 − 0.01)^n ≤ 0.05 ⇒ n = 299 for an infinite batch; a large finite batch needs slightly fewer.
        let plan = SamplingPlan::default();
        let n = plan.sample_size(1_000_000);
        assert!((297..=299).contains(&n), "{n}");
    }

    #[test]
    fn small_batches_need_fewer_and_tiny_batches_are_checked_whole() {
        let plan = SamplingPlan::default();
        // N = 202: 3 defects tolerated ⇒ the smallest n with C(199, n)/C(202, n) ≤ 0.05.
        let n = plan.sample_size(202);
        let p = |n: usize| (0..n).fold(1.0, |acc, i| acc * (199 - i) as f64 / (202 - i) as f64);
        assert!(p(n) <= 0.05 && p(n - 1) > 0.05, "n = {n}");
        assert_eq!(plan.sample_size(10), 10, "one defect in ten is over 1 %: every instance must be seen");
        assert_eq!(plan.sample_size(0), 0);
    }

    #[test]
    fn the_draw_is_reproducible_from_the_seed_and_has_no_duplicates() {
        let plan = SamplingPlan { seed: 42, ..Default::default() };
        let a = plan.draw(5000);
        assert_eq!(a, plan.draw(5000));
        assert_eq!(a.len(), plan.sample_size(5000));
        let mut d = a.clone();
        d.dedup();
        assert_eq!(d.len(), a.len());
        assert_ne!(a, SamplingPlan { seed: 43, ..plan }.draw(5000));
    }

    #[test]
    fn nonsense_plans_are_refused() {
        assert!(SamplingPlan { confidence: 1.0, ..Default::default() }.validate().is_err());
        assert!(SamplingPlan { max_defect_rate: 0.0, ..Default::default() }.validate().is_err());
        assert!(SamplingPlan::default().validate().is_ok());
    }
}
