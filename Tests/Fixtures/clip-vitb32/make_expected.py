#!/usr/bin/env python3
"""Expected ViT-B/32 (QuickGELU) CLIP embeddings for OODBench's full-size parity test.

Weights come from the counter-based formula of Sources/Models/CLIPSeededWeights.swift (the Swift test computes
the same values): element i of tensor `name` is float32(a * (2u - 1) + c), u = (0.6180339887498949 * i + h) mod 1,
h = FNV-1a-32(name) / 2**32, with a and c by tensor kind (see that file). Inputs: one image tensor x[k] = 1.5 * sin(0.37 * k) over
the flat [3, 224, 224] index k (already normalised), and the prompt "a photo of a cat." as token ids.

Reference: a float64 numpy implementation of specs/clip.md section 4 (ViT tower 4.2, text tower 4.4) on the
float32 weights. open_clip itself could not be installed on the machine that made this file (the PyPI downloads
of torch's CUDA dependencies failed), so this is the spec re-implementation the shared fixtures' generator also
uses as its self-check (it agrees with open_clip to ~1e-6 on the tiny models). Run by hand, not in CI:

    python3 Tests/Fixtures/clip-vitb32/make_expected.py > Tests/Fixtures/clip-vitb32/expected.json
"""
import json
import math
import sys

import numpy as np

W, LAYERS, HEADS, P, R, E = 768, 12, 12, 32, 224, 512
TW, THEADS, TLAYERS, CTX, VOCAB = 512, 8, 12, 77, 49408
TOKENS = [49406, 320, 1125, 539, 320, 2368, 269, 49407] + [0] * 69


def fnv1a(s):
    h = 2166136261
    for b in s.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def tensor(name, shape):
    n = int(np.prod(shape)) if shape else 1
    if name == "logit_scale":
        return np.full(shape, math.log(100.0), dtype=np.float32)
    h = fnv1a(name) / 4294967296.0
    last = name.split(".")[-1]
    c = 0.0
    if name.endswith(".weight") and (".ln_" in name or name.startswith("ln_")):
        a, c = 0.1, 1.0
    elif last == "bias" or name.endswith("_bias"):
        a = 0.02
    elif name == "token_embedding.weight":
        a = 0.02
    elif name.endswith("positional_embedding"):
        a = 0.01
    elif name == "visual.class_embedding":
        a = 0.05
    else:
        fan_in = shape[0] if name in ("visual.proj", "text_projection") else int(np.prod(shape[1:]))
        a = math.sqrt(6.0 / max(fan_in, 1))
    u = np.fmod(0.6180339887498949 * np.arange(n, dtype=np.float64) + h, 1.0)
    v = a * (2 * u - 1) + c
    return v.astype(np.float32).reshape(shape).astype(np.float64)


def layer_norm(x, g, b):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * g + b


def quick_gelu(x):
    return x / (1 + np.exp(-1.702 * x))


def blocks(prefix, x, width, heads, layers, causal):
    L = x.shape[0]
    d = width // heads
    mask = np.triu(np.full((L, L), -np.inf), 1) if causal else np.zeros((L, L))
    for i in range(layers):
        p = f"{prefix}.resblocks.{i}."
        t = lambda n, s: tensor(p + n, s)
        h = layer_norm(x, t("ln_1.weight", [width]), t("ln_1.bias", [width]))
        qkv = h @ t("attn.in_proj_weight", [3 * width, width]).T + t("attn.in_proj_bias", [3 * width])
        q, k, v = qkv[:, :width], qkv[:, width:2 * width], qkv[:, 2 * width:]
        out = np.zeros((L, width))
        for hh in range(heads):
            s = slice(hh * d, (hh + 1) * d)
            sc = q[:, s] @ k[:, s].T / math.sqrt(d) + mask
            sc = np.exp(sc - sc.max(-1, keepdims=True))
            sc /= sc.sum(-1, keepdims=True)
            out[:, s] = sc @ v[:, s]
        x = x + out @ t("attn.out_proj.weight", [width, width]).T + t("attn.out_proj.bias", [width])
        h = layer_norm(x, t("ln_2.weight", [width]), t("ln_2.bias", [width]))
        m = quick_gelu(h @ t("mlp.c_fc.weight", [4 * width, width]).T + t("mlp.c_fc.bias", [4 * width]))
        x = x + m @ t("mlp.c_proj.weight", [width, 4 * width]).T + t("mlp.c_proj.bias", [width])
    return x


def image_embedding():
    g = R // P
    img = (1.5 * np.sin(0.37 * np.arange(3 * R * R, dtype=np.float64))).astype(np.float32).astype(np.float64)
    img = img.reshape(3, R, R)
    patches = img.reshape(3, g, P, g, P).transpose(1, 3, 0, 2, 4).reshape(g * g, 3 * P * P)
    tok = patches @ tensor("visual.conv1.weight", [W, 3, P, P]).reshape(W, -1).T
    x = np.concatenate([tensor("visual.class_embedding", [W])[None], tok], 0)
    x = x + tensor("visual.positional_embedding", [g * g + 1, W])
    x = layer_norm(x, tensor("visual.ln_pre.weight", [W]), tensor("visual.ln_pre.bias", [W]))
    x = blocks("visual.transformer", x, W, HEADS, LAYERS, False)
    pooled = layer_norm(x[0], tensor("visual.ln_post.weight", [W]), tensor("visual.ln_post.bias", [W]))
    return pooled @ tensor("visual.proj", [W, E])


def text_embedding():
    emb = tensor("token_embedding.weight", [VOCAB, TW])
    x = emb[TOKENS] + tensor("positional_embedding", [CTX, TW])
    x = blocks("transformer", x, TW, THEADS, TLAYERS, True)
    eot = int(np.argmax(TOKENS))
    pooled = layer_norm(x[eot], tensor("ln_final.weight", [TW]), tensor("ln_final.bias", [TW]))
    return pooled @ tensor("text_projection", [TW, E])


if __name__ == "__main__":
    json.dump({
        "description": __doc__.strip().split("\n\n")[0],
        "architecture": "ViT-B-32-quickgelu",
        "reference": "float64 numpy re-implementation of specs/clip.md section 4 on the float32 formula weights",
        "numpy": np.__version__,
        "image_input": "x[k] = float32(1.5 * sin(0.37 * k)), k = flat index over [3, 224, 224]",
        "tokens": TOKENS,
        "image_embedding": [float(v) for v in image_embedding()],
        "text_embedding": [float(v) for v in text_embedding()],
        "tolerance_max_abs": 2e-3,
    }, sys.stdout, indent=1)
