//! Scoring proposals against ground truth: box-level recall and precision and image-level recall,
//! frame by frame for multi-frame images.

use serde::{Deserialize, Serialize};

use super::TextBox;

/// A ground-truth text line (the format of `tests/data/burned-in-truth/*.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthBox {
    /// `[x, y, w, h]` in pixels.
    #[serde(rename = "box")]
    pub bbox: [u32; 4],
    pub text: String,
    /// Whether the text identifies the patient or the visit.
    pub phi: bool,
    /// First and last frame (inclusive) showing the text; absent: every frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames: Option<[u32; 2]>,
}

/// A truth box counts as found when proposals cover at least this fraction of its area.
pub const FOUND_COVERAGE: f64 = 0.9;
/// A proposal counts as correct when truth boxes cover at least this fraction of its area. Not
/// more, since proposals carry a margin and may join a field with its label.
pub const PRECISE_COVERAGE: f64 = 0.25;

/// Counts for one image; they add up over a set of images.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub truth: usize,
    pub found: usize,
    pub phi_truth: usize,
    pub phi_found: usize,
    pub proposed: usize,
    pub precise: usize,
    /// Images with PHI text, and those of them with a proposal over some PHI box.
    pub phi_images: usize,
    pub phi_images_hit: usize,
}

impl Score {
    pub fn add(&mut self, o: &Score) {
        self.truth += o.truth;
        self.found += o.found;
        self.phi_truth += o.phi_truth;
        self.phi_found += o.phi_found;
        self.proposed += o.proposed;
        self.precise += o.precise;
        self.phi_images += o.phi_images;
        self.phi_images_hit += o.phi_images_hit;
    }
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.truth)
    }
    pub fn precision(&self) -> f64 {
        ratio(self.precise, self.proposed)
    }
    pub fn image_recall(&self) -> f64 {
        ratio(self.phi_images_hit, self.phi_images)
    }
}

/// 1 when there is nothing to count.
fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn active(frames: (u32, u32), k: u32) -> bool {
    frames.0 <= k && k <= frames.1
}

/// Fraction of the area of `target` covered by the union of `boxes` (all `[x, y, w, h]`).
pub fn coverage(target: [u32; 4], boxes: &[[u32; 4]]) -> f64 {
    let [tx, ty, tw, th] = target;
    if tw == 0 || th == 0 {
        return 1.0;
    }
    let mut covered = vec![false; (tw * th) as usize];
    for &[x, y, w, h] in boxes {
        let (x0, x1) = (x.max(tx), (x + w).min(tx + tw));
        let (y0, y1) = (y.max(ty), (y + h).min(ty + th));
        for yy in y0..y1 {
            for xx in x0..x1 {
                covered[((yy - ty) * tw + xx - tx) as usize] = true;
            }
        }
    }
    covered.iter().filter(|&&c| c).count() as f64 / covered.len() as f64
}

/// Scores the proposals of one image of `frames` frames. A truth box is found when it is covered
/// in every frame it shows in; a proposal is precise when, in some frame of its range, truth text
/// of that frame covers enough of it; the image is hit when some PHI box is found.
pub fn score_image(truth: &[TruthBox], proposed: &[TextBox], frames: u32) -> Score {
    let range = |t: &TruthBox| t.frames.map_or((0, frames.saturating_sub(1)), |[a, b]| (a, b));
    let proposed_at = |k: u32| -> Vec<[u32; 4]> {
        proposed.iter().filter(|p| active(p.frames, k)).map(|p| [p.x, p.y, p.w, p.h]).collect()
    };
    let truth_at = |k: u32| -> Vec<[u32; 4]> { truth.iter().filter(|t| active(range(t), k)).map(|t| t.bbox).collect() };
    let found: Vec<bool> = truth
        .iter()
        .map(|t| {
            let (a, b) = range(t);
            (a..=b).all(|k| coverage(t.bbox, &proposed_at(k)) >= FOUND_COVERAGE)
        })
        .collect();
    let precise = proposed
        .iter()
        .filter(|p| (p.frames.0..=p.frames.1).any(|k| coverage([p.x, p.y, p.w, p.h], &truth_at(k)) >= PRECISE_COVERAGE))
        .count();
    let phi: Vec<bool> = truth.iter().map(|t| t.phi).collect();
    let phi_truth = phi.iter().filter(|&&p| p).count();
    let phi_found = phi.iter().zip(&found).filter(|&(&p, &f)| p && f).count();
    Score {
        truth: truth.len(),
        found: found.iter().filter(|&&f| f).count(),
        phi_truth,
        phi_found,
        proposed: proposed.len(),
        precise,
        phi_images: usize::from(phi_truth > 0),
        phi_images_hit: usize::from(phi_found > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tb(x: u32, y: u32, w: u32, h: u32, frames: (u32, u32)) -> TextBox {
        TextBox { x, y, w, h, score: 1.0, reason: String::new(), frames, ocr_text: None, class: None }
    }

    fn truth(bbox: [u32; 4], phi: bool) -> TruthBox {
        TruthBox { bbox, text: "t".into(), phi, frames: None }
    }

    #[test]
    fn coverage_counts_the_union_of_overlapping_boxes_once() {
        assert_eq!(coverage([0, 0, 10, 10], &[[0, 0, 5, 10], [3, 0, 4, 10]]), 0.7);
        assert_eq!(coverage([10, 10, 4, 4], &[[0, 0, 5, 5]]), 0.0);
    }

    #[test]
    fn a_truth_box_split_by_an_uncovered_gap_is_not_found() {
        let t = [truth([0, 0, 100, 10], true)];
        let split = [tb(0, 0, 40, 10, (0, 0)), tb(60, 0, 40, 10, (0, 0))];
        let s = score_image(&t, &split, 1);
        assert_eq!((s.found, s.precise, s.phi_images_hit), (0, 2, 0));
        let whole = [tb(0, 0, 95, 11, (0, 0))];
        assert_eq!(score_image(&t, &whole, 1).found, 1);
    }

    #[test]
    fn multi_frame_truth_must_be_covered_in_every_frame_it_shows_in() {
        let mut t = truth([0, 0, 10, 10], false);
        t.frames = Some([1, 2]);
        let only_frame_1 = [tb(0, 0, 10, 10, (1, 1))];
        assert_eq!(score_image(std::slice::from_ref(&t), &only_frame_1, 3).found, 0);
        let both = [tb(0, 0, 10, 10, (0, 2))];
        assert_eq!(score_image(&[t], &both, 3).found, 1);
    }

    #[test]
    fn a_proposal_away_from_all_text_is_imprecise() {
        let t = [truth([0, 0, 10, 10], false)];
        let s = score_image(&t, &[tb(50, 50, 10, 10, (0, 0)), tb(0, 0, 12, 12, (0, 0))], 1);
        assert_eq!((s.proposed, s.precise), (2, 1));
    }
}
