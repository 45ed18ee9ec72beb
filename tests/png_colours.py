"""png_colours.py - what a screenshot shows, for tests/report_browser.sh,
with Python's standard library only (zlib): decodes an 8-bit RGB or RGBA
PNG (not interlaced, as Chromium writes them) and prints
    size W H
    colours N            distinct colours
    pixel X Y RRGGBB     for each X,Y given with --at
    count RRGGBB N       pixels of each colour given with --count
    light N / dark N     pixels brighter than 200 / darker than 55 (mean of R, G, B)
Usage: python3 png_colours.py FILE [--at X,Y]... [--count RRGGBB]..."""
import struct
import sys
import zlib


def rows_of(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("%s: not a PNG file" % path)
    pos, idat, head = 8, [], None
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    w, h, depth, ctype, _, _, interlace = head
    if depth != 8 or ctype not in (2, 6) or interlace:
        sys.exit("%s: unsupported PNG (depth %d, colour type %d, interlace %d)" % (path, depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    # byte-wise addition modulo 256 on whole rows at once (for the Up filter)
    lo7 = int.from_bytes(b"\x7f" * stride, "big")
    hi1 = int.from_bytes(b"\x80" * stride, "big")
    prev = bytes(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if f == 2:
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = (((a & lo7) + (b & lo7)) ^ ((a ^ b) & hi1)).to_bytes(stride, "big")
        elif f != 0:
            out = bytearray(line)
            for x in range(stride):
                left = out[x - bpp] if x >= bpp else 0
                up = prev[x]
                if f == 1:
                    out[x] = (out[x] + left) & 255
                elif f == 3:
                    out[x] = (out[x] + ((left + up) >> 1)) & 255
                else:
                    ul = prev[x - bpp] if x >= bpp else 0
                    p = left + up - ul
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                    out[x] = (out[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else ul)) & 255
            line = bytes(out)
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    args = sys.argv[1:]
    w, h, bpp, rows = rows_of(args[0])
    at = [tuple(int(v) for v in args[i + 1].split(",")) for i in range(len(args)) if args[i] == "--at"]
    want = [args[i + 1].lower() for i in range(len(args)) if args[i] == "--count"]
    seen, counts, light, dark = set(), dict.fromkeys(want, 0), 0, 0
    for row in rows:
        for x in range(0, len(row), bpp):
            px = row[x:x + 3]
            seen.add(px)
            s = px[0] + px[1] + px[2]
            light += s > 600
            dark += s < 165
    for row in rows:
        for c in want:
            b = bytes.fromhex(c)
            start = row.find(b)
            while start >= 0:
                if start % bpp == 0:
                    counts[c] += 1
                start = row.find(b, start + 1)
    print("size", w, h)
    print("colours", len(seen))
    for x, y in at:
        print("pixel", x, y, rows[y][x * bpp:x * bpp + 3].hex())
    for c in want:
        print("count", c, counts[c])
    print("light", light)
    print("dark", dark)


main()
