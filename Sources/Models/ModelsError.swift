/// Errors of the `Models` module: each names the file, tensor, image or spec and the problem.
///
/// Shared by every model in the module; add a case rather than a second error type.
public enum ModelsError: Error, CustomStringConvertible, Equatable {
    /// A model spec (`efficientnet-lite0`, `clip:PATH`, …) that names no known model.
    case unknownModelSpec(String)
    /// A weights file that could not be found; `hint` says how to install or pass it.
    case weightsNotFound(model: String, hint: String)
    /// A weights file whose content hash differs from the pinned one.
    case checksumMismatch(file: String, expected: String, got: String)
    /// A tensor the model needs that the checkpoint lacks.
    case missingTensor(file: String, tensor: String)
    /// A tensor the checkpoint holds that the model does not use.
    case unexpectedTensor(file: String, tensor: String)
    /// A tensor of the wrong shape.
    case shapeMismatch(file: String, tensor: String, expected: [Int], got: [Int])
    /// An image the model cannot take (size, channels), with the reason.
    case unsupportedImage(index: Int, reason: String)
    /// Any other problem with a file the model reads.
    case invalidFile(file: String, reason: String)
    /// An external model (`external:COMMAND`) that failed: the problem and the child's last stderr lines.
    case external(command: String, reason: String, stderr: [String])

    public var description: String {
        switch self {
        case .unknownModelSpec(let spec):
            return "unknown model spec '\(spec)'"
        case .weightsNotFound(let model, let hint):
            return "\(model): weights file not found; \(hint)"
        case .checksumMismatch(let file, let expected, let got):
            return "\(file): sha256 is \(got), expected \(expected)"
        case .missingTensor(let file, let tensor):
            return "\(file): tensor \(tensor) is missing"
        case .unexpectedTensor(let file, let tensor):
            return "\(file): unexpected tensor \(tensor)"
        case .shapeMismatch(let file, let tensor, let expected, let got):
            return "\(file): \(tensor) has shape \(got), expected \(expected)"
        case .unsupportedImage(let index, let reason):
            return "image \(index) of the batch: \(reason)"
        case .invalidFile(let file, let reason):
            return "\(file): \(reason)"
        case .external(let command, let reason, let stderr):
            let tail = stderr.isEmpty ? "; its stderr was empty"
                : "; its last stderr lines: " + stderr.map { "| " + $0 }.joined(separator: " ")
            return "external model '\(command)': \(reason)\(tail)"
        }
    }
}
