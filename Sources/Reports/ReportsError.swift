/// What can go wrong while writing a report.
public enum ReportsError: Error, CustomStringConvertible, Equatable {
    /// A file or folder of the report could not be written.
    case unwritable(path: String, reason: String)
    /// An input file could not be read for its checksum.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason): return "\(path): cannot write the report: \(reason)"
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        }
    }
}
