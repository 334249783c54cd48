#!/usr/bin/env python3
"""OODBench external model (protocol 1, docs/external-protocol.md) for any open_clip model.

    oodbench evaluate --dataset edge --out results/vitb32 \
      --model "external:python3 examples/external/open_clip_adapter.py --arch ViT-B-32 --pretrained laion2b_s34b_b79k"

--arch: an open_clip architecture name, an open_clip config .json, or a clip-fixtures config .json.
--pretrained: an open_clip pretrained tag (downloaded by open_clip) or a checkpoint file (.safetensors/.pt/.bin).
--tensor: take OODBench's preprocessed float32 tensor (the native engine's exact transform) instead of files.
Answers image and text embeddings; OODBench builds the zero-shot head (--protocol).
"""
import argparse, json, os, sys, tempfile

import numpy as np
import open_clip
import torch
from PIL import Image


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def load(path):
    """A stimulus as model-vs-human's loader reads it (torchvision's pil_loader): converted to RGB before any
    transform, so palette images are not resized with NEAREST and RGBA loses its alpha before the resize."""
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def fixture_config(cfg):
    """clip-fixtures' flat config → open_clip's model config."""
    vision = {"image_size": cfg["image_size"]}
    if cfg["kind"] == "vit":
        vision.update(layers=cfg["vision_layers"], width=cfg["vision_width"], patch_size=cfg["patch_size"],
                      head_width=cfg["vision_head_width"], mlp_ratio=cfg.get("mlp_ratio", 4.0))
    else:
        vision.update(layers=cfg["resnet_layers"], width=cfg["resnet_width"], head_width=cfg["vision_head_width"])
    return {"embed_dim": cfg["embed_dim"], "quick_gelu": cfg["quick_gelu"], "vision_cfg": vision,
            "text_cfg": {"context_length": cfg["context_length"], "vocab_size": cfg["vocab_size"],
                         "width": cfg["text_width"], "heads": cfg["text_heads"], "layers": cfg["text_layers"]}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--pretrained", default=None)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--tensor", action="store_true", help="ask OODBench for preprocessed float32 tensors")
    ap.add_argument("--name", default=None, help="model name for the CSVs")
    a = ap.parse_args()

    arch = a.arch
    if arch.endswith(".json"):
        with open(arch) as f:
            cfg = json.load(f)
        if "vision_cfg" not in cfg:
            cfg = fixture_config(cfg)
        tmp = tempfile.mkdtemp()
        arch = "oodbench-" + os.path.splitext(os.path.basename(a.arch))[0]
        with open(os.path.join(tmp, arch + ".json"), "w") as f:
            json.dump(cfg, f)
        open_clip.add_model_config(os.path.join(tmp, arch + ".json"))
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=a.pretrained, device=a.device)
    model.eval()
    tokenizer = open_clip.get_tokenizer(arch)
    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    tag = os.path.splitext(os.path.basename(a.pretrained))[0] if a.pretrained else "random"
    stem = a.arch.split("/")[-1].removesuffix(".json")
    name = a.name or ("open-clip_" + stem + ("" if tag == stem else "_" + tag)).replace(" ", "-")
    mean = list(getattr(model.visual, "image_mean", None) or open_clip.OPENAI_DATASET_MEAN)
    std = list(getattr(model.visual, "image_std", None) or open_clip.OPENAI_DATASET_STD)
    hello = {"oodbench_protocol": 1, "model": name, "label_space": "embeddings",
             "input": {"form": "tensor", "size": size, "mean": mean, "std": std} if a.tensor else "paths",
             "info": {"framework": "open_clip " + open_clip.__version__, "arch": a.arch,
                      "pretrained": str(a.pretrained), "device": a.device}}
    print(json.dumps(hello), flush=True)
    log(f"open_clip {arch} ({a.pretrained}) on {a.device}, input {'tensor' if a.tensor else 'paths'}")

    for line in sys.stdin:
        req = json.loads(line)
        try:
            with torch.no_grad():
                if req["type"] == "embed_texts":
                    out = model.encode_text(tokenizer(req["texts"]).to(a.device))
                elif "paths" in req:
                    x = torch.stack([preprocess(load(p)) for p in req["paths"]]).to(a.device)
                    out = model.encode_image(x)
                else:
                    t = req["tensor"]
                    x = np.fromfile(t["path"], dtype="<f4").reshape(t["shape"])
                    out = model.encode_image(torch.from_numpy(x).to(a.device))
            answer = {"id": req["id"], "embeddings": out.float().cpu().tolist()}
        except Exception as e:  # report, keep serving
            answer = {"id": req["id"], "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
