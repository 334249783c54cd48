/// One trial of a raw-data CSV in model-vs-human's format (specs/metrics.md §3.2):
/// `subj,session,trial,rt,object_response,category,condition,imagename`.
///
/// Fields are kept as the text written in the file. Models write `session` 1, `rt` `NaN`, the condition
/// token exactly as in the stimulus file name (`c05`, `0.10`, `false`; `NaN` for cue-conflict, edge and
/// silhouette) and the bare stimulus file name.
public struct RawDataRow: Sendable, Hashable {
    /// Subject: the model name with underscores (`resnet50`), or `subject-NN` for humans.
    public var subj: String
    /// Session number, always `1`.
    public var session: String
    /// 1-based trial counter (presentation or loader order); not used by any metric.
    public var trial: Int
    /// Reaction time in seconds for humans, `NaN` for models; not used by any metric.
    public var rt: String
    /// The decision: one of the 16 categories, or `na` (no valid human response).
    public var objectResponse: String
    /// The true category (cue-conflict: the shape category).
    public var category: String
    /// The condition token as written.
    public var condition: String
    /// The stimulus file name.
    public var imagename: String

    /// A row with every field given.
    public init(subj: String, session: String = "1", trial: Int, rt: String = "NaN", objectResponse: String,
                category: String, condition: String, imagename: String) {
        self.subj = subj
        self.session = session
        self.trial = trial
        self.rt = rt
        self.objectResponse = objectResponse
        self.category = category
        self.condition = condition
        self.imagename = imagename
    }
}
