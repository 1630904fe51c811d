//! Writing a cleaned image in its own format, with nothing but its pixels.

use std::io::Cursor;
use std::path::Path;

use image::DynamicImage;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use tiff::encoder::{Compression, TiffEncoder, colortype};
use tiff::tags::Predictor;

use super::ForeignCleanError;
use crate::dicom::foreign::jpeg::{parse, strip_metadata};
use crate::dicom::foreign::{ForeignKind, ForeignPixels, bad_image};

/// A JPEG's bytes without its metadata segments (image bytes unchanged).
pub(super) fn strip_jpeg(src: &Path, bytes: &[u8]) -> Result<Vec<u8>, ForeignCleanError> {
    let file = parse(bytes).map_err(|reason| bad_image(src, ForeignKind::Jpeg, reason))?;
    Ok(strip_metadata(&file).0)
}

/// Encodes the pixels as a new file of their kind: PNG (IHDR, IDAT, IEND only), TIFF (LZW with
/// horizontal differencing; layout and resolution tags only) or JPEG at `quality` (JFIF header
/// only).
pub(super) fn encode(pixels: &ForeignPixels, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::new());
    let image = &pixels.image;
    match pixels.kind {
        ForeignKind::Png => image.write_with_encoder(PngEncoder::new(&mut out)).map_err(|e| e.to_string())?,
        ForeignKind::Jpeg => {
            image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality)).map_err(|e| e.to_string())?
        }
        ForeignKind::Tiff => write_tiff(image, &mut out).map_err(|e| e.to_string())?,
    }
    Ok(out.into_inner())
}

fn write_tiff(image: &DynamicImage, out: &mut Cursor<Vec<u8>>) -> tiff::TiffResult<()> {
    let mut encoder = TiffEncoder::new(out)?.with_compression(Compression::Lzw).with_predictor(Predictor::Horizontal);
    let (w, h) = (image.width(), image.height());
    match image {
        DynamicImage::ImageLuma8(b) => encoder.write_image::<colortype::Gray8>(w, h, b.as_raw()),
        DynamicImage::ImageLuma16(b) => encoder.write_image::<colortype::Gray16>(w, h, b.as_raw()),
        DynamicImage::ImageRgb8(b) => encoder.write_image::<colortype::RGB8>(w, h, b.as_raw()),
        DynamicImage::ImageRgb16(b) => encoder.write_image::<colortype::RGB16>(w, h, b.as_raw()),
        // Decoding keeps only the four layouts above.
        _ => Err(tiff::TiffError::UnsupportedError(tiff::TiffUnsupportedError::UnknownInterpretation)),
    }
}
