#!/usr/bin/env python3
"""Regenerate datasets-manifest/*.json from the offline mirror (../shared/reference-data).

Usage:  python3 datasets-manifest/make_manifest.py [MIRROR]      (default: $OODBENCH_MIRROR or ../shared/reference-data)

Sizes and sha256 are computed from the mirror's files and cross-checked against each folder's MANIFEST.tsv; files
the mirror lists but does not hold (959 cue-conflict images) take size and sha256 from MANIFEST.tsv. Upstream
repositories, commits and paths are those of each folder's SOURCE.md. Files written for OODBench (SOURCE.md,
README.md, MANIFEST.tsv, model-vs-human/*.json) are local and not pinned here. The output is deterministic.
"""
import hashlib, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
MIRROR = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OODBENCH_MIRROR") or os.path.join(HERE, "..", "..", "shared", "reference-data")

MVH = "bethgelab/model-vs-human"
MVH_MASTER = "79ed7cd1d9ac3a114e71b6638f0a98bdd627316c"
MVH_SWAG = "93ee6766db71bc99de23a16cf5216acff181b470"
FORK = "TizianThieringer/model-vs-human"
FORK_COMMIT = "17729b8167520f682d93d55c340c27de07bb2681"
TVS = "rgeirhos/texture-vs-shape"
TVS_COMMIT = "ccd0c01d42c0a8a834e90ec141e7f24fa915dc23"
GHD = "rgeirhos/generalisation-humans-DNNs"
GHD_COMMIT = "0b88343536ec21acc2d635c0e325f827111e149a"
CLIP = "openai/CLIP"
CLIP_COMMIT = "d05afc436d78f1c48dc0dbf8e5980a9d471f35f6"

CITE_MVH = ("R. Geirhos, K. Narayanappa, B. Mitzkus, T. Thieringer, M. Bethge, F. A. Wichmann, W. Brendel. "
            "Partial success in closing the gap between human and machine vision. NeurIPS 34, 2021.")
CITE_TVS = ("R. Geirhos, P. Rubisch, C. Michaelis, M. Bethge, F. A. Wichmann, W. Brendel. ImageNet-trained CNNs are "
            "biased towards texture; increasing shape bias improves accuracy and robustness. ICLR 2019.")
CITE_GHD = ("R. Geirhos, C. R. Medina Temme, J. Rauber, H. H. Schuett, M. Bethge, F. A. Wichmann. "
            "Generalisation in humans and deep neural networks. NeurIPS 2018 (arXiv:1808.08750).")
CITE_CLIP = ("A. Radford, J. W. Kim, C. Hallacy, A. Ramesh, G. Goh, S. Agarwal, G. Sastry, A. Askell, P. Mishkin, "
             "J. Clark, G. Krueger, I. Sutskever. Learning Transferable Visual Models From Natural Language "
             "Supervision. ICML 2021.")

PARAMETRIC = ["colour", "contrast", "high-pass", "low-pass", "phase-scrambling", "power-equalisation",
              "false-colour", "rotation", "eidolonI", "eidolonII", "eidolonIII", "uniform-noise"]


def raw(repo, commit, path):
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def tsv(folder):
    rows = {}
    with open(os.path.join(MIRROR, folder, "MANIFEST.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header == ["path", "size", "sha256"], header
        for line in f:
            if line.strip():
                p, s, h = line.rstrip("\n").split("\t")
                rows[p] = (int(s), h)
    return rows


def entry(folder, path, url, listed, note=None):
    full = os.path.join(MIRROR, folder, path)
    size, sha = listed[path]
    if os.path.exists(full):
        data = open(full, "rb").read()
        got = hashlib.sha256(data).hexdigest()
        if got != sha or len(data) != size:
            sys.exit(f"{folder}/{path}: mirror file does not match MANIFEST.tsv ({len(data)} {got} vs {size} {sha})")
    e = {"path": path, "url": url, "size": size, "sha256": sha}
    if note:
        e["note"] = note
    return e


def write(name, group):
    out = os.path.join(HERE, name + ".json")
    head = {k: v for k, v in group.items() if k != "files"}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]  # drop the closing "\n}"
    rows = ",\n  ".join(json.dumps(f, ensure_ascii=False) for f in group["files"])
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write(text + ',\n "files": [\n  ' + rows + "\n ]\n}\n")
    os.replace(out + ".tmp", out)
    print(f"{out}: {len(group['files'])} files", file=sys.stderr)


def human_raw_data():
    listed = tsv("model-vs-human")
    files = [entry("model-vs-human", p, raw(MVH, MVH_MASTER, p), listed)
             for p in sorted(listed) if p.startswith("raw-data/")]
    assert len(files) == 90, len(files)
    return {"schema": 1, "group": "model-vs-human-human-raw-data",
            "title": "model-vs-human: human laboratory raw data (90 CSVs, 17 datasets)",
            "mirror": "model-vs-human", "pinned": True,
            "upstream": [{"repository": MVH, "commit": MVH_MASTER, "ref": "master"}],
            "license": "Published in the MIT-licensed repository bethgelab/model-vs-human (licenses/CODE_LICENSE); "
                       "research data of the Wichmann lab, cite the paper.",
            "citation": CITE_MVH, "files": files}


def model_raw_data():
    listed = tsv("model-vs-human")
    files = []
    for p in sorted(listed):
        if not p.startswith("raw-data-models/"):
            continue
        _, ds, name = p.split("/")
        model = name[len(ds) + 1:-len("_session-1.csv")]
        repo, commit = (FORK, FORK_COMMIT) if model in ("clip", "efficientnet-l2-noisy-student-475") else (MVH, MVH_SWAG)
        files.append(entry("model-vs-human", p, raw(repo, commit, f"raw-data/{ds}/{name}"), listed))
    assert len(files) == 119, len(files)
    return {"schema": 1, "group": "model-vs-human-model-raw-data",
            "title": "model-vs-human: raw data of seven reference models (119 CSVs)",
            "mirror": "model-vs-human", "pinned": True,
            "upstream": [{"repository": MVH, "commit": MVH_SWAG, "ref": "swag",
                          "models": ["resnet50", "bagnet33", "simclr_resnet50x1", "swag_vit_l16_in1k",
                                     "swag_regnety_32gf_in1k"]},
                         {"repository": FORK, "commit": FORK_COMMIT, "ref": "HEAD",
                          "models": ["clip", "efficientnet_l2_noisy_student_475"]}],
            "license": "MIT (licenses/CODE_LICENSE of bethgelab/model-vs-human; the fork carries the same files).",
            "citation": CITE_MVH, "files": files}


ORIGINALS = {
    "originals/airplane/example.jpg": (GHD, GHD_COMMIT, "code/accuracy_evaluation/example.jpg"),
    "originals/airplane/airplane.JPEG": (GHD, GHD_COMMIT, "figures/methods/trial_sequence_figure/airplane.JPEG"),
    "originals/bear/bear5.png": (TVS, TVS_COMMIT, "paper-figures/introduction/bear5.png"),
    "originals/bicycle/test_image.JPEG": (GHD, GHD_COMMIT, "code/test_image.JPEG"),
    "originals/bicycle/n03792782_1155_224x224.JPEG": (GHD, GHD_COMMIT, "data-analysis/randomly_selected_imgs/n03792782_1155_224x224.JPEG"),
    "originals/bicycle/n03792782_1155_col.JPEG": (GHD, GHD_COMMIT, "data-analysis/randomly_selected_imgs/n03792782_1155_col.JPEG"),
    "originals/bird/example_image.png": (GHD, GHD_COMMIT, "code/example_image.png"),
    "originals/bottle/bottle1.png": (TVS, TVS_COMMIT, "paper-figures/introduction/bottle1.png"),
    "originals/car/car4.png": (TVS, TVS_COMMIT, "paper-figures/introduction/car4.png"),
    "originals/cat/cat7.png": (TVS, TVS_COMMIT, "paper-figures/introduction/cat7.png"),
    "originals/clock/clock1.png": (TVS, TVS_COMMIT, "paper-figures/introduction/clock1.png"),
    "originals/dog/n02099601_634_224x224.JPEG": (GHD, GHD_COMMIT, "data-analysis/randomly_selected_imgs/n02099601_634_224x224.JPEG"),
    "originals/dog/n02099601_634_col.JPEG": (GHD, GHD_COMMIT, "data-analysis/randomly_selected_imgs/n02099601_634_col.JPEG"),
    "originals/elephant/elephant1.png": (TVS, TVS_COMMIT, "paper-figures/introduction/elephant1.png"),
    "originals/keyboard/n04505470_10690_224x224.JPEG": (GHD, GHD_COMMIT, "data-analysis/randomly_selected_imgs/n04505470_10690_224x224.JPEG"),
    "originals/keyboard/n04505470_10690_col.JPEG": (GHD, GHD_COMMIT, "data-analysis/randomly_selected_imgs/n04505470_10690_col.JPEG"),
}
TVS_FOLDERS = {"cue-conflict": "stimuli/style-transfer-preprocessed-512", "edge": "stimuli/edges",
               "silhouette": "stimuli/filled-silhouettes"}


def texture_vs_shape():
    listed = tsv("texture-vs-shape")
    files = []
    for p in sorted(listed):
        top, rest = p.split("/", 1) if "/" in p else (p, "")
        if top in TVS_FOLDERS:
            files.append(entry("texture-vs-shape", p, raw(TVS, TVS_COMMIT, f"{TVS_FOLDERS[top]}/{rest}"), listed))
        elif top == "originals":
            repo, commit, up = ORIGINALS[p]
            note = "licence of texture-vs-shape paper figures unstated" if repo == TVS else "ImageNet photograph: ImageNet terms apply"
            files.append(entry("texture-vs-shape", p, raw(repo, commit, up), listed, note))
        else:
            assert p == "SOURCE.md", p
    counts = {k: sum(1 for f in files if f["path"].startswith(k + "/")) for k in list(TVS_FOLDERS) + ["originals"]}
    assert counts == {"cue-conflict": 1280, "edge": 160, "silhouette": 160, "originals": 16}, counts
    return {"schema": 1, "group": "texture-vs-shape-stimuli",
            "title": "texture-vs-shape stimuli: cue-conflict (1,280), edge (160), silhouette (160), 16 natural photos",
            "mirror": "texture-vs-shape", "pinned": True,
            "upstream": [{"repository": TVS, "commit": TVS_COMMIT, "ref": "master"},
                         {"repository": GHD, "commit": GHD_COMMIT, "ref": "master", "files": "10 of originals/"}],
            "license": "CC BY 4.0 for cue-conflict, edge, silhouette (texture-vs-shape DATASET_LICENSE); originals: see each file's note.",
            "citation": CITE_TVS + " / " + CITE_MVH, "files": files}


def generalisation():
    listed = tsv("generalisation-humans-DNNs")
    files = [entry("generalisation-humans-DNNs", p, raw(GHD, GHD_COMMIT, p), listed)
             for p in sorted(listed) if p != "SOURCE.md"]
    assert len(files) == 8, len(files)
    return {"schema": 1, "group": "generalisation-humans-dnns",
            "title": "generalisation-humans-DNNs: data tables (mean amplitude spectrum, gamma table) and sample images",
            "mirror": "generalisation-humans-DNNs", "pinned": True,
            "upstream": [{"repository": GHD, "commit": GHD_COMMIT, "ref": "master"}],
            "license": "CC BY 4.0 (LICENSE.txt); the sample photographs are ImageNet images, ImageNet terms apply.",
            "citation": CITE_GHD, "files": files}


def clip_vocab():
    listed = tsv("openai-clip")
    files = [entry("openai-clip", "bpe_simple_vocab_16e6.txt.gz", raw(CLIP, CLIP_COMMIT, "clip/bpe_simple_vocab_16e6.txt.gz"), listed),
             entry("openai-clip", "LICENSE-openai-clip.txt", raw(CLIP, CLIP_COMMIT, "LICENSE"), listed,
                   "upstream LICENSE, stored under this name")]
    return {"schema": 1, "group": "clip-bpe-vocab",
            "title": "CLIP byte-pair vocabulary (bpe_simple_vocab_16e6.txt.gz) and its licence",
            "mirror": "openai-clip", "pinned": True,
            "upstream": [{"repository": CLIP, "commit": CLIP_COMMIT, "ref": "main"}],
            "license": "MIT, Copyright (c) 2021 OpenAI", "citation": CITE_CLIP, "files": files}


def release_archives():
    files = [{"path": f"{name}.tar.gz", "url": f"https://github.com/{MVH}/releases/download/v0.1/{name}.tar.gz",
              "size": None, "sha256": None, "dataset": name}
             for name in ["sketch", "stylized"] + PARAMETRIC]
    return {"schema": 1, "group": "model-vs-human-v0.1-stimuli",
            "title": "model-vs-human release v0.1: stimulus archives of sketch, stylized and the 12 parametric datasets",
            "mirror": None, "pinned": False,
            "unpinned_reason": "the archives could not be downloaded where this manifest was made, so no size or "
                               "sha256 is known; after download every archive is extracted and its file names and "
                               "counts are checked against the catalog (<dataset>/dnn/session-1/*.png)",
            "upstream": [{"repository": MVH, "release": "v0.1"}],
            "license": "sketch: MIT (ImageNet-Sketch); stylized and the parametric datasets: derived from ImageNet, "
                       "ImageNet terms apply (licenses/LICENSES_OVERVIEW.md of bethgelab/model-vs-human).",
            "citation": CITE_MVH + " / " + CITE_GHD, "files": files}


if __name__ == "__main__":
    if not os.path.isdir(MIRROR):
        sys.exit(f"mirror not found: {MIRROR}")
    write("model-vs-human-human-raw-data", human_raw_data())
    write("model-vs-human-model-raw-data", model_raw_data())
    write("texture-vs-shape-stimuli", texture_vs_shape())
    write("generalisation-humans-dnns", generalisation())
    write("clip-bpe-vocab", clip_vocab())
    write("model-vs-human-v0.1-stimuli", release_archives())
