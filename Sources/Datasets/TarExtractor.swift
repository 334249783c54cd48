import CZlibSystem
import Foundation
import Imaging

/// Extracts `.tar` and `.tar.gz` archives safely: regular files and folders only.
///
/// Refused (the whole extraction fails, naming the entry): absolute paths, `..` components, symbolic and hard links,
/// device and FIFO entries, headers whose checksum is wrong, and archives that end in the middle of an entry.
/// Understands ustar names with prefix, GNU long names (`L`) and pax `path` records (`x`; `g` is ignored).
/// Memory stays flat: the archive is read and inflated in 256 KiB chunks.
public enum TarExtractor {
    /// The largest entry extracted (16 GiB): a header declaring more is refused before anything of it is written.
    public static let maxEntryBytes = 1 << 34
    /// The most bytes one archive may extract in all (64 GiB): a bound on what a small `.tar.gz` can inflate to.
    public static let maxTotalBytes = 1 << 36
    /// Extracts `archive` into `folder` (created if needed); returns the relative paths of the files written.
    /// `maxEntryBytes` and `maxTotalBytes` bound what the headers may declare (tests pass small ones).
    @discardableResult
    public static func extract(_ archive: URL, into folder: URL, maxEntryBytes: Int = TarExtractor.maxEntryBytes,
                               maxTotalBytes: Int = TarExtractor.maxTotalBytes) throws -> [String] {
        guard let input = try? FileHandle(forReadingFrom: archive) else {
            throw DatasetsError.io(path: archive.path, problem: "cannot open for reading")
        }
        defer { try? input.close() }
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw DatasetsError.io(path: folder.path, problem: "cannot create folder")
        }
        let source = try ByteSource(handle: input, name: archive.path)
        var parser = TarParser(source: source, archive: archive.path, folder: folder)
        parser.maxEntryBytes = maxEntryBytes
        parser.maxTotalBytes = maxTotalBytes
        return try parser.run()
    }
}

/// Delivers the archive's (inflated, when gzip) bytes.
private final class ByteSource {
    let handle: FileHandle
    let name: String
    var stream = z_stream()
    var gzip = false
    var finished = false
    var pendingInput = Data()
    var buffer = [UInt8]()
    var position = 0

    init(handle: FileHandle, name: String) throws {
        self.handle = handle
        self.name = name
        let head = (try? handle.read(upToCount: 2)) ?? Data()
        gzip = head.count == 2 && head[head.startIndex] == 0x1f && head[head.startIndex + 1] == 0x8b
        pendingInput = head
        if gzip {
            let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else { throw DatasetsError.badArchive(file: name, problem: "zlib init failed (\(status))") }
        }
    }

    deinit { if gzip { inflateEnd(&stream) } }

    /// Fills `out` with exactly `count` bytes; returns false at a clean end of input before any byte.
    func read(_ count: Int, into out: inout [UInt8]) throws -> Bool {
        out.removeAll(keepingCapacity: true)
        while out.count < count {
            if position == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                position = 0
                try refill()
                if buffer.isEmpty {
                    if out.isEmpty { return false }
                    throw DatasetsError.badArchive(file: name, problem: "archive ends in the middle of an entry")
                }
            }
            let take = min(count - out.count, buffer.count - position)
            out.append(contentsOf: buffer[position..<(position + take)])
            position += take
        }
        return true
    }

    private func refill() throws {
        while buffer.isEmpty && !finished {
            var chunk = pendingInput
            pendingInput = Data()
            if chunk.isEmpty { chunk = (try? handle.read(upToCount: 1 << 18)) ?? Data() }
            if !gzip {
                if chunk.isEmpty { finished = true } else { buffer.append(contentsOf: chunk) }
                continue
            }
            if chunk.isEmpty {
                throw DatasetsError.badArchive(file: name, problem: "gzip stream is truncated")
            }
            try inflateChunk(chunk)
        }
    }

    private func inflateChunk(_ chunk: Data) throws {
        var input = [UInt8](chunk)
        var out = [UInt8](repeating: 0, count: 1 << 18)
        var offset = 0
        while offset < input.count {
            let (status, consumed, produced) = input.withUnsafeMutableBufferPointer { inPtr in
                out.withUnsafeMutableBufferPointer { outPtr -> (Int32, Int, Int) in
                    stream.next_in = inPtr.baseAddress! + offset
                    stream.avail_in = UInt32(inPtr.count - offset)
                    stream.next_out = outPtr.baseAddress!
                    stream.avail_out = UInt32(outPtr.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, inPtr.count - offset - Int(stream.avail_in), outPtr.count - Int(stream.avail_out))
                }
            }
            buffer.append(contentsOf: out[0..<produced])
            offset += consumed
            if status == Z_STREAM_END {
                // Concatenated gzip members are legal; start the next one if bytes remain.
                if offset < input.count {
                    inflateReset(&stream)
                    continue
                }
                finished = true
                return
            }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                throw DatasetsError.badArchive(file: name, problem: "corrupt gzip data (zlib status \(status))")
            }
            if consumed == 0 && produced == 0 { break }
        }
        input.removeAll()
    }
}

private struct TarParser {
    let source: ByteSource
    let archive: String
    let folder: URL
    var block = [UInt8]()
    var data = [UInt8]()
    var written: [String] = []
    var maxEntryBytes = TarExtractor.maxEntryBytes
    var maxTotalBytes = TarExtractor.maxTotalBytes

    init(source: ByteSource, archive: String, folder: URL) {
        self.source = source
        self.archive = archive
        self.folder = folder
    }

    func fail(_ problem: String) -> DatasetsError { .badArchive(file: archive, problem: problem) }

    mutating func run() throws -> [String] {
        var longName: String? = nil
        var paxPath: String? = nil
        var zeroBlocks = 0
        var total = 0
        while try source.read(512, into: &block) {
            if block.allSatisfy({ $0 == 0 }) {
                zeroBlocks += 1
                if zeroBlocks == 2 { break }
                continue
            }
            zeroBlocks = 0
            try checkChecksum()
            let size = try parseSize()
            guard size <= maxEntryBytes else {
                throw fail("entry '\(field(0, 100))' declares \(size) bytes, above the limit of \(bytes(maxEntryBytes))")
            }
            total += size
            guard total <= maxTotalBytes else {
                throw fail("entries declare more than the limit of \(bytes(maxTotalBytes)) in all")
            }
            let type = block[156]
            var name = field(0, 100)
            let magic = field(257, 6)
            if magic.hasPrefix("ustar") {
                let prefix = field(345, 155)
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            switch type {
            case UInt8(ascii: "L"):
                longName = String(decoding: try readData(size).prefix { $0 != 0 }, as: UTF8.self)
                continue
            case UInt8(ascii: "x"):
                paxPath = parsePax(try readData(size))["path"] ?? paxPath
                continue
            case UInt8(ascii: "g"):
                _ = try readData(size)
                continue
            default: break
            }
            if let long = longName { name = long }
            if let pax = paxPath { name = pax }
            longName = nil
            paxPath = nil
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                let relative = try safePath(name, isDirectory: false)
                try writeFile(relative, size: size)
            case UInt8(ascii: "5"):
                let relative = try safePath(name, isDirectory: true)
                if let relative { try makeDirectory(folder.appendingPathComponent(relative)) }
                _ = try readData(size)
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                throw fail("entry '\(name)' is a \(type == UInt8(ascii: "1") ? "hard" : "symbolic") link; links are not extracted")
            default:
                throw fail("entry '\(name)' has unsupported type '\(Character(Unicode.Scalar(type)))'")
            }
        }
        return written
    }

    /// "17179869184 bytes (16 GiB)", or "1000 bytes" when not a whole number of GiB.
    func bytes(_ count: Int) -> String {
        count >= 1 << 30 && count % (1 << 30) == 0 ? "\(count) bytes (\(count >> 30) GiB)" : "\(count) bytes"
    }

    func field(_ start: Int, _ length: Int) -> String {
        let bytes = block[start..<(start + length)].prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    func checkChecksum() throws {
        var sum = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        let text = field(148, 8).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        guard let stored = Int(text, radix: 8), stored == sum else {
            throw fail("header checksum mismatch (entry '\(field(0, 100))')")
        }
    }

    func parseSize() throws -> Int {
        if block[124] & 0x80 != 0 {  // GNU base-256
            var value = 0
            for (i, byte) in block[124..<136].enumerated() {
                let b = i == 0 ? Int(byte & 0x7f) : Int(byte)
                guard value < (1 << 48) else { throw fail("entry size too large") }
                value = value << 8 | b
            }
            return value
        }
        let text = field(124, 12).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        if text.isEmpty { return 0 }
        guard let size = Int(text, radix: 8), size >= 0 else { throw fail("bad size field '\(text)'") }
        return size
    }

    /// Reads an entry's data into memory (pax and long-name records only: capped at 1 MiB).
    mutating func readData(_ size: Int) throws -> [UInt8] {
        guard size <= 1 << 20 else {
            // Skip large non-file data without holding it.
            try skip(size)
            return []
        }
        let padded = (size + 511) / 512 * 512
        var out = [UInt8]()
        if padded > 0 {
            guard try source.read(padded, into: &data) else { throw fail("archive ends in the middle of an entry") }
            out = Array(data[0..<size])
        }
        return out
    }

    mutating func skip(_ size: Int) throws {
        var left = (size + 511) / 512 * 512
        while left > 0 {
            let n = min(left, 1 << 16)
            guard try source.read(n, into: &data) else { throw fail("archive ends in the middle of an entry") }
            left -= n
        }
    }

    func parsePax(_ bytes: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let record = line[line.index(after: space)...]
            guard let eq = record.firstIndex(of: "=") else { continue }
            result[String(record[..<eq])] = String(record[record.index(after: eq)...])
        }
        return result
    }

    /// The entry's path relative to `folder`, or nil for the archive root (`./`); throws for unsafe paths.
    func safePath(_ raw: String, isDirectory: Bool) throws -> String? {
        var name = raw
        while name.hasPrefix("./") { name.removeFirst(2) }
        if isDirectory { while name.hasSuffix("/") { name.removeLast() } }
        if name.isEmpty || name == "." {
            if isDirectory { return nil }
            throw fail("entry with an empty name")
        }
        guard isSafeRelativePath(name) else { throw fail("entry '\(raw)' escapes the target folder") }
        return name
    }

    func makeDirectory(_ url: URL) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) {
            if isDir.boolValue { return }
            throw DatasetsError.io(path: url.path, problem: "exists and is not a folder")
        }
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw DatasetsError.io(path: url.path, problem: "cannot create folder")
        }
    }

    mutating func writeFile(_ relative: String?, size: Int) throws {
        guard let relative else { throw fail("file entry without a name") }
        let target = folder.appendingPathComponent(relative)
        try makeDirectory(target.deletingLastPathComponent())
        // Never write through something already there (a link planted by an earlier entry cannot exist, but a
        // pre-existing one in the folder could).
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: target.path)) != nil {
            throw fail("entry '\(relative)' would overwrite a link")
        }
        guard FileManager.default.createFile(atPath: target.path, contents: nil),
              let out = try? FileHandle(forWritingTo: target) else {
            throw DatasetsError.io(path: target.path, problem: "cannot create")
        }
        defer { try? out.close() }
        var left = size
        while left > 0 {
            let n = min(left, 1 << 16)
            guard try source.read(n, into: &data) else { throw fail("archive ends in the middle of '\(relative)'") }
            // The throwing write: Foundation's old `write(_:)` traps on a full disk.
            do { try out.write(contentsOf: Data(data)) } catch {
                throw DatasetsError.io(path: target.path, problem: "cannot write: \(ImagingError.reason(for: error))")
            }
            left -= n
        }
        let pad = (512 - size % 512) % 512
        if pad > 0 {
            guard try source.read(pad, into: &data) else { throw fail("archive ends in the middle of '\(relative)'") }
        }
        written.append(relative)
    }
}
