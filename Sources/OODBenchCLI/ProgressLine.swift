import Foundation

/// Progress on stderr: redrawn in place on a terminal, otherwise one line every few seconds.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(2) == 1
    private var lastPlain = Date.distantPast
    private var drawn = false

    /// Shows `text` (a line without newline).
    func update(_ text: String) {
        lock.withLock {
            if isTerminal {
                FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
                drawn = true
            } else if Date().timeIntervalSince(lastPlain) >= 5 {
                lastPlain = Date()
                FileHandle.standardError.write(Data("\(text)\n".utf8))
            }
        }
    }

    /// Ends the progress line (on a terminal) and prints `text`, if any, on stderr.
    func finish(_ text: String? = nil) {
        lock.withLock {
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); drawn = false }
            if let text { FileHandle.standardError.write(Data("\(text)\n".utf8)) }
        }
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}
