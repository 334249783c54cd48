#!/usr/bin/env python3
"""Wraps a tiny CLIP-Mamba fixture backbone in a training checkpoint shaped like the real CLIP-Mamba files.

No real CLIP-Mamba checkpoint can be downloaded here, so this builds the closest stand-in from the shared tiny
fixtures (clip-mamba-fixtures/<model>/weights.safetensors, upstream key names): the dict that mamba-clip's
`main.py` hands to `torch.save` (specs/clip-mamba.md §6.5.6):

    {'epoch', 'state_dict', 'optimizer', 'scaler', 'best_acc', 'args'}

with `state_dict` as DistributedDataParallel writes it (every key under `module.`), holding
  * the online half: `visual.*` = the fixture tower PLUS noise (a decoy: loading it gives wrong features),
    `image_projection`, `logit_scale`;
  * the EMA half: `visual_e.*` = the fixture tower exactly, `image_projection_e`;
and the training state beside it as real files carry it: AdamW state tensors, the GradScaler dict, `best_acc`
as a numpy float64 and `args` as an argparse.Namespace. No text tower (the tiny fixtures have none for these
backbones), so the checkpoint gives features and image embeddings only.

Also writes `<out>.expected.safetensors`: `image_projection_e` and `image_embed_<run>` = the fixture's
reference `output` of activations_<run> times image_projection_e (float64 product, stored float32), computed
here from the fixture files alone.

Usage (the tests call it with the shared torch venv when one is present; --model may be repeated, one
checkpoint `<out-dir>/<model>.pt` each):
    /tmp/venv-torch/bin/python make_pt_checkpoint.py --fixtures <mirror>/clip-mamba-fixtures \
        --model vmamba_tiny_v2=CLIP_VMamba_T220 --model simba_tiny=CLIP_Simba_L --out-dir /tmp/x
"""
import argparse
import os
from collections import OrderedDict

import numpy as np
import torch
from safetensors.torch import load_file, save_file


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", required=True, help="clip-mamba-fixtures folder of the offline mirror")
    ap.add_argument("--model", action="append", required=True,
                    help="FIXTURE=FACTORY, e.g. vmamba_tiny_v2=CLIP_VMamba_T220 (FACTORY is stored in args.model)")
    ap.add_argument("--embed-dim", type=int, default=12, help="image_projection output width")
    ap.add_argument("--seed", type=int, default=20241125)
    ap.add_argument("--out-dir", required=True, help="folder for <FIXTURE>.pt and <FIXTURE>.pt.expected.safetensors")
    a = ap.parse_args()
    for spec in a.model:
        fixture, _, factory = spec.partition("=")
        write(a.fixtures, fixture, factory or "CLIP_VMamba_T220", a.embed_dim, a.seed,
              os.path.join(a.out_dir, fixture + ".pt"))


def write(fixtures, model, factory, embed_dim, seed, out):
    tower = load_file(os.path.join(fixtures, model, "weights.safetensors"))
    g = torch.Generator().manual_seed(seed)
    width = load_file(os.path.join(fixtures, model, "activations_a.safetensors"))["output"].shape[1]

    state = OrderedDict()
    # online half first (the order nn.Module.state_dict() gives: visual, then the other attributes)
    for k, v in tower.items():
        if v.is_floating_point():
            decoy = v + 0.25 * torch.randn(v.shape, generator=g, dtype=v.dtype)
        else:
            decoy = v + 3                       # num_batches_tracked (int64)
        state["module.visual." + k] = decoy
    proj_online = torch.randn(width, embed_dim, generator=g) / width ** 0.5
    proj_ema = torch.randn(width, embed_dim, generator=g) / width ** 0.5
    state["module.image_projection"] = proj_online
    state["module.logit_scale"] = torch.tensor(4.6052)
    for k, v in tower.items():
        state["module.visual_e." + k] = v.clone()
    state["module.image_projection_e"] = proj_ema

    # AdamW state for a few parameters, GradScaler state, best_acc and args as main.py writes them
    names = [k for k in state if not k.startswith("module.visual_e.")][:3]
    optimizer = {
        "state": {i: {"step": torch.tensor(40.0), "exp_avg": torch.randn(state[n].shape, generator=g),
                      "exp_avg_sq": torch.rand(state[n].shape, generator=g)} for i, n in enumerate(names)},
        "param_groups": [{"lr": 3e-3, "betas": (0.9, 0.98), "eps": 1e-8, "weight_decay": 0.1, "amsgrad": False,
                          "foreach": None, "maximize": False, "capturable": False, "differentiable": False,
                          "fused": None, "params": list(range(len(names)))}],
    }
    scaler = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
              "_growth_tracker": 17}
    args = argparse.Namespace(dataset="yfcc15m", model=factory, epochs=25, batch_size=256, lr=3e-3,
                              betas=[0.9, 0.98], momentum_ema=0.996, output_dir="./output", distributed=True,
                              gpu=0, best_acc=np.float64(12.5))
    ckpt = {"epoch": 3, "state_dict": state, "optimizer": optimizer, "scaler": scaler,
            "best_acc": np.float64(12.5), "args": args}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.save(ckpt, out)

    expected = {"image_projection_e": proj_ema.contiguous()}
    for run in ("a", "b"):
        ref = load_file(os.path.join(fixtures, model, f"activations_{run}.safetensors"))["output"]
        expected[f"image_embed_{run}"] = (ref.double() @ proj_ema.double()).float().contiguous()
    save_file(expected, out + ".expected.safetensors")


if __name__ == "__main__":
    main()
