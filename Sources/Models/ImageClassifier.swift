import Imaging

/// The classes a classifier's probabilities are over.
public enum LabelSpace: String, Sendable, Codable, CaseIterable {
    /// ImageNet-1k in the standard ILSVRC-2012 order (sorted WNIDs, index 0 = tench, no background class):
    /// 1000 probabilities, collapsed to the 16 categories by `Evaluation` (specs/metrics.md §4: mean probability
    /// over each category's indices, argmax).
    case imagenet1000
    /// model-vs-human's 16 entry-level categories in alphabetical order (airplane, bear, …, truck): the
    /// decision is the argmax of the 16 values as given.
    case categories16

    /// Number of probabilities per image: 1000 or 16.
    public var classCount: Int {
        switch self {
        case .imagenet1000: return 1000
        case .categories16: return 16
        }
    }
}

/// A model OODBench can evaluate: native (EfficientNet-Lite0, CLIP zero-shot, CLIP-Mamba) or external.
///
/// `Evaluation` calls `classify` with batches of stimuli exactly as stored in their files (8-bit, any size,
/// 1–4 channels); everything model-specific — colour conversion, resize/crop, normalisation, the forward pass
/// and the softmax — happens inside the conformer, so a run's `run.json` can describe it with `preprocessing`.
/// Conformers are `Sendable`: their weights are immutable after loading, and `classify` may be called from any
/// task (not concurrently unless the conformer documents it).
public protocol ImageClassifier: Sendable {
    /// The model's name as written in raw-data CSVs' `subj` column, underscores kept
    /// (e.g. `efficientnet_lite0`, `clip`); file names write it with `_` → `-` (specs/metrics.md §3.1).
    var name: String { get }

    /// What the returned probabilities are over.
    var labelSpace: LabelSpace { get }

    /// The input pipeline, one line for `run.json`, e.g.
    /// `"RGB; 224x224 as is, else resize shorter side 256 bilinear + centre crop 224; x = (v - 127) / 128"`.
    var preprocessing: String { get }

    /// Further facts recorded in `run.json` (weights sha256, architecture, zero-shot protocol, …); keys are
    /// lower_snake_case. Empty by default.
    var runInfo: [String: String] { get }

    /// Classifies a batch: one row per image, in the order given, each `labelSpace.classCount` probabilities in
    /// [0, 1] that sum to 1 up to float rounding (a softmax over logits, or the model's own probabilities).
    /// Throws (the model module's error type) on an image it cannot take, naming the problem.
    func classify(_ images: [Image8]) throws -> [[Float]]
}

extension ImageClassifier {
    public var runInfo: [String: String] { [:] }
}
