#!/usr/bin/env python3
"""OODBench external model (protocol 1, docs/external-protocol.md) for any Hugging Face transformers CLIPModel.

    oodbench evaluate --dataset edge --out results/hf-b32 \
      --model "external:python3 examples/external/hf_clip_adapter.py --model openai/clip-vit-base-patch32"

--model: a hub id or a local folder holding config.json and the weights.
--processor: where the tokenizer and image processor live, if not beside the weights (a hub id or a folder).
--tensor: take OODBench's preprocessed float32 tensor (open_clip's transform, byte-exact) instead of files; the
  image processor is then not needed (HF's own processor resizes differently from open_clip, specs/clip.md §3.2).
Answers image and text embeddings (the projections); OODBench builds the zero-shot head (--protocol).
"""
import argparse, json, sys

import numpy as np
import torch
from PIL import Image
from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel

OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]


def features(out):
    # transformers >= 5 may return an output object whose pooler_output holds the projected features
    return getattr(out, "pooler_output", out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--processor", default=None, help="tokenizer/image processor location (default: --model)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--tensor", action="store_true", help="ask OODBench for preprocessed float32 tensors")
    ap.add_argument("--name", default=None, help="model name for the CSVs")
    a = ap.parse_args()
    model = CLIPModel.from_pretrained(a.model).to(a.device).eval()
    where = a.processor or a.model
    tokenizer = AutoTokenizer.from_pretrained(where)
    images = None if a.tensor else CLIPImageProcessor.from_pretrained(where)
    name = a.name or "hf-clip_" + a.model.rstrip("/").split("/")[-1].replace("_", "-")
    size = model.config.vision_config.image_size
    hello = {"oodbench_protocol": 1, "model": name, "label_space": "embeddings",
             "input": {"form": "tensor", "size": size, "mean": OPENAI_MEAN, "std": OPENAI_STD} if a.tensor else "paths",
             "info": {"framework": "transformers", "model": a.model, "device": a.device}}
    print(json.dumps(hello), flush=True)
    print(f"transformers CLIPModel {a.model} on {a.device}", file=sys.stderr, flush=True)

    for line in sys.stdin:
        req = json.loads(line)
        try:
            with torch.no_grad():
                if req["type"] == "embed_texts":
                    t = tokenizer(req["texts"], padding=True, truncation=True, max_length=77, return_tensors="pt")
                    out = model.get_text_features(**t.to(a.device))
                elif "paths" in req:
                    pics = []
                    for p in req["paths"]:
                        with open(p, "rb") as f:  # model-vs-human's loader: RGB before any transform
                            pics.append(Image.open(f).convert("RGB"))
                    out = model.get_image_features(**images(images=pics, return_tensors="pt").to(a.device))
                else:
                    t = req["tensor"]
                    x = np.fromfile(t["path"], dtype="<f4").reshape(t["shape"])
                    out = model.get_image_features(pixel_values=torch.from_numpy(x).to(a.device))
            answer = {"id": req["id"], "embeddings": features(out).float().cpu().tolist()}
        except Exception as e:  # report, keep serving
            answer = {"id": req["id"], "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
