/// Reads little-endian fields from a byte buffer; every read past the end throws `.truncated`.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    let file: String
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, file: String, offset: Int = 0) {
        self.bytes = bytes; self.file = file; self.offset = offset
    }

    var remaining: Int { bytes.count - offset }
    var atEnd: Bool { offset >= bytes.count }

    mutating func read(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= remaining else {
            throw InferenceError.truncated(file: file, offset: offset, need: n, have: max(remaining, 0))
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += n
        return slice
    }

    mutating func u8() throws -> UInt8 { try read(1)[0] }

    mutating func uintLE(_ n: Int) throws -> UInt64 {
        let b = try read(n)
        var v: UInt64 = 0
        for i in (0..<n).reversed() { v = v << 8 | UInt64(b[i]) }
        return v
    }

    mutating func u16() throws -> UInt16 { UInt16(try uintLE(2)) }
    mutating func u32() throws -> UInt32 { UInt32(try uintLE(4)) }
    mutating func u64() throws -> UInt64 { try uintLE(8) }
    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }

    /// Bytes up to (not including) the next `\n`, which is consumed.
    mutating func line() throws -> [UInt8] {
        var out: [UInt8] = []
        while true {
            let b = try u8()
            if b == 0x0A { return out }
            out.append(b)
            if out.count > 4096 { throw InferenceError.limitExceeded(file: file, detail: "text line longer than 4096 bytes at offset \(offset)") }
        }
    }
}
