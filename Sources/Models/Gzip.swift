import CZlib  // zlib's module map comes with ZIPFoundation (a dependency of Inference) on Linux
import Foundation

/// gzip / zlib decompression through the system zlib (the CLIP vocabulary ships as `.txt.gz`).
enum Gzip {
    /// Inflates gzip or zlib data (auto-detected); refuses output beyond `limit` bytes.
    static func decompress(_ data: Data, file: String, limit: Int = 1 << 28) throws -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ModelsError.invalidFile(file: file, reason: "zlib initialisation failed")
        }
        defer { inflateEnd(&stream) }
        var out = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            repeat {
                try chunk.withUnsafeMutableBufferPointer { buf in
                    stream.next_out = buf.baseAddress
                    stream.avail_out = uInt(buf.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END else {
                        throw ModelsError.invalidFile(file: file, reason: "corrupt gzip data (zlib status \(status))")
                    }
                    out.append(buf.baseAddress!, count: buf.count - Int(stream.avail_out))
                }
                if out.count > limit { throw ModelsError.invalidFile(file: file, reason: "decompresses to more than \(limit) bytes") }
                if status != Z_STREAM_END && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw ModelsError.invalidFile(file: file, reason: "truncated gzip data")
                }
            } while status != Z_STREAM_END
        }
        return out
    }
}
