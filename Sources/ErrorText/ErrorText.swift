import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Text helpers shared by every module's error type, so each error stays one line naming the file.
public enum ErrorText {
    /// The message with control characters escaped (`\n`, `\t`, `\u{1B}`): names taken from a file (an archive
    /// entry, a tensor, a CSV field) cannot break the one-line message or forge another line.
    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where needsEscape(scalar): out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    /// The words for why a file operation failed, for error lines: the system's text for the underlying errno
    /// ("No space left on device", "File too large", "Permission denied", …) when Foundation's error carries one,
    /// else the error's own description. Foundation's localized texts say neither ("The operation could not be
    /// completed. (NSCocoaErrorDomain error 512.)" for a file over the size limit).
    public static func reason(for error: any Error) -> String {
        // Foundation wraps the errno as the underlying error (an NSError or a POSIXError value).
        var candidates: [any Error] = []
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error { candidates.append(underlying) }
        candidates.append(error)
        for candidate in candidates {
            if let posix = candidate as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
            let ns = candidate as NSError
            if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        }
        return error.localizedDescription
    }
}
