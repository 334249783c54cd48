import Foundation

/// A float64 array read from a NumPy `.npy` file (format version 1.0–3.0, little-endian `<f8`, C order).
///
/// Only what the data tables need: the header dict is parsed for `descr`, `fortran_order` and `shape`, every
/// length is checked against the file size, and anything else is refused with the file's name.
struct NPYArray {
    let shape: [Int]
    let values: [Double]

    init(data: Data, path: String) throws {
        func fail(_ reason: String) -> DistortionsError { .malformedTable(path: path, reason: reason) }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw fail("not a .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy version \(major)")
        }
        guard headerLength <= 65_536, headerStart + headerLength <= bytes.count else {
            throw fail("truncated .npy header (needs \(headerLength) bytes)")
        }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .ascii) else {
            throw fail(".npy header is not ASCII")
        }
        let compact = header.filter { !$0.isWhitespace }
        guard compact.contains("'descr':'<f8'") else { throw fail("dtype is not little-endian float64 ('<f8')") }
        guard compact.contains("'fortran_order':False") else { throw fail("Fortran-order arrays are not supported") }
        guard let open = compact.range(of: "'shape':("),
              let close = compact[open.upperBound...].firstIndex(of: ")") else {
            throw fail(".npy header has no shape")
        }
        var shape: [Int] = []
        for part in compact[open.upperBound..<close].split(separator: ",") {
            guard let n = Int(part), n >= 0 else { throw fail("bad shape entry '\(part)'") }
            shape.append(n)
        }
        var count = 1
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail("shape \(shape) overflows") }
            count = product
        }
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart == count * 8 else {
            throw fail("data is \(bytes.count - dataStart) bytes, shape \(shape) needs \(count * 8)")
        }
        var values = [Double](repeating: 0, count: count)
        for i in 0..<count {
            var bits: UInt64 = 0
            for b in 0..<8 { bits |= UInt64(bytes[dataStart + 8 * i + b]) << (8 * b) }
            values[i] = Double(bitPattern: bits)
        }
        self.shape = shape
        self.values = values
    }
}
