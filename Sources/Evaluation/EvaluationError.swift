/// Errors of the `Evaluation` module; each names the file or folder and the problem.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    /// A stimulus folder that does not exist or holds no images.
    case noStimuli(folder: String)
    /// A stimulus whose name or folder does not give a category (or condition).
    case unnamedStimulus(file: String, reason: String)
    /// An image that could not be decoded.
    case unreadableStimulus(file: String, reason: String)
    /// The model failed on a batch.
    case modelFailed(model: String, firstImage: String, reason: String)
    /// The model answered with the wrong number of rows or probabilities.
    case badModelOutput(model: String, reason: String)
    /// An output that could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .noStimuli(let folder): return "\(folder): no stimulus images found"
        case .unnamedStimulus(let file, let reason): return "\(file): \(reason)"
        case .unreadableStimulus(let file, let reason): return "\(file): cannot be read as an image: \(reason)"
        case .modelFailed(let model, let first, let reason):
            return "\(model) failed on the batch starting at \(first): \(reason)"
        case .badModelOutput(let model, let reason): return "\(model): \(reason)"
        case .unwritable(let path, let reason): return "\(path): cannot be written: \(reason)"
        }
    }
}
