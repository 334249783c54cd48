/// Everything that can go wrong when distorting an image, naming the file, distortion or condition at fault.
public enum DistortionsError: Error, CustomStringConvertible, Equatable {
    /// No distortion of that name is registered.
    case unknownDistortion(String)
    /// The distortion exists but has no such condition.
    case unknownCondition(distortion: String, condition: String, valid: [String])
    /// The input cannot be used (wrong channel count, empty, or a size the distortion does not accept).
    case unsupportedImage(distortion: String, reason: String)
    /// A data table could not be read.
    case unreadableTable(path: String, reason: String)
    /// A data table's sha256 is not the expected one.
    case tableChecksumMismatch(path: String, expected: String, got: String)
    /// A data table has the wrong dtype or shape.
    case malformedTable(path: String, reason: String)
    /// A folder searched for the data tables does not hold one of them.
    case tableNotFound(name: String, sha256: String, folder: String)

    public var description: String {
        switch self {
        case .unknownDistortion(let name):
            return "unknown distortion '\(name)' (see `oodbench distort --list`)"
        case .unknownCondition(let distortion, let condition, let valid):
            return "\(distortion): unknown condition '\(condition)'; expected one of \(valid.joined(separator: ", "))"
        case .unsupportedImage(let distortion, let reason):
            return "\(distortion): \(reason)"
        case .unreadableTable(let path, let reason):
            return "\(path): cannot read data table: \(reason)"
        case .tableChecksumMismatch(let path, let expected, let got):
            return "\(path): sha256 is \(got), expected \(expected)"
        case .malformedTable(let path, let reason):
            return "\(path): \(reason)"
        case .tableNotFound(let name, let sha256, let folder):
            return "\(folder): no file with the sha256 of \(name) (\(sha256))"
        }
    }
}
