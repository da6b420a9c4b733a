#!/usr/bin/env bash
# installer-icons: the committed Windows and macOS icons (scripts/make-icons.sh) are the SVG's current rendering and
# hold the sizes the installers and the shells use. Fails when the SVG changed without scripts/make-icons.sh, or when
# an icon lost a size (the MSI's 256 px entry, the Dock's 512 px one).
#   check-icons.sh <source dir>
set -euo pipefail
icons=$1/resources/icons
fail() {
    echo "installer-icons: FAIL: $*" >&2
    exit 1
}
(cd "$icons" && sha256sum --quiet --check smartkey-wallet.icons.sha256) ||
    fail "smartkey-wallet.svg changed since the .ico/.icns were made; run scripts/make-icons.sh and commit the result"

ico_sizes=$(icotool --list "$icons/smartkey-wallet.ico" | sed -n 's/.*--width=\([0-9]*\) --height=\([0-9]*\).*/\1x\2/p' |
    sort -n | tr '\n' ' ')
echo "installer-icons: .ico sizes: $ico_sizes"
for s in 16 24 32 48 64 128 256; do
    [[ " $ico_sizes" == *" ${s}x${s} "* ]] || fail "smartkey-wallet.ico has no ${s}x${s} image"
done

icns_list=$(icns2png --list "$icons/smartkey-wallet.icns" 2>&1)
for s in 16 32 48 128 256 512; do
    grep -q " ${s}x${s} 32-bit icon" <<<"$icns_list" || fail "smartkey-wallet.icns has no ${s}x${s} 32-bit image"
done

# The 256 px image decodes, and is not blank: more than one colour after extraction.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
icotool --extract --width=256 --output="$work" "$icons/smartkey-wallet.ico"
png=$(find "$work" -name '*.png' | head -n1)
[[ -n "$png" ]] || fail "the 256x256 image of smartkey-wallet.ico does not extract"
colours=$(python3 - "$png" <<'PY'
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, width = 8, b'', None
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b'IHDR':
        width, height, depth, ctype = struct.unpack('>IIBB', body[:10])
        assert depth == 8 and ctype == 6, 'expected 8-bit RGBA'
    elif kind == b'IDAT':
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * 4 + 1
# Filter bytes aside, count distinct bytes: a blank or single-colour image has almost none.
print(len(set(raw[i] for i in range(0, len(raw)) if i % stride)))
PY
)
echo "installer-icons: distinct byte values in the 256 px image: $colours"
((colours > 8)) || fail "the 256x256 image of smartkey-wallet.ico looks blank"
echo "installer-icons: ok"
