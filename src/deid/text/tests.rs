//! Behaviour of the per-frame detector on small drawn images: what joins into a line, what does
//! not, and what is never text.

use super::{Luma, TextBox, detect_frame};
use crate::demo::glyphs::Canvas;

const W: u32 = 200;
const H: u32 = 120;

fn image(background: u8) -> Vec<u8> {
    vec![background; (W * H) as usize]
}

fn detect(pixels: &[u8]) -> Vec<TextBox> {
    detect_frame(&Luma { width: W as usize, height: H as usize, pixels }, &[])
}

fn covers(b: &TextBox, t: [u32; 4]) -> bool {
    b.x <= t[0] && b.y <= t[1] && b.x + b.w >= t[0] + t[2] && b.y + b.h >= t[1] + t[3]
}

#[test]
fn words_one_space_apart_are_one_line_and_fields_far_apart_are_two() {
    let mut px = image(0);
    let mut c = Canvas { data: &mut px, width: W, height: H, channels: 1 };
    let one = c.draw_text(4, 4, "AB 12 CD", 2, &[255]);
    let far = c.draw_text(150, 4, "XY", 2, &[255]);
    let boxes = detect(&px);
    assert_eq!(boxes.len(), 2, "{boxes:#?}");
    assert!(covers(&boxes[0], one) && !covers(&boxes[0], far));
    assert!(covers(&boxes[1], far));
}

#[test]
fn glyphs_stepping_down_a_staircase_do_not_chain_into_one_line() {
    let mut px = image(0);
    let mut c = Canvas { data: &mut px, width: W, height: H, channels: 1 };
    // Each glyph overlaps its left neighbour by more than half its height, as pairs in a line
    // do, but the run as a whole drifts down by four glyph heights.
    for k in 0..8u32 {
        c.draw_text(4 + 14 * k, 4 + 5 * k, "H", 2, &[255]);
    }
    for b in detect(&px) {
        assert!(b.h <= 2 * 14, "{b:?}");
    }
}

#[test]
fn an_underline_belongs_to_the_word_above_it() {
    let mut px = image(0);
    let mut c = Canvas { data: &mut px, width: W, height: H, channels: 1 };
    let mode = c.draw_text(10, 60, "2D", 2, &[255]);
    c.fill_rect(10, 60 + 14 + 3, mode[2], 2, &[255]);
    let boxes = detect(&px);
    assert_eq!(boxes.len(), 1, "{boxes:#?}");
    assert!(covers(&boxes[0], [10, 60, mode[2], 14 + 3 + 2]), "{boxes:#?}");
}

#[test]
fn bars_blocks_frames_and_ticks_are_not_text() {
    let mut px = image(0);
    let mut c = Canvas { data: &mut px, width: W, height: H, channels: 1 };
    c.fill_rect(10, 10, 120, 2, &[255]); // a scale bar
    c.fill_rect(10, 30, 40, 12, &[200]); // a filled block
    c.fill_rect(150, 10, 1, 100, &[255]); // a region border
    for y in (50..110).step_by(10) {
        c.fill_rect(170, y, 6, 2, &[255]); // depth ticks
    }
    // A rectangle outline, as around a colour box.
    c.fill_rect(60, 60, 60, 1, &[255]);
    c.fill_rect(60, 100, 60, 1, &[255]);
    c.fill_rect(60, 60, 1, 41, &[255]);
    c.fill_rect(119, 60, 1, 41, &[255]);
    assert_eq!(detect(&px), vec![]);
}

#[test]
fn dark_text_on_a_light_background_is_found() {
    let mut px = image(230);
    let mut c = Canvas { data: &mut px, width: W, height: H, channels: 1 };
    let t = c.draw_text(20, 50, "LEFT 45", 2, &[30]);
    let boxes = detect(&px);
    assert_eq!(boxes.len(), 1, "{boxes:#?}");
    assert!(covers(&boxes[0], t) && boxes[0].reason.contains("dark ink"));
}

#[test]
fn faint_text_on_a_flat_background_is_found_down_to_six_levels() {
    for contrast in [6u8, 20, 60] {
        let mut px = image(40);
        let mut c = Canvas { data: &mut px, width: W, height: H, channels: 1 };
        let t = c.draw_text(8, 8, "ID 4711", 1, &[40 + contrast]);
        let boxes = detect(&px);
        assert!(boxes.iter().any(|b| covers(b, t)), "contrast {contrast}: {boxes:#?}");
    }
}

#[test]
fn random_blobs_without_text_give_no_boxes() {
    let mut px = image(20);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u32| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % u64::from(n)) as u32
    };
    // Blobs of glyph size at random places and brightness: speckle-like texture.
    for _ in 0..900 {
        let (x, y, r, v) = (next(W), next(H), 1 + next(4), 60 + next(190) as u8);
        let mut c = Canvas { data: &mut px, width: W, height: H, channels: 1 };
        for dy in 0..=2 * r {
            for dx in 0..=2 * r {
                if (dx as i32 - r as i32).pow(2) + (dy as i32 - r as i32).pow(2) <= (r * r) as i32 {
                    c.put((x + dx).saturating_sub(r), (y + dy).saturating_sub(r), &[v]);
                }
            }
        }
    }
    let boxes = detect(&px);
    assert!(boxes.is_empty(), "{boxes:#?}");
}
