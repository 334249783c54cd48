import Foundation

/// Reads raw-data CSVs as the toolbox does (specs/metrics.md §3): header names matched case-insensitively
/// (`Session`/`session`), columns located by name, LF or CRLF line endings, empty lines skipped, no quoting.
public enum RawDataReader {
    /// The columns every metric needs; `session`, `trial` and `rt` may be absent.
    static let requiredColumns = ["subj", "object_response", "category", "condition", "imagename"]

    /// The most columns a raw-data CSV may have (the toolbox writes 8); a wider line is refused before it is split.
    public static let maxColumns = 1_000

    /// One parsed data row with its 1-based line number in the file.
    struct Line {
        var row: RawDataRow
        var line: Int
    }

    /// All rows of a CSV file, in file order.
    public static func rows(of url: URL) throws -> [RawDataRow] {
        try read(url).map(\.row)
    }

    /// All rows of CSV bytes already in memory; `path` only names the source in errors.
    public static func rows(data: Data, path: String) throws -> [RawDataRow] {
        try parse(data, path: path).map(\.row)
    }

    /// Rows with line numbers (internal: the scorer names lines in its errors).
    static func read(_ url: URL) throws -> [Line] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ScoringError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parse(data, path: url.path)
    }

    /// Parses CSV bytes; `path` only names the source in errors.
    static func parse(_ data: Data, path: String) throws -> [Line] {
        try data.withUnsafeBytes { raw -> [Line] in
            let bytes = raw.bindMemory(to: UInt8.self)
            if String(validating: bytes, as: UTF8.self) == nil {
                throw ScoringError.notUTF8(path: path, line: firstInvalidLine(bytes))
            }
            var result: [Line] = []
            result.reserveCapacity(bytes.count / 60)
            var columns: [Int] = []   // field index of subj, session, trial, rt, response, category, condition, image
            var fieldCount = 0
            var lineNumber = 0
            var start = 0
            var fields: [Range<Int>] = []
            fields.reserveCapacity(16)
            let n = bytes.count
            while start < n {
                lineNumber += 1
                var end = start
                while end < n && bytes[end] != 0x0A { end += 1 }
                let next = end + 1
                var stop = end
                if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
                defer { start = next }
                if stop == start { continue }   // empty line
                var commas = 0
                for i in start..<stop where bytes[i] == 0x2C { commas += 1 }
                if commas >= maxColumns {
                    throw ScoringError.tooManyColumns(path: path, line: lineNumber, columns: commas + 1, limit: maxColumns)
                }
                if !columns.isEmpty && commas + 1 != fieldCount {
                    throw ScoringError.malformedRow(path: path, line: lineNumber, expected: fieldCount, got: commas + 1)
                }
                fields.removeAll(keepingCapacity: true)
                var f = start
                for i in start..<stop where bytes[i] == 0x2C {
                    fields.append(f..<i)
                    f = i + 1
                }
                fields.append(f..<stop)
                func text(_ r: Range<Int>) -> String {
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
                }
                if columns.isEmpty {
                    let names = fields.map { text($0).lowercased().trimmingCharacters(in: .whitespaces) }
                    for required in requiredColumns where !names.contains(required) {
                        throw ScoringError.missingColumn(path: path, column: required)
                    }
                    columns = RawDataWriter.header.map { names.firstIndex(of: $0) ?? -1 }
                    fieldCount = names.count
                    continue
                }
                guard fields.count == fieldCount else {
                    throw ScoringError.malformedRow(path: path, line: lineNumber, expected: fieldCount,
                                                    got: fields.count)
                }
                func column(_ k: Int, _ fallback: String) -> String {
                    columns[k] < 0 ? fallback : text(fields[columns[k]])
                }
                let row = RawDataRow(subj: column(0, ""), session: column(1, ""),
                                     trial: Int(column(2, "")) ?? 0, rt: column(3, ""),
                                     objectResponse: column(4, ""), category: column(5, ""),
                                     condition: column(6, ""), imagename: column(7, ""))
                result.append(Line(row: row, line: lineNumber))
            }
            if columns.isEmpty {
                throw ScoringError.missingColumn(path: path, column: "subj")
            }
            return result
        }
    }

    /// The 1-based line of the first byte sequence that is not UTF-8.
    private static func firstInvalidLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var line = 1
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            if String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) == nil {
                return line
            }
            line += 1
            start = end + 1
        }
        return line
    }
}
