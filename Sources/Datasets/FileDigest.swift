import Crypto
import Foundation

/// Size and sha256 of a file, read in 1 MiB chunks (memory stays flat for any file size).
public struct FileDigest: Sendable, Equatable {
    /// Size in bytes.
    public let size: Int64
    /// Lower-case hex sha256.
    public let sha256: String

    /// Hashes the file at `url`; throws `.io` when it cannot be read.
    public static func of(_ url: URL) throws -> FileDigest {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw DatasetsError.io(path: url.path, problem: "cannot open for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw DatasetsError.io(path: url.path, problem: "read failed: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return FileDigest(size: size, sha256: hex(hasher.finalize()))
    }

    /// sha256 of bytes in memory, lower-case hex.
    public static func sha256(of data: Data) -> String { hex(SHA256.hash(data: data)) }

    /// Checks `url` against a pinned size and digest; throws `.sizeMismatch` / `.checksumMismatch` naming `url`.
    static func verify(_ url: URL, size: Int64?, sha256: String?) throws {
        if let size {
            let actual = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value
            guard let actual else { throw DatasetsError.io(path: url.path, problem: "cannot read its size") }
            if actual != size { throw DatasetsError.sizeMismatch(file: url.path, expected: size, got: actual) }
        }
        if let sha256 {
            let digest = try of(url)
            if digest.sha256 != sha256.lowercased() {
                throw DatasetsError.checksumMismatch(file: url.path, expected: sha256.lowercased(), got: digest.sha256)
            }
        }
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
