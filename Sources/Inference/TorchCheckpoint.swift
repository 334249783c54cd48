import Foundation
import ZIPFoundation
import ZipSafety

/// PyTorch zip checkpoints: `torch.save` (PyTorch ≥ 1.6) and TorchScript archives (`torch.jit.save`, the
/// OpenAI CLIP `.pt` files), specs/clip.md §7.1–§7.2.
///
/// The archive's single top-level folder is found from its `*/data.pkl` entry. `data.pkl` is read with
/// `Unpickler`; storages are the entries `<prefix>/data/<key>`. A state dict is taken from a plain
/// (Ordered)dict, from the `state_dict` entry of a training checkpoint, or by walking a TorchScript module
/// tree (attribute names joined with "."). Every tensor view is checked against its storage before use.
public struct TorchCheckpoint {
    /// Name used in errors (the file's last path component).
    public let file: String
    /// The archive's top-level folder, e.g. `archive/`.
    public let prefix: String
    private let archive: Archive
    /// The size of the checkpoint file, the bound on what any entry can hold.
    private let archiveBytes: UInt64
    /// True when the archive holds TorchScript code or constants (a `torch.jit.save` archive).
    public let isTorchScript: Bool

    /// Opens a zip checkpoint; throws `.malformed` for anything that is not one (including legacy
    /// pre-1.6 files, which `LegacyTorchCheckpoint` reads).
    public init(url: URL) throws {
        file = url.lastPathComponent
        let head: Data
        do {
            let h = try FileHandle(forReadingFrom: url)
            defer { try? h.close() }
            head = try h.read(upToCount: 4) ?? Data()
            archiveBytes = try h.seekToEnd()
        } catch {
            throw InferenceError.io(file: file, detail: "cannot read: \(error.localizedDescription)")
        }
        guard head.count == 4, head.starts(with: [0x50, 0x4B, 0x03, 0x04]) else {
            throw InferenceError.malformed(file: file, detail: "not a zip checkpoint (no PK header)")
        }
        let structural: String?
        do { structural = try ZipPreflight.problem(in: url) } catch {
            throw InferenceError.io(file: file, detail: "cannot read: \(error.localizedDescription)")
        }
        if let problem = structural { throw InferenceError.malformed(file: file, detail: "not a well-formed zip: \(problem)") }
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw InferenceError.malformed(file: file, detail: "unreadable zip archive (\(error))")
        }
        (prefix, isTorchScript) = try Self.layout(of: archive, file: file)
    }

    /// The top-level folder (from the `data.pkl` entry) and whether the archive is TorchScript.
    private static func layout(of archive: Archive, file: String) throws -> (prefix: String, isTorchScript: Bool) {
        guard let pkl = archive.first(where: { $0.path.hasSuffix("/data.pkl") || $0.path == "data.pkl" }) else {
            throw InferenceError.malformed(file: file, detail: "no data.pkl entry")
        }
        let prefix = String(pkl.path.dropLast("data.pkl".count))
        let script = archive.contains { $0.path.hasPrefix(prefix + "constants.pkl") || $0.path.hasPrefix(prefix + "code/") }
        return (prefix, script)
    }

    /// The bytes of entry `<prefix>name`.
    public func entryData(_ name: String, limit: UInt64 = 1 << 36) throws -> Data {
        guard let entry = archive[prefix + name] else {
            throw InferenceError.malformed(file: file, detail: "missing entry \(prefix + name)")
        }
        guard entry.uncompressedSize <= limit else {
            throw InferenceError.limitExceeded(file: file, detail: "entry \(name) of \(entry.uncompressedSize) bytes above the limit of \(limit) bytes")
        }
        // Deflate expands at most 1032:1 and a stored entry not at all: a larger declared size is a lie, refused
        // before the buffer for it is reserved.
        let most = entry.isCompressed ? entry.compressedSize.multipliedReportingOverflow(by: 1032).partialValue + 1024
                                      : entry.compressedSize
        guard entry.uncompressedSize <= most, entry.compressedSize <= archiveBytes else {
            throw InferenceError.limitExceeded(file: file, detail: "entry \(name) declares \(entry.uncompressedSize) bytes, more than its \(entry.compressedSize) stored bytes in a file of \(archiveBytes) bytes can hold")
        }
        var out = Data()
        out.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { out.append($0) }
        } catch {
            throw InferenceError.malformed(file: file, detail: "cannot extract \(name) (\(error))")
        }
        guard out.count == Int(entry.uncompressedSize) else {
            throw InferenceError.truncated(file: file, offset: 0, need: Int(entry.uncompressedSize), have: out.count)
        }
        return out
    }

    /// The unpickled `data.pkl` (or another pickle of the archive).
    public func pickle(_ name: String = "data.pkl") throws -> PickleValue {
        let bytes = try entryData(name, limit: 1 << 30)
        var un = Unpickler(file: "\(file):\(name)")
        un.callableHandler = Self.inertMetadata
        return try bytes.withUnsafeBytes { try un.load($0).value }
    }

    /// Classes that training checkpoints carry beside their weights: mamba-clip's `args` (argparse.Namespace) and
    /// `best_acc` (a numpy scalar, with its dtype and the bytes protocol 2 pickles through `_codecs.encode`), and
    /// the like. They are built as inert `PickleObject`s (never called, nothing imported), so the state dict beside
    /// them can be read; every other callable is still refused by `Unpickler`.
    static let inertClasses: Set<String> = [
        "argparse.Namespace", "_codecs.encode", "builtins.set", "builtins.frozenset",
        "numpy.dtype", "numpy.ndarray", "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
        "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePosixPath", "torch.torch_version.TorchVersion",
    ]

    /// `Unpickler.callableHandler` for `inertClasses`; nil (the built-in whitelist, then refusal) for the rest.
    static func inertMetadata(_ module: String, _ name: String, _ args: [PickleValue]) -> PickleValue? {
        inertClasses.contains(module + "." + name) ? .object(PickleObject(module: module, name: name, args: args)) : nil
    }

    /// Tensor views of the state dict in pickle order (see the type's description).
    public func tensorReferences() throws -> [(name: String, ref: TensorReference)] {
        try Self.stateDictReferences(try pickle(), file: file)
    }

    /// The whole state dict materialised as contiguous Float32 tensors (integer tensors converted too).
    /// `include` filters names before any bytes are read.
    public func loadStateDict(include: (String) -> Bool = { _ in true }) throws -> [String: Tensor] {
        if archive[prefix + "byteorder"] != nil {
            let order = String(decoding: try entryData("byteorder", limit: 64), as: UTF8.self)
            guard order.trimmingCharacters(in: .whitespacesAndNewlines) == "little" else {
                throw InferenceError.malformed(file: file, detail: "byteorder \(order) is not supported (little-endian only)")
            }
        }
        let refs = try tensorReferences().filter { include($0.name) }
        var storages: [String: Data] = [:]
        var out: [String: Tensor] = [:]
        for (name, ref) in refs {
            let key = ref.storage.key
            if storages[key] == nil {
                guard !key.contains("/") && !key.contains("..") else {
                    throw InferenceError.outOfRange(file: file, tensor: name, detail: "bad storage key \(key)")
                }
                storages[key] = try entryData("data/" + key)
            }
            out[name] = try storages[key]!.withUnsafeBytes {
                try Self.materialize(ref, storage: $0, file: file, tensor: name)
            }
        }
        return out
    }

    /// Finds the state dict in an unpickled checkpoint: a dict of tensors, a training checkpoint's
    /// `state_dict` entry, or a TorchScript module tree. Non-tensor entries are skipped.
    public static func stateDictReferences(_ root: PickleValue, file: String) throws -> [(name: String, ref: TensorReference)] {
        var out: [(String, TensorReference)] = []
        switch root {
        case .dict(let d):
            if case .dict(let inner)? = d["state_dict"] {
                return try stateDictReferences(.dict(inner), file: file)
            }
            for (k, v) in d.items {
                guard let key = k.string else { continue }
                if case .tensor(let t) = v { out.append((key, t)) }
            }
        case .object:
            var budget = maxModuleNodes
            try walk(root, path: "", depth: 0, budget: &budget, file: file, into: &out)
        default:
            throw InferenceError.malformed(file: file, detail: "data.pkl holds neither a state dict nor a module")
        }
        if out.isEmpty { throw InferenceError.malformed(file: file, detail: "no tensors in the checkpoint") }
        return out
    }

    /// The most elements a view with zero strides (an expanded tensor) may have beyond those of its storage:
    /// 16,777,216. A larger declared view over a small storage is refused before its buffer is allocated.
    public static let maxExpandedElements = 1 << 24

    /// The most values a TorchScript module tree may hold: a pickle that shares one object many times over
    /// (a DAG through the memo) would otherwise unfold exponentially.
    public static let maxModuleNodes = 100_000

    private static func walk(_ v: PickleValue, path: String, depth: Int, budget: inout Int, file: String,
                             into out: inout [(String, TensorReference)]) throws {
        guard depth < 64 else { return }
        budget -= 1
        guard budget >= 0 else {
            throw InferenceError.limitExceeded(file: file, detail: "module tree above \(maxModuleNodes) values")
        }
        switch v {
        case .tensor(let t): out.append((path, t))
        case .object(let o):
            guard case .dict(let d)? = o.state else { return }
            for (k, child) in d.items {
                guard let key = k.string else { continue }
                try walk(child, path: path.isEmpty ? key : path + "." + key, depth: depth + 1, budget: &budget,
                         file: file, into: &out)
            }
        default: return
        }
    }

    /// Copies a (possibly strided) tensor view out of raw little-endian storage bytes into a contiguous
    /// Float32 tensor. Checks the storage size against the declared element count and every index the view
    /// can reach against the storage; errors name `file` and `tensor`.
    public static func materialize(_ ref: TensorReference, storage raw: UnsafeRawBufferPointer,
                                   file: String, tensor: String) throws -> Tensor {
        let type = ref.storage.type
        let (need, o1) = ref.storage.elementCount.multipliedReportingOverflow(by: type.size)
        guard !o1, raw.count >= need else {
            throw InferenceError.outOfRange(file: file, tensor: tensor,
                detail: "storage \(ref.storage.key) has \(raw.count) bytes, declared \(ref.storage.elementCount) × \(type.size)")
        }
        var count = 1
        var maxIndex = ref.offset
        for (s, st) in zip(ref.size, ref.stride) {
            let (c, o2) = count.multipliedReportingOverflow(by: s)
            guard !o2 else { throw InferenceError.outOfRange(file: file, tensor: tensor, detail: "size \(ref.size) overflows") }
            count = c
            if s > 0 {
                let (span, o3) = (s - 1).multipliedReportingOverflow(by: st)
                let (m, o4) = maxIndex.addingReportingOverflow(span)
                guard !o3, !o4 else { throw InferenceError.outOfRange(file: file, tensor: tensor, detail: "stride \(ref.stride) overflows") }
                maxIndex = m
            }
        }
        guard count <= max(ref.storage.elementCount, maxExpandedElements) else {
            throw InferenceError.limitExceeded(file: file, detail: "\(tensor): view of \(count) elements over a storage of \(ref.storage.elementCount) (a view may repeat elements up to \(maxExpandedElements) in all)")
        }
        if count > 0 && maxIndex >= ref.storage.elementCount {
            throw InferenceError.outOfRange(file: file, tensor: tensor,
                detail: "view (offset \(ref.offset), size \(ref.size), stride \(ref.stride)) reaches element \(maxIndex) of a storage of \(ref.storage.elementCount)")
        }
        var out = [Float](repeating: 0, count: count)
        guard count > 0 else { return Tensor(shape: ref.size, data: out) }
        let base = raw.baseAddress!
        let rank = ref.size.count
        var contiguous = true
        var expect = 1
        for d in (0..<rank).reversed() where ref.size[d] != 1 {
            if ref.stride[d] != expect { contiguous = false; break }
            expect *= ref.size[d]
        }
        out.withUnsafeMutableBufferPointer { dst in
            if contiguous {
                for i in 0..<count { dst[i] = type.load(base, ref.offset + i) }
                return
            }
            var idx = [Int](repeating: 0, count: rank)
            var src = ref.offset
            for i in 0..<count {
                dst[i] = type.load(base, src)
                var d = rank - 1
                while d >= 0 {
                    idx[d] += 1
                    src += ref.stride[d]
                    if idx[d] < ref.size[d] { break }
                    src -= ref.stride[d] * ref.size[d]
                    idx[d] = 0
                    d -= 1
                }
            }
        }
        return Tensor(shape: ref.size, data: out)
    }
}
