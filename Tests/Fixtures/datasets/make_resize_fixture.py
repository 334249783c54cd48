#!/usr/bin/env python3
"""Fixture for Datasets' source preparation: model-vs-human's non-224 path, torchvision Resize(256) + CenterCrop(224)
on PIL images, written here with Pillow alone (torchvision's size and offset rules spelled out).

Run by hand:  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pillow && /tmp/venv/bin/python make_resize_fixture.py
Writes source-300x200.png (a synthetic picture) and resize-crop.json (sha256 and samples of the 224 x 224 result)
beside this script; also records the result for ../shared/reference-data/texture-vs-shape/originals/bottle/bottle1.png
(512 x 512) when the mirror is present.
"""
import hashlib, json, os, sys
from PIL import Image, __version__

HERE = os.path.dirname(os.path.abspath(__file__))


def resize_crop(im):
    im = im.convert("RGB")
    w, h = im.size
    if (w, h) == (224, 224):
        return im
    # torchvision _compute_resized_output_size: shorter side -> 256, longer = int(256 * long / short)
    if w <= h:
        size = (256, int(256 * h / w))
    else:
        size = (int(256 * w / h), 256)
    im = im.resize(size, Image.BILINEAR)
    w, h = im.size
    top = int(round((h - 224) / 2.0))
    left = int(round((w - 224) / 2.0))
    return im.crop((left, top, left + 224, top + 224))


def record(im):
    data = im.tobytes()
    return {"sha256": hashlib.sha256(data).hexdigest(),
            "samples": {f"{x},{y}": list(im.getpixel((x, y))) for (x, y) in [(0, 0), (223, 0), (100, 37), (223, 223)]}}


def main():
    w, h = 300, 200
    pixels = bytearray()
    for y in range(h):
        for x in range(w):
            pixels += bytes(((x * 7 + y * 3) % 256, (x * x // 50 + y) % 256, ((x // 10) * 40 + (y // 10) * 25) % 256))
    src = Image.frombytes("RGB", (w, h), bytes(pixels))
    src.save(os.path.join(HERE, "source-300x200.png"), optimize=True)
    out = {"pillow": __version__, "source-300x200.png": record(resize_crop(Image.open(os.path.join(HERE, "source-300x200.png"))))}
    mirror = os.environ.get("OODBENCH_MIRROR") or os.path.join(HERE, "..", "..", "..", "..", "shared", "reference-data")
    bottle = os.path.join(mirror, "texture-vs-shape", "originals", "bottle", "bottle1.png")
    if os.path.exists(bottle):
        out["texture-vs-shape/originals/bottle/bottle1.png"] = record(resize_crop(Image.open(bottle)))
    with open(os.path.join(HERE, "resize-crop.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
