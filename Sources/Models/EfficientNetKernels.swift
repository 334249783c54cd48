import CKernels

/// Swift faces of the C kernels of EfficientNet-Lite0's forward pass (`Sources/CKernels/efficientnet.c`), on one
/// image in channels-last layout (`[positions][channels]`, channels fastest), with TensorFlow "SAME" padding.
///
/// Kernels write into caller-owned buffers and allocate nothing. `useAVX2` picks the AVX2+FMA path where the CPU
/// has it (`OODBENCH_NO_AVX2=1` turns it off), `false` the portable one; the tests hold naive twins of each.
enum EfficientNetKernels {
    /// TensorFlow "SAME" padding for one spatial axis: output size and zeros before (the rest go after).
    static func samePadding(input n: Int, kernel k: Int, stride s: Int) -> (output: Int, before: Int) {
        let out = (n + s - 1) / s
        let total = max((out - 1) * s + k - n, 0)
        return (out, total / 2)
    }

    /// A 1×1 convolution weight `[cout][cin]` packed for `pointwise` (cout a multiple of 8).
    static func packPointwise(_ weight: [Float], cin: Int, cout: Int) -> [Float] {
        precondition(weight.count == cin * cout && cout % 8 == 0)
        var packed = [Float](repeating: 0, count: weight.count)
        weight.withUnsafeBufferPointer { w in
            packed.withUnsafeMutableBufferPointer { p in
                ck_en_pack_pointwise(w.baseAddress!, Int32(cin), Int32(cout), p.baseAddress!)
            }
        }
        return packed
    }

    /// `output [positions][cout] = act(bias + input [positions][cin] · weightᵀ (+ residual))`, act = ReLU6 when
    /// `relu6`; `residual` may be `output` itself (element-wise in place), not `input`.
    static func pointwise(_ conv: EfficientNetLite0.Pointwise, input: UnsafePointer<Float>, positions: Int,
                          residual: UnsafePointer<Float>?, relu6: Bool, output: UnsafeMutablePointer<Float>,
                          useAVX2: Bool) {
        conv.packed.withUnsafeBufferPointer { w in
            conv.bias.withUnsafeBufferPointer { b in
                ck_en_pointwise(input, Int32(positions), Int32(conv.cin), w.baseAddress!, b.baseAddress!,
                                Int32(conv.cout), residual, relu6 ? 1 : 0, output, useAVX2 ? 1 : 0)
            }
        }
    }

    /// Depthwise k×k convolution with SAME padding, bias and ReLU6:
    /// `input [h][w][C]`, `weight [k][k][C]`, `bias [C]` → `output [oh][ow][C]` (C a multiple of 8).
    static func depthwise(input: UnsafePointer<Float>, height h: Int, width w: Int, channels: Int,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, kernel k: Int, stride s: Int,
                          output: UnsafeMutablePointer<Float>, useAVX2: Bool) {
        precondition(channels % 8 == 0)
        let (oh, top) = samePadding(input: h, kernel: k, stride: s)
        let (ow, left) = samePadding(input: w, kernel: k, stride: s)
        ck_en_depthwise(input, Int32(h), Int32(w), Int32(channels), Int32(k), Int32(s), Int32(top), Int32(left),
                        Int32(oh), Int32(ow), weight, bias, output, useAVX2 ? 1 : 0)
    }

    /// Dense k×k convolution with SAME padding, bias and ReLU6 (the stem):
    /// `input [h][w][cin]`, `weight [k][k][cin][cout]`, `bias [cout]` → `output [oh][ow][cout]` (cout a multiple of 32).
    static func conv(input: UnsafePointer<Float>, height h: Int, width w: Int, inChannels: Int, kernel k: Int,
                     stride s: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, outChannels: Int,
                     output: UnsafeMutablePointer<Float>, useAVX2: Bool) {
        precondition(outChannels % 32 == 0)
        let (oh, top) = samePadding(input: h, kernel: k, stride: s)
        let (ow, left) = samePadding(input: w, kernel: k, stride: s)
        ck_en_conv(input, Int32(h), Int32(w), Int32(inChannels), Int32(k), Int32(s), Int32(top), Int32(left),
                   Int32(oh), Int32(ow), weight, bias, Int32(outChannels), output, useAVX2 ? 1 : 0)
    }

    /// One MBConv block fused in bands of output rows (`ck_en_mbconv`): expand → depthwise → project (+ input
    /// when the block is residual), with the wide expanded rows kept in `band`/`dband` (`bandFloats` each, at
    /// least k·size·E and out·E): `input [size][size][Cin]` → `output [out][out][Cout]`; `output` may be
    /// `input` for a residual block. Same arithmetic, in the same order, as the three unfused kernels.
    static func mbconv(_ block: EfficientNetLite0.Block, input: UnsafePointer<Float>, size: Int,
                       output: UnsafeMutablePointer<Float>, band: UnsafeMutablePointer<Float>,
                       dband: UnsafeMutablePointer<Float>, bandFloats: Int, useAVX2: Bool) {
        let (o, pad) = samePadding(input: size, kernel: block.kernel, stride: block.stride)
        precondition(bandFloats >= block.kernel * size * block.channels && bandFloats >= o * block.channels)
        let expandPacked = block.expand?.packed ?? [], expandBias = block.expand?.bias ?? []
        expandPacked.withUnsafeBufferPointer { ep in
            expandBias.withUnsafeBufferPointer { eb in
                block.depthwiseWeight.withUnsafeBufferPointer { dw in
                    block.depthwiseBias.withUnsafeBufferPointer { db in
                        block.project.packed.withUnsafeBufferPointer { pp in
                            block.project.bias.withUnsafeBufferPointer { pb in
                                ck_en_mbconv(input, Int32(size), Int32(size), Int32(block.expand?.cin ?? block.channels),
                                             block.expand == nil ? nil : ep.baseAddress, eb.baseAddress,
                                             Int32(block.channels), dw.baseAddress!, db.baseAddress!,
                                             Int32(block.kernel), Int32(block.stride), Int32(pad), Int32(pad),
                                             Int32(o), Int32(o), pp.baseAddress!, pb.baseAddress!,
                                             Int32(block.project.cout), block.residual ? 1 : 0, band, dband,
                                             Int32(bandFloats), output, useAVX2 ? 1 : 0)
                            }
                        }
                    }
                }
            }
        }
    }
}
