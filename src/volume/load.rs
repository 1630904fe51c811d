//! Decoding a planned series into a `Volume`: files decode in parallel, each straight into its
//! own k-slices of one preallocated buffer (no per-slice copies, no per-voxel allocation).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::dicom::frames::NativeRgbFrames;
use crate::dicom::{DicomError, decode_file};

use super::plan::{SeriesPlan, VoxelType};
use super::voxels::{DisplayHints, SliceRef, Volume, Voxels};

/// Called after each k-slice is filled: `(k, slice, slices_done, total)`. From worker threads.
pub type SliceSink<'a> = &'a (dyn Fn(usize, SliceRef<'_>, usize, usize) + Sync);

/// Loads the whole series. Fails on the first file that cannot be decoded (naming it).
pub fn load_volume(plan: &SeriesPlan, sink: Option<SliceSink<'_>>) -> Result<Volume, DicomError> {
    load_volume_cancellable(plan, sink, &AtomicBool::new(false))
}

/// As `load_volume`; setting `cancel` stops the workers at the next file (`DicomError::Cancelled`).
/// Files decode middle slice first, so a viewer streaming the slices shows the centre early.
pub fn load_volume_cancellable(
    plan: &SeriesPlan,
    sink: Option<SliceSink<'_>>,
    cancel: &AtomicBool,
) -> Result<Volume, DicomError> {
    let ctl = Control { sink, cancel };
    let voxels = match plan.voxel_type {
        VoxelType::I16 => match load_grey::<i16>(plan, &ctl)? {
            Some(v) => Voxels::I16(v),
            // A value did not fit i16 (optimistic choice for unsigned CT): reload exactly as f32.
            None => Voxels::F32(load_grey::<f32>(plan, &ctl)?.expect("f32 never clips")),
        },
        VoxelType::U16 => Voxels::U16(load_grey::<u16>(plan, &ctl)?.expect("range checked by plan")),
        VoxelType::F32 => Voxels::F32(load_grey::<f32>(plan, &ctl)?.expect("f32 never clips")),
        VoxelType::Rgba8 => Voxels::Rgba8(load_rgba(plan, &ctl)?),
    };
    let value_range = value_range(&voxels);
    Ok(Volume {
        geometry: plan.geometry.clone(),
        voxels,
        kind: plan.kind,
        display: DisplayHints { modality: plan.modality.clone(), window: plan.window, invert: plan.monochrome1 },
        value_range,
        problems: plan.problems.clone(),
    })
}

struct Control<'a> {
    sink: Option<SliceSink<'a>>,
    cancel: &'a AtomicBool,
}

/// One instance's work: (frame, k, where the k-slice goes).
type FrameTargets<T> = Vec<(u32, usize, T)>;

/// Jobs `(instance, targets)` ordered by distance of their first slice from the middle.
fn centre_first<T>(plan: &SeriesPlan, targets: Vec<FrameTargets<T>>) -> Vec<(usize, FrameTargets<T>)> {
    let mid = plan.geometry.dims[2] / 2;
    let mut jobs: Vec<(usize, FrameTargets<T>)> = targets.into_iter().enumerate().collect();
    jobs.sort_by_key(|(_, frames)| frames.first().map_or(usize::MAX, |f| f.1.abs_diff(mid)));
    jobs
}

/// A grey voxel type that modality values are converted into.
pub trait GreyVoxel: Copy + Send + Sync + 'static {
    fn from_modality(v: f64, clipped: &AtomicBool) -> Self;
    fn slice_ref(s: &[Self]) -> SliceRef<'_>;
}

macro_rules! int_voxel {
    ($t:ty, $variant:ident) => {
        impl GreyVoxel for $t {
            #[inline]
            fn from_modality(v: f64, clipped: &AtomicBool) -> Self {
                let r = v.round();
                if r < <$t>::MIN as f64 || r > <$t>::MAX as f64 {
                    clipped.store(true, Ordering::Relaxed);
                }
                r as $t
            }
            fn slice_ref(s: &[Self]) -> SliceRef<'_> {
                SliceRef::$variant(s)
            }
        }
    };
}
int_voxel!(i16, I16);
int_voxel!(u16, U16);

impl GreyVoxel for f32 {
    #[inline]
    fn from_modality(v: f64, _: &AtomicBool) -> Self {
        v as f32
    }
    fn slice_ref(s: &[Self]) -> SliceRef<'_> {
        SliceRef::F32(s)
    }
}

/// Groups the plan's slices by instance: `jobs[instance] = [(frame, k)]`.
fn jobs_by_instance(plan: &SeriesPlan) -> Vec<Vec<(u32, usize)>> {
    let mut jobs = vec![Vec::new(); plan.paths.len()];
    for (k, s) in plan.slices.iter().enumerate() {
        if let Some(f) = s {
            jobs[f.instance].push((f.frame, k));
        }
    }
    jobs
}

/// Hands out disjoint mutable k-slices of `buf` to each instance's job.
fn split_targets<'a, T>(plan: &SeriesPlan, buf: &'a mut [T], per_slice: usize) -> Vec<Vec<(u32, usize, &'a mut [T])>> {
    let jobs = jobs_by_instance(plan);
    let mut chunks: Vec<Option<&'a mut [T]>> = buf.chunks_mut(per_slice).map(Some).collect();
    jobs.into_iter()
        .map(|frames| {
            frames.into_iter().map(|(f, k)| (f, k, chunks[k].take().expect("each slice has one source"))).collect()
        })
        .collect()
}

fn load_grey<T: GreyVoxel + Default>(plan: &SeriesPlan, ctl: &Control<'_>) -> Result<Option<Vec<T>>, DicomError> {
    let [nx, ny, nz] = plan.geometry.dims;
    let per_slice = nx * ny;
    let clipped = AtomicBool::new(false);
    let background = T::from_modality(plan.background, &clipped);
    let mut buf = vec![background; per_slice * nz];
    let done = AtomicUsize::new(0);
    let targets = split_targets(plan, &mut buf, per_slice);
    centre_first(plan, targets).into_par_iter().try_for_each(|(instance, frames)| -> Result<(), DicomError> {
        if frames.is_empty() {
            return Ok(());
        }
        if ctl.cancel.load(Ordering::Relaxed) {
            return Err(DicomError::Cancelled);
        }
        let path = &plan.paths[instance];
        let decoded = decode_file(path)?;
        check_size(path, decoded.cols, decoded.rows, nx, ny)?;
        if decoded.photometric == crate::dicom::Photometric::Rgb {
            return Err(DicomError::Decode { path: path.clone(), reason: "colour image in a grey series".into() });
        }
        for (frame, k, out) in frames {
            if frame as usize >= decoded.frames {
                return Err(missing_frame(path, frame, decoded.frames));
            }
            decoded.grey_frame_into(frame as usize, out, |v| T::from_modality(v, &clipped));
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(sink) = ctl.sink {
                sink(k, T::slice_ref(out), n, nz);
            }
        }
        Ok(())
    })?;
    Ok((!clipped.load(Ordering::Relaxed)).then_some(buf))
}

fn load_rgba(plan: &SeriesPlan, ctl: &Control<'_>) -> Result<Vec<u8>, DicomError> {
    let [nx, ny, nz] = plan.geometry.dims;
    let per_slice = nx * ny;
    let mut buf = vec![0u8; per_slice * nz * 4];
    let done = AtomicUsize::new(0);
    let targets = split_targets(plan, &mut buf, per_slice * 4);
    centre_first(plan, targets).into_par_iter().try_for_each(|(instance, frames)| -> Result<(), DicomError> {
        if frames.is_empty() {
            return Ok(());
        }
        if ctl.cancel.load(Ordering::Relaxed) {
            return Err(DicomError::Cancelled);
        }
        let path = &plan.paths[instance];
        if frames.len() > 1
            && let Some(reader) = NativeRgbFrames::probe(path)?
        {
            check_size(path, reader.cols, reader.rows, nx, ny)?;
            return rgba_frames_streamed(&reader, frames, ctl, &done, nz);
        }
        let decoded = decode_file(path)?;
        check_size(path, decoded.cols, decoded.rows, nx, ny)?;
        for (frame, k, out) in frames {
            let rgb = decoded.rgb_frame(frame as usize).ok_or_else(|| missing_frame(path, frame, decoded.frames))?;
            rgba_slice(rgb, out, k, ctl, &done, nz);
        }
        Ok(())
    })?;
    Ok(buf)
}

/// Converts one RGB frame into its RGBA k-slice of the volume and reports it (progress, sink).
fn rgba_slice(rgb: &[u8], out: &mut [u8], k: usize, ctl: &Control<'_>, done: &AtomicUsize, nz: usize) {
    for (o, i) in out.chunks_exact_mut(4).zip(rgb.chunks_exact(3)) {
        o.copy_from_slice(&[i[0], i[1], i[2], 255]);
    }
    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
    if let Some(sink) = ctl.sink {
        sink(k, SliceRef::Rgba8(out), n, nz);
    }
}

/// A native RGB multi-frame file: frames are read and converted one at a time, in parallel, so
/// memory beyond the volume is one frame per worker (not the whole decoded cine).
fn rgba_frames_streamed(
    reader: &NativeRgbFrames,
    frames: FrameTargets<&mut [u8]>,
    ctl: &Control<'_>,
    done: &AtomicUsize,
    nz: usize,
) -> Result<(), DicomError> {
    let io = |source| DicomError::Io { path: reader.path.clone(), source };
    let mut frames = frames;
    frames.sort_by_key(|f| f.1.abs_diff(nz / 2)); // middle first, as the viewer shows it first
    frames.into_par_iter().try_for_each_init(
        || (std::fs::File::open(&reader.path), vec![0u8; reader.frame_bytes()]),
        |(file, rgb), (frame, k, out)| -> Result<(), DicomError> {
            if ctl.cancel.load(Ordering::Relaxed) {
                return Err(DicomError::Cancelled);
            }
            let file = file.as_mut().map_err(|e| io(std::io::Error::new(e.kind(), e.to_string())))?;
            reader.read_frame(file, frame as usize, rgb)?;
            rgba_slice(rgb, out, k, ctl, done, nz);
            Ok(())
        },
    )
}

fn check_size(path: &std::path::Path, cols: usize, rows: usize, nx: usize, ny: usize) -> Result<(), DicomError> {
    if cols != nx || rows != ny {
        return Err(DicomError::Decode {
            path: path.into(),
            reason: format!("decoded size {cols}×{rows} differs from the header's {nx}×{ny}"),
        });
    }
    Ok(())
}

fn missing_frame(path: &std::path::Path, frame: u32, frames: usize) -> DicomError {
    DicomError::Decode {
        path: path.into(),
        reason: format!("frame {} requested but only {frames} decoded (wrong Number of Frames?)", frame + 1),
    }
}

pub(crate) fn value_range(v: &Voxels) -> (f64, f64) {
    fn mm<T: Copy + Send + Sync + PartialOrd + Into<f64>>(v: &[T]) -> (f64, f64) {
        v.par_chunks(1 << 16)
            .map(|c| {
                c.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    let x: f64 = x.into();
                    (lo.min(x), hi.max(x))
                })
            })
            .reduce(|| (f64::INFINITY, f64::NEG_INFINITY), |a, b| (a.0.min(b.0), a.1.max(b.1)))
    }
    let r = match v {
        Voxels::I16(d) => mm(d),
        Voxels::U16(d) => mm(d),
        Voxels::F32(d) => mm(d),
        Voxels::Rgba8(_) => (0.0, 255.0),
    };
    if r.0.is_finite() { r } else { (0.0, 0.0) }
}
