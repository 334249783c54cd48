/// model-vs-human's 16-class decision from ImageNet-1k probabilities (specs/metrics.md §4; upstream
/// `ImageNetProbabilitiesTo16ClassesMapping` with `HumanCategories.<category>_indices`, model-vs-human @ 79ed7cd).
///
/// For each of the 16 categories (alphabetical) the **mean** probability over its ImageNet indices; the decision
/// is the largest mean, ties going to the category that comes last alphabetically (upstream's flipped argsort).
/// The index lists below are the upstream facts; a test checks them against the mirror's `categories16.json`.
public enum Categories16 {
    /// The 16 category names in alphabetical order.
    public static let names: [String] = table.map(\.0)

    /// 0-based ILSVRC-2012 indices per category, in `names` order (207 indices, disjoint).
    public static let imagenetIndices: [[Int]] = table.map(\.1)

    static let table: [(String, [Int])] = [
        ("airplane", [404]),
        ("bear", [294, 295, 296, 297]),
        ("bicycle", [444, 671]),
        ("bird", [
            8, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23, 24, 80, 81, 82, 83, 87, 88, 89, 90, 91, 92, 93, 94,
            95, 96, 98, 99, 100, 127, 128, 129, 130, 131, 132, 133, 135, 136, 137, 138, 139, 140, 141, 142, 143,
            144, 145
        ]),
        ("boat", [472, 554, 625, 814, 914]),
        ("bottle", [440, 720, 737, 898, 899, 901, 907]),
        ("car", [436, 511, 817]),
        ("cat", [281, 282, 283, 284, 285, 286]),
        ("chair", [423, 559, 765, 857]),
        ("clock", [409, 530, 892]),
        ("dog", [
            152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172,
            173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 193, 194,
            195, 196, 197, 198, 199, 200, 201, 202, 203, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216,
            217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238,
            239, 240, 241, 243, 244, 245, 246, 247, 248, 249, 250, 252, 253, 254, 255, 256, 257, 259, 261, 262, 263,
            265, 266, 267, 268
        ]),
        ("elephant", [385, 386]),
        ("keyboard", [508, 878]),
        ("knife", [499]),
        ("oven", [766]),
        ("truck", [555, 569, 656, 675, 717, 734, 864, 867]),
    ]

    /// Mean probability per category (16 values in `names` order) from 1000 ImageNet probabilities.
    public static func categoryProbabilities(imagenet p: [Float]) -> [Double] {
        precondition(p.count == 1000, "expected 1000 ImageNet probabilities, got \(p.count)")
        return imagenetIndices.map { indices in
            var sum = 0.0
            for i in indices { sum += Double(p[i]) }
            return sum / Double(indices.count)
        }
    }

    /// The decision for one image: the category with the largest value (last one on exact ties).
    public static func decision(categoryScores s: [Double]) -> String {
        precondition(s.count == 16, "expected 16 category scores, got \(s.count)")
        var best = 0
        for i in 1..<16 where s[i] >= s[best] { best = i }
        return names[best]
    }
}
