/// Element types found in checkpoints, with their byte sizes and conversion to Float32.
public enum ScalarType: String, Sendable, CaseIterable {
    case float32 = "F32", float16 = "F16", bfloat16 = "BF16", float64 = "F64"
    case int64 = "I64", int32 = "I32", int16 = "I16", int8 = "I8", uint8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// The type of a PyTorch storage class name (`FloatStorage`, `HalfStorage`, …), nil if unknown.
    public init?(torchStorage name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "DoubleStorage": self = .float64
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    /// Element `index` of little-endian raw data as Float (integers converted exactly up to 2²⁴).
    @inline(__always)
    func load(_ raw: UnsafeRawPointer, _ index: Int) -> Float {
        switch self {
        case .float32: return Float(bitPattern: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
        case .float16: return halfToFloat(raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
        case .bfloat16: return Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) << 16)
        case .float64: return Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)))
        case .int64: return Float(Int64(bitPattern: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)))
        case .int32: return Float(Int32(bitPattern: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
        case .int16: return Float(Int16(bitPattern: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
        case .int8: return Float(Int8(bitPattern: raw.load(fromByteOffset: index, as: UInt8.self)))
        case .uint8, .bool: return Float(raw.load(fromByteOffset: index, as: UInt8.self))
        }
    }
}

/// IEEE binary16 → binary32, exact (subnormals, infinities and NaN included).
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exp = Int((h >> 10) & 0x1F)
    let mant = UInt32(h & 0x3FF)
    if exp == 0 {
        if mant == 0 { return Float(bitPattern: sign) }
        let v = Float(mant) * Float(bitPattern: 0x3380_0000)  // 2^-24
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
}
