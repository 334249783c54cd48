import CFFTW
import Synchronization

/// A 16-byte-aligned buffer of doubles from `fftw_malloc`, the only memory `FFTPlan.execute` accepts.
///
/// Complex data is interleaved (re, im) pairs, so a complex array of n values needs `FFTBuffer(count: 2 * n)`.
/// The owner keeps one per worker and reuses it: nothing in a hot loop allocates.
final class FFTBuffer: @unchecked Sendable {
    let count: Int
    let pointer: UnsafeMutablePointer<Double>

    init(count: Int) {
        precondition(count > 0)
        self.count = count
        guard let raw = fftw_malloc(count * MemoryLayout<Double>.stride) else {
            fatalError("fftw_malloc failed for \(count) doubles")
        }
        pointer = raw.bindMemory(to: Double.self, capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { fftw_free(pointer) }

    var buffer: UnsafeMutableBufferPointer<Double> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}

/// An FFTW double-precision plan, made once per (kind, shape) and shared by all threads.
///
/// FFTW's planner is not thread-safe, its new-array execute functions are: plans are created under one lock — from
/// the pinned wisdom of `FFTWisdom` where it applies, otherwise with `FFTW_ESTIMATE` (both deterministic, no
/// timing-dependent choice of algorithm) — and executed on caller buffers.
/// Transforms are unnormalised, as FFTW's: a forward then a backward transform multiplies by the element count.
final class FFTPlan: @unchecked Sendable {
    enum Kind: Hashable, Sendable {
        /// complex → complex, sign −1 (numpy `fft`/`fft2`).
        case complexForward
        /// complex → complex, sign +1 (numpy `ifft`/`ifft2` without the 1/n).
        case complexBackward
        /// real → half complex: input n doubles, output (last dimension / 2 + 1) complex values per row.
        case realForward
        /// half complex → real; destroys its input.
        case realBackward
        /// Batched 1-D complex transforms for a `[count, n]` shape: transform j reads input values
        /// j·inputDistance + t·inputStride and writes output values j·outputDistance + t·outputStride (t < n, in
        /// complex values); `sign` is FFTW_FORWARD (−1) or FFTW_BACKWARD (+1). Out of place; keeps its input.
        case complexLines(sign: Int32, inputStride: Int, outputStride: Int, inputDistance: Int, outputDistance: Int)
    }

    struct Key: Hashable, Sendable {
        let kind: Kind
        let shape: [Int]
    }

    let kind: Kind
    let shape: [Int]
    private let plan: OpaquePointer

    /// Element count of the real (or complex) array in `shape`.
    var count: Int { shape.reduce(1, *) }
    /// Complex values in the half-spectrum of a real transform: last dimension / 2 + 1 per row.
    var halfComplexCount: Int { shape.dropLast().reduce(1, *) * (shape.last! / 2 + 1) }

    private static let planner = Mutex<[Key: FFTPlan]>([:])

    /// Runs `body` under the planner lock, for plans made outside this cache (FFTW's planner is not thread-safe).
    static func withPlannerLock<T: Sendable>(_ body: () -> T) -> T {
        planner.withLock { _ in body() }
    }

    /// The cached plan of this kind and shape (row-major, e.g. `[224, 224]` or `[262144]`), made on first use.
    static func shared(_ kind: Kind, shape: [Int]) -> FFTPlan {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "FFT shape must be positive")
        let key = Key(kind: kind, shape: shape)
        return planner.withLock { cache in
            if let plan = cache[key] { return plan }
            let plan = FFTPlan(key: key)
            cache[key] = plan
            return plan
        }
    }

    private init(key: Key) {
        kind = key.kind
        shape = key.shape
        var n = shape.reduce(1, *)
        if case let .complexLines(_, inputStride, outputStride, inputDistance, outputDistance) = key.kind {
            // The largest complex index either side touches, plus one.
            let count = shape[0], length = shape[1]
            n = max((count - 1) * inputDistance + (length - 1) * inputStride,
                    (count - 1) * outputDistance + (length - 1) * outputStride) + 1
        }
        let input = FFTBuffer(count: 2 * n)
        let output = FFTBuffer(count: 2 * n)
        let dims = shape.map { Int32($0) }
        // The pinned plans of `FFTWisdom` where they apply (wisdom only: nothing is timed), otherwise FFTW_ESTIMATE.
        // The wisdom is forgotten right after, so that it cannot steer the plans of other shapes.
        var made: OpaquePointer? = nil
        if let wisdom = FFTWisdom.wisdom(kind: key.kind, shape: key.shape) {
            if fftw_import_wisdom_from_string(wisdom) != 0 {
                made = Self.plan(key, dims: dims, input: input, output: output,
                                 flags: UInt32(FFTW_MEASURE) | UInt32(FFTW_WISDOM_ONLY))
            }
            fftw_forget_wisdom()
        }
        if made == nil { made = Self.plan(key, dims: dims, input: input, output: output, flags: UInt32(FFTW_ESTIMATE)) }
        guard let made else { fatalError("FFTW could not plan \(key.kind) for shape \(key.shape)") }
        plan = made
    }

    private static func plan(_ key: Key, dims: [Int32], input: FFTBuffer, output: FFTBuffer,
                             flags: UInt32) -> OpaquePointer? {
        let n = input.count / 2
        return dims.withUnsafeBufferPointer { d in
            input.pointer.withMemoryRebound(to: fftw_complex.self, capacity: n) { cin in
                output.pointer.withMemoryRebound(to: fftw_complex.self, capacity: n) { cout in
                    switch key.kind {
                    case .complexForward:
                        return fftw_plan_dft(Int32(d.count), d.baseAddress, cin, cout, FFTW_FORWARD, flags)
                    case .complexBackward:
                        return fftw_plan_dft(Int32(d.count), d.baseAddress, cin, cout, FFTW_BACKWARD, flags)
                    case .realForward:
                        return fftw_plan_dft_r2c(Int32(d.count), d.baseAddress, input.pointer, cout, flags)
                    case .realBackward:
                        return fftw_plan_dft_c2r(Int32(d.count), d.baseAddress, cin, output.pointer, flags)
                    case let .complexLines(sign, inputStride, outputStride, inputDistance, outputDistance):
                        precondition(d.count == 2, "complex line transforms take a [count, n] shape")
                        var length = d[1]
                        return fftw_plan_many_dft(1, &length, d[0], cin, nil, Int32(inputStride), Int32(inputDistance),
                                                  cout, nil, Int32(outputStride), Int32(outputDistance), sign, flags)
                    }
                }
            }
        }
    }

    /// Runs a `complexLines` transform on raw pointers into `FFTBuffer`s (interleaved complex values), at offsets
    /// that keep FFTW's alignment (multiples of 2 complex values). The caller guarantees the sizes.
    func executeComplex(_ input: UnsafeMutablePointer<Double>, _ output: UnsafeMutablePointer<Double>) {
        precondition({ if case .complexLines = kind { return true } else { return false } }(),
                     "executeComplex runs complexLines transforms only")
        input.withMemoryRebound(to: fftw_complex.self, capacity: 1) { cin in
            output.withMemoryRebound(to: fftw_complex.self, capacity: 1) { cout in
                fftw_execute_dft(plan, cin, cout)
            }
        }
    }

    /// Runs a `realBackward` transform from `input` (overwritten) into `output`, any memory of `count` doubles not
    /// overlapping `input`, when it has the alignment FFTW's plans assume (`fftw_alignment_of` 0, as `fftw_malloc`
    /// memory; Swift array storage normally has it). Returns false, having done nothing, otherwise.
    func executeRealBackward(_ input: FFTBuffer, into output: UnsafeMutablePointer<Double>) -> Bool {
        precondition(kind == .realBackward && input.count >= 2 * halfComplexCount, "FFT buffer too small")
        guard fftw_alignment_of(output) == 0 else { return false }
        input.pointer.withMemoryRebound(to: fftw_complex.self, capacity: halfComplexCount) { cin in
            fftw_execute_dft_c2r(plan, cin, output)
        }
        return true
    }

    /// Runs the transform from `input` to `output` (both `FFTBuffer`s, distinct, large enough for the shape:
    /// complex arrays need 2 doubles per value). `realBackward` overwrites `input`.
    func execute(_ input: FFTBuffer, _ output: FFTBuffer) {
        let n = count
        switch kind {
        case .complexLines:
            executeComplex(input.pointer, output.pointer)
        case .complexForward, .complexBackward:
            precondition(input.count >= 2 * n && output.count >= 2 * n, "FFT buffer too small")
            input.pointer.withMemoryRebound(to: fftw_complex.self, capacity: n) { cin in
                output.pointer.withMemoryRebound(to: fftw_complex.self, capacity: n) { cout in
                    fftw_execute_dft(plan, cin, cout)
                }
            }
        case .realForward:
            precondition(input.count >= n && output.count >= 2 * halfComplexCount, "FFT buffer too small")
            output.pointer.withMemoryRebound(to: fftw_complex.self, capacity: halfComplexCount) { cout in
                fftw_execute_dft_r2c(plan, input.pointer, cout)
            }
        case .realBackward:
            precondition(input.count >= 2 * halfComplexCount && output.count >= n, "FFT buffer too small")
            input.pointer.withMemoryRebound(to: fftw_complex.self, capacity: halfComplexCount) { cin in
                fftw_execute_dft_c2r(plan, cin, output.pointer)
            }
        }
    }
}
