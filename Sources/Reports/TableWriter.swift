import Foundation
import Scoring

/// The four CSV tables of a report (header lines fixed; numbers with 8 decimals; empty = not available).
enum TableWriter {
    static func number(_ v: Double?) -> String { v.map { String(format: "%.8f", $0) } ?? "" }

    static func benchmark(_ r: BenchmarkResult) -> String {
        var out = "model,ood_accuracy,accuracy_difference,observed_consistency,error_consistency,shape_bias,humanlike_rank,ood_accuracy_rank\n"
        for dm in r.decisionMakers {
            let s = r.summary[dm] ?? Summary()
            let rank = r.ranks[dm]
            out += [dm, number(s.oodAccuracy), number(s.accuracyDifference), number(s.observedConsistency),
                    number(s.errorConsistency), number(r.shapeBias[dm]?.overall ?? nil), number(rank?.humanlike),
                    number(rank?.oodAccuracy)].joined(separator: ",") + "\n"
        }
        return out
    }

    static func accuracy(_ r: BenchmarkResult) -> String {
        var out = "model,dataset,condition,accuracy\n"
        for dataset in r.datasets {
            guard let byDM = r.accuracy[dataset.name] else { continue }
            for dm in r.decisionMakers {
                guard let values = byDM[dm] else { continue }
                for (c, condition) in dataset.conditions.enumerated() {
                    out += "\(dm),\(dataset.name),\(condition),\(number(values[c]))\n"
                }
            }
        }
        return out
    }

    static func consistency(_ r: BenchmarkResult) -> String {
        var out = "model,dataset,accuracy_difference,observed_consistency,error_consistency\n"
        for dm in r.decisionMakers {
            for dataset in r.datasets {
                guard let s = r.perDataset[dm]?[dataset.name] else { continue }
                out += "\(dm),\(dataset.name),\(number(s.accuracyDifference)),\(number(s.observedConsistency)),\(number(s.errorConsistency))\n"
            }
        }
        return out
    }

    static func shapeBias(_ r: BenchmarkResult) -> String {
        var out = "model,category,shape_bias\n"
        for dm in r.decisionMakers {
            guard let sb = r.shapeBias[dm] else { continue }
            out += "\(dm),overall,\(number(sb.overall))\n"
            for (k, c) in Categories.all.enumerated() { out += "\(dm),\(c),\(number(sb.perCategory[k]))\n" }
        }
        return out
    }
}
