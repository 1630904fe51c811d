//! Decoding a foreign image with the `image` crate into one of four layouts (8/16-bit grey,
//! 8/16-bit RGB), alpha dropped, orientation not applied; and into `DecodedFrames` for the
//! viewer and the text detector.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageBuffer, ImageReader, Limits, Luma, Rgb};

use super::{ForeignKind, bad_image};
use crate::dicom::decode::DecodedFrames;
use crate::dicom::error::DicomError;

/// Decoding stops with a clear error above this many bytes of pixels (a whole-slide TIFF
/// pyramid's base level does not belong on this path).
pub const MAX_DECODED_BYTES: u64 = 1 << 30;
/// TIFF pages counted before giving up (a loop of IFDs is caught by the decoder).
const MAX_PAGES: u32 = 10_000;

/// A decoded foreign image: the stored grid of its first page.
pub struct ForeignPixels {
    pub kind: ForeignKind,
    /// Always `ImageLuma8`, `ImageLuma16`, `ImageRgb8` or `ImageRgb16`.
    pub image: DynamicImage,
    /// The source had an alpha channel, which was dropped.
    pub alpha_dropped: bool,
    /// Pages (TIFF image file directories) in the file; 1 for PNG and JPEG.
    pub pages: u32,
}

impl ForeignPixels {
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }

    pub fn samples_per_pixel(&self) -> u16 {
        if self.is_grey() { 1 } else { 3 }
    }

    pub fn bits(&self) -> u16 {
        match self.image {
            DynamicImage::ImageLuma16(_) | DynamicImage::ImageRgb16(_) => 16,
            _ => 8,
        }
    }

    pub fn is_grey(&self) -> bool {
        matches!(self.image, DynamicImage::ImageLuma8(_) | DynamicImage::ImageLuma16(_))
    }

    /// The DICOM Photometric Interpretation of these samples.
    pub fn photometric(&self) -> &'static str {
        if self.is_grey() { "MONOCHROME2" } else { "RGB" }
    }
}

/// Reads and decodes the file at `path` (whose kind is known).
pub fn load_foreign_pixels(path: &Path, kind: ForeignKind) -> Result<ForeignPixels, DicomError> {
    let bytes = std::fs::read(path).map_err(|source| DicomError::Io { path: path.into(), source })?;
    decode_foreign_bytes(path, kind, &bytes)
}

/// Decodes `bytes`, the contents of `path` (named in errors).
pub fn decode_foreign_bytes(path: &Path, kind: ForeignKind, bytes: &[u8]) -> Result<ForeignPixels, DicomError> {
    let bad = |reason: String| bad_image(path, kind, reason);
    let pages = if kind == ForeignKind::Tiff { count_tiff_pages(bytes).map_err(&bad)? } else { 1 };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.image_format());
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| bad(decode_reason(&e)))?;
    let (image, alpha_dropped) = normalise(decoded).map_err(bad)?;
    Ok(ForeignPixels { kind, image, alpha_dropped, pages })
}

fn decode_reason(e: &image::ImageError) -> String {
    match e {
        image::ImageError::Limits(_) => format!("larger than the {} MiB sumi decodes", MAX_DECODED_BYTES >> 20),
        other => crate::dicom::error_chain(other),
    }
}

/// Grey or RGB at 8 or 16 bits, alpha dropped (not composited: the stored colours are what a
/// reviewer must see, as transparency can hide content).
fn normalise(image: DynamicImage) -> Result<(DynamicImage, bool), String> {
    fn first<P: image::Pixel, Q: image::Pixel<Subpixel = P::Subpixel>>(
        src: &ImageBuffer<P, Vec<P::Subpixel>>,
    ) -> ImageBuffer<Q, Vec<P::Subpixel>> {
        let n = usize::from(Q::CHANNEL_COUNT);
        let step = usize::from(P::CHANNEL_COUNT);
        let data = src.as_raw().chunks_exact(step).flat_map(|p| p[..n].iter().copied()).collect();
        ImageBuffer::from_raw(src.width(), src.height(), data).expect("same pixel count")
    }
    Ok(match image {
        i @ (DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgb16(_)) => (i, false),
        DynamicImage::ImageLumaA8(b) => (DynamicImage::ImageLuma8(first::<_, Luma<u8>>(&b)), true),
        DynamicImage::ImageLumaA16(b) => (DynamicImage::ImageLuma16(first::<_, Luma<u16>>(&b)), true),
        DynamicImage::ImageRgba8(b) => (DynamicImage::ImageRgb8(first::<_, Rgb<u8>>(&b)), true),
        DynamicImage::ImageRgba16(b) => (DynamicImage::ImageRgb16(first::<_, Rgb<u16>>(&b)), true),
        other => return Err(format!("{:?} samples are not supported (8 or 16-bit integers only)", other.color())),
    })
}

/// Image file directories in a TIFF, following the chain from the first.
fn count_tiff_pages(bytes: &[u8]) -> Result<u32, String> {
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut pages = 1;
    while decoder.more_images() && pages < MAX_PAGES {
        // An unreadable later page still counts: it is dropped all the same.
        if decoder.next_image().is_err() {
            return Ok(pages + 1);
        }
        pages += 1;
    }
    Ok(pages)
}

/// Opens and decodes a foreign image for viewing and text detection: one frame, grey values as
/// stored (no rescale), 16-bit RGB reduced to its top 8 bits.
pub fn decode_foreign(path: &Path, kind: ForeignKind) -> Result<DecodedFrames, DicomError> {
    let p = load_foreign_pixels(path, kind)?;
    let (w, h) = (p.width() as usize, p.height() as usize);
    Ok(match p.image {
        DynamicImage::ImageLuma8(b) => DecodedFrames::grey(h, w, b.into_raw(), 1, 8),
        DynamicImage::ImageLuma16(b) => {
            DecodedFrames::grey(h, w, b.into_raw().iter().flat_map(|v| v.to_le_bytes()).collect(), 2, 16)
        }
        DynamicImage::ImageRgb8(b) => DecodedFrames::rgb8(h, w, b.into_raw()),
        DynamicImage::ImageRgb16(b) => DecodedFrames::rgb8(h, w, b.into_raw().iter().map(|v| (v >> 8) as u8).collect()),
        other => return Err(bad_image(path, kind, format!("unexpected layout {:?}", other.color()))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_is_dropped_without_compositing() {
        let rgba = ImageBuffer::from_raw(2, 1, vec![10u8, 20, 30, 0, 40, 50, 60, 255]).unwrap();
        let (out, dropped) = normalise(DynamicImage::ImageRgba8(rgba)).unwrap();
        assert!(dropped);
        assert_eq!(out.as_bytes(), &[10, 20, 30, 40, 50, 60], "a transparent pixel keeps its colour");
        let la = ImageBuffer::from_raw(1, 1, vec![7u16, 0]).unwrap();
        let (out, _) = normalise(DynamicImage::ImageLumaA16(la)).unwrap();
        assert_eq!(out.as_luma16().unwrap().as_raw(), &[7]);
    }

    #[test]
    fn float_samples_are_refused_with_a_reason() {
        let f = image::Rgb32FImage::new(1, 1);
        let e = normalise(DynamicImage::ImageRgb32F(f)).unwrap_err();
        assert!(e.contains("not supported"), "{e}");
    }
}
