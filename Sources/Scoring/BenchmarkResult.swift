/// The benchmark numbers of one decision maker (a model, or `humans`), averaged over its datasets.
public struct Summary: Sendable, Equatable {
    /// Mean over datasets of the accuracy on included conditions (humans: trials pooled).
    public var oodAccuracy: Double?
    /// Mean squared accuracy difference to humans (condition → human → dataset).
    public var accuracyDifference: Double?
    /// Mean observed consistency with humans.
    public var observedConsistency: Double?
    /// Mean error consistency (κ) with humans.
    public var errorConsistency: Double?

    public init(oodAccuracy: Double? = nil, accuracyDifference: Double? = nil, observedConsistency: Double? = nil,
                errorConsistency: Double? = nil) {
        self.oodAccuracy = oodAccuracy
        self.accuracyDifference = accuracyDifference
        self.observedConsistency = observedConsistency
        self.errorConsistency = errorConsistency
    }
}

/// Shape bias of one decision maker on cue-conflict (specs/metrics.md §9). Values are nil ("n/a") where no
/// conflict trial was answered with either the shape or the texture category.
public struct ShapeBiasResult: Sendable, Equatable {
    /// S / (S + X) over all conflict trials (humans pooled).
    public var overall: Double?
    /// Shape decisions / all trials (no-conflict trials stay in the denominator).
    public var fractionShape: Double
    /// Texture decisions / all trials.
    public var fractionTexture: Double
    /// Per shape category, pooled trials (the matrix plot), in `Categories.all` order.
    public var perCategory: [Double?]
    /// Per category for the box plot: a model's own values; for humans the mean over subjects.
    public var boxplot: [Double?]
    /// Humans only: each subject's overall shape bias, by subject name.
    public var perSubject: [(subject: String, value: Double?)]

    public static func == (a: ShapeBiasResult, b: ShapeBiasResult) -> Bool {
        a.overall == b.overall && a.fractionShape == b.fractionShape && a.fractionTexture == b.fractionTexture
            && a.perCategory == b.perCategory && a.boxplot == b.boxplot
            && a.perSubject.map(\.subject) == b.perSubject.map(\.subject)
            && a.perSubject.map(\.value) == b.perSubject.map(\.value)
    }
}

/// Ranks among the models (humans excluded), 1 = best, ties averaged (pandas `rank`).
public struct Ranks: Sendable, Equatable {
    public var accuracyDifference: Double
    public var observedConsistency: Double
    public var errorConsistency: Double
    /// Mean of the three ranks above: the "most human-like" table's order.
    public var humanlike: Double
    /// Rank of OOD accuracy, descending: the "highest OOD robustness" table's order.
    public var oodAccuracy: Double
}

/// Everything a report shows, for every decision maker: models in input order, then `humans`.
public struct BenchmarkResult: Sendable {
    /// The decision maker name used for the human row.
    public static let humans = "humans"

    /// Models in input order, then `humans`.
    public var decisionMakers: [String]
    /// Datasets scored (those with model trials), in benchmark order.
    public var datasets: [BenchmarkDataset]
    /// Per model: the datasets it has. A model lacking some of the 17 is incomplete.
    public var modelDatasets: [String: [String]]
    /// Benchmark numbers per decision maker.
    public var summary: [String: Summary]
    /// Per decision maker and dataset name: OOD accuracy, accuracy difference, both consistencies.
    public var perDataset: [String: [String: Summary]]
    /// Per dataset name and decision maker: accuracy of every condition (all conditions, humans pooled).
    public var accuracy: [String: [String: [Double?]]]
    /// Per parametric dataset name and decision maker: κ per condition (all conditions), mean over humans;
    /// for `humans` the mean over pairs of distinct subjects.
    public var errorConsistencyLine: [String: [String: [Double?]]]
    /// Per non-parametric dataset name: κ between every two individual subjects (models, then humans).
    public var errorConsistencyMatrix: [String: (subjects: [String], kappa: [[Double?]])]
    /// Shape bias per decision maker (empty without cue-conflict).
    public var shapeBias: [String: ShapeBiasResult]
    /// Ranks per model (models with all four summary values).
    public var ranks: [String: Ranks]
    /// Notes for the reader: skipped datasets, incomplete models.
    public var notes: [String]

    /// Whether the decision maker has all 17 datasets (humans: always true).
    public func isComplete(_ decisionMaker: String) -> Bool {
        decisionMaker == Self.humans || (modelDatasets[decisionMaker]?.count ?? 0) == BenchmarkDataset.all.count
    }
}
