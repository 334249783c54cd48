"""Writes the small seed inputs of the fuzz targets that the shared fixtures do not provide (tiny PyTorch zip,
legacy torch.save and pickle files, safetensors of every dtype, tar archives).

Run with the shared PyTorch environment:  /tmp/venv-torch/bin/python Fuzz/seeds/make_seeds.py
Outputs (a few KB in all) are committed next to this script; scripts/fuzz.sh adds them to the shared seeds.
"""
import collections
import gzip
import io
import json
import os
import pickle
import struct
import tarfile
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def out(folder, name, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(data)


def state_dict():
    torch.manual_seed(0)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(2, 1, 2, 2)
    sd["conv.bias"] = torch.randn(2).half()
    sd["fc.weight"] = torch.randn(3, 2).t()           # non-contiguous view
    sd["bn.num_batches_tracked"] = torch.tensor(7)     # int64 scalar
    sd["shared.view"] = sd["conv.weight"].view(-1)[2:6]  # view sharing a storage
    sd["bf"] = torch.arange(4, dtype=torch.float32).to(torch.bfloat16)
    return sd


# PyTorch zip (torch.save >= 1.6): a plain state dict and a training checkpoint wrapping one.
for name, obj in [("state_dict.pt", state_dict()), ("checkpoint.pt", {"epoch": 1, "state_dict": state_dict()})]:
    buf = io.BytesIO()
    torch.save(obj, buf)
    out("torch-zip", name, buf.getvalue())
    # The pickles inside become unpickler seeds.
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
        out("pickle", name.replace(".pt", ".pkl"), z.read(pkl))

# Legacy torch.save (five pickles, then the storages).
for name, obj in [("state_dict.pth", state_dict()), ("checkpoint.pth", {"state_dict": state_dict()})]:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False)
    out("legacy-torch", name, buf.getvalue())

# Plain pickles of every protocol with the value types the unpickler handles.
value = {"a": [1, -2, 3.5, None, True, False], "b": ("x", b"yz", 2**40, -(2**70)), "c": {"d": [[], {}, ()]}}
for protocol in range(0, 6):
    out("pickle", "values_p%d.pkl" % protocol, pickle.dumps(value, protocol=protocol))


# safetensors of every dtype the reader knows, written by hand (8-byte header length, JSON, data).
def safetensors(tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for key, (dtype, shape, raw) in tensors.items():
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


out("safetensors", "dtypes.safetensors", safetensors({
    "f32": ("F32", [2, 2], struct.pack("<4f", 1, -2, 3.5, 0)),
    "f16": ("F16", [3], struct.pack("<3e", 1, -0.5, 65504)),
    "bf16": ("BF16", [2], struct.pack("<2H", 0x3F80, 0xC000)),
    "f64": ("F64", [1], struct.pack("<d", 3.25)),
    "i64": ("I64", [2], struct.pack("<2q", 5, -7)),
    "i32": ("I32", [1], struct.pack("<i", 9)),
    "i16": ("I16", [1], struct.pack("<h", -3)),
    "i8": ("I8", [2], struct.pack("<2b", -1, 1)),
    "u8": ("U8", [1, 1], b"\x07"),
    "bool": ("BOOL", [1], b"\x01"),
    "empty": ("F32", [0, 3], b""),
    "scalar": ("F32", [], struct.pack("<f", 2)),
}))


# tar: folders, files, a ustar prefix, a GNU long name, a pax path; plain and gzip.
def tar(fmt):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        def add(name, data=None):
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if data is None:
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        add("./")
        add("set/")
        add("set/a.txt", b"alpha\n")
        add("set/empty.bin", b"")
        add("set/" + "long-name-" * 12 + ".png", b"x" * 600)
    return buf.getvalue()


for fmt, name in [(tarfile.USTAR_FORMAT, "ustar"), (tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax")]:
    if fmt == tarfile.USTAR_FORMAT:
        # ustar cannot hold the long name in one field: use a shorter set.
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
            info = tarfile.TarInfo("dir/" + "p" * 90 + "/" + "n" * 90)
            info.size, info.mtime = 3, 0
            t.addfile(info, io.BytesIO(b"abc"))
        data = buf.getvalue()
    else:
        data = tar(fmt)
    out("tar", name + ".tar", data)
    out("tar", name + ".tar.gz", gzip.compress(data, mtime=0))


# zip (dataset archives, ZipExtractor): stored and deflated entries, a folder, a streamed entry with a data
# descriptor, and a ZIP64 archive (zipfile writes ZIP64 records when asked to).
import zipfile


class Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then streams entries with data descriptors (flag bit 3)."""
    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


def zip_archive(force_zip64=False, streamed=False):
    buf = Unseekable() if streamed else io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        def info(name, method):
            i = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            i.compress_type = method
            return i
        z.writestr(info("set/", zipfile.ZIP_STORED), b"")
        z.writestr(info("set/a.txt", zipfile.ZIP_STORED), b"alpha\n")
        z.writestr(info("set/b.txt", zipfile.ZIP_DEFLATED), b"bravo " * 40)
        if streamed or force_zip64:
            with z.open(info("set/c.bin", zipfile.ZIP_DEFLATED), "w", force_zip64=force_zip64) as f:
                f.write(b"charlie" * 30)
    return bytes(buf.data) if streamed else buf.getvalue()


out("zip", "plain.zip", zip_archive())
out("zip", "streamed.zip", zip_archive(streamed=True))
out("zip", "zip64.zip", zip_archive(force_zip64=True))
