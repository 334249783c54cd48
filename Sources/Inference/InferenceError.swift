import ErrorText
/// Everything that can go wrong while reading a checkpoint or running a kernel on user-supplied shapes.
///
/// Every case names the file (as given by the caller) and, where there is one, the tensor; the CLI prints
/// `description` as its one-line error.
public enum InferenceError: Error, CustomStringConvertible, Equatable {
    /// The file ended before `need` bytes could be read at `offset` (`have` bytes were left).
    case truncated(file: String, offset: Int, need: Int, have: Int)
    /// The file is not in the expected format (bad magic, bad JSON, inconsistent header, …).
    case malformed(file: String, detail: String)
    /// A size or count exceeds a reader limit (header length cap, nesting depth, declared sizes).
    case limitExceeded(file: String, detail: String)
    /// A tensor's dtype or storage type is not one this reader converts.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A tensor's bytes lie outside its storage or data buffer, or its sizes disagree with its byte count.
    case outOfRange(file: String, tensor: String, detail: String)
    /// A tensor the model needs is not in the checkpoint.
    case missingTensor(file: String, tensor: String)
    /// A tensor has the wrong shape.
    case shapeMismatch(file: String, tensor: String, expected: [Int], got: [Int])
    /// A tensor the model does not know is in the checkpoint (unknown layout or architecture).
    case unexpectedTensor(file: String, tensor: String)
    /// Pickle data could not be decoded (unknown opcode, stack underflow, forbidden callable, …).
    case pickle(file: String, offset: Int, detail: String)
    /// The file could not be read at all.
    case io(file: String, detail: String)

    /// One line naming the file and the problem (control characters from the input escaped).
    public var description: String { ErrorText.oneLine(message) }

    private var message: String {
        switch self {
        case let .truncated(file, offset, need, have):
            return "\(file): truncated: need \(need) bytes at offset \(offset), only \(have) left"
        case let .malformed(file, detail):
            return "\(file): malformed: \(detail)"
        case let .limitExceeded(file, detail):
            return "\(file): limit exceeded: \(detail)"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): \(tensor) has unsupported dtype \(dtype)"
        case let .outOfRange(file, tensor, detail):
            return "\(file): \(tensor): \(detail)"
        case let .missingTensor(file, tensor):
            return "\(file): missing tensor \(tensor)"
        case let .shapeMismatch(file, tensor, expected, got):
            return "\(file): \(tensor) has shape \(got), expected \(expected)"
        case let .unexpectedTensor(file, tensor):
            return "\(file): unexpected tensor \(tensor)"
        case let .pickle(file, offset, detail):
            return "\(file): pickle error at offset \(offset): \(detail)"
        case let .io(file, detail):
            return "\(file): \(detail)"
        }
    }
}
