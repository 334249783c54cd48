import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ScoringError {
    /// The words for why a file operation failed, for error lines: the system's text for the underlying errno
    /// ("No space left on device", "File too large", …) when Foundation's error carries one, else the error's
    /// own description. (Imaging has the same for the modules above it; Scoring depends on nothing.)
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
