#!/usr/bin/env python3
"""Makes the PNG/JPEG decoding fixtures of ImagingTests (run from anywhere; writes beside this script).

    python3 -m venv /tmp/venv-imaging && /tmp/venv-imaging/bin/pip install Pillow==13.0.0 numpy
    /tmp/venv-imaging/bin/python Tests/Fixtures/codec/make_fixtures.py

PNG inputs are written by a small raw PNG writer below (every colour type and bit depth, Adam7 too, which
Pillow cannot write); JPEG inputs by Pillow. Each input `in/<name>` has `expected/<name>.u8`: the 8-bit
samples (H x W x C, row-major) that OODBench's decoder must give, taken from Pillow where Pillow defines it:
  - L, LA, RGB, RGBA files: Image.open(f) as is; P files: .convert("RGB") (tRNS ignored, as Pillow);
  - 16-bit RGB/RGBA: Pillow's own 8-bit result (high byte); 16-bit LA: Pillow opens it as RGBA (grey
    replicated), the expectation keeps channels (0, 3); 16-bit grey: Pillow opens it as I;16, whose
    convert("L") clamps, so the expectation is the high byte computed here from the raw values;
  - JPEG: Image.open(f) (.convert("RGB") for CMYK).
16-bit inputs also get `expected/<name>.u16le`: the raw 16-bit samples (H x W x C, little-endian).
`expected.json` lists every case with its size and channels.
"""
import io
import json
import os
import struct
import zlib

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(20261125)


def chunk(tag, data):
    c = struct.pack(">I", len(data)) + tag + data
    return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def pack_row(values, depth):
    """values: 1-D array of samples (already interleaved); packs sub-byte depths MSB first."""
    if depth == 8:
        return values.astype(np.uint8).tobytes()
    if depth == 16:
        return values.astype(">u2").tobytes()
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(values), per):
        b = 0
        for j in range(per):
            v = int(values[i + j]) if i + j < len(values) else 0
            b |= v << (8 - depth * (j + 1))
        out.append(b)
    return bytes(out)


def png_bytes(arr, color_type, depth, palette=None, trns=None, interlace=False):
    """arr: H x W x C integer array of raw samples (indices for palette)."""
    h, w = arr.shape[:2]
    flat = arr.reshape(h, w, -1)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    raw = bytearray()
    if not interlace:
        passes = [(0, 0, 1, 1)]
    else:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    for x0, y0, dx, dy in passes:
        sub = flat[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in sub:
            raw.append(0)  # filter none
            raw += pack_row(row.reshape(-1), depth)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette.astype(np.uint8).reshape(-1)))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    out += chunk(b"IEND", b"")
    return out


cases = []
os.makedirs(os.path.join(HERE, "in"), exist_ok=True)
os.makedirs(os.path.join(HERE, "expected"), exist_ok=True)


def save_case(name, data, expected8, expected16=None, note=""):
    with open(os.path.join(HERE, "in", name), "wb") as f:
        f.write(data)
    e = np.ascontiguousarray(expected8.astype(np.uint8))
    if e.ndim == 2:
        e = e[:, :, None]
    with open(os.path.join(HERE, "expected", name + ".u8"), "wb") as f:
        f.write(e.tobytes())
    entry = {"file": name, "height": e.shape[0], "width": e.shape[1], "channels": e.shape[2], "note": note}
    if expected16 is not None:
        e16 = np.ascontiguousarray(expected16.astype("<u2"))
        if e16.ndim == 2:
            e16 = e16[:, :, None]
        with open(os.path.join(HERE, "expected", name + ".u16le"), "wb") as f:
            f.write(e16.tobytes())
        entry["has16"] = True
    cases.append(entry)


def pillow_array(data, convert=None):
    im = Image.open(io.BytesIO(data))
    im.load()
    if convert:
        im = im.convert(convert)
    return np.asarray(im)


H, W = 11, 13
for interlace in (False, True):
    suffix = "_adam7" if interlace else ""
    # grey 1, 2, 4, 8 bits
    for depth in (1, 2, 4, 8):
        a = rng.randint(0, 2 ** depth, size=(H, W, 1))
        data = png_bytes(a, 0, depth, interlace=interlace)
        save_case(f"grey{depth}{suffix}.png", data, pillow_array(data, "L"), note="Pillow convert('L')")
    # grey 16
    a = rng.randint(0, 65536, size=(H, W, 1))
    data = png_bytes(a, 0, 16, interlace=interlace)
    save_case(f"grey16{suffix}.png", data, (a >> 8)[:, :, 0], a, note="high byte (Pillow's I;16 clamps)")
    # grey + alpha 8, 16
    a = rng.randint(0, 256, size=(H, W, 2))
    data = png_bytes(a, 4, 8, interlace=interlace)
    save_case(f"greyalpha8{suffix}.png", data, pillow_array(data), note="Pillow LA")
    a = rng.randint(0, 65536, size=(H, W, 2))
    data = png_bytes(a, 4, 16, interlace=interlace)
    rgba = pillow_array(data)
    assert (rgba[..., 0] == (a[..., 0] >> 8)).all()
    save_case(f"greyalpha16{suffix}.png", data, rgba[..., [0, 3]], a, note="Pillow RGBA channels 0, 3")
    # RGB / RGBA 8, 16
    for ct, ch, nm in ((2, 3, "rgb"), (6, 4, "rgba")):
        for depth in (8, 16):
            a = rng.randint(0, 2 ** depth, size=(H, W, ch))
            data = png_bytes(a, ct, depth, interlace=interlace)
            exp = pillow_array(data)
            if depth == 16:
                assert (exp == (a >> 8)).all()
            save_case(f"{nm}{depth}{suffix}.png", data, exp, a if depth == 16 else None, note="Pillow")
    # palette 1, 2, 4, 8 bits, with and without tRNS; palette shorter than 2^depth
    for depth in (1, 2, 4, 8):
        n = min(2 ** depth, 200)
        pal = rng.randint(0, 256, size=(n, 3))
        a = rng.randint(0, n, size=(H, W, 1))
        trns = bytes(rng.randint(0, 256, size=min(n, 5)).astype(np.uint8))
        data = png_bytes(a, 3, depth, palette=pal, interlace=interlace)
        save_case(f"palette{depth}{suffix}.png", data, pillow_array(data, "RGB"), note="Pillow convert('RGB')")
        data = png_bytes(a, 3, depth, palette=pal, trns=trns, interlace=interlace)
        save_case(f"palette{depth}_trns{suffix}.png", data, pillow_array(data, "RGB"),
                  note="Pillow convert('RGB'), tRNS ignored")
# RGB with a tRNS colour key, grey with tRNS: ignored
a = rng.randint(0, 256, size=(H, W, 3))
data = png_bytes(a, 2, 8, trns=struct.pack(">HHH", int(a[0, 0, 0]), int(a[0, 0, 1]), int(a[0, 0, 2])))
save_case("rgb8_trns.png", data, pillow_array(data, "RGB"), note="Pillow convert('RGB')")
a = rng.randint(0, 256, size=(H, W, 1))
data = png_bytes(a, 0, 8, trns=struct.pack(">H", int(a[0, 0, 0])))
save_case("grey8_trns.png", data, pillow_array(data, "L"), note="Pillow convert('L')")

# JPEG, written and read by Pillow
yy, xx = np.mgrid[0:37, 0:53]
base = np.stack([(xx * 5) % 256, (yy * 7) % 256, ((xx + yy) * 3) % 256], axis=-1).astype(np.uint8)
base = np.clip(base.astype(np.int32) + rng.randint(-20, 21, size=base.shape), 0, 255).astype(np.uint8)
for name, mode, kw in (
    ("rgb_q90_420.jpg", "RGB", {"quality": 90}),
    ("rgb_q75_444.jpg", "RGB", {"quality": 75, "subsampling": 0}),
    ("rgb_q80_422.jpg", "RGB", {"quality": 80, "subsampling": 1}),
    ("rgb_progressive.jpg", "RGB", {"quality": 85, "progressive": True}),
    ("grey_q90.jpg", "L", {"quality": 90}),
    ("cmyk_q90.jpg", "CMYK", {"quality": 90}),
):
    im = Image.fromarray(base, "RGB")
    if mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    data = buf.getvalue()
    save_case(name, data, pillow_array(data, "RGB" if mode == "CMYK" else None), note=f"Pillow {kw}")

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump({"pillow": PIL.__version__, "cases": cases}, f, indent=1)
print(len(cases), "cases")
