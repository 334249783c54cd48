#!/usr/bin/env python3
"""Times the Eidolon toolbox's algorithm in numpy, for `oodbench bench eidolon --reference python3`.

Written for OODBench from shared/specs/eidolon.md (no toolbox code): the same numpy operations the toolbox
(gestaltrevision/Eidolon, pull request #1) performs per picture and condition -- the flattened-array FFT blur of
the fat plane at 12 scales, 48 noise planes drawn with np.random.normal, each blurred and normalised with the
m/s quirk, the coherent/incoherent stacks and their blend, the nearest-neighbour warps and the sum. Needs numpy
only; the picture set-up (Pillow) is replaced by a given 512x512 grey plane, which costs ~2% in the toolbox.

Usage: numpy_eidolon.py RUNS  -> prints one JSON line {"REACH-COH-GRAIN": median seconds, ...}
Times are the thread's CPU time (time.thread_time), as `oodbench bench eidolon` reports its own: robust when
other processes load the machine.
"""
import json
import sys
import time

import numpy as np

N = 512
SIGMAS = [1 / np.sqrt(2)]
for _ in range(11):
    SIGMAS.append(np.sqrt(2) * SIGMAS[-1])


def kernel(sigma):
    u = np.array(list(range(N // 2 + 1)) + list(range(N // 2 - N + 1, 0)))
    g = np.exp(-u ** 2 / (2.0 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma)
    return g * g[:, np.newaxis]


def blur(plane, sigma):
    return np.fft.irfft(np.fft.rfft(plane.flatten()) * np.fft.rfft(kernel(sigma).flatten())).reshape(N, N)


def noise(sigma):
    d = np.random.normal(0.0, 1.0, (N, N))
    d = 127.5 * d / np.max(np.abs(d))
    d[d < -127] = -127
    d[d > 127] = 127
    c = blur(d, sigma)
    return c - np.mean(c) / np.sqrt(np.var(c))


def eidolon(fat, reach, coherence, grain=10.0):
    s = [blur(fat, sg) for sg in SIGMAS]
    dog = [s[k] - s[k + 1] for k in range(11)] + [s[11]]
    stacks = []
    for _axis in range(2):
        q = [noise(sg) * (sg / 64.0) for sg in SIGMAS]
        total = np.zeros((N, N))
        for p in q:
            total += p
        stacks.append((q, total))
    grid = np.indices((N, N))
    out = np.zeros((N, N))
    for k in range(12):
        fields = []
        for q, total in stacks:
            if k > 0:
                total -= q[k - 1]
            fields.append((1 - coherence) * noise(grain) + coherence * total)
        x = np.clip(fields[0] * reach + grid[0], 0, N - 1).astype(int)
        y = np.clip(fields[1] * reach + grid[1], 0, N - 1).astype(int)
        out += dog[k][x, y]
    c = out[128:384, 128:384]
    c[c < 0] = 0
    c[c > 255] = 255
    return c.astype(np.uint8)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    fat = (np.indices((N, N)).sum(0) * 7 % 256).astype(np.uint8)
    result = {}
    for reach, coherence, code in [(1.0, 1.0, "10"), (8.0, 0.3, "3"), (128.0, 0.0, "0")]:
        times = []
        for run in range(runs):
            np.random.seed(run)
            t = time.thread_time()
            eidolon(fat, reach, coherence)
            times.append(time.thread_time() - t)
        result["%d-%s-10" % (reach, code)] = float(np.median(times))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
