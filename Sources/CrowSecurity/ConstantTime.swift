/// Comparison whose running time does not depend on where two secrets differ.
public enum ConstantTime {
    public static func equals(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
        if left.count != right.count { difference |= 1 }
        let count = min(left.count, right.count)
        for index in 0..<count { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
