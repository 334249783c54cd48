import Foundation

/// An `ImageClassifier` that may read the stimulus files itself instead of taking decoded images (an external
/// model given file paths). `Evaluation` calls `classify(files:)` when `readsFiles` is true and then does not
/// decode the images (it still hashes the files for `run.json`).
public protocol StimulusFileClassifier: ImageClassifier {
    /// Whether `classify(files:)` is to be used for this model.
    var readsFiles: Bool { get }

    /// Like `classify(_:)`, for the image files (absolute URLs) in the order given.
    func classify(files: [URL]) throws -> [[Float]]
}
