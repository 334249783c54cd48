import Foundation

/// A NumPy `.npy` file read for tests: little-endian `<f8`, `<f4`, `|u1`/`<u1`, `<i4`, `<i8` or `|b1`, C order,
/// format versions 1–3, C or Fortran order (returned in C order). Values are widened to `Double`.
///
/// Every length is checked against the file size; anything else throws `NPY.Error` naming the file.
public struct NPY: Sendable {
    public enum Error: Swift.Error, CustomStringConvertible {
        case malformed(path: String, reason: String)
        public var description: String {
            switch self { case .malformed(let path, let reason): return "\(path): \(reason)" }
        }
    }

    /// The numpy dtype string, e.g. `<f4`.
    public let dtype: String
    /// The array shape (`[]` for a scalar).
    public let shape: [Int]
    /// The values in C (row-major) order, widened to float64.
    public let values: [Double]

    /// Element count (product of `shape`).
    public var count: Int { values.count }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw Error.malformed(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(data: data, path: url.path)
    }

    public init(data: Data, path: String = "<npy>") throws {
        func fail(_ reason: String) -> Error { .malformed(path: path, reason: reason) }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw fail("not a .npy file (bad magic)")
        }
        let headerLength: Int, headerStart: Int
        switch bytes[6] {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported version \(bytes[6])")
        }
        guard headerLength <= 1 << 20, headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .ascii) else {
            throw fail("truncated or non-ASCII header")
        }
        let compact = header.filter { !$0.isWhitespace }
        guard let d = compact.range(of: "'descr':'"), let dEnd = compact[d.upperBound...].firstIndex(of: "'") else {
            throw fail("header has no descr")
        }
        let dtype = String(compact[d.upperBound..<dEnd])
        let fortranOrder = compact.contains("'fortran_order':True")
        guard let s = compact.range(of: "'shape':("), let sEnd = compact[s.upperBound...].firstIndex(of: ")") else {
            throw fail("header has no shape")
        }
        var shape: [Int] = []
        for part in compact[s.upperBound..<sEnd].split(separator: ",") {
            guard let n = Int(part), n >= 0 else { throw fail("bad shape entry '\(part)'") }
            shape.append(n)
        }
        var count = 1
        for n in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail("shape \(shape) overflows") }
            count = p
        }
        let size: Int
        switch dtype {
        case "<f8", "<i8": size = 8
        case "<f4", "<i4": size = 4
        case "|u1", "<u1", "|b1": size = 1
        default: throw fail("unsupported dtype \(dtype)")
        }
        let start = headerStart + headerLength
        guard bytes.count - start == count * size else {
            throw fail("data is \(bytes.count - start) bytes, shape \(shape) of \(dtype) needs \(count * size)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { raw in
            let p = UnsafeRawPointer(raw.baseAddress! + start)
            for i in 0..<count {
                switch dtype {
                case "<f8": values[i] = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                case "<f4": values[i] = Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                case "<i8": values[i] = Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                case "<i4": values[i] = Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                default: values[i] = Double(p.load(fromByteOffset: i, as: UInt8.self))
                }
            }
        }
        self.dtype = dtype
        self.shape = shape
        self.values = fortranOrder ? NPY.cOrder(fromFortran: values, shape: shape) : values
    }

    /// Reorders column-major values (first index fastest) to row-major.
    static func cOrder(fromFortran values: [Double], shape: [Int]) -> [Double] {
        guard shape.count > 1 else { return values }
        var out = [Double](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)
        for c in 0..<values.count {
            // c is the row-major position of `index`; its column-major position:
            var f = 0, stride = 1
            for d in 0..<shape.count { f += index[d] * stride; stride *= shape[d] }
            out[c] = values[f]
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
