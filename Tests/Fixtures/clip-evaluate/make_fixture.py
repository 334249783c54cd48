#!/usr/bin/env python3
"""How `oodbench evaluate` must preprocess non-RGB stimuli for CLIP (run by hand, not in CI).

model-vs-human reads every stimulus with torchvision's ImageFolder loader (`pil_loader`: Image.open(f).convert("RGB"))
before the CLIP wrapper's transform, so palette images are expanded and RGBA/LA images lose alpha BEFORE the bicubic
resize. open_clip's transform applied to the raw file (what `oodbench embed` reproduces, clip-fixtures'
preprocess.json) resizes palette images with NEAREST and RGBA premultiplied instead. This records, for the
clip-fixtures images of the mirror, the sha256 of the 8-bit R x R x 3 crop both ways.

    /tmp/venv-torch/bin/python Tests/Fixtures/clip-evaluate/make_fixture.py [MIRROR]   (torch, torchvision, Pillow)
"""
import hashlib, json, os, sys

import numpy as np
import PIL
import torchvision
from PIL import Image
from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Resize

HERE = os.path.dirname(os.path.abspath(__file__))
MIRROR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared/reference-data")
IMAGES = ["palette_P_260x300", "rgba_310x240", "gray_L_257x320", "rgb_300x225", "rgb_100x80_upscale"]


def sha(im):
    return hashlib.sha256(np.ascontiguousarray(np.asarray(im.convert("RGB"), dtype=np.uint8)).tobytes()).hexdigest()


def main():
    out = {"pillow": PIL.__version__, "torchvision": torchvision.__version__, "images": {}}
    for name in IMAGES:
        path = os.path.join(MIRROR, "clip-fixtures", "images", name + ".png")
        rec = {}
        for r in (224, 32):
            t = Compose([Resize(r, interpolation=InterpolationMode.BICUBIC), CenterCrop(r)])
            with open(path, "rb") as f:
                raw = Image.open(f)
                raw.load()
            rec[str(r)] = {"model_vs_human": sha(t(raw.convert("RGB"))), "open_clip_raw_file": sha(t(raw))}
        rec["mode"] = raw.mode
        out["images"][name] = rec
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
