/// Computes model-vs-human's metrics from a ``RawDataSet`` (specs/metrics.md §6–§10).
///
/// Aggregation follows upstream exactly: accuracy difference, observed and error consistency are computed
/// per condition for one model–human pair, averaged over the included conditions, then over the humans of
/// the dataset, then over datasets (humans row: over unordered pairs of distinct subjects instead). OOD
/// accuracy pools a decision maker's trials of the included conditions per dataset, then averages datasets.
/// A condition with no trials is left out of every mean; a mean over nothing is nil.
public enum Scorer {
    /// Scores every model of the set against the humans, and the humans against each other.
    public static func score(_ data: RawDataSet) -> BenchmarkResult {
        let scored = BenchmarkDataset.all.filter { data.modelDatasets.contains($0.name) }
        let models = data.models
        var result = BenchmarkResult(
            decisionMakers: models + [BenchmarkResult.humans], datasets: scored,
            modelDatasets: Dictionary(uniqueKeysWithValues: models.map { ($0, data.datasets(of: $0)) }),
            summary: [:], perDataset: [:], accuracy: [:], errorConsistencyLine: [:], errorConsistencyMatrix: [:],
            shapeBias: [:], ranks: [:], notes: [])

        for dataset in BenchmarkDataset.all where !scored.contains(dataset) {
            result.notes.append("\(dataset.name): no model results; skipped.")
        }
        for m in models where !result.isComplete(m) {
            let have = result.modelDatasets[m] ?? []
            let missing = scored.map(\.name).filter { !have.contains($0) }
            let missingText = missing.isEmpty ? "" : "; lacks \(missing.joined(separator: ", "))"
            result.notes.append("\(m): incomplete, scored on \(have.count) of 17 datasets\(missingText).")
        }

        for dataset in scored {
            let d = data.datasets[dataset.name]!
            let humans = d.humans
            let included = dataset.conditions.indices.filter { dataset.isIncluded($0) }
            let all = Array(dataset.conditions.indices)
            for dm in result.decisionMakers {
                let members = dm == BenchmarkResult.humans ? humans : d.subjectIndex[dm].map { [$0] } ?? []
                if members.isEmpty { continue }
                var s = Summary(oodAccuracy: pooledAccuracy(d, members, included))
                let pairs = dm == BenchmarkResult.humans
                    ? humans.indices.flatMap { i in humans[(i + 1)...].map { (humans[i], $0) } }
                    : humans.map { (members[0], $0) }
                let perPair = pairs.compactMap { pairMeans(d, $0.0, $0.1, included) }
                s.accuracyDifference = mean(perPair.map(\.0))
                s.observedConsistency = mean(perPair.map(\.1))
                s.errorConsistency = mean(perPair.map(\.2))
                result.perDataset[dm, default: [:]][dataset.name] = s
                result.accuracy[dataset.name, default: [:]][dm] = all.map { pooledAccuracy(d, members, [$0]) }
                if dataset.isParametric {
                    result.errorConsistencyLine[dataset.name, default: [:]][dm] = all.map { c in
                        mean(pairs.compactMap { agreement(d, $0.0, $0.1, c)?.kappa })
                    }
                }
            }
            if !dataset.isParametric {
                let subjects = models.compactMap { d.subjectIndex[$0] } + humans
                result.errorConsistencyMatrix[dataset.name] = (
                    subjects.map { d.subjects[$0].name },
                    subjects.map { a in subjects.map { b in agreement(d, a, b, 0)?.kappa } })
            }
        }

        for dm in result.decisionMakers {
            let per = result.perDataset[dm] ?? [:]
            let values = scored.compactMap { per[$0.name] }
            result.summary[dm] = Summary(oodAccuracy: mean(values.compactMap(\.oodAccuracy)),
                                         accuracyDifference: mean(values.compactMap(\.accuracyDifference)),
                                         observedConsistency: mean(values.compactMap(\.observedConsistency)),
                                         errorConsistency: mean(values.compactMap(\.errorConsistency)))
        }
        if let cc = data.datasets["cue-conflict"], scored.contains(where: { $0.name == "cue-conflict" }) {
            for dm in result.decisionMakers {
                let members = dm == BenchmarkResult.humans ? cc.humans : cc.subjectIndex[dm].map { [$0] } ?? []
                if !members.isEmpty { result.shapeBias[dm] = shapeBias(cc, members) }
            }
        }
        result.ranks = ranks(result.summary, models: models)
        return result
    }

    // MARK: Building blocks

    /// Mean of the values; nil for none.
    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Accuracy of the subjects' trials in the given conditions, pooled; nil without trials.
    static func pooledAccuracy(_ d: RawDataSet.DatasetTrials, _ subjects: [Int], _ conditions: [Int]) -> Double? {
        var right = 0, total = 0
        for s in subjects {
            let subject = d.subjects[s]
            for c in conditions {
                for i in subject.byCondition[c] where subject.trials[i].correct { right += 1 }
                total += subject.byCondition[c].count
            }
        }
        return total == 0 ? nil : Double(right) / Double(total)
    }

    /// Agreement of two subjects in one condition, trials paired by image (the pairing was checked when the
    /// data were loaded); nil when the condition has no trials.
    static func agreement(_ d: RawDataSet.DatasetTrials, _ a: Int, _ b: Int, _ c: Int) -> Agreement? {
        let sa = d.subjects[a], sb = d.subjects[b]
        let ia = sa.byCondition[c], ib = sb.byCondition[c]
        guard !ia.isEmpty, ia.count == ib.count else { return nil }
        var ca = 0, cb = 0, same = 0
        for k in ia.indices {
            let x = sa.trials[ia[k]].correct, y = sb.trials[ib[k]].correct
            if x { ca += 1 }
            if y { cb += 1 }
            if x == y { same += 1 }
        }
        return Agreement(correctA: ca, correctB: cb, agreeing: same, count: ia.count)
    }

    /// Mean over the conditions of (squared accuracy difference, observed consistency, κ); nil if every
    /// condition is empty.
    static func pairMeans(_ d: RawDataSet.DatasetTrials, _ a: Int, _ b: Int, _ conditions: [Int])
        -> (Double, Double, Double)? {
        let values = conditions.compactMap { agreement(d, a, b, $0) }
        guard let diff = mean(values.map(\.squaredAccuracyDifference)) else { return nil }
        return (diff, mean(values.map(\.observed))!, mean(values.map(\.kappa))!)
    }

    /// Shape decisions, texture decisions and trials (conflict or not) of a trial set (specs/metrics.md §9).
    static func shapeTextureCounts(_ trials: some Sequence<RawDataSet.Trial>) -> (shape: Int, texture: Int, all: Int) {
        var shape = 0, texture = 0, all = 0
        for t in trials {
            all += 1
            guard t.category != t.texture else { continue }
            if t.response == t.category { shape += 1 } else if t.response == t.texture { texture += 1 }
        }
        return (shape, texture, all)
    }

    static func ratio(_ counts: (shape: Int, texture: Int, all: Int)) -> Double? {
        counts.shape + counts.texture == 0 ? nil : Double(counts.shape) / Double(counts.shape + counts.texture)
    }

    /// Shape bias of a model (one subject) or of the humans (several subjects, pooled; box plot per subject).
    static func shapeBias(_ d: RawDataSet.DatasetTrials, _ subjects: [Int]) -> ShapeBiasResult {
        let trials = subjects.flatMap { d.subjects[$0].trials }
        let overall = shapeTextureCounts(trials)
        let categories = Categories.all.indices
        let perCategory = categories.map { k in ratio(shapeTextureCounts(trials.lazy.filter { $0.category == k })) }
        var boxplot = perCategory
        var perSubject: [(subject: String, value: Double?)] = []
        if subjects.count > 1 {
            let bySubject = subjects.map { s in
                categories.map { k in ratio(shapeTextureCounts(d.subjects[s].trials.lazy.filter { $0.category == k })) }
            }
            boxplot = categories.map { k in mean(bySubject.compactMap { $0[k] }) }
            perSubject = subjects.map { (d.subjects[$0].name, ratio(shapeTextureCounts(d.subjects[$0].trials))) }
        }
        let n = Double(max(overall.all, 1))
        return ShapeBiasResult(overall: ratio(overall), fractionShape: Double(overall.shape) / n,
                               fractionTexture: Double(overall.texture) / n, perCategory: perCategory,
                               boxplot: boxplot, perSubject: perSubject)
    }

    /// 1-based ranks, ties get the mean of their positions (pandas `rank`, method "average").
    public static func rank(_ values: [Double], ascending: Bool) -> [Double] {
        let order = values.indices.sorted { ascending ? values[$0] < values[$1] : values[$0] > values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let r = Double(i + j + 2) / 2
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        return ranks
    }

    /// Both rank tables (specs/metrics.md §10) over the models with all four numbers.
    static func ranks(_ summary: [String: Summary], models: [String]) -> [String: Ranks] {
        let ranked = models.filter {
            let s = summary[$0]
            return s?.oodAccuracy != nil && s?.accuracyDifference != nil && s?.observedConsistency != nil
                && s?.errorConsistency != nil
        }
        let s = ranked.map { summary[$0]! }
        let acc = rank(s.map { $0.accuracyDifference! }, ascending: true)
        let obs = rank(s.map { $0.observedConsistency! }, ascending: false)
        let err = rank(s.map { $0.errorConsistency! }, ascending: false)
        let ood = rank(s.map { $0.oodAccuracy! }, ascending: false)
        var out: [String: Ranks] = [:]
        for (i, m) in ranked.enumerated() {
            out[m] = Ranks(accuracyDifference: acc[i], observedConsistency: obs[i], errorConsistency: err[i],
                           humanlike: (acc[i] + err[i] + obs[i]) / 3, oodAccuracy: ood[i])
        }
        return out
    }
}
