import Foundation

/// The two opt-in analyses of the toolbox: response entropy and confusion matrices (specs/metrics.md §10.4–5).
public enum ResponseAnalysis {
    /// Response-distribution entropy in bits per condition (all conditions) for a decision maker: per subject,
    /// p_k = share of the condition's trials answered k (k over the categories in the `category` column;
    /// `na` not counted, so the p_k may sum to less than 1), H = −Σ p_k log₂ p_k over |p_k| > 1e-5; then the
    /// mean over the decision maker's subjects. nil for a condition without trials.
    public static func entropy(_ data: RawDataSet, dataset: String, decisionMaker: String) -> [Double?] {
        guard let d = data.datasets[dataset] else { return [] }
        let members = decisionMaker == BenchmarkResult.humans ? d.humans : d.subjectIndex[decisionMaker].map { [$0] } ?? []
        return d.dataset.conditions.indices.map { c in
            Scorer.mean(members.compactMap { s -> Double? in
                let subject = d.subjects[s]
                let trials = subject.byCondition[c].map { subject.trials[$0] }
                guard !trials.isEmpty else { return nil }
                var counts = [Int](repeating: 0, count: Categories.all.count)
                var present = [Bool](repeating: false, count: Categories.all.count)
                for t in trials {
                    present[Int(t.category)] = true
                    if t.response >= 0 { counts[Int(t.response)] += 1 }
                }
                var h = 0.0
                for k in counts.indices where present[k] {
                    let p = Double(counts[k]) / Double(trials.count)
                    if abs(p) > 1e-5 { h -= p * log2(p) }
                }
                return h
            })
        }
    }

    /// Confusion matrix in percent for one condition (humans pooled): rows are responses (`na` first, then the
    /// 16 categories), columns the 16 true categories; each column with trials sums to 100. Upstream draws
    /// these for parametric datasets only; here any dataset works (an OODBench extension).
    public static func confusion(_ data: RawDataSet, dataset: String, condition: String,
                                 decisionMaker: String) -> [[Double]] {
        let n = Categories.all.count
        var counts = [[Double]](repeating: [Double](repeating: 0, count: n), count: n + 1)
        guard let d = data.datasets[dataset], let c = d.dataset.conditionIndex(of: condition) else { return counts }
        let members = decisionMaker == BenchmarkResult.humans ? d.humans : d.subjectIndex[decisionMaker].map { [$0] } ?? []
        var perCategory = [Double](repeating: 0, count: n)
        for s in members {
            let subject = d.subjects[s]
            for i in subject.byCondition[c] {
                let t = subject.trials[i]
                counts[Int(t.response) + 1][Int(t.category)] += 1
                perCategory[Int(t.category)] += 1
            }
        }
        for r in counts.indices {
            for k in 0..<n where perCategory[k] > 0 { counts[r][k] = 100 * counts[r][k] / perCategory[k] }
        }
        return counts
    }
}
