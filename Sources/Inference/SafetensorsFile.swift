import Foundation

/// A safetensors file (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
/// N bytes of JSON header, then the data buffer. The file is memory-mapped; every entry is validated when the
/// file is opened (header length ≤ 100 MB and ≤ file, known dtype, shape product without overflow,
/// `end − begin == product × element size`, offsets inside the data buffer, no overlapping ranges).
public struct SafetensorsFile: @unchecked Sendable {
    /// One tensor's header entry.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: ScalarType
        public let shape: [Int]
        /// Byte range relative to the start of the file.
        public let range: Range<Int>
    }

    /// The header cap (the spec's 100 MB).
    public static let maxHeaderBytes = 100_000_000

    /// How the file was named in errors.
    public let file: String
    /// Entries in header order, `__metadata__` excluded.
    public let entries: [Entry]
    /// The `__metadata__` strings, if any.
    public let metadata: [String: String]
    private let data: Data
    private let index: [String: Int]

    /// Opens and validates `url`.
    public init(url: URL) throws {
        let name = url.lastPathComponent
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw InferenceError.io(file: name, detail: "cannot read: \(error.localizedDescription)")
        }
        try self.init(data: data, file: name)
    }

    /// Parses in-memory safetensors bytes; `file` names them in errors.
    public init(data: Data, file: String) throws {
        self.file = file
        self.data = data
        var parsed: [Entry] = []
        var meta: [String: String] = [:]
        try data.withUnsafeBytes { raw in
            var cur = ByteCursor(raw, file: file)
            let n = try cur.u64()
            guard n <= UInt64(Self.maxHeaderBytes) else {
                throw InferenceError.limitExceeded(file: file, detail: "header length \(n) exceeds \(Self.maxHeaderBytes)")
            }
            guard n <= UInt64(cur.remaining) else {
                throw InferenceError.truncated(file: file, offset: 8, need: Int(n), have: cur.remaining)
            }
            let headerBytes = try cur.read(Int(n))
            let dataStart = 8 + Int(n)
            let dataSize = raw.count - dataStart
            let json: Any
            do { json = try JSONSerialization.jsonObject(with: Data(headerBytes)) } catch {
                throw InferenceError.malformed(file: file, detail: "header is not valid JSON")
            }
            guard let header = json as? [String: Any] else {
                throw InferenceError.malformed(file: file, detail: "header is not a JSON object")
            }
            for (key, value) in header {
                if key == "__metadata__" {
                    guard let m = value as? [String: Any] else {
                        throw InferenceError.malformed(file: file, detail: "__metadata__ is not an object")
                    }
                    for (k, v) in m { meta[k] = (v as? String) ?? "\(v)" }
                    continue
                }
                guard let obj = value as? [String: Any], let dt = obj["dtype"] as? String,
                      let shapeAny = obj["shape"] as? [Any], let offAny = obj["data_offsets"] as? [Any],
                      offAny.count == 2 else {
                    throw InferenceError.malformed(file: file, detail: "\(key): entry needs dtype, shape and two data_offsets")
                }
                guard let dtype = ScalarType(rawValue: dt) else {
                    throw InferenceError.unsupportedDType(file: file, tensor: key, dtype: dt)
                }
                var shape: [Int] = []
                var count = 1
                for d in shapeAny {
                    guard let dim = d as? Int, dim >= 0 else {
                        throw InferenceError.malformed(file: file, detail: "\(key): bad dimension \(d) in shape")
                    }
                    let (p, o) = count.multipliedReportingOverflow(by: dim)
                    if o { throw InferenceError.outOfRange(file: file, tensor: key, detail: "shape \(shapeAny) overflows") }
                    count = p
                    shape.append(dim)
                }
                guard shape.count <= 8 else {
                    throw InferenceError.limitExceeded(file: file, detail: "\(key): rank \(shape.count) above 8")
                }
                var offs: [Int] = []
                for o in offAny {
                    guard let v = o as? Int, v >= 0 else {
                        throw InferenceError.malformed(file: file, detail: "\(key): bad data offset \(o)")
                    }
                    offs.append(v)
                }
                let (bytes, o2) = count.multipliedReportingOverflow(by: dtype.size)
                guard !o2, offs[1] >= offs[0], offs[1] - offs[0] == bytes else {
                    throw InferenceError.outOfRange(file: file, tensor: key,
                        detail: "data_offsets \(offs) hold \(offs[1] - offs[0]) bytes, shape \(shape) × \(dtype.size) needs \(count &* dtype.size)")
                }
                guard offs[1] <= dataSize else {
                    throw InferenceError.outOfRange(file: file, tensor: key,
                        detail: "data_offsets \(offs) beyond the data buffer of \(dataSize) bytes")
                }
                parsed.append(Entry(name: key, dtype: dtype, shape: shape, range: (dataStart + offs[0])..<(dataStart + offs[1])))
            }
        }
        parsed.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        for i in parsed.indices.dropFirst() where parsed[i].range.lowerBound < parsed[i - 1].range.upperBound {
            throw InferenceError.outOfRange(file: file, tensor: parsed[i].name, detail: "overlaps \(parsed[i - 1].name)")
        }
        entries = parsed
        metadata = meta
        var idx: [String: Int] = [:]
        for (i, e) in parsed.enumerated() { idx[e.name] = i }
        index = idx
    }

    /// Tensor names in file order.
    public var names: [String] { entries.map(\.name) }

    /// The header entry of `name`, or nil.
    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Tensor `name` converted to Float32; throws `.missingTensor` if absent.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entry(name) else { throw InferenceError.missingTensor(file: file, tensor: name) }
        let count = e.shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + e.range.lowerBound
            out.withUnsafeMutableBufferPointer { dst in
                if e.dtype == .float32 {
                    UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(from: base, byteCount: count * 4)
                } else {
                    for i in 0..<count { dst[i] = e.dtype.load(base, i) }
                }
            }
        }
        return Tensor(shape: e.shape, data: out)
    }

    /// Integer tensor `name` (I64/I32/I16/I8/U8/BOOL) as Int32 values; throws if it is absent, a float
    /// tensor, or a value does not fit.
    public func int32s(_ name: String) throws -> (shape: [Int], values: [Int32]) {
        guard let e = entry(name) else { throw InferenceError.missingTensor(file: file, tensor: name) }
        let count = e.shape.reduce(1, *)
        var out = [Int32](repeating: 0, count: count)
        try data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + e.range.lowerBound
            for i in 0..<count {
                let v: Int64
                switch e.dtype {
                case .int64: v = Int64(bitPattern: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                case .int32: v = Int64(Int32(bitPattern: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                case .int16: v = Int64(Int16(bitPattern: base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                case .int8: v = Int64(Int8(bitPattern: base.load(fromByteOffset: i, as: UInt8.self)))
                case .uint8, .bool: v = Int64(base.load(fromByteOffset: i, as: UInt8.self))
                default: throw InferenceError.unsupportedDType(file: file, tensor: name, dtype: e.dtype.rawValue + " (integer expected)")
                }
                guard let w = Int32(exactly: v) else {
                    throw InferenceError.outOfRange(file: file, tensor: name, detail: "value \(v) does not fit Int32")
                }
                out[i] = w
            }
        }
        return (e.shape, out)
    }

    /// All floating-point tensors as Float32, keyed by name (integer tensors are skipped).
    public func floatTensors() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for e in entries where [.float32, .float16, .bfloat16, .float64].contains(e.dtype) {
            out[e.name] = try tensor(e.name)
        }
        return out
    }
}
