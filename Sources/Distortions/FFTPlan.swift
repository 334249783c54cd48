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
        /// Batched 1-D real → half complex along the rows of a `[lines, n]` shape: each row of n doubles (rows n
        /// apart) gives n / 2 + 1 complex values (rows n / 2 + 1 apart).
        case realForwardRows
        /// Batched 1-D half complex → real along rows, the inverse layout of `realForwardRows`; destroys its input.
        case realBackwardRows
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
        let n = shape.reduce(1, *)
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
        let n = key.shape.reduce(1, *)
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
                    case .realForwardRows, .realBackwardRows:
                        precondition(d.count == 2, "row transforms take a [lines, n] shape")
                        var length = d[1]
                        let bins = d[1] / 2 + 1
                        if key.kind == .realForwardRows {
                            return fftw_plan_many_dft_r2c(1, &length, d[0], input.pointer, nil, 1, d[1],
                                                          cout, nil, 1, bins, flags)
                        }
                        return fftw_plan_many_dft_c2r(1, &length, d[0], cin, nil, 1, bins,
                                                      output.pointer, nil, 1, d[1], flags)
                    }
                }
            }
        }
    }

    /// Runs a real transform (`realForward…`: real `input` → complex `output`; `realBackward…`: complex → real)
    /// on raw pointers into `FFTBuffer`s, at offsets that keep FFTW's alignment (multiples of 4 doubles). The caller
    /// guarantees the sizes.
    func executeReal(_ input: UnsafeMutablePointer<Double>, _ output: UnsafeMutablePointer<Double>) {
        switch kind {
        case .realForward, .realForwardRows:
            output.withMemoryRebound(to: fftw_complex.self, capacity: halfComplexCount) { cout in
                fftw_execute_dft_r2c(plan, input, cout)
            }
        case .realBackward, .realBackwardRows:
            input.withMemoryRebound(to: fftw_complex.self, capacity: halfComplexCount) { cin in
                fftw_execute_dft_c2r(plan, cin, output)
            }
        case .complexForward, .complexBackward:
            preconditionFailure("executeReal runs real transforms only")
        }
    }

    /// Runs the transform from `input` to `output` (both `FFTBuffer`s, distinct, large enough for the shape:
    /// complex arrays need 2 doubles per value). `realBackward` overwrites `input`.
    func execute(_ input: FFTBuffer, _ output: FFTBuffer) {
        let n = count
        switch kind {
        case .complexForward, .complexBackward:
            precondition(input.count >= 2 * n && output.count >= 2 * n, "FFT buffer too small")
            input.pointer.withMemoryRebound(to: fftw_complex.self, capacity: n) { cin in
                output.pointer.withMemoryRebound(to: fftw_complex.self, capacity: n) { cout in
                    fftw_execute_dft(plan, cin, cout)
                }
            }
        case .realForward, .realForwardRows:
            precondition(input.count >= n && output.count >= 2 * halfComplexCount, "FFT buffer too small")
            output.pointer.withMemoryRebound(to: fftw_complex.self, capacity: halfComplexCount) { cout in
                fftw_execute_dft_r2c(plan, input.pointer, cout)
            }
        case .realBackward, .realBackwardRows:
            precondition(input.count >= 2 * halfComplexCount && output.count >= n, "FFT buffer too small")
            input.pointer.withMemoryRebound(to: fftw_complex.self, capacity: halfComplexCount) { cin in
                fftw_execute_dft_c2r(plan, cin, output.pointer)
            }
        }
    }
}
