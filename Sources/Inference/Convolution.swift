/// Geometry of a 2-d convolution (PyTorch `Conv2d` semantics: symmetric zero padding, floor output size).
public struct Conv2DShape: Sendable, Equatable {
    public var inChannels: Int, outChannels: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    public var groups: Int

    /// Symmetric padding `padding` on every side; `groups` divides both channel counts
    /// (`groups == inChannels == outChannels` is depthwise).
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelH: kernel, kernelW: kernel,
                  strideH: stride, strideW: stride, padTop: padding, padLeft: padding,
                  padBottom: padding, padRight: padding, groups: groups)
    }

    /// Full control, including asymmetric padding (TensorFlow "SAME").
    public init(inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                padTop: Int, padLeft: Int, padBottom: Int, padRight: Int, groups: Int) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0, "bad groups")
        precondition(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0, "bad kernel or stride")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.groups = groups
    }

    /// Output height for input height `h`.
    public func outHeight(_ h: Int) -> Int { (h + padTop + padBottom - kernelH) / strideH + 1 }
    /// Output width for input width `w`.
    public func outWidth(_ w: Int) -> Int { (w + padLeft + padRight - kernelW) / strideW + 1 }
    /// Floats of im2col scratch `conv2d` needs for an `h × w` input.
    public func scratchCount(height h: Int, width w: Int) -> Int {
        (inChannels / groups) * kernelH * kernelW * outHeight(h) * outWidth(w)
    }
}

/// 2-d convolution of one image: `input` `[inChannels, h, w]` → `out` `[outChannels, oh, ow]`.
///
/// `weight` is `[outChannels, inChannels/groups, kernelH, kernelW]` (PyTorch layout), `bias` `[outChannels]`
/// or nil. im2col into `scratch` (at least `shape.scratchCount(height:width:)` floats, owned by the caller)
/// then one `sgemm` per group; 1×1 stride-1 unpadded convolutions skip im2col, depthwise convolutions
/// (one input and one output channel per group) run a direct loop.
public func conv2d(_ input: UnsafePointer<Float>, height h: Int, width w: Int, shape s: Conv2DShape,
                   weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                   out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let oh = s.outHeight(h), ow = s.outWidth(w)
    let cinG = s.inChannels / s.groups, coutG = s.outChannels / s.groups
    let kArea = s.kernelH * s.kernelW
    let kDim = cinG * kArea
    let plane = oh * ow
    if cinG == 1 && coutG == 1 && s.groups > 1 {
        depthwise(input, h: h, w: w, s: s, weight: weight, bias: bias, out: out, oh: oh, ow: ow)
        return
    }
    let pointwise = s.kernelH == 1 && s.kernelW == 1 && s.strideH == 1 && s.strideW == 1
        && s.padTop == 0 && s.padLeft == 0 && s.padBottom == 0 && s.padRight == 0
    for g in 0..<s.groups {
        let src = input + g * cinG * h * w
        let col: UnsafePointer<Float>
        if pointwise {
            col = UnsafePointer(src)
        } else {
            im2col(src, channels: cinG, h: h, w: w, s: s, oh: oh, ow: ow, col: scratch)
            col = UnsafePointer(scratch)
        }
        let dst = out + g * coutG * plane
        if let bias {
            for o in 0..<coutG {
                let bv = bias[g * coutG + o]
                let row = dst + o * plane
                for i in 0..<plane { row[i] = bv }
            }
        }
        gemm(m: coutG, n: plane, k: kDim, a: weight + g * coutG * kDim, lda: kDim, b: col, ldb: plane,
             beta: bias == nil ? 0 : 1, c: dst, ldc: plane)
    }
}

/// Rows (c, ky, kx), columns (oy, ox): the patch layout that makes the convolution one GEMM.
func im2col(_ src: UnsafePointer<Float>, channels: Int, h: Int, w: Int, s: Conv2DShape, oh: Int, ow: Int,
            col: UnsafeMutablePointer<Float>) {
    var r = 0
    for c in 0..<channels {
        let plane = src + c * h * w
        for ky in 0..<s.kernelH {
            for kx in 0..<s.kernelW {
                let row = col + r * oh * ow
                for oy in 0..<oh {
                    let iy = oy * s.strideH - s.padTop + ky
                    let dst = row + oy * ow
                    if iy < 0 || iy >= h {
                        for ox in 0..<ow { dst[ox] = 0 }
                        continue
                    }
                    let line = plane + iy * w
                    for ox in 0..<ow {
                        let ix = ox * s.strideW - s.padLeft + kx
                        dst[ox] = (ix >= 0 && ix < w) ? line[ix] : 0
                    }
                }
                r += 1
            }
        }
    }
}

private func depthwise(_ input: UnsafePointer<Float>, h: Int, w: Int, s: Conv2DShape,
                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                       out: UnsafeMutablePointer<Float>, oh: Int, ow: Int) {
    let kArea = s.kernelH * s.kernelW
    for c in 0..<s.inChannels {
        let src = input + c * h * w
        let k = weight + c * kArea
        let dst = out + c * oh * ow
        let b = bias?[c] ?? 0
        for oy in 0..<oh {
            for ox in 0..<ow {
                var acc: Float = 0
                for ky in 0..<s.kernelH {
                    let iy = oy * s.strideH - s.padTop + ky
                    if iy < 0 || iy >= h { continue }
                    for kx in 0..<s.kernelW {
                        let ix = ox * s.strideW - s.padLeft + kx
                        if ix < 0 || ix >= w { continue }
                        acc += src[iy * w + ix] * k[ky * s.kernelW + kx]
                    }
                }
                dst[oy * ow + ox] = acc + b
            }
        }
    }
}

/// The naive twin of `conv2d` (direct 7-loop convolution): the oracle in tests.
func conv2dNaive(_ input: UnsafePointer<Float>, height h: Int, width w: Int, shape s: Conv2DShape,
                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
    let oh = s.outHeight(h), ow = s.outWidth(w)
    let cinG = s.inChannels / s.groups, coutG = s.outChannels / s.groups
    for o in 0..<s.outChannels {
        let g = o / coutG
        for oy in 0..<oh {
            for ox in 0..<ow {
                var acc = Double(bias?[o] ?? 0)
                for ci in 0..<cinG {
                    for ky in 0..<s.kernelH {
                        for kx in 0..<s.kernelW {
                            let iy = oy * s.strideH - s.padTop + ky, ix = ox * s.strideW - s.padLeft + kx
                            if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                            let x = input[((g * cinG + ci) * h + iy) * w + ix]
                            let wv = weight[((o * cinG + ci) * s.kernelH + ky) * s.kernelW + kx]
                            acc += Double(x) * Double(wv)
                        }
                    }
                }
                out[(o * oh + oy) * ow + ox] = Float(acc)
            }
        }
    }
}

/// Average pooling with kernel = stride = `k`, no padding, floor (PyTorch `AvgPool2d(k)`):
/// `[channels, h, w]` → `[channels, h/k, w/k]`. `k == 1` copies.
public func avgPool2d(_ input: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int, kernel k: Int,
                      out: UnsafeMutablePointer<Float>) {
    let oh = h / k, ow = w / k
    let area = Float(k * k)
    for c in 0..<channels {
        let src = input + c * h * w, dst = out + c * oh * ow
        for oy in 0..<oh {
            for ox in 0..<ow {
                var acc: Float = 0
                for ky in 0..<k { for kx in 0..<k { acc += src[(oy * k + ky) * w + ox * k + kx] } }
                dst[oy * ow + ox] = acc / area
            }
        }
    }
}
