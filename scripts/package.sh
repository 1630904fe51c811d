#!/usr/bin/env bash
# Packages sumi into target/package/: a .deb (cargo-deb) and a portable bundle (an AppDir packed
# as .tar.gz; an AppImage too when appimagetool is installed). See docs/PACKAGING.md.
#   scripts/package.sh                          release build, then package
#   scripts/package.sh --profile dev --no-build package the existing target/debug/sumi (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "package.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$profile" in dev | test) dir=debug ;; *) dir="$profile" ;; esac

command -v cargo-deb >/dev/null || { echo "package.sh: cargo-deb is missing (cargo install cargo-deb --locked)" >&2; exit 1; }
if [ "$build" = 1 ]; then
  cargo build --profile "$profile" --bin sumi
fi
bin="target/$dir/sumi"
[ -x "$bin" ] || { echo "package.sh: $bin does not exist (build it, or drop --no-build)" >&2; exit 1; }

out=target/package
mkdir -p "$out"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
arch=$(uname -m)

# .deb: cargo-deb reads [package.metadata.deb]; "target/release/" in its asset paths follows --profile.
# (It warns that the dev profile is unusual; the binary is the one the tests ran against.)
cargo deb --no-build --profile "$profile" --output "$out/" -q
deb=$(ls -t "$out"/sumi_"$version"-*.deb | head -n1)
echo "package.sh: $deb"

# Portable bundle: an AppDir (the AppImage layout) that runs from wherever it is unpacked.
name="sumi-$version-$arch"
appdir="$out/$name"
rm -rf "$appdir"
mkdir -p "$appdir/usr/bin" "$appdir/usr/share/applications" "$appdir/usr/share/icons/hicolor/256x256/apps" \
  "$appdir/usr/share/icons/hicolor/scalable/apps" "$appdir/usr/share/doc/sumi"
install -m 755 "$bin" "$appdir/usr/bin/sumi"
strip "$appdir/usr/bin/sumi" 2>/dev/null || true
install -m 644 packaging/sumi.desktop "$appdir/usr/share/applications/"
install -m 644 packaging/sumi.desktop "$appdir/sumi.desktop"
install -m 644 packaging/sumi.png "$appdir/usr/share/icons/hicolor/256x256/apps/"
install -m 644 packaging/sumi.svg "$appdir/usr/share/icons/hicolor/scalable/apps/"
install -m 644 packaging/sumi.png "$appdir/sumi.png"
ln -sf sumi.png "$appdir/.DirIcon"
install -m 644 README.md docs/PACKAGING.md packaging/copyright assets/fonts/IPAexGothic-LICENSE.txt \
  "$appdir/usr/share/doc/sumi/"
cat > "$appdir/AppRun" <<'APPRUN'
#!/bin/sh
# sumi portable bundle: run the bundled binary with the bundle's icons and desktop file visible.
here="$(dirname "$(readlink -f "$0")")"
export PATH="$here/usr/bin:$PATH"
export XDG_DATA_DIRS="$here/usr/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
exec "$here/usr/bin/sumi" "$@"
APPRUN
chmod 755 "$appdir/AppRun"
tar -C "$out" -czf "$out/$name.AppDir.tar.gz" "$name"
echo "package.sh: $out/$name.AppDir.tar.gz"

if command -v appimagetool >/dev/null; then
  ARCH="$arch" appimagetool --no-appstream "$appdir" "$out/$name.AppImage"
  echo "package.sh: $out/$name.AppImage"
else
  echo "package.sh: appimagetool not installed: no AppImage (the AppDir tarball is the portable bundle)"
fi
