#!/usr/bin/env bash
# Renders the Windows and macOS icons from the one source, resources/icons/smartkey-wallet.svg (docs/packaging.md):
#   resources/icons/smartkey-wallet.ico   16, 24, 32, 48, 64, 128 and 256 px (the MSI/NSIS installer and the .exe)
#   resources/icons/smartkey-wallet.icns  16, 32, 48, 128, 256 and 512 px (the macOS bundle)
#   resources/icons/smartkey-wallet.icons.sha256  the SVG's hash they were made from (checked by installer-icons)
# The binaries are committed so the Windows and macOS builds need no SVG renderer. Run again after editing the SVG:
#   scripts/make-icons.sh           (needs librsvg2-bin, icoutils and icnsutils: scripts/setup-deps.sh installs them)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
icons=$src/resources/icons
svg=$icons/smartkey-wallet.svg
for tool in rsvg-convert icotool png2icns; do
    command -v "$tool" >/dev/null || {
        echo "make-icons: $tool not found; run scripts/setup-deps.sh" >&2
        exit 1
    }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for size in 16 24 32 48 64 128 256 512; do
    rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio --format png --output "$work/$size.png" "$svg"
done
# 256 px goes into the ICO as PNG (Vista and later), the smaller sizes as BMP for the old shell.
icotool --create --output "$work/icon.ico" "$work"/{16,24,32,48,64,128}.png --raw="$work/256.png"
png2icns "$work/icon.icns" "$work"/{16,32,48,128,256,512}.png >/dev/null
mv "$work/icon.ico" "$icons/smartkey-wallet.ico"
mv "$work/icon.icns" "$icons/smartkey-wallet.icns"
(cd "$icons" && sha256sum smartkey-wallet.svg) > "$icons/smartkey-wallet.icons.sha256"
echo "make-icons: wrote smartkey-wallet.ico and smartkey-wallet.icns from $(cut -c1-12 "$icons/smartkey-wallet.icons.sha256")…"
