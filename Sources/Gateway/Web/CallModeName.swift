import Foundation

/// The names of extra call modes (`CROW_CALLS_MODES`): what a configuration may say and where a mode's
/// module file lives.
enum CallModeName {
    static func isValid(_ name: String) -> Bool {
        (1...40).contains(name.utf8.count)
            && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
    }

    static func file(_ name: String, in directory: String) -> String {
        (directory as NSString).appendingPathComponent(name + ".js")
    }
}
