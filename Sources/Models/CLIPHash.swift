import Crypto
import Foundation

/// sha256 hex digests (embed's `--tokens` pixel hashes, cache keys).
public enum CLIPHash {
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
