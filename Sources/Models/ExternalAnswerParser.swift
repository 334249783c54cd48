import Foundation

/// The fast path for the common answer line `{"id": N, "<key>": [[numbers…], …]}` (two members, any order, no
/// escapes): numbers straight into one flat `[Float]` with `strtod`, no Foundation objects. Anything else —
/// `error` answers, extra members, ragged rows, odd syntax — gives nil and goes through `JSONSerialization`,
/// which also words the errors.
enum ExternalAnswerParser {
    struct Answer {
        var id: Int
        var key: String
        var values: [Float]
        var rows: Int
        var width: Int
    }

    static func parse(_ line: Data) -> Answer? {
        var bytes = [UInt8](line)
        bytes.append(0)
        return bytes.withUnsafeMutableBufferPointer { buffer -> Answer? in
            let p = buffer.baseAddress!
            var i = 0
            func skip() { while p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D { i += 1 } }
            func number() -> Double? {
                var end: UnsafeMutablePointer<CChar>?
                let start = UnsafeMutableRawPointer(p + i).assumingMemoryBound(to: CChar.self)
                guard p[i] == 0x2D || (p[i] >= 0x30 && p[i] <= 0x39) else { return nil }  // JSON: - or digit
                let v = strtod(start, &end)
                guard let end, end != start else { return nil }
                i += end - start
                return v
            }
            var id: Int?, key: String?, values: [Float] = [], rows = 0, width = -1
            skip()
            guard p[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            while true {
                skip()
                guard p[i] == UInt8(ascii: "\"") else { return nil }
                i += 1
                let s = i
                while p[i] != UInt8(ascii: "\"") && p[i] != 0 {
                    if p[i] == UInt8(ascii: "\\") { return nil }
                    i += 1
                }
                guard p[i] == UInt8(ascii: "\"") else { return nil }
                let name = String(decoding: UnsafeBufferPointer(start: p + s, count: i - s), as: UTF8.self)
                i += 1
                skip()
                guard p[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skip()
                if name == "id", id == nil {
                    guard let v = number(), v == v.rounded(), abs(v) < 1e15 else { return nil }
                    id = Int(v)
                } else if key == nil, name == "probabilities" || name == "logits" || name == "embeddings" {
                    key = name
                    guard p[i] == UInt8(ascii: "[") else { return nil }
                    i += 1
                    skip()
                    if p[i] == UInt8(ascii: "]") { i += 1 } else {
                        while true {
                            guard p[i] == UInt8(ascii: "[") else { return nil }
                            i += 1
                            var count = 0
                            while true {
                                skip()
                                guard let v = number() else { return nil }
                                values.append(Float(v))
                                count += 1
                                skip()
                                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                                guard p[i] == UInt8(ascii: "]") else { return nil }
                                i += 1
                                break
                            }
                            if width < 0 { width = count; values.reserveCapacity(count * 64) }
                            guard count == width else { return nil }
                            rows += 1
                            skip()
                            if p[i] == UInt8(ascii: ",") { i += 1; skip(); continue }
                            guard p[i] == UInt8(ascii: "]") else { return nil }
                            i += 1
                            break
                        }
                    }
                } else {
                    return nil
                }
                skip()
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                guard p[i] == UInt8(ascii: "}") else { return nil }
                i += 1
                break
            }
            skip()
            guard i == buffer.count - 1, let id, let key else { return nil }
            return Answer(id: id, key: key, values: values, rows: rows, width: max(width, 0))
        }
    }
}
