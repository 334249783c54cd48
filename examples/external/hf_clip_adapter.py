#!/usr/bin/env python3
"""OODBench external model (protocol 1, docs/external-protocol.md) for any Hugging Face transformers CLIPModel.

    oodbench evaluate --dataset edge --out results/hf-b32 \
      --model "external:python3 examples/external/hf_clip_adapter.py --model openai/clip-vit-base-patch32"

--model: a hub id or a local folder holding config.json and the weights.
Answers image and text embeddings (the projections); OODBench builds the zero-shot head (--protocol).
"""
import argparse, json, sys

import torch
from PIL import Image
from transformers import CLIPModel, CLIPProcessor


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--name", default=None, help="model name for the CSVs")
    a = ap.parse_args()
    model = CLIPModel.from_pretrained(a.model).to(a.device).eval()
    processor = CLIPProcessor.from_pretrained(a.model)
    name = a.name or "hf-clip_" + a.model.rstrip("/").split("/")[-1].replace("_", "-")
    print(json.dumps({"oodbench_protocol": 1, "model": name, "label_space": "embeddings", "input": "paths",
                      "info": {"framework": "transformers", "model": a.model, "device": a.device}}), flush=True)
    print(f"transformers CLIPModel {a.model} on {a.device}", file=sys.stderr, flush=True)

    for line in sys.stdin:
        req = json.loads(line)
        try:
            with torch.no_grad():
                if req["type"] == "embed_texts":
                    t = processor(text=req["texts"], padding=True, truncation=True, return_tensors="pt").to(a.device)
                    out = model.get_text_features(**t)
                else:
                    images = [Image.open(p).convert("RGB") for p in req["paths"]]
                    out = model.get_image_features(**processor(images=images, return_tensors="pt").to(a.device))
            out = getattr(out, "pooler_output", out)  # transformers >= 5 may return an output object
            answer = {"id": req["id"], "embeddings": out.float().cpu().tolist()}
        except Exception as e:
            answer = {"id": req["id"], "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
