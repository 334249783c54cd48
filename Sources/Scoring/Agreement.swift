/// Trial-by-trial agreement of two subjects on one set of paired trials (specs/metrics.md §7–§8;
/// Geirhos, Meding & Wichmann, NeurIPS 2020, "Beyond accuracy: quantifying trial-by-trial behaviour of CNNs
/// and humans by measuring error consistency"; upstream `ErrorConsistency`).
public struct Agreement: Sendable, Equatable {
    /// Accuracy of each subject on the set.
    public var accuracyA: Double
    public var accuracyB: Double
    /// Fraction of trials on which both are right or both are wrong.
    public var observed: Double
    /// p_a·p_b + (1 − p_a)(1 − p_b): the agreement of two independent observers with these accuracies.
    public var expected: Double
    /// Cohen's κ = (c_obs − c_exp)/(1 − c_exp); exactly 1 when every trial agrees (also when c_exp is 1).
    public var kappa: Double
    /// (p_a − p_b)², the squared accuracy difference the benchmark averages.
    public var squaredAccuracyDifference: Double { (accuracyA - accuracyB) * (accuracyA - accuracyB) }

    /// Agreement from two equally long correctness sequences, paired by position; nil when empty.
    public init?(_ a: [Bool], _ b: [Bool]) {
        precondition(a.count == b.count, "paired trials must have equal length")
        guard !a.isEmpty else { return nil }
        var ca = 0, cb = 0, same = 0
        for i in a.indices {
            if a[i] { ca += 1 }
            if b[i] { cb += 1 }
            if a[i] == b[i] { same += 1 }
        }
        self.init(correctA: ca, correctB: cb, agreeing: same, count: a.count)
    }

    /// Agreement from counts: trials right for a, for b, trials on which both agree, and trials in all.
    init(correctA: Int, correctB: Int, agreeing: Int, count: Int) {
        let n = Double(count)
        accuracyA = Double(correctA) / n
        accuracyB = Double(correctB) / n
        observed = Double(agreeing) / n
        expected = accuracyA * accuracyB + (1 - accuracyA) * (1 - accuracyB)
        // Exact count comparison, not a float tolerance (specs/metrics.md §13 Q11).
        kappa = agreeing == count ? 1 : (observed - expected) / (1 - expected)
    }
}
