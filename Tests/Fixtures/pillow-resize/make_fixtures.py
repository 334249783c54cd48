#!/usr/bin/env python3
"""Makes the Pillow resize parity fixtures of ImagingTests (writes beside this script).

    python3 -m venv /tmp/venv-imaging && /tmp/venv-imaging/bin/pip install Pillow==13.0.0 numpy
    /tmp/venv-imaging/bin/python Tests/Fixtures/pillow-resize/make_fixtures.py

Inputs `in/*.png` are seeded synthetic pictures (noise over gradients, so that every rounding path is hit)
in modes L, RGB, LA and RGBA. Each case `out/<name>.png` is `Image.open(input).resize(size, filter, box)`
with Pillow's defaults otherwise (reducing_gap=None), saved losslessly in the input's mode. `cases.json`
lists input, filter, size, box and output for every case. The Swift test needs identical samples.
The sizes cover up- and down-scaling per axis, extreme ratios, boxes (fractional, integer crop), and both
sides of Pillow 13's pass-order rule (vertical pass first when inH - H > 0 and inH - H > (inW - W) * 2:
37x29 -> 25x5 is horizontal-first, 26x5 vertical-first).
"""
import json
import os

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(4242)
os.makedirs(os.path.join(HERE, "in"), exist_ok=True)
os.makedirs(os.path.join(HERE, "out"), exist_ok=True)


def picture(h, w, channels):
    yy, xx = np.mgrid[0:h, 0:w]
    planes = []
    for c in range(channels):
        base = (xx * (3 + 2 * c) + yy * (5 - c)) % 256
        noise = rng.randint(-60, 61, size=(h, w))
        planes.append(np.clip(base + noise, 0, 255))
    a = np.stack(planes, axis=-1).astype(np.uint8)
    # a few hard edges and extreme values, where the clamp after the shift matters
    a[h // 3, :, :] = 255
    a[:, w // 2, :] = 0
    return a


inputs = {
    "rgb_37x29": ("RGB", picture(29, 37, 3)),
    "l_37x29": ("L", picture(29, 37, 1)[:, :, 0]),
    "rgb_8x300": ("RGB", picture(300, 8, 3)),
    "rgba_23x19": ("RGBA", picture(19, 23, 4)),
    "la_23x19": ("LA", picture(19, 23, 2)),
}
for name, (mode, a) in inputs.items():
    if mode in ("RGBA", "LA"):
        alpha = a[..., -1]
        alpha[0, :] = 0      # fully transparent row
        alpha[1, :] = 255    # opaque row
    Image.fromarray(a, mode).save(os.path.join(HERE, "in", name + ".png"))

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}

cases = []


def add(inp, filt, size, box=None):
    im = Image.open(os.path.join(HERE, "in", inp + ".png"))
    im.load()
    out = im.resize(size, FILTERS[filt], box=box)
    tag = f"{inp}_{filt}_{size[0]}x{size[1]}"
    if box is not None:
        tag += "_box" + "_".join(str(v).replace(".", "p") for v in box)
    out.save(os.path.join(HERE, "out", tag + ".png"))
    cases.append({"input": f"in/{inp}.png", "filter": filt, "width": size[0], "height": size[1],
                  "box": list(map(float, box)) if box is not None else None, "output": f"out/{tag}.png",
                  "mode": im.mode})


for filt in FILTERS:
    for inp in ("rgb_37x29", "l_37x29"):
        for size in ((17, 13), (64, 50), (37, 50), (20, 29), (11, 40), (5, 3), (1, 1), (150, 7), (74, 58), (25, 5), (26, 5)):
            add(inp, filt, size)
        add(inp, filt, (16, 12), (0.5, 1.25, 30.7, 20.1))
        add(inp, filt, (20, 15), (3, 4, 23, 19))        # integer box of the output size: a crop
        add(inp, filt, (40, 30), (3, 4, 23, 19))
        add(inp, filt, (37, 29), (0, 0, 36.5, 29))      # same size, box not full
    add("rgb_8x300", filt, (5, 111))
    add("rgb_8x300", filt, (16, 300))
for filt in ("bilinear", "bicubic", "lanczos", "nearest"):
    for inp in ("rgba_23x19", "la_23x19"):
        for size in ((11, 9), (40, 31), (23, 7)):
            add(inp, filt, size)
        add(inp, filt, (10, 10), (2, 3, 12, 13))        # crop path, still premultiplied round trip

with open(os.path.join(HERE, "cases.json"), "w") as f:
    json.dump({"pillow": PIL.__version__, "cases": cases}, f, indent=1)
print(len(cases), "cases")
