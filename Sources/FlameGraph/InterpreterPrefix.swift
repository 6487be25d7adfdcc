/// Finds which frames of a profile are an interpreter's: the `LANG::` prefix that names most
/// frames resolved through a perf map (`/tmp/perf-PID.map`) or a jitdump image
/// (`jitted-PID-N.so`), where PerfTrampoline (and CPython's `py::`) put their names.
public enum InterpreterPrefix {
    /// The most frequent prefix among perf-map and jitted frames, or nil if there are none.
    public static func detect(in samples: [PerfScript.Sample]) -> String? {
        var counts: [String: Int] = [:]
        for sample in samples {
            for (frame, object) in zip(sample.frames, sample.objects) where isGenerated(object) {
                if let prefix = prefix(of: frame) { counts[prefix, default: 0] += 1 }
            }
        }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
    }

    /// `toy::fib:a.toy` → `toy::`; nil for names without a short word before `::`.
    static func prefix(of frame: String) -> String? {
        let scalars = Array(frame.unicodeScalars)
        var end = 0
        while end + 1 < scalars.count, !(scalars[end] == ":" && scalars[end + 1] == ":") {
            guard isWordScalar(scalars[end]), end < 32 else { return nil }
            end += 1
        }
        guard end > 0, end + 1 < scalars.count else { return nil }
        return String(String.UnicodeScalarView(scalars[..<end])) + "::"
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-" || scalar == "."
    }

    /// A perf map (`perf-123.map`) or a perf-inject image of a jitdump (`jitted-123-4.so`).
    static func isGenerated(_ object: String) -> Bool {
        let name = object.split(separator: "/").last.map(String.init) ?? object
        return (name.hasPrefix("perf-") && name.hasSuffix(".map")) || (name.hasPrefix("jitted-") && name.hasSuffix(".so"))
    }
}
