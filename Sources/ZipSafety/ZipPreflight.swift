import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks a zip file's directory structures before ZIPFoundation reads them.
///
/// ZIPFoundation converts every offset it reads from a zip (end-of-central-directory record, the ZIP64 record,
/// central-directory entries, ZIP64 extra fields, data descriptors) with `off_t(offset)` and adds sizes with
/// trapping arithmetic, so a crafted offset above `Int64.max` stops the whole process (fuzzing found three such
/// files). This check walks the same structures the same way ZIPFoundation does and refuses, before
/// `Archive(url:)` runs, any structure that does not lie inside the file and any size too large to be real
/// (≥ 2^62 bytes). A well-formed zip always passes: every structure of a real archive lies inside it. Whether an
/// entry's sizes fit the file is left to the callers, which name the entry and the limit.
public enum ZipPreflight {
    /// The first problem found in the zip at `url`, as a phrase for an error line (`nil` when it is sound).
    /// Throws only when the file cannot be read at all.
    public static func problem(in url: URL) throws -> String? {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: url.path]) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
        return Walker(fd: fd, size: UInt64(info.st_size)).firstProblem()
    }

    /// Reads little-endian fields at absolute offsets; every read is bounds-checked against the file size.
    private struct Walker {
        let fd: Int32
        let size: UInt64

        func bytes(at offset: UInt64, count: Int) -> [UInt8]? {
            guard count >= 0, offset <= size, UInt64(count) <= size - offset else { return nil }
            var out = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
                if n <= 0 { return nil }
                done += n
            }
            return out
        }

        func firstProblem() -> String? {
            // End of central directory: ZIPFoundation takes the first signature found scanning back from the end.
            let eocdSize: UInt64 = 22
            guard size >= eocdSize else { return "too short for a zip (\(size) bytes)" }
            let tailLength = min(size, 65_535 + eocdSize)
            guard let tail = bytes(at: size - tailLength, count: Int(tailLength)) else { return "cannot read the end of the file" }
            var eocdInTail: Int?
            var index = Int(tailLength) - Int(eocdSize)
            while index >= 0 {
                if u32(tail, index) == 0x0605_4B50 { eocdInTail = index; break }
                index -= 1
            }
            guard let eocdIndex = eocdInTail else { return "no end-of-central-directory record in the last 64 KiB" }
            let eocd = size - tailLength + UInt64(eocdIndex)
            var entries = UInt64(u16(tail, eocdIndex + 10))
            var directorySize = UInt64(u32(tail, eocdIndex + 12))
            var directoryStart = UInt64(u32(tail, eocdIndex + 16))

            // ZIP64: ZIPFoundation looks for the locator just before the record and the ZIP64 record just before
            // the locator (it ignores the locator's own offset), and then prefers the ZIP64 record's values.
            if eocd > 20, eocd - 20 > 56,
               let locator = bytes(at: eocd - 20, count: 20), u32(locator, 0) == 0x0706_4B50,
               let record = bytes(at: eocd - 76, count: 56), u32(record, 0) == 0x0606_4B50, u16(record, 14) >= 45 {
                entries = u64(record, 32)
                directorySize = u64(record, 40)
                directoryStart = u64(record, 48)
            }
            guard directoryStart <= eocd else {
                return "central directory offset \(directoryStart) lies beyond the end-of-central-directory record at \(eocd)"
            }
            guard directorySize <= eocd else { return "central directory size \(directorySize) is larger than the file" }
            guard entries <= (eocd - directoryStart) / 46 else {
                return "\(entries) central-directory entries cannot fit in \(eocd - directoryStart) bytes"
            }
            var position = directoryStart
            for n in 0..<entries {
                if let problem = entryProblem(at: &position) { return "central-directory entry \(n): \(problem)" }
            }
            return nil
        }

        /// Checks one central-directory entry at `position` and moves `position` past it.
        private func entryProblem(at position: inout UInt64) -> String? {
            guard let fixed = bytes(at: position, count: 46) else { return "header at \(position) runs past the end of the file" }
            guard u32(fixed, 0) == 0x0201_4B50 else { return "no central-directory signature at \(position)" }
            let versionNeeded = u16(fixed, 6), flags = u16(fixed, 8), method = u16(fixed, 10)
            let compressed32 = u32(fixed, 20), uncompressed32 = u32(fixed, 24)
            let nameLength = UInt64(u16(fixed, 28)), extraLength = Int(u16(fixed, 30)), commentLength = UInt64(u16(fixed, 32))
            let disk16 = u16(fixed, 34), localOffset32 = u32(fixed, 42)
            let variable = nameLength + UInt64(extraLength) + commentLength
            guard let extra = bytes(at: position + 46 + nameLength, count: extraLength),
                  position + 46 + variable <= size else { return "name, extra field or comment runs past the end of the file" }
            position += 46 + variable

            // The ZIP64 extended information as ZIPFoundation reads it: present fields are those whose 32-bit
            // value is all ones, and a field whose length does not match them is ignored.
            var fields: [(name: String, width: Int)] = []
            if uncompressed32 == .max { fields.append(("uncompressed", 8)) }
            if compressed32 == .max { fields.append(("compressed", 8)) }
            if localOffset32 == .max { fields.append(("offset", 8)) }
            if disk16 == .max { fields.append(("disk", 4)) }
            var zip64: [String: UInt64]?
            var cursor = 0
            while extraLength >= 4, cursor < extraLength - 4 {
                let id = u16(extra, cursor), length = Int(u16(extra, cursor + 2))
                let next = cursor + 4 + length
                guard next <= extraLength else { break }
                if id == 0x0001 {
                    if fields.reduce(0, { $0 + $1.width }) == length {
                        var values: [String: UInt64] = [:]
                        var at = cursor + 4
                        for field in fields {
                            values[field.name] = field.width == 8 ? u64(extra, at) : UInt64(u32(extra, at))
                            at += field.width
                        }
                        zip64 = values
                    }
                    break
                }
                cursor = next
            }
            let isZIP64 = UInt8(truncatingIfNeeded: versionNeeded) >= 45 || zip64 != nil
            func effective(_ name: String, _ narrow: UInt32) -> UInt64 {
                if isZIP64, let wide = zip64?[name], wide > 0 { return wide }
                return UInt64(narrow)
            }
            let localOffset = effective("offset", localOffset32)
            var compressed = effective("compressed", compressed32)
            var uncompressed = effective("uncompressed", uncompressed32)

            guard localOffset <= size, let local = bytes(at: localOffset, count: 30) else {
                return "local header offset \(localOffset) lies beyond the end of the file (\(size) bytes)"
            }
            let dataStart = localOffset + 30 + UInt64(u16(local, 26)) + UInt64(u16(local, 28))
            guard dataStart <= size else { return "local header at \(localOffset) runs past the end of the file" }

            if flags & 0x8 != 0 {
                // A data descriptor after the data replaces the directory's sizes when ZIPFoundation can read it
                // (one past the end of the file is ignored); the sum that locates it must not overflow.
                let descriptorAt = (method != 0 ? compressed : uncompressed).addingReportingOverflow(dataStart)
                guard !descriptorAt.overflow else { return "data descriptor offset overflows" }
                let width = isZIP64 ? 8 : 4
                if let descriptor = bytes(at: descriptorAt.partialValue, count: 2 * width + 8) {
                    let start = u32(descriptor, 0) == 0x0807_4B50 ? 8 : 4
                    compressed = width == 8 ? u64(descriptor, start) : UInt64(u32(descriptor, start))
                    uncompressed = width == 8 ? u64(descriptor, start + width) : UInt64(u32(descriptor, start + width))
                }
            }
            // ZIPFoundation converts sizes with Int64(...); whether a size fits the file and the caller's limits is
            // the caller's check (TorchCheckpoint and ZipExtractor name the entry and the limit).
            let impossible: UInt64 = 1 << 62
            guard compressed < impossible, uncompressed < impossible else {
                return "declares an impossible size (\(max(compressed, uncompressed)) bytes)"
            }
            return nil
        }

        private func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
        private func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
        private func u64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }
    }
}
