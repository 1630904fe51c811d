#!/usr/bin/env bash
# CI: package the binary the test run built (target/debug/sumi, no second release build), install
# the .deb (as root) and smoke-test the installed program: --version, --help, and the GUI on the
# demo study under Xvfb with a screenshot that must show an image. Also runs the portable bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/package.sh --profile dev --no-build
deb=$(ls -t target/package/sumi_*.deb | head -n1)
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends --reinstall "./$deb" >/dev/null
echo "smoke: installed $(dpkg-query -W -f='${Package} ${Version}' sumi)"

[ "$(command -v sumi)" = /usr/bin/sumi ] || { echo "smoke: sumi is not /usr/bin/sumi" >&2; exit 1; }
sumi --version | grep -q "^sumi " || { echo "smoke: sumi --version failed" >&2; exit 1; }
sumi --help | grep -q -- "--screenshot" || { echo "smoke: sumi --help lacks --screenshot" >&2; exit 1; }
desktop-file-validate /usr/share/applications/sumi.desktop

tmp=$(mktemp -d)
mkdir -p "$tmp/config" "$tmp/data"
# A settings file, so the viewer opens instead of the first-run welcome screen.
printf 'language = "en"\nuser_name = "ci"\nrole = "qa-reviewer"\n' > "$tmp/config/settings.toml"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 0700 "$XDG_RUNTIME_DIR"
SUMI_CONFIG_DIR="$tmp/config" SUMI_DATA_DIR="$tmp/data" WGPU_BACKEND="${WGPU_BACKEND:-vulkan}" \
  timeout 300 xvfb-run -a -s "-screen 0 1600x1000x24" \
  /usr/bin/sumi --demo --screenshot "$tmp/installed.png" --quit-after-frames 30
[ -s "$tmp/installed.png" ] || { echo "smoke: no screenshot written" >&2; exit 1; }
# The demo CT must be on screen: an empty window has no spread, the welcome screen about 0.05, the CT 0.23.
spread=$(convert "$tmp/installed.png" -colorspace Gray -format "%[fx:standard_deviation]" info:)
echo "smoke: screenshot $(identify -format '%wx%h' "$tmp/installed.png"), grey spread $spread"
awk -v s="$spread" 'BEGIN { exit !(s > 0.12) }' || { echo "smoke: the screenshot looks empty" >&2; exit 1; }
grep -q "job load: finished" "$tmp/data/logs/sumi.log" || { echo "smoke: the log lacks the load job" >&2; exit 1; }
mkdir -p target/package
cp "$tmp/installed.png" target/package/installed-deb.png

# The portable bundle runs from where it is unpacked.
bundle=$(ls -t target/package/sumi-*.AppDir.tar.gz | head -n1)
tar -C "$tmp" -xzf "$bundle"
"$tmp"/sumi-*/AppRun --version | grep -q "^sumi " || { echo "smoke: the bundle's AppRun failed" >&2; exit 1; }
echo "smoke: ok ($deb, $bundle)"
