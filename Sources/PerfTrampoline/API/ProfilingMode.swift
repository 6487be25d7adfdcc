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
        switch name.lowercased() {
        case "perf", "map", "perfmap", "perf_map", "1", "true", "on": self = .perfMap
        case "jitdump", "perf_jit", "jit", "perfjit": self = .jitDump
        case "off", "0", "", "false", "none": self = .off
        default: throw .unknownMode(name)
        }
    }

    /// The mode a host's command line and environment ask for, the conventional way:
    /// flags `-Xperf`, `-X perf` (perf map) and `-Xperf_jit`, `-X perf_jit` (jitdump); environment
    /// `PERFSUPPORT=1` (perf map) or `PERFSUPPORT=jitdump`. A flag wins over the environment; the
    /// last flag wins over earlier ones. Returns nil when nothing asks for profiling.
    ///
    /// Pass only the interpreter's own options in `arguments`, not the script's.
    ///
    /// - Throws: ``PerfSupportError/unknownMode(_:)`` when `PERFSUPPORT` has a value that is not a mode.
    public static func requested(arguments: [String], environment: [String: String]) throws(PerfSupportError) -> ProfilingMode? {
        var fromFlags: ProfilingMode?
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            var value: Substring?
            if argument == "-X", index + 1 < arguments.endIndex {
                value = Substring(arguments[index + 1])
                index += 1
            } else if argument.hasPrefix("-X") {
                value = argument.dropFirst(2)
            }
            switch value {
            case "perf": fromFlags = .perfMap
            case "perf_jit": fromFlags = .jitDump
            default: break
            }
            index += 1
        }
        if let fromFlags { return fromFlags }
        guard let setting = environment["PERFSUPPORT"] else { return nil }
        do {
            let mode = try ProfilingMode(name: setting)
            return mode == .off ? nil : mode
        } catch {
            throw .unknownMode("PERFSUPPORT=\(setting)")
        }
    }
}
