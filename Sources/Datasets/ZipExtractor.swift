import Foundation
import ZIPFoundation
import ZipSafety

/// Extracts `.zip` archives safely, with the same rules as `TarExtractor`: regular files and folders only.
///
/// Every entry is checked before anything is written, and the whole extraction is refused (naming the entry) for
/// absolute paths, `..` components, backslashes in names (Windows separators that could hide a `..`), symbolic
/// links, and entries that claim more than `maximumEntrySize` bytes. Data is checked against each entry's CRC32 and
/// size while it is streamed to disk (stored and deflated entries; ZIP64 sizes are understood).
public enum ZipExtractor {
    /// The largest entry accepted (uncompressed bytes; 16 GiB).
    public static let maximumEntrySize: UInt64 = 1 << 34

    /// Extracts `archive` into `folder` (created if needed); returns the relative paths of the files written.
    @discardableResult
    public static func extract(_ archive: URL, into folder: URL) throws -> [String] {
        let name = archive.path
        func fail(_ problem: String) -> DatasetsError { .badArchive(file: name, problem: problem) }
        let structural: String?
        do { structural = try ZipPreflight.problem(in: archive) } catch {
            throw DatasetsError.io(path: name, problem: "cannot open for reading")
        }
        if let problem = structural { throw fail("not a well-formed zip: \(problem)") }
        let zip: Archive
        do { zip = try Archive(url: archive, accessMode: .read) } catch {
            if !FileManager.default.isReadableFile(atPath: name) { throw DatasetsError.io(path: name, problem: "cannot open for reading") }
            throw fail("not a readable zip archive (\(error))")
        }
        let archiveBytes = (try? FileManager.default.attributesOfItem(atPath: name)[.size] as? NSNumber)?.uint64Value ?? 0
        // Check every entry first: a refused archive leaves nothing behind.
        var plan: [(entry: Entry, relative: String, isDirectory: Bool)] = []
        for entry in zip {
            let raw = entry.path
            if entry.type == .symlink { throw fail("entry '\(raw)' is a symbolic link; links are not extracted") }
            let isDirectory = entry.type == .directory
            var path = raw
            while path.hasPrefix("./") { path.removeFirst(2) }
            if isDirectory { while path.hasSuffix("/") { path.removeLast() } }
            if path.isEmpty || path == "." {
                if isDirectory { continue }
                throw fail("entry with an empty name")
            }
            guard !path.contains("\\"), !path.contains("\0"), isSafeRelativePath(path) else {
                throw fail("entry '\(raw)' escapes the target folder")
            }
            guard entry.uncompressedSize <= maximumEntrySize else {
                throw fail("entry '\(raw)' declares \(entry.uncompressedSize) bytes (limit \(maximumEntrySize))")
            }
            // A stored entry holds at most its compressed bytes and deflate expands at most 1032:1; a larger claim
            // is a lie that would only make the reader spin past the end of the file.
            let most = entry.isCompressed ? entry.compressedSize.multipliedReportingOverflow(by: 1032).partialValue + 1024
                                          : entry.compressedSize
            guard entry.uncompressedSize <= most, entry.compressedSize <= archiveBytes else {
                throw fail("entry '\(raw)' declares \(entry.uncompressedSize) bytes, more than its \(entry.compressedSize) stored bytes in a file of \(archiveBytes) bytes can hold")
            }
            plan.append((entry, path, isDirectory))
        }
        let fm = FileManager.default
        do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw DatasetsError.io(path: folder.path, problem: "cannot create folder")
        }
        var written: [String] = []
        for (entry, relative, isDirectory) in plan {
            let target = folder.appendingPathComponent(relative)
            if isDirectory {
                try makeDirectory(target)
                continue
            }
            try makeDirectory(target.deletingLastPathComponent())
            if (try? fm.destinationOfSymbolicLink(atPath: target.path)) != nil {
                throw fail("entry '\(relative)' would overwrite a link")
            }
            guard fm.createFile(atPath: target.path, contents: nil), let out = try? FileHandle(forWritingTo: target) else {
                throw DatasetsError.io(path: target.path, problem: "cannot create")
            }
            var count: UInt64 = 0
            var crc: CRC32 = 0
            do {
                defer { try? out.close() }
                // The consumer form of `extract` computes the CRC32 but does not compare it: that is done below.
                crc = try zip.extract(entry, bufferSize: 1 << 16, skipCRC32: false) { chunk in
                    count += UInt64(chunk.count)
                    guard count <= entry.uncompressedSize else { throw fail("entry '\(relative)' is longer than it declares") }
                    try out.write(contentsOf: chunk)
                }
            } catch let error as DatasetsError {
                throw error
            } catch {
                throw fail("entry '\(relative)' cannot be extracted (\(error))")
            }
            guard count == entry.uncompressedSize else {
                throw fail("entry '\(relative)' has \(count) bytes, \(entry.uncompressedSize) declared")
            }
            guard crc == entry.checksum else {
                throw fail("entry '\(relative)' fails its CRC32 check (corrupt data)")
            }
            written.append(relative)
        }
        return written
    }

    private static func makeDirectory(_ url: URL) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) {
            if isDir.boolValue { return }
            throw DatasetsError.io(path: url.path, problem: "exists and is not a folder")
        }
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw DatasetsError.io(path: url.path, problem: "cannot create folder")
        }
    }
}

/// Extracts a `.zip`, `.tar` or `.tar.gz` archive, recognised by its first bytes (`PK\3\4` → zip).
public enum ArchiveExtractor {
    @discardableResult
    public static func extract(_ archive: URL, into folder: URL) throws -> [String] {
        guard let handle = try? FileHandle(forReadingFrom: archive) else {
            throw DatasetsError.io(path: archive.path, problem: "cannot open for reading")
        }
        let head = (try? handle.read(upToCount: 4)) ?? Data()
        try? handle.close()
        if head.count == 4, head.elementsEqual([0x50, 0x4B, 0x03, 0x04]) || head.elementsEqual([0x50, 0x4B, 0x05, 0x06]) {
            return try ZipExtractor.extract(archive, into: folder)
        }
        return try TarExtractor.extract(archive, into: folder)
    }
}
