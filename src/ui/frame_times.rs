//! Frame times while work runs in the background (`sumi bench gui`): each frame's egui update is
//! timed, by phase (scanning the folder, loading the series), to find frames that block the UI.

use std::time::Duration;

/// What was running during a frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    Scan,
    Load,
}

#[derive(Default)]
pub struct FrameTimes {
    scan: Vec<f64>,
    load: Vec<f64>,
}

impl FrameTimes {
    pub fn record(&mut self, phase: Phase, took: Duration) {
        let ms = took.as_secs_f64() * 1e3;
        match phase {
            Phase::Scan => self.scan.push(ms),
            Phase::Load => self.load.push(ms),
        }
    }

    /// `{frames, max_ms, p99_ms}` per phase and for both together.
    pub fn report(&self) -> serde_json::Value {
        let all: Vec<f64> = self.scan.iter().chain(&self.load).copied().collect();
        serde_json::json!({ "scan": summary(&self.scan), "load": summary(&self.load), "all": summary(&all) })
    }
}

fn summary(ms: &[f64]) -> serde_json::Value {
    let mut v = ms.to_vec();
    v.sort_by(f64::total_cmp);
    let p99 = if v.is_empty() { None } else { Some(v[((v.len() - 1) as f64 * 0.99).round() as usize]) };
    serde_json::json!({ "frames": v.len(), "max_ms": v.last(), "p99_ms": p99 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_and_max_come_from_the_recorded_frames() {
        let mut t = FrameTimes::default();
        for i in 1..=200 {
            t.record(Phase::Load, Duration::from_millis(i));
        }
        t.record(Phase::Scan, Duration::from_millis(500));
        let r = t.report();
        assert_eq!(r["load"]["frames"], 200);
        assert_eq!(r["load"]["max_ms"], 200.0);
        assert_eq!(r["load"]["p99_ms"], 198.0);
        assert_eq!(r["all"]["max_ms"], 500.0);
        assert_eq!(r["scan"]["frames"], 1);
    }
}
