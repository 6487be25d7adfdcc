/// A file that names code for a profiler: the perf map or the jitdump.
///
/// A sink is brought up to date with the process's ``SymbolRegistry`` before any newly named
/// code can run; it remembers how far it got, so switching modes or forking re-emits exactly
/// the entries the file lacks, never a duplicate.
protocol SymbolSink: AnyObject {
    var path: String { get }
    func catchUp(with registry: SymbolRegistry) throws(SystemCallError)
}

extension PerfMapFile: SymbolSink {}
