import COpenBLAS
import Foundation
import Synchronization

/// C = alpha · op(A) · op(B) + beta · C on row-major Float32 matrices, through OpenBLAS `cblas_sgemm`.
///
/// `op(A)` is `m × k` (A stored `m × k` with leading dimension `lda`, or `k × m` when `transA`), `op(B)` is
/// `k × n` (stored `k × n`, or `n × k` when `transB`), C is `m × n` with leading dimension `ldc`. The caller
/// owns all buffers. Matches `torch.addmm` up to summation order.
public func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    let timing = GemmStats.enabled.load(ordering: .relaxed)
    let t0 = timing ? DispatchTime.now().uptimeNanoseconds : 0
    defer {
        if timing {
            GemmStats.nanoseconds.add(Int(DispatchTime.now().uptimeNanoseconds - t0), ordering: .relaxed)
            GemmStats.flops.add(2 * m * n * k, ordering: .relaxed)
        }
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The naive twin of `gemm` (triple loop, Float accumulation in Double): the oracle in tests.
func gemmNaive(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
               alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
               b: UnsafePointer<Float>, ldb: Int,
               beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                s += Double(av) * Double(bv)
            }
            let prior: Float = beta == 0 ? 0 : beta * c[i * ldc + j]
            c[i * ldc + j] = alpha * Float(s) + prior
        }
    }
}

/// A Linear layer on `rows` row vectors: `out[r, o] = Σ_i x[r, i] · weight[o, i] + bias[o]`.
///
/// `x` is `[rows, inFeatures]`, `weight` `[outFeatures, inFeatures]` (PyTorch layout), `bias` `[outFeatures]`
/// or nil, `out` `[rows, outFeatures]`; one `sgemm` for all rows.
public func linear(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int,
                   weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outFeatures: Int,
                   out: UnsafeMutablePointer<Float>) {
    if let bias {
        for r in 0..<rows { (out + r * outFeatures).update(from: bias, count: outFeatures) }
    }
    gemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
         b: weight, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: out, ldc: outFeatures)
}

/// OpenBLAS facts for benchmark headers: configured core type and thread count.
public enum BLASInfo {
    /// The OpenBLAS build configuration string (`openblas_get_config`), e.g. "OpenBLAS 0.3.29 DYNAMIC_ARCH …".
    public static var config: String { String(cString: openblas_get_config()) }
    /// The kernel family in use (`openblas_get_corename`), e.g. "SkylakeX", "Haswell".
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// Threads OpenBLAS uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// Sets the number of OpenBLAS threads.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// Whether the CPU has AVX-512F (from `/proc/cpuinfo`; false where it cannot be read).
    public static var cpuHasAVX512: Bool {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return cpuinfo.contains(" avx512f")
    }

    /// OpenBLAS kernel families that use AVX-512.
    static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5"]

    /// A one-line warning when OpenBLAS runs pre-AVX-512 kernels on an AVX-512 CPU — forced by
    /// `OPENBLAS_CORETYPE` (e.g. `Haswell`) or picked by OpenBLAS's own detection — else nil.
    public static func kernelWarning(environment: [String: String] = ProcessInfo.processInfo.environment,
                                     avx512: Bool = cpuHasAVX512, core: String = coreName) -> String? {
        guard avx512, !avx512Cores.contains(core.lowercased()) else { return nil }
        let why = environment["OPENBLAS_CORETYPE"].map { "OPENBLAS_CORETYPE=\($0) forces" } ?? "OpenBLAS picked"
        return "warning: \(why) \(core) kernels on an AVX-512 CPU; sgemm runs about half as fast as with "
            + "SkylakeX kernels (unset OPENBLAS_CORETYPE, or set it to SkylakeX)"
    }
}

/// Process-wide time and floating-point work spent inside `gemm`, for benchmarks (off by default; when on,
/// each call reads the monotonic clock twice).
public enum GemmStats {
    static let enabled = Atomic<Bool>(false)
    static let nanoseconds = Atomic<Int>(0)
    static let flops = Atomic<Int>(0)

    /// Zeroes the counters and starts counting.
    public static func start() {
        nanoseconds.store(0, ordering: .relaxed); flops.store(0, ordering: .relaxed)
        enabled.store(true, ordering: .relaxed)
    }

    /// Stops counting and returns (seconds inside gemm, floating-point operations = 2·m·n·k summed).
    @discardableResult
    public static func stop() -> (seconds: Double, flops: Int) {
        enabled.store(false, ordering: .relaxed)
        return (Double(nanoseconds.load(ordering: .relaxed)) / 1e9, flops.load(ordering: .relaxed))
    }
}
