"""Small files that declare far more than they hold, for the resource-limit tests (ResourceLimitTests).

Run with the shared PyTorch environment:  /tmp/venv-torch/bin/python Tests/Fixtures/limits/make_limits.py
  legacy_declares_16M.pth  legacy torch.save of {"w": zeros(2**24)}, cut after 64 bytes of the storage: the pickle
                           and the storage header declare 16,777,216 float32 elements (64 MiB) in a ~1 KB file.
  zip_declares_4GiB.pt     torch.save (zip) of {"w": zeros(4)} whose storage entry archive/data/0 declares an
                           uncompressed size of 0xFFFFFFF0 bytes (local header and central directory) while it
                           stores 16.
  jpeg_65500x65500.jpg     Tests/Fixtures/codec/in/rgb_q90_420.jpg with the SOF0 frame size set to 65500 × 65500.
"""
import io
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# Legacy: everything up to the storage data, plus 64 bytes of it.
buf = io.BytesIO()
torch.save({"w": torch.zeros(2 ** 24)}, buf, _use_new_zipfile_serialization=False)
data = buf.getvalue()
count = struct.pack("<q", 2 ** 24)
at = data.rindex(count)            # the u64 element count in front of the storage bytes
with open(os.path.join(HERE, "legacy_declares_16M.pth"), "wb") as f:
    f.write(data[: at + 8 + 64])

# Zip: patch the uncompressed size of the storage entry in its local header and its central-directory record.
buf = io.BytesIO()
torch.save({"w": torch.zeros(4)}, buf)
data = bytearray(buf.getvalue())
name = b"/data/0"
local = central = None
pos = 0
while True:
    pos = data.find(name, pos)
    if pos < 0:
        break
    # The name begins right after the fixed header: find the signature in front of this name.
    for sig, fixed in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46)):
        start = data.rfind(sig, 0, pos)
        if start >= 0:
            name_len = struct.unpack_from("<H", data, start + (26 if fixed == 30 else 28))[0]
            if start + fixed + name_len == pos + len(name):
                if fixed == 30:
                    local = start
                else:
                    central = start
    pos += 1
assert local is not None and central is not None, (local, central)
struct.pack_into("<I", data, local + 22, 0xFFFFFFF0)
struct.pack_into("<I", data, central + 24, 0xFFFFFFF0)
with open(os.path.join(HERE, "zip_declares_4GiB.pt"), "wb") as f:
    f.write(bytes(data))

# JPEG: set the SOF0 height and width.
src = os.path.join(HERE, "..", "codec", "in", "rgb_q90_420.jpg")
data = bytearray(open(src, "rb").read())
sof = data.index(b"\xff\xc0")
struct.pack_into(">HH", data, sof + 5, 65500, 65500)
with open(os.path.join(HERE, "jpeg_65500x65500.jpg"), "wb") as f:
    f.write(bytes(data))
