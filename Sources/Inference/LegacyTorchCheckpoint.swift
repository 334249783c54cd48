import Foundation

/// A PyTorch checkpoint in the legacy (pre-zip, PyTorch < 1.6) `torch.save` format
/// (`../shared/specs/efficientnet-lite0.md` §2): five protocol-2 pickles followed by raw storage blobs.
///
/// 1. the magic number `0x1950a86a20f9469cfc6c` (a fixed 15-byte pickle),
/// 2. the protocol version `1001`,
/// 3. system info `{'protocol_version': 1001, 'little_endian': True, 'type_sizes': {…}}`,
/// 4. the object (a state dict: name → `_rebuild_tensor_v2(storage, offset, size, stride, …)`, storages given
///    as persistent ids `('storage', <type>, key, location, numel)`),
/// 5. the list of storage keys in blob order;
///
/// then, per key in that order, an int64 little-endian element count and the elements (little-endian, no
/// padding), ending exactly at the end of the file. Everything is validated before use: magic, versions,
/// endianness, every count against the pickled storage size, every blob inside the file, every tensor view
/// (offset, sizes, strides) inside its storage. Tensors may be non-contiguous (the EfficientNet-Lite0 weights
/// keep TensorFlow memory order); `tensor(_:)` applies the strides and returns contiguous row-major values.
public struct LegacyTorchCheckpoint: Sendable {
    /// One state-dict entry, in file order.
    public struct Entry: Sendable {
        public let name: String
        public let reference: TensorReference
    }

    struct Blob: Sendable {
        let offset: Int  // byte offset of the first element
        let count: Int   // elements
        let type: ScalarType
    }

    /// The name used in error messages.
    public let file: String
    /// The state dict's tensors in file order.
    public let entries: [Entry]
    let blobs: [String: Blob]
    let data: Data

    /// The fixed first pickle: PROTO 2, LONG1 of 10 bytes = 0x1950a86a20f9469cfc6c, STOP.
    static let magicPickle: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8,
                                       0x50, 0x19, 0x2E]
    static let protocolVersion = 1001

    /// Whether `data` starts like a legacy `torch.save` file.
    public static func isLegacyFormat(_ data: Data) -> Bool {
        data.count >= magicPickle.count && data.prefix(magicPickle.count).elementsEqual(magicPickle)
    }

    /// Reads and validates the file at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw InferenceError.io(file: url.path, detail: "cannot be read: \(error.localizedDescription)")
        }
        try self.init(data: data, file: url.lastPathComponent)
    }

    /// Parses and validates a legacy checkpoint held in memory; `file` names it in errors.
    public init(data: Data, file: String) throws {
        self.file = file
        self.data = data
        guard Self.isLegacyFormat(data) else {
            if data.starts(with: [0x50, 0x4B]) {
                throw InferenceError.malformed(file: file, detail: "a zip checkpoint (torch.save ≥ 1.6), not the legacy format")
            }
            throw InferenceError.malformed(file: file, detail: "no legacy torch.save magic number at the start")
        }
        let unpickler = Unpickler(file: file)
        let parsed: (entries: [Entry], keys: [String], end: Int) = try data.withUnsafeBytes { bytes in
            var offset = Self.magicPickle.count
            let (version, end2) = try unpickler.load(bytes, from: offset)
            guard version.int == Self.protocolVersion else {
                throw InferenceError.malformed(file: file, detail: "protocol version \(version), expected \(Self.protocolVersion)")
            }
            offset = end2
            let (info, end3) = try unpickler.load(bytes, from: offset)
            guard case .dict(let sys) = info, sys["protocol_version"]?.int == Self.protocolVersion else {
                throw InferenceError.malformed(file: file, detail: "system info at offset \(offset) is not the expected dict")
            }
            guard case .bool(true)? = sys["little_endian"] else {
                throw InferenceError.malformed(file: file, detail: "written on a big-endian machine (little_endian is not True)")
            }
            offset = end3
            let (object, end4) = try unpickler.load(bytes, from: offset)
            let entries = try Self.stateDictEntries(object, file: file)
            offset = end4
            let (keyList, end5) = try unpickler.load(bytes, from: offset)
            guard let keyValues = keyList.elements else {
                throw InferenceError.malformed(file: file, detail: "storage key list at offset \(offset) is not a list")
            }
            let keys = try keyValues.map { v -> String in
                guard let s = v.string ?? v.int.map(String.init) else {
                    throw InferenceError.malformed(file: file, detail: "storage key list holds a non-string")
                }
                return s
            }
            return (entries, keys, end5)
        }
        entries = parsed.entries
        blobs = try Self.readBlobs(keys: parsed.keys, entries: parsed.entries, data: data, start: parsed.end, file: file)
        for entry in entries { try Self.validateView(entry, blobs: blobs, file: file) }
    }

    /// The entry names in file order.
    public var names: [String] { entries.map(\.name) }

    /// The tensor `name` as contiguous row-major Float32 (integers converted exactly up to 2²⁴), strides applied.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw InferenceError.missingTensor(file: file, tensor: name)
        }
        return tensor(entry)
    }

    /// Every tensor by name.
    public func tensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for entry in entries { out[entry.name] = tensor(entry) }
        return out
    }

    private func tensor(_ entry: Entry) -> Tensor {
        let r = entry.reference
        let blob = blobs[r.storage.key]!  // validated in init
        let count = r.size.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        if count == 0 { return Tensor(shape: r.size, data: values) }
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + blob.offset
            let type = blob.type
            values.withUnsafeMutableBufferPointer { out in
                let rank = r.size.count
                if rank == 0 { out[0] = type.load(base, r.offset); return }
                // Odometer over all but the last dimension; the last one is a strided run.
                let inner = r.size[rank - 1], innerStride = r.stride[rank - 1]
                var index = [Int](repeating: 0, count: rank)
                var o = 0
                while o < count {
                    var start = r.offset
                    for d in 0..<(rank - 1) { start += index[d] * r.stride[d] }
                    for i in 0..<inner { out[o + i] = type.load(base, start + i * innerStride) }
                    o += inner
                    var d = rank - 2
                    while d >= 0 {
                        index[d] += 1
                        if index[d] < r.size[d] { break }
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
        return Tensor(shape: r.size, data: values)
    }

    /// The name → tensor entries of the pickled object: a state dict, or a dict holding one under `state_dict`.
    static func stateDictEntries(_ object: PickleValue, file: String) throws -> [Entry] {
        guard case .dict(var dict) = object else {
            throw InferenceError.malformed(file: file, detail: "the saved object is not a dict")
        }
        if case .dict(let inner)? = dict["state_dict"] { dict = inner }
        var entries: [Entry] = []
        var seen = Set<String>()
        for (key, value) in dict.items {
            guard let name = key.string else {
                throw InferenceError.malformed(file: file, detail: "state dict key is not a string")
            }
            guard case .tensor(let reference) = value else {
                throw InferenceError.malformed(file: file, detail: "state dict entry \(name) is not a tensor")
            }
            guard seen.insert(name).inserted else {
                throw InferenceError.malformed(file: file, detail: "duplicate state dict entry \(name)")
            }
            entries.append(Entry(name: name, reference: reference))
        }
        return entries
    }

    /// Walks the storage blobs after the last pickle; each key's count must equal the pickled storage size, and
    /// the last blob must end exactly at the end of the file.
    static func readBlobs(keys: [String], entries: [Entry], data: Data, start: Int, file: String) throws -> [String: Blob] {
        var storages: [String: StorageReference] = [:]
        for entry in entries {
            let s = entry.reference.storage
            if let known = storages[s.key], known.type != s.type || known.elementCount != s.elementCount {
                throw InferenceError.malformed(file: file, detail: "storage \(s.key) is declared twice with different type or size")
            }
            storages[s.key] = s
        }
        var blobs: [String: Blob] = [:]
        var offset = start
        try data.withUnsafeBytes { raw in
            for key in keys {
                guard let storage = storages[key] else {
                    throw InferenceError.malformed(file: file, detail: "storage \(key) in the key list is used by no tensor")
                }
                guard blobs[key] == nil else {
                    throw InferenceError.malformed(file: file, detail: "storage \(key) listed twice")
                }
                var cursor = ByteCursor(raw, file: file, offset: offset)
                let count = Int64(bitPattern: try cursor.u64())
                guard count == storage.elementCount else {
                    throw InferenceError.malformed(file: file, detail: "storage \(key) at offset \(offset) holds \(count) elements, the pickle says \(storage.elementCount)")
                }
                let (bytes, overflow) = Int(count).multipliedReportingOverflow(by: storage.type.size)
                guard !overflow else {
                    throw InferenceError.limitExceeded(file: file, detail: "storage \(key) size overflows")
                }
                _ = try cursor.read(bytes)
                blobs[key] = Blob(offset: offset + 8, count: Int(count), type: storage.type)
                offset = cursor.offset
            }
        }
        if let missing = storages.keys.sorted().first(where: { blobs[$0] == nil }) {
            throw InferenceError.malformed(file: file, detail: "storage \(missing) is missing from the key list")
        }
        guard offset == data.count else {
            throw InferenceError.malformed(file: file, detail: "\(data.count - offset) bytes after the last storage (offset \(offset))")
        }
        return blobs
    }

    /// Checks that every element a view reaches lies inside its storage.
    static func validateView(_ entry: Entry, blobs: [String: Blob], file: String) throws {
        let r = entry.reference
        guard let blob = blobs[r.storage.key] else {
            throw InferenceError.outOfRange(file: file, tensor: entry.name, detail: "storage \(r.storage.key) has no data")
        }
        guard r.size.count == r.stride.count else {
            throw InferenceError.outOfRange(file: file, tensor: entry.name, detail: "size \(r.size) and stride \(r.stride) disagree")
        }
        var elements = 1
        var last = r.offset
        for (size, stride) in zip(r.size, r.stride) {
            let (e, o1) = elements.multipliedReportingOverflow(by: size)
            guard !o1, size >= 0, stride >= 0 else {
                throw InferenceError.outOfRange(file: file, tensor: entry.name, detail: "size \(r.size) stride \(r.stride) out of range")
            }
            elements = e
            if size == 0 { continue }
            let (step, o2) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, o3) = last.addingReportingOverflow(step)
            guard !o2, !o3 else {
                throw InferenceError.outOfRange(file: file, tensor: entry.name, detail: "view \(r.size)/\(r.stride) overflows")
            }
            last = sum
        }
        guard elements <= max(blob.count, TorchCheckpoint.maxExpandedElements) else {
            throw InferenceError.limitExceeded(file: file, detail: "\(entry.name): view of \(elements) elements over a storage of \(blob.count) (a view may repeat elements up to \(TorchCheckpoint.maxExpandedElements) in all)")
        }
        if elements > 0 && last >= blob.count {
            throw InferenceError.outOfRange(file: file, tensor: entry.name,
                                            detail: "view (offset \(r.offset), size \(r.size), stride \(r.stride)) reaches element \(last) of a storage of \(blob.count)")
        }
    }
}
