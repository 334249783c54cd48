/// The source rectangle of a resize in input pixel coordinates (Pillow's `box=(left, upper, right, lower)`);
/// Pillow hands it to C as float32, and so does this module.
public struct ResizeBox: Sendable, Equatable {
    public var left: Double
    public var top: Double
    public var right: Double
    public var bottom: Double

    public init(left: Double, top: Double, right: Double, bottom: Double) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }
}
