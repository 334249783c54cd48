/// The keys and values of a token prefix that many prompts share (a template's `<SOT> a bad photo of a`), one
/// `[length, width]` matrix of each per text-tower layer (heads as column blocks, as in the packed q; k; v
/// projections). With the causal mask a token's activations depend only on the tokens before it, so the prefix is
/// run once and every prompt's remaining tokens attend to these rows (`CLIPTextTransformer.forwardSharingPrefix`).
struct CLIPPrefixKV: Sendable {
    /// The prefix's token ids, positions `0 ..< length`.
    let ids: [Int32]
    /// Per layer: keys `[length, width]`.
    let keys: [[Float]]
    /// Per layer: values `[length, width]`.
    let values: [[Float]]

    var length: Int { ids.count }
}
