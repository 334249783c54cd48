#!/usr/bin/env python3
"""Random cross-check of the ftfy port, by hand: 300 strings per seed (words of several scripts, mojibake'd once or
twice through ftfy's ten code pages, or mixed), tokenized by open_clip (real ftfy) and by `oodbench embed --tokens`.

    /tmp/venv/bin/python Tests/Fixtures/ftfy/fuzz_against_ftfy.py SEED [OODBENCH] [MIRROR]   (ftfy, open_clip_torch)

Observed 2026-11-25 (ftfy 6.3.1, open_clip 3.3.0): seeds 1, 2 and 3: 900/900 token rows identical.
"""
import json, os, random, subprocess, sys
import ftfy, open_clip
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
words = ["café", "naïve", "résumé", "über", "Straße", "привет", "мир", "αβγ", "δέλτα", "zażółć", "gęślą", "İstanbul", "şehir",
         "don’t", "“quote”", "déjà", "señor", "Ærø", "crème brûlée", "日本語", "🐶", "½ price", "£5", "€10", "naïve—dash", "…", "piñata",
         "Köln", "Łódź", "Čech", "coöperate", "façade", "smörgåsbord", "jalapeño", "ÀÉÎÕÜ", "θάλασσα", "Ελλάδα", "ǅ", "ﬁ", "ＡＢＣ"]
encs = ["sloppy-windows-1252", "latin-1", "sloppy-windows-1251", "sloppy-windows-1250", "sloppy-windows-1253", "sloppy-windows-1254",
        "sloppy-windows-1257", "iso-8859-2", "macroman", "cp437"]
out = []
for i in range(300):
    ws = random.sample(words, random.randint(1, 4))
    s = " ".join(ws)
    r = random.random()
    try:
        if r < 0.6:
            s = s.encode("utf-8").decode(random.choice(encs))
        elif r < 0.75:
            s = s.encode("utf-8").decode(random.choice(encs)).encode("utf-8").decode(random.choice(encs))
        elif r < 0.85:
            w = random.choice(ws); s = s.replace(w, w.encode("utf-8").decode("sloppy-windows-1252"))
    except UnicodeDecodeError:
        pass
    if "\x00" in s: continue
    out.append(s)
tok = open_clip.get_tokenizer("ViT-B-32")
exp = [tok([s])[0].tolist() for s in out]
OOD = sys.argv[2] if len(sys.argv) > 2 else ".build/debug/oodbench"
MIRROR = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "../shared/reference-data")
M = MIRROR + "/clip-fixtures/models"
r = subprocess.run([OOD, "embed", "--model", f"clip:{M}/vit_gelu.safetensors@{M}/vit_gelu.json", "--tokens", "--text", *out],
                   capture_output=True, text=True, env=dict(os.environ, OODBENCH_MIRROR=MIRROR))
got = [t["tokens"] for t in json.loads(r.stdout)["texts"]]
bad = 0
for s, e, g in zip(out, exp, got):
    if e != g:
        bad += 1
        if bad <= 8: print("MISMATCH", repr(s), "ftfy:", repr(ftfy.fix_text(s)))
print(f"{len(out) - bad}/{len(out)} identical")
sys.exit(1 if bad else 0)
