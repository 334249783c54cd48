#!/usr/bin/env python3
"""A deterministic OODBench external model (protocol 1), standard library only, for tests and benchmarks.

Rule (tests recompute it): for an image path, v_i = fnv1a32(basename + "#" + str(i)) % 1000 + 1 for each class
i; probabilities p_i = v_i / sum(v), logits log(v_i). In embeddings mode the image embedding is v (dim --dim)
and a prompt text's embedding is fnv1a32(text + "#" + str(j)) % 1000 + 1 - 500 for j < dim. With --input tensor
the logits are l_i = (i + 1) * m[i % 3], m the per-channel mean of the image's tensor.

Misbehaviour flags count classify batches from 1 in this process: --crash-at N, --hang-at N, --bad-json-at N,
--wrong-id-at N, --wrong-classes-at N, --wrong-rows-at N, --error-at N. --instant answers constant rows at once.
"""
import argparse, json, os, struct, sys, time


def fnv1a32(text):
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def values(name, count):
    return [fnv1a32(f"{name}#{i}") % 1000 + 1 for i in range(count)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label-space", default="categories16", choices=["categories16", "imagenet1000", "embeddings"])
    ap.add_argument("--output", default="probabilities", choices=["probabilities", "logits"])
    ap.add_argument("--input", default="paths", choices=["paths", "tensor"])
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--dim", type=int, default=8)
    ap.add_argument("--name", default="echo_model")
    ap.add_argument("--log", help="append every received path to this file")
    ap.add_argument("--dump-tensors", help="copy every received tensor file into this folder")
    ap.add_argument("--instant", action="store_true")
    ap.add_argument("--protocol", type=int, default=1)
    for flag in ["crash", "hang", "bad-json", "wrong-id", "wrong-classes", "wrong-rows", "error"]:
        ap.add_argument(f"--{flag}-at", type=int, default=0)
    a = ap.parse_args()
    k = {"categories16": 16, "imagenet1000": 1000, "embeddings": a.dim}[a.label_space]
    hello = {"oodbench_protocol": a.protocol, "model": a.name, "label_space": a.label_space,
             "info": {"adapter": "echo_adapter.py"}}
    hello["input"] = {"form": "tensor", "size": a.size} if a.input == "tensor" else "paths"
    print(json.dumps(hello), flush=True)
    print("echo adapter ready", file=sys.stderr, flush=True)
    key = "embeddings" if a.label_space == "embeddings" else a.output
    instant_row = json.dumps([1.0 / k] * k) if key == "probabilities" else json.dumps([0.0] * k)
    batch = 0
    for line in sys.stdin:
        req = json.loads(line)
        if req["type"] == "embed_texts":
            rows = [[fnv1a32(f"{t}#{j}") % 1000 + 1 - 500 for j in range(a.dim)] for t in req["texts"]]
            print(json.dumps({"id": req["id"], "embeddings": rows}), flush=True)
            continue
        batch += 1
        if a.instant:
            n = len(req["paths"]) if "paths" in req else req["tensor"]["shape"][0]
            sys.stdout.write('{"id":%d,"%s":[%s]}\n' % (req["id"], key, ",".join([instant_row] * n)))
            sys.stdout.flush()
            continue
        if batch == a.crash_at:
            print(f"simulated crash in batch {batch}", file=sys.stderr, flush=True)
            sys.exit(3)
        if batch == a.hang_at:
            print(f"simulated hang in batch {batch}", file=sys.stderr, flush=True)
            time.sleep(3600)
        if batch == a.bad_json_at:
            print("{this is not json", flush=True)
            continue
        if "paths" in req:
            names = [os.path.basename(p) for p in req["paths"]]
            if a.log:
                with open(a.log, "a") as f:
                    f.writelines(p + "\n" for p in req["paths"])
            rows = [values(n, k) for n in names]
            if key == "probabilities":
                rows = [[v / sum(r) for v in r] for r in rows]
            elif key == "logits":
                import math
                rows = [[math.log(v) for v in r] for r in rows]
        else:
            t = req["tensor"]
            n, c, h, w = t["shape"]
            with open(t["path"], "rb") as f:
                data = f.read()
            if a.dump_tensors:
                with open(os.path.join(a.dump_tensors, f"batch-{req['id']}.f32"), "wb") as f:
                    f.write(data)
            floats = struct.unpack(f"<{n * c * h * w}f", data)
            rows = []
            for i in range(n):
                m = [sum(floats[(i * c + ch) * h * w:(i * c + ch + 1) * h * w]) / (h * w) for ch in range(c)]
                rows.append([(j + 1) * m[j % 3] for j in range(k)])
            key = "logits"
        answer = {"id": req["id"] + (1 if batch == a.wrong_id_at else 0), key: rows}
        if batch == a.wrong_classes_at:
            answer[key] = [r[:-1] for r in rows]
        if batch == a.wrong_rows_at:
            answer[key] = rows[:-1]
        if batch == a.error_at:
            answer = {"id": req["id"], "error": "simulated model error"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
