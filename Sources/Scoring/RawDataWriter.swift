import Foundation

/// Writes raw-data CSVs byte-compatible with the toolbox's model CSVs (upstream `ResultPrinter`, Python's
/// `csv.writer`): the header `subj,session,trial,rt,object_response,category,condition,imagename`, CRLF line
/// endings, a final CRLF, no quoting.
public enum RawDataWriter {
    /// The header line's fields, in order.
    public static let header = ["subj", "session", "trial", "rt", "object_response", "category", "condition",
                                "imagename"]

    /// The file name upstream gives a model's CSV: `<dataset>_<model with _ replaced by ->_session-1.csv`
    /// (`efficientnet_l2_noisy_student_475` → `…_efficientnet-l2-noisy-student-475_session-1.csv`).
    public static func fileName(dataset: String, model: String) -> String {
        "\(dataset)_\(model.replacingOccurrences(of: "_", with: "-"))_session-1.csv"
    }

    /// The whole CSV text for these rows, in the given order.
    ///
    /// A field holding a comma, quote, CR or LF cannot be written in this format; that is a programmer
    /// error (names and conditions never contain them), checked with a precondition.
    public static func csv(_ rows: [RawDataRow]) -> String {
        var out = header.joined(separator: ",") + "\r\n"
        out.reserveCapacity(rows.count * 80)
        for r in rows {
            let fields = [r.subj, r.session, String(r.trial), r.rt, r.objectResponse, r.category, r.condition,
                          r.imagename]
            for f in fields {
                precondition(!f.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" },
                             "raw-data field cannot hold a comma, quote or line break: \(f)")
            }
            out += fields.joined(separator: ",")
            out += "\r\n"
        }
        return out
    }

    /// Writes the rows to `url` atomically (temporary file, then rename): a reader never sees half a file.
    public static func write(_ rows: [RawDataRow], to url: URL) throws {
        do {
            try Data(csv(rows).utf8).write(to: url, options: .atomic)
        } catch {
            throw ScoringError.unwritable(path: url.path, reason: ScoringError.reason(for: error))
        }
    }
}
