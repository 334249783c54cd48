#!/usr/bin/env python3
"""Parity check, run by hand (not in CI): the external adapters against OODBench's native CLIP engine.

For each tiny seeded model of the mirror's clip-fixtures (vit_quickgelu, vit_gelu, rn_quickgelu) it runs

  oodbench evaluate --model clip:MODEL.safetensors@MODEL.json            (native engine)
  oodbench evaluate --model "external:PY open_clip_adapter.py … --tensor"  (open_clip through the protocol)

on the offline stimuli (--datasets, default edge and silhouette: 320 images) with --protocol (default direct16) and
compares the decisions (object_response) row by row; for vit_quickgelu also the Hugging Face adapter on the HF copy
of the same model (hf_vit_quickgelu, with a tokenizer folder made here from the pinned BPE vocabulary). Then it
compares embeddings: `oodbench embed` (native preprocessing from the raw files, native towers) against open_clip's
own `preprocess(Image.open(p))` + `encode_image` on the same stimuli, and the texts of the protocol's prompts.

    /tmp/venv/bin/python examples/external/parity.py --oodbench .build/debug/oodbench
    (the venv: pip install -r examples/external/requirements.txt; OODBENCH_MIRROR defaults to ../shared/reference-data)

Exit status 0 when every decision agrees and embeddings are within --tolerance (the fixtures' 2e-4).
"""
import argparse, csv, gzip, json, os, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["vit_quickgelu", "vit_gelu", "rn_quickgelu"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, env):
    t = time.time()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return r.stdout, time.time() - t


def decisions(folder, dataset):
    raw = os.path.join(folder, "raw-data", dataset)
    (name,) = [f for f in os.listdir(raw) if f.endswith(".csv")]
    with open(os.path.join(raw, name)) as f:
        return {row["imagename"]: row["object_response"] for row in csv.DictReader(f)}


def hf_tokenizer(vocab_gz, out):
    """A transformers CLIPTokenizer folder (vocab.json, merges.txt) from bpe_simple_vocab_16e6.txt.gz."""
    from transformers import CLIPTokenizer
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    byte_chars = [chr(c) for c in cs]
    merges = gzip.open(vocab_gz).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    vocab = byte_chars + [v + "</w>" for v in byte_chars] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "vocab.json"), "w") as f:
        json.dump({v: i for i, v in enumerate(vocab)}, f)
    with open(os.path.join(out, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    CLIPTokenizer(os.path.join(out, "vocab.json"), os.path.join(out, "merges.txt"),
                  pad_token="<|endoftext|>").save_pretrained(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--oodbench", default=".build/debug/oodbench")
    ap.add_argument("--mirror", default=os.environ.get("OODBENCH_MIRROR", "../shared/reference-data"))
    ap.add_argument("--datasets", nargs="+", default=["edge", "silhouette"])
    ap.add_argument("--protocol", default="direct16", choices=["direct16", "imagenet1000"])
    ap.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    ap.add_argument("--embed-images", type=int, default=48, help="stimuli whose embeddings are compared")
    ap.add_argument("--tolerance", type=float, default=2e-4)
    ap.add_argument("--out", default="/tmp/oodbench-parity")
    ap.add_argument("--no-hf", action="store_true", help="skip the Hugging Face adapter")
    ap.add_argument("--embeddings-only", action="store_true", help="skip the evaluate runs")
    a = ap.parse_args()

    import numpy as np, open_clip, torch
    from PIL import Image
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    mirror = os.path.abspath(a.mirror)
    fixtures = os.path.join(mirror, "clip-fixtures", "models")
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    env = dict(os.environ, OODBENCH_MIRROR=mirror, OODBENCH_CACHE=os.path.join(a.out, "cache"))
    py = sys.executable
    ok = True
    report = {"protocol": a.protocol, "datasets": a.datasets, "models": {}}

    for model in a.models:
        weights, arch = os.path.join(fixtures, model + ".safetensors"), os.path.join(fixtures, model + ".json")
        runs = {"native": ["--model", f"clip:{weights}@{arch}"],
                "open_clip": ["--model", f"external:{py} {HERE}/open_clip_adapter.py --arch {arch} "
                                         f"--pretrained {weights} --tensor --device cpu"]}
        if model == "vit_quickgelu" and not a.no_hf:
            tok = os.path.join(a.out, "hf-tokenizer")
            hf_tokenizer(os.path.join(mirror, "openai-clip", "bpe_simple_vocab_16e6.txt.gz"), tok)
            runs["hf"] = ["--model", f"external:{py} {HERE}/hf_clip_adapter.py --model {fixtures}/hf_vit_quickgelu "
                                     f"--processor {tok} --tensor --device cpu"]
        got, seconds = {}, {}
        for side, spec in (runs.items() if not a.embeddings_only else []):
            out = os.path.join(a.out, f"{model}-{side}")
            _, seconds[side] = run([a.oodbench, "evaluate", *spec, "--protocol", a.protocol,
                                    "--dataset", *a.datasets, "--out", out, "--batch", "32"], env)
            got[side] = {d: decisions(out, d) for d in a.datasets}
        entry = {"seconds": {k: round(v, 1) for k, v in seconds.items()}}
        for side in got:
            if side == "native" or "native" not in got:
                continue
            same = total = 0
            for d in a.datasets:
                n, e = got["native"][d], got[side][d]
                assert n.keys() == e.keys(), f"{model}/{d}: different image lists"
                total += len(n)
                same += sum(n[k] == e[k] for k in n)
                for k in n:
                    if n[k] != e[k]:
                        log(f"  {model} {side} {d}/{k}: native {n[k]}, {side} {e[k]}")
            entry[f"{side}_decisions_identical"] = f"{same}/{total}"
            ok &= same == total
        if got:
            log(f"{model}: " + ", ".join(f"{k} {v}" for k, v in entry.items() if k != "seconds") + f"  (seconds {entry['seconds']})")

        # Embeddings: oodbench embed (native preprocessing of the raw files) vs open_clip's own transform and towers.
        files = []
        for d in a.datasets:
            root = os.path.join(mirror, "texture-vs-shape", d)
            files += sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs if f.endswith(".png"))
        files = files[:: max(1, len(files) // a.embed_images)][: a.embed_images]
        names = ["airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat", "chair", "clock", "dog",
                 "elephant", "keyboard", "knife", "oven", "truck"]
        texts = [f"a photo of a {c}." for c in names] + ["a bad photo of the airplane.", "itap of a clock."]
        out, _ = run([a.oodbench, "embed", "--model", f"clip:{weights}@{arch}", "--image", *files], env)
        native_img = np.array([e["embedding"] for e in json.loads(out)["images"]], dtype=np.float64)
        out, _ = run([a.oodbench, "embed", "--model", f"clip:{weights}@{arch}", "--text", *texts], env)
        native_txt = np.array([e["embedding"] for e in json.loads(out)["texts"]], dtype=np.float64)
        with open(arch) as f:
            cfg = json.load(f)
        sys.path.insert(0, HERE)
        from open_clip_adapter import fixture_config  # the adapter's own config translation
        import tempfile
        tmp = tempfile.mkdtemp()
        name = "parity-" + model
        with open(os.path.join(tmp, name + ".json"), "w") as f:
            json.dump(fixture_config(cfg), f)
        open_clip.add_model_config(os.path.join(tmp, name + ".json"))
        oc, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=weights)
        oc.eval()
        with torch.no_grad():
            ref_img = oc.encode_image(torch.stack([preprocess(Image.open(p)) for p in files])).double().numpy()
            ref_txt = oc.encode_text(open_clip.get_tokenizer(name)(texts)).double().numpy()
        di, dt = float(np.abs(native_img - ref_img).max()), float(np.abs(native_txt - ref_txt).max())
        # The whole 16-way ranking per image (the tiny models' top-1 decisions concentrate on a few classes, so the
        # order of all 16 classes is the sharper test): prompts "a photo of a {category}.", cosine similarity.
        def ranks(img, txt):
            img = img / np.linalg.norm(img, axis=1, keepdims=True)
            txt = txt[:16] / np.linalg.norm(txt[:16], axis=1, keepdims=True)
            return np.argsort(-(img @ txt.T), axis=1, kind="stable")
        rn, rr = ranks(native_img, native_txt), ranks(ref_img, ref_txt)
        same_rank = int((rn == rr).all(axis=1).sum())
        entry["ranking_of_16_identical"] = f"{same_rank}/{len(files)}"
        # A swap is acceptable only between classes whose reference similarities tie within float32 noise.
        sims = (ref_img / np.linalg.norm(ref_img, axis=1, keepdims=True)) @ (
            ref_txt[:16] / np.linalg.norm(ref_txt[:16], axis=1, keepdims=True)).T
        worst_gap = 0.0
        for i in np.nonzero((rn != rr).any(axis=1))[0]:
            for pos in np.nonzero(rn[i] != rr[i])[0]:
                gap = abs(sims[i, rn[i, pos]] - sims[i, rr[i, pos]])
                worst_gap = max(worst_gap, float(gap))
                log(f"  {model} image {i}: rank {pos + 1} native class {rn[i, pos]}, open_clip {rr[i, pos]} "
                    f"(cosine gap {gap:.1e}, top-1 {'same' if rn[i, 0] == rr[i, 0] else 'DIFFERENT'})")
        entry["largest_cosine_gap_of_a_swap"] = worst_gap
        ok &= worst_gap <= 1e-5 and bool((rn[:, 0] == rr[:, 0]).all())
        entry.update(images_compared=len(files), image_embedding_max_abs_diff=di,
                     texts_compared=len(texts), text_embedding_max_abs_diff=dt)
        ok &= di <= a.tolerance and dt <= a.tolerance
        log(f"{model}: embeddings max |native - open_clip|: images {di:.2e} ({len(files)}), texts {dt:.2e} ({len(texts)}); "
            f"16-way ranking identical for {same_rank}/{len(files)} images")
        report["models"][model] = entry

    report["versions"] = {"open_clip": open_clip.__version__, "torch": torch.__version__}
    print(json.dumps(report, indent=1))
    log("PARITY OK" if ok else "PARITY FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
