"""PyTorch reference for `oodbench bench clip --python PATH` (OODBench's own harness, not upstream code).

Times open_clip's ViT image and text towers with random weights (`create_model(arch, pretrained=None)`), fp32,
eval mode, `torch.no_grad()`, `torch.set_num_threads(threads)`: the same batch sizes and the same timing rule
as the Swift bench (median of at least 3 runs and `seconds`). Reads one JSON argument
{"arch", "threads", "batch", "text_batch", "seconds", "text_row"} and prints one JSON object on stdout.
Run by hand: python scripts/bench_open_clip.py '{"arch": "ViT-B-32-quickgelu", "threads": 2, "batch": 16,
"text_batch": 256, "seconds": 1, "text_row": [49406, 320, 49407]}'
"""
import json
import resource
import statistics
import sys
import time

args = json.loads(sys.argv[1])
import torch  # noqa: E402

torch.set_num_threads(int(args["threads"]))
import open_clip  # noqa: E402


def measure(body, seconds):
    times = []
    start = time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


torch.manual_seed(0)
model = open_clip.create_model(args["arch"], pretrained=None)
model.eval()
size = model.visual.image_size
size = size[0] if isinstance(size, (tuple, list)) else size
images = torch.randn(int(args["batch"]), 3, size, size)
context = model.context_length
row = list(args["text_row"])[:context]
row += [0] * (context - len(row))
texts = torch.tensor([row] * int(args["text_batch"]), dtype=torch.long)
with torch.no_grad():
    model.encode_image(images)
    image_s = measure(lambda: model.encode_image(images), float(args["seconds"]))
    model.encode_text(texts)
    text_s = measure(lambda: model.encode_text(texts), float(args["seconds"]))
print(json.dumps({
    "images_per_s": int(args["batch"]) / image_s,
    "texts_per_s": int(args["text_batch"]) / text_s,
    "torch": torch.__version__,
    "open_clip": getattr(open_clip, "__version__", "?"),
    "threads": torch.get_num_threads(),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
