/// What the profiling hook does.
public enum ProfilingMode: String, Sendable, CustomStringConvertible, CaseIterable {
    /// No trampolines: the host calls its evaluator directly.
    case off
    /// Trampolines named in `/tmp/perf-<pid>.map` (perf with frame pointers, samply).
    case perfMap
    /// Trampolines described in `jit-<pid>.dump` with unwind info (perf with DWARF + `perf inject --jit`).
    case jitDump

    public var description: String { rawValue }

    /// Parses a mode name as users spell it: `perf`, `map`, `perfmap`, `1` → ``perfMap``;
    /// `jitdump`, `perf_jit`, `jit` → ``jitDump``; `off`, `0`, `""` → ``off``.
    ///
    /// - Throws: ``PerfSupportError/unknownMode(_:)`` naming the text otherwise.
    public init(name: String) throws(PerfSupportError) {
        // Compared as bytes (ByteText.swift): no Unicode tables in the Embedded library.
        let word = name.asciiLowercased
        guard let mode = Self.spellings.first(where: { $0.spelling.sameBytes(as: word) })?.mode else {
            throw .unknownMode(name)
        }
        self = mode
    }

    /// Creates the mode whose ``rawValue`` is `rawValue` (`off`, `perfMap`, `jitDump`), or nil.
    public init?(rawValue: String) {
        guard let mode = Self.matching(rawValue: rawValue) else { return nil }
        self = mode
    }

    private static let spellings: [(spelling: String, mode: ProfilingMode)] = [
        ("perf", .perfMap), ("map", .perfMap), ("perfmap", .perfMap), ("perf_map", .perfMap), ("1", .perfMap),
        ("true", .perfMap), ("on", .perfMap),
        ("jitdump", .jitDump), ("perf_jit", .jitDump), ("jit", .jitDump), ("perfjit", .jitDump),
        ("off", .off), ("0", .off), ("", .off), ("false", .off), ("none", .off),
    ]

    /// The mode a host's command line and environment ask for, the conventional way:
    /// flags `-Xperf`, `-X perf` (perf map) and `-Xperf_jit`, `-X perf_jit` (jitdump); environment
    /// `PERFSUPPORT=1` (perf map) or `PERFSUPPORT=jitdump`. A flag wins over the environment; the
    /// last flag wins over earlier ones. Returns nil when nothing asks for profiling.
    ///
    /// Pass only the interpreter's own options in `arguments`, not the script's.
    ///
    /// - Throws: ``PerfSupportError/unknownMode(_:)`` when `PERFSUPPORT` has a value that is not a mode.
    public static func requested(arguments: [String], environment: [String: String]) throws(PerfSupportError) -> ProfilingMode? {
        try requested(arguments: arguments, perfSupport: environment.value(of: "PERFSUPPORT"))
    }

    /// ``requested(arguments:environment:)`` with `PERFSUPPORT`'s value (nil: unset).
    static func requested(arguments: [String], perfSupport setting: String?) throws(PerfSupportError) -> ProfilingMode? {
        var fromFlags: ProfilingMode?
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            var value: String?
            if argument.sameBytes(as: "-X"), index + 1 < arguments.endIndex {
                value = arguments[index + 1]
                index += 1
            } else if argument.startsWithBytes("-X") {
                value = argument.droppingBytes(2)
            }
            if let value {
                if value.sameBytes(as: "perf") { fromFlags = .perfMap } else if value.sameBytes(as: "perf_jit") { fromFlags = .jitDump }
            }
            index += 1
        }
        if let fromFlags { return fromFlags }
        guard let setting else { return nil }
        do {
            let mode = try ProfilingMode(name: setting)
            return mode == .off ? nil : mode
        } catch {
            throw .unknownMode("PERFSUPPORT=\(setting)")
        }
    }
}
