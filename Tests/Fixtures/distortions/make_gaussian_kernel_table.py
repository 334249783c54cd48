#!/usr/bin/env python3
"""Writes Sources/Distortions/GaussianKernelTable.swift from the mirror's gaussian_kernels.json.

Usage: python3 make_gaussian_kernel_table.py ../shared/reference-data/distortion-goldens/gaussian_kernels.json \
           > Sources/Distortions/GaussianKernelTable.swift
The JSON holds the kernels scipy built on the machine that made the goldens (specs/distortions.md §3.0.1).
"""
import json
import sys

kernels = json.load(open(sys.argv[1]))
print("""// Generated from ../shared/reference-data/distortion-goldens/gaussian_kernels.json (the kernels scipy 1.17.1 built
// with numpy 2.4.6's SIMD `exp` on the reference machine, specs/distortions.md §3.0.1) by
// Tests/Fixtures/distortions/make_gaussian_kernel_table.py. Do not edit by hand.
//
// numpy's vectorised `exp` differs from the C library's `exp` by 1 ulp for a few arguments, and which ones depends
// on the CPU path numpy takes; the study's σ values therefore use these stored taps, so that the filtered planes
// are bit-identical to the goldens on any machine. Other σ values compute their kernel (see `GaussianKernel`).

extension GaussianKernel {
    /// Half-kernels w(0), w(1), …, w(r) for the σ values of the high-pass and low-pass experiments.
    static let reference: [Double: [Double]] = [""")
for sigma, entry in kernels.items():
    r = entry["radius"]
    half = entry["weights_hex"][r:]
    print(f"        {sigma}: [")
    for i in range(0, len(half), 3):
        print("            " + ", ".join(half[i:i + 3]) + ",")
    print("        ],")
print("""    ]
}""")
