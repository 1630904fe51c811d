//! Brush latency and undo memory (annotation issue): a 3D brush ball of 10 mm radius dragged
//! over 20 positions with `tools::dab` on a label map that already holds 20 labels, on a
//! 512×512×200 and a 512×512×1000 grid side by side in one run. Per stroke: a fresh `Recorder`,
//! the 20 dabs and `finish()` (the run-length encoded delta). Before the criterion groups a
//! report prints per-position times (median and worst of the dabs, `finish` separately), the
//! bytes of the dirty sub-region a GPU upload would send per position, and the undo memory after
//! 1,000 strokes (`History::bytes()`, `LabelMap::bytes_in_memory()`) next to a full copy of the
//! label volume per step as 3D Slicer keeps. GPU upload itself is `benches/brush_gpu.rs`.
//!
//! `cargo bench --no-default-features --bench brush`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use sumi::annotate::tools::{Brush, dab};
use sumi::annotate::{History, LabelMap, Recorder};

/// CT-like voxels (mm).
const SPACING: [f64; 3] = [0.8, 0.8, 1.0];
const RADIUS_MM: f64 = 10.0;
const POSITIONS: usize = 20;
const DEPTHS: [usize; 2] = [200, 1000];

/// 20 labels as 30-voxel balls spread through the volume (every slice ends up labelled).
fn prepainted(depth: usize) -> LabelMap {
    let mut map = LabelMap::new([512, 512, depth]);
    let mut rec = Recorder::default();
    for l in 1..=20u8 {
        let t = f64::from(l - 1) / 19.0;
        let c = [100.0 + 300.0 * t, 400.0 - 250.0 * t, 15.0 + (depth as f64 - 30.0) * t];
        let b = Brush { radius_mm: 30.0, sphere: true, label: l, erase: false, range: None, locked: vec![] };
        dab(&mut map, &mut rec, [1.0; 3], c, &b, None);
    }
    map
}

/// Dab centres (voxel indices) of stroke `k`: 20 positions a quarter radius apart (as the UI
/// spaces them), through the middle of the volume, shifted a little per stroke.
fn path(depth: usize, k: usize) -> Vec<[f64; 3]> {
    let step = RADIUS_MM * 0.25 / SPACING[0];
    let (x0, y0, z) = (150.0 + (k % 7) as f64 * 20.0, 200.0 + (k % 11) as f64 * 10.0, (depth / 2) as f64);
    (0..POSITIONS).map(|i| [x0 + i as f64 * step, y0 + i as f64 * step * 0.3, z + (k % 5) as f64]).collect()
}

fn brush(k: usize) -> Brush {
    Brush { radius_mm: RADIUS_MM, sphere: true, label: (k % 20) as u8 + 1, erase: false, range: None, locked: vec![] }
}

/// Voxels (one byte each in an R8 texture) of the box a dab at `c` touches: the sub-region a
/// renderer uploads for that position.
fn dirty_bytes(dims: [usize; 3], c: [f64; 3]) -> usize {
    (0..3)
        .map(|a| {
            let reach = (RADIUS_MM / SPACING[a]).floor() as i64;
            let c = c[a].round() as i64;
            ((c + reach).min(dims[a] as i64 - 1) - (c - reach).max(0) + 1).max(0) as usize
        })
        .product()
}

/// One stroke: returns the time of each dab and of `finish`.
fn stroke(map: &mut LabelMap, k: usize) -> (Vec<Duration>, Duration, sumi::annotate::Delta) {
    let b = brush(k);
    let mut rec = Recorder::default();
    let mut dabs = Vec::with_capacity(POSITIONS);
    for c in path(map.dims()[2], k) {
        let t = Instant::now();
        black_box(dab(map, &mut rec, SPACING, c, &b, None));
        dabs.push(t.elapsed());
    }
    let t = Instant::now();
    let delta = rec.finish(map);
    (dabs, t.elapsed(), delta)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn report() {
    println!("brush report: {RADIUS_MM} mm radius 3D ball, {POSITIONS} positions, {SPACING:?} mm voxels, 20 labels");
    println!(
        "{:>14} | {:>10} | {:>10} | {:>10} | {:>14} | {:>10} | {:>12} | {:>12} | {:>14}",
        "grid",
        "dab med ms",
        "dab max ms",
        "finish ms",
        "per pos. ms",
        "dirty B/pos",
        "history MiB",
        "map MiB",
        "full copy GiB"
    );
    for depth in DEPTHS {
        let mut map = prepainted(depth);
        let (mut dabs, mut finishes) = (Vec::new(), Vec::new());
        let mut history = History::default();
        for k in 0..1000 {
            let (d, f, delta) = stroke(&mut map, k);
            dabs.extend(d);
            finishes.push(f);
            history.push(k as i64 + 1, delta);
        }
        let per_position: Vec<Duration> = {
            // Whole strokes (20 dabs + finish) divided by the positions.
            let n = finishes.len();
            (0..n)
                .map(|k| {
                    (dabs[k * POSITIONS..(k + 1) * POSITIONS].iter().sum::<Duration>() + finishes[k]) / POSITIONS as u32
                })
                .collect()
        };
        let worst = *dabs.iter().max().unwrap();
        let dirty = dirty_bytes(map.dims(), path(depth, 0)[POSITIONS / 2]);
        let volume_bytes = 512 * 512 * depth;
        println!(
            "{:>14} | {:>10.3} | {:>10.3} | {:>10.3} | {:>14.3} | {:>10} | {:>12.2} | {:>12.1} | {:>14.1}",
            format!("512x512x{depth}"),
            ms(median(dabs)),
            ms(worst),
            ms(median(finishes)),
            ms(median(per_position)),
            dirty,
            history.bytes() as f64 / (1 << 20) as f64,
            map.bytes_in_memory() as f64 / (1 << 20) as f64,
            (volume_bytes * 1000) as f64 / (1u64 << 30) as f64,
        );
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("brush_stroke_20_positions");
    g.throughput(Throughput::Elements(POSITIONS as u64));
    g.sample_size(20);
    for depth in DEPTHS {
        let mut map = prepainted(depth);
        let mut k = 0;
        g.bench_with_input(BenchmarkId::from_parameter(format!("512x512x{depth}")), &depth, |b, _| {
            b.iter(|| {
                k += 1;
                black_box(stroke(&mut map, k).2)
            })
        });
    }
    g.finish();
}

fn main() {
    report();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
