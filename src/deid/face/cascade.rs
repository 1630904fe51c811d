//! A boosted Haar cascade as data: features, trees, stages, parsed from sumi's compact text form
//! (`scripts/make-face-cascade.py` writes it from OpenCV's XML; the format is described there).

use std::sync::OnceLock;

/// OpenCV's frontal-face cascade `haarcascade_frontalface_alt2.xml` (Debian opencv-data), with
/// its Intel licence header. alt2 (tree-based, 20 stages) finds all the faces of the test photos
/// with the fewest false hits of the frontal cascades shipped there.
const FRONTAL_FACE: &str = include_str!("data/frontalface_alt2.cascade");

/// OpenCV lowers every stage threshold by this much (`THRESHOLD_EPS`), so sums that equal the
/// threshold up to float rounding pass the stage as they did in training.
const THRESHOLD_EPS: f32 = 1e-5;

/// An upright rectangle of the training window, with its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedRect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub weight: f32,
}

/// A Haar feature: the weighted sum of two or three rectangle sums.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub rects: Vec<WeightedRect>,
}

/// A split: `value < threshold` goes `left`, else `right`; a child above 0 is the next node of
/// the same tree, 0 or below is leaf `-child` (OpenCV's encoding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    pub left: i32,
    pub right: i32,
    pub feature: u32,
    pub threshold: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub leaves: Vec<f32>,
}

/// A window passes the stage when the sum of its trees' leaves reaches `threshold`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub threshold: f32,
    pub trees: Vec<Tree>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cascade {
    /// Training window, pixels.
    pub width: u32,
    pub height: u32,
    pub features: Vec<Feature>,
    pub stages: Vec<Stage>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("face cascade line {line}: {problem}")]
pub struct CascadeError {
    pub line: usize,
    pub problem: String,
}

impl Cascade {
    /// The embedded frontal-face cascade, parsed on first use.
    pub fn frontal_face() -> &'static Cascade {
        static CASCADE: OnceLock<Cascade> = OnceLock::new();
        // The text is compiled in and parsed by a unit test, so failing here is a build defect.
        CASCADE.get_or_init(|| Cascade::parse(FRONTAL_FACE).expect("embedded face cascade parses"))
    }

    /// Parses the text form and checks every index, so evaluation can trust the data.
    pub fn parse(text: &str) -> Result<Cascade, CascadeError> {
        let mut window = None;
        let mut features = Vec::new();
        let mut stages: Vec<(usize, Stage, usize)> = Vec::new();
        for (k, raw) in text.lines().enumerate() {
            let line = k + 1;
            let err = |problem: String| CascadeError { line, problem };
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let mut tokens = raw.split_whitespace();
            let kind = tokens.next().unwrap_or_default();
            let values: Vec<&str> = tokens.collect();
            match kind {
                "window" => {
                    let [w, h] = values[..] else { return Err(err("window needs width and height".into())) };
                    let (w, h) = (int::<u32>(w).map_err(&err)?, int::<u32>(h).map_err(&err)?);
                    if w == 0 || h == 0 || w > 64 || h > 64 {
                        return Err(err(format!("window {w}x{h} out of range")));
                    }
                    window = Some((w, h));
                }
                "feature" => features.push(feature(&values, window).map_err(err)?),
                "stage" => {
                    let [t, n] = values[..] else { return Err(err("stage needs threshold and tree count".into())) };
                    let stage = Stage { threshold: float(t).map_err(&err)? - THRESHOLD_EPS, trees: Vec::new() };
                    stages.push((line, stage, int::<usize>(n).map_err(&err)?));
                }
                "tree" => {
                    let Some((_, stage, _)) = stages.last_mut() else {
                        return Err(err("tree before any stage".into()));
                    };
                    stage.trees.push(tree(&values).map_err(err)?);
                }
                other => return Err(err(format!("unknown record {other:?}"))),
            }
        }
        let (width, height) = window.ok_or(CascadeError { line: 0, problem: "no window line".into() })?;
        let mut checked = Vec::with_capacity(stages.len());
        for (line, stage, expected) in stages {
            let err = |problem: String| CascadeError { line, problem };
            if stage.trees.len() != expected {
                return Err(err(format!("stage declares {expected} trees, has {}", stage.trees.len())));
            }
            if let Some(n) = stage.trees.iter().flat_map(|t| &t.nodes).find(|n| n.feature as usize >= features.len()) {
                return Err(err(format!("feature {} of {} does not exist", n.feature, features.len())));
            }
            checked.push(stage);
        }
        if checked.is_empty() {
            return Err(CascadeError { line: 0, problem: "no stages".into() });
        }
        Ok(Cascade { width, height, features, stages: checked })
    }
}

fn int<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("{s:?} is not a valid integer here"))
}

fn float(s: &str) -> Result<f32, String> {
    s.parse::<f32>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("{s:?} is not a finite number"))
}

fn feature(values: &[&str], window: Option<(u32, u32)>) -> Result<Feature, String> {
    let (ww, wh) = window.ok_or("feature before the window line")?;
    if !values.len().is_multiple_of(5) || !(2..=3).contains(&(values.len() / 5)) {
        return Err(format!("feature needs 2 or 3 rectangles of 5 numbers, got {} numbers", values.len()));
    }
    let rects = values
        .chunks_exact(5)
        .map(|r| {
            let rect =
                WeightedRect { x: int(r[0])?, y: int(r[1])?, w: int(r[2])?, h: int(r[3])?, weight: float(r[4])? };
            if rect.w == 0 || rect.h == 0 || rect.x + rect.w > ww || rect.y + rect.h > wh {
                return Err(format!("rectangle {} {} {} {} leaves the {ww}x{wh} window", r[0], r[1], r[2], r[3]));
            }
            Ok(rect)
        })
        .collect::<Result<_, String>>()?;
    Ok(Feature { rects })
}

fn tree(values: &[&str]) -> Result<Tree, String> {
    let n: usize = int(values.first().ok_or("empty tree")?)?;
    if n == 0 || values.len() != 1 + 4 * n + n + 1 {
        return Err(format!("tree of {n} nodes needs {} numbers after the count", 5 * n + 1));
    }
    let nodes: Vec<Node> = values[1..1 + 4 * n]
        .chunks_exact(4)
        .map(|v| Ok(Node { left: int(v[0])?, right: int(v[1])?, feature: int(v[2])?, threshold: float(v[3])? }))
        .collect::<Result<_, String>>()?;
    let leaves: Vec<f32> = values[1 + 4 * n..].iter().map(|v| float(v)).collect::<Result<_, String>>()?;
    // Children must point forward (no cycles) and inside the tree.
    for (i, node) in nodes.iter().enumerate() {
        for child in [node.left, node.right] {
            let inside = if child > 0 { (child as usize) > i && (child as usize) < n } else { (-child as usize) <= n };
            if !inside {
                return Err(format!("node {i} has child {child} outside a tree of {n} nodes"));
            }
        }
    }
    Ok(Tree { nodes, leaves })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_frontal_face_cascade_parses_with_opencv_alt2_shape() {
        let c = Cascade::frontal_face();
        assert_eq!((c.width, c.height), (20, 20));
        assert_eq!(c.stages.len(), 20);
        let trees: usize = c.stages.iter().map(|s| s.trees.len()).sum();
        assert_eq!(trees, 1047);
        assert_eq!(c.features.len(), 2094);
        assert!(FRONTAL_FACE.contains("Intel License Agreement"), "the source's licence travels with the data");
    }

    #[test]
    fn cascade_errors_name_the_line_and_the_problem() {
        let text = "window 20 20\nfeature 0 0 10 10 -1  0 0 5 10 2\nstage 0.5 1\ntree 1  0 -1 3 0.1  1 2\n";
        let e = Cascade::parse(text).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.problem.contains("feature 3"), "{e}");
        let e = Cascade::parse("window 20 20\nfeature 15 0 10 10 -1  0 0 5 10 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("leaves the 20x20 window"), "{e}");
        let e = Cascade::parse("window 20 20\nstage 0.5 1\ntree 1  0 5 0 0.1  1 2\n").unwrap_err();
        assert!(e.problem.contains("outside a tree"), "{e}");
        assert!(Cascade::parse("window 20 20\nbogus 1\n").unwrap_err().problem.contains("bogus"));
    }
}
