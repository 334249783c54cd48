import Dispatch
import Inference

/// The kernels of EfficientNet-Lite0's forward pass, on activations laid out channel-major over the batch:
/// `[C][N][H][W]` (each channel holds the N images' planes back to back), so that a 1×1 convolution over the
/// whole batch is one GEMM `[Cout × Cin] · [Cin × N·H·W]`.
///
/// Kernels write into caller-owned buffers and allocate nothing; each has a naive twin in the tests.
enum EfficientNetKernels {
    /// Work split over this many parallel chunks (both cores, plus slack for uneven chunks).
    static let parallelChunks = 8

    /// `c[m × n] = a[m × k] · b[k × n]` (row-major, one OpenBLAS sgemm).
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>) {
        Inference.gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
    }

    /// `c[m × n] = a[m × k] · b[n × k]ᵀ` (row-major).
    static func gemmTransposedB(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                c: UnsafeMutablePointer<Float>) {
        Inference.gemm(transB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: c, ldc: n)
    }

    /// Runs `body(range)` over `0..<count` split into contiguous chunks, in parallel.
    static func parallelFor(_ count: Int, parallel: Bool = true, _ body: (Range<Int>) -> Void) {
        let chunks = parallel ? min(parallelChunks, count) : 1
        if chunks <= 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            // The chunks touch disjoint parts of the caller's buffers; concurrentPerform returns after all ran.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let lo = count * chunk / chunks, hi = count * (chunk + 1) / chunks
                if lo < hi { body(lo..<hi) }
            }
        }
    }

    /// In place over `[rows][length]`: `x = x + bias[row]`, then `min(max(x, 0), 6)` if `relu6`.
    static func biasActivation(_ x: UnsafeMutablePointer<Float>, rows: Int, length: Int,
                               bias: UnsafePointer<Float>, relu6: Bool, parallel: Bool = true) {
        parallelFor(rows, parallel: parallel) { range in
            for r in range {
                let row = x + r * length
                let b = bias[r]
                if relu6 {
                    for i in 0..<length { row[i] = min(max(row[i] + b, 0), 6) }
                } else {
                    for i in 0..<length { row[i] += b }
                }
            }
        }
    }

    /// In place over `[rows][length]`: `x = x + bias[row] + residual`.
    static func biasResidual(_ x: UnsafeMutablePointer<Float>, rows: Int, length: Int,
                             bias: UnsafePointer<Float>, residual: UnsafePointer<Float>, parallel: Bool = true) {
        parallelFor(rows, parallel: parallel) { range in
            for r in range {
                let row = x + r * length, res = residual + r * length
                let b = bias[r]
                for i in 0..<length { row[i] += b + res[i] }
            }
        }
    }

    /// TensorFlow "SAME" padding for one spatial axis: output size and zeros before (the rest go after).
    static func samePadding(input n: Int, kernel k: Int, stride s: Int) -> (output: Int, before: Int) {
        let out = (n + s - 1) / s
        let total = max((out - 1) * s + k - n, 0)
        return (out, total / 2)
    }

    /// Stem im2col: `input [3][N][h][w]` → `columns [3·k·k][N·oh·ow]`, rows ordered (channel, ky, kx) like a
    /// contiguous `[O, I, kh, kw]` weight, zeros where the SAME padding reaches outside the image.
    static func im2col(input: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                       kernel k: Int, stride s: Int, columns: UnsafeMutablePointer<Float>, parallel: Bool = true) {
        let (oh, padTop) = samePadding(input: h, kernel: k, stride: s)
        let (ow, padLeft) = samePadding(input: w, kernel: k, stride: s)
        let rows = channels * k * k
        parallelFor(rows * batch, parallel: parallel) { range in
            for job in range {
                let row = job / batch, n = job % batch
                let c = row / (k * k), ky = (row / k) % k, kx = row % k
                let plane = input + (c * batch + n) * h * w
                let out = columns + row * batch * oh * ow + n * oh * ow
                for oy in 0..<oh {
                    let iy = oy * s + ky - padTop
                    let dst = out + oy * ow
                    if iy < 0 || iy >= h {
                        for ox in 0..<ow { dst[ox] = 0 }
                        continue
                    }
                    let src = plane + iy * w
                    for ox in 0..<ow {
                        let ix = ox * s + kx - padLeft
                        dst[ox] = (ix >= 0 && ix < w) ? src[ix] : 0
                    }
                }
            }
        }
    }

    /// Depthwise k×k convolution with SAME padding, bias and ReLU6:
    /// `input [C][N][h][w]`, `weight [C][k][k]`, `bias [C]` → `output [C][N][oh][ow]`.
    static func depthwise(input: UnsafePointer<Float>, channels: Int, batch: Int, height h: Int, width w: Int,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, kernel k: Int, stride s: Int,
                          output: UnsafeMutablePointer<Float>, parallel: Bool = true) {
        let (oh, padTop) = samePadding(input: h, kernel: k, stride: s)
        let (ow, padLeft) = samePadding(input: w, kernel: k, stride: s)
        // Each plane is copied into a zero-padded buffer (one per chunk), so the tap loops need no bounds tests.
        let ph = (oh - 1) * s + k, pw = (ow - 1) * s + k
        parallelFor(channels * batch, parallel: parallel) { range in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: ph * pw)
            defer { padded.deallocate() }
            padded.initialize(repeating: 0, count: ph * pw)
            for plane in range {
                let c = plane / batch
                let src = input + plane &* h &* w
                let dst = output + plane &* oh &* ow
                let wc = weight + c &* k &* k
                let b = bias[c]
                // Interior rows/columns from the image; the border stays zero (rows and columns past the image
                // on the bottom/right are within ph × pw and zeroed at allocation, never written).
                for y in 0..<h where y &+ padTop < ph {
                    let from = src + y &* w, to = padded + ((y &+ padTop) &* pw &+ padLeft)
                    let n = min(w, pw &- padLeft)
                    for x in 0..<n { to[x] = from[x] }
                }
                for oy in 0..<oh {
                    let row = dst + oy &* ow
                    for ox in 0..<ow { row[ox] = b }
                    for ky in 0..<k {
                        let prow = padded + (oy &* s &+ ky) &* pw
                        for kx in 0..<k {
                            let wv = wc[ky &* k &+ kx]
                            let p = prow + kx
                            if s == 1 {
                                for ox in 0..<ow { row[ox] += wv * p[ox] }
                            } else {
                                for ox in 0..<ow { row[ox] += wv * p[ox &* s] }
                            }
                        }
                    }
                    for ox in 0..<ow { row[ox] = min(max(row[ox], 0), 6) }
                }
            }
        }
    }

    /// Global average pool: `input [C][N][hw]` → `output [N][C]` (transposed for the classifier GEMM).
    static func averagePool(input: UnsafePointer<Float>, channels: Int, batch: Int, planeSize: Int,
                            output: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(planeSize)
        for c in 0..<channels {
            for n in 0..<batch {
                let p = input + (c * batch + n) * planeSize
                var sum: Float = 0
                for i in 0..<planeSize { sum += p[i] }
                output[n * channels + c] = sum * scale
            }
        }
    }
}
