import Benchmark
import PerfTrampoline

#if canImport(Glibc)
import Glibc
#endif

/// The evaluator of the call benchmarks: as small as an evaluator can be, so the benchmark
/// measures the call path, not the work.
let addEvaluator: PerfEvaluator = { _, _, argument in argument &+ 1 }

final class BenchCode {
    let slot = TrampolineSlot()
    let name: String
    init(_ name: String) { self.name = name }
}

/// One call per scaled iteration; the result feeds the next call so nothing can be hoisted.
@inline(never)
func callDirect(_ evaluator: PerfEvaluator, _ iterations: Range<Int>) -> Int {
    var total = 0
    for _ in iterations { total = evaluator(nil, nil, total) }
    return total
}

/// The host's call path: "profiling on? → slot → indirect call through the stub", else direct.
@inline(never)
func callThroughHook(_ perf: PerfSupport, _ code: BenchCode, _ evaluator: PerfEvaluator, _ iterations: Range<Int>) -> Int {
    var total = 0
    for _ in iterations {
        if let stub = perf.stub(for: code.slot, name: code.name) {
            total = stub(nil, nil, total, evaluator)
        } else {
            total = evaluator(nil, nil, total)
        }
    }
    return total
}

/// The benchmark process's own map and dump, and nothing else.
func removeOwnFiles() {
    unlink("/tmp/perf-\(getpid()).map")
    unlink("/tmp/jit-\(getpid()).dump")
}

let benchmarks: @Sendable () -> Void = {
    let perf = PerfSupport.shared
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(3), maxIterations: 1_000)

    // Per-call cost: scalingFactor .mega, so the reported time is per call.
    Benchmark("call: direct @convention(c) evaluator",
              configuration: .init(metrics: [.wallClock], scalingFactor: .mega)) { benchmark in
        blackHole(callDirect(addEvaluator, benchmark.scaledIterations))
    }

    Benchmark("call: hook, profiling on (slot load + stub)",
              configuration: .init(metrics: [.wallClock], scalingFactor: .mega,
                                   setup: { try perf.activate(.perfMap) }, teardown: { perf.deactivate(); removeOwnFiles() })) { benchmark in
        let code = BenchCode("bench::stubcall:bench")
        blackHole(callThroughHook(perf, code, addEvaluator, benchmark.scaledIterations))
    }

    Benchmark("call: hook, profiling off",
              configuration: .init(metrics: [.wallClock], scalingFactor: .mega)) { benchmark in
        perf.deactivate()
        let code = BenchCode("bench::off:bench")
        blackHole(callThroughHook(perf, code, addEvaluator, benchmark.scaledIterations))
    }

    Benchmark("memory: one million code objects (bytes per stub)",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident,
                                             .custom("executable bytes per stub", polarity: .prefersSmaller),
                                             .custom("metadata bytes per code object", polarity: .prefersSmaller)],
                                   maxDuration: .seconds(60), maxIterations: 1,
                                   setup: { try perf.activate(.perfMap) }, teardown: { perf.deactivate(); removeOwnFiles() })) { benchmark in
        let before = perf.status
        var codes: [BenchCode] = []
        codes.reserveCapacity(1_000_000)
        for index in 0..<1_000_000 {
            let code = BenchCode("bench::f\(index):million.bench")
            blackHole(perf.stub(for: code.slot, name: code.name))
            codes.append(code)
        }
        let after = perf.status
        let stubs = after.stubCount - before.stubCount
        // The arena's stride: every stub costs exactly this much executable memory (chunks are
        // filled completely, so there is no per-chunk waste beyond the last partial chunk).
        benchmark.measurement(.custom("executable bytes per stub"), after.bytesPerStub ?? 0)
        precondition(stubs == 1_000_000)
        // The slot lives in the host's object (8 bytes); the registry keeps the rest.
        benchmark.measurement(.custom("metadata bytes per code object"),
                              8 + (after.metadataBytes - before.metadataBytes) / max(stubs, 1))
        blackHole(codes)
    }

    // Issue 15: code objects created, called and freed in a loop (a REPL, eval, reloaded
    // handlers): 1,000,000 cycles over 1,000 names must leave 1,000 stubs and 1,000 map lines.
    Benchmark("churn: 1000000 create-call-release cycles over 1000 names",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident,
                                             .custom("stubs made", polarity: .prefersSmaller),
                                             .custom("stubs made in the second half", polarity: .prefersSmaller)],
                                   warmupIterations: 0, maxDuration: .seconds(60), maxIterations: 1,
                                   setup: { try perf.activate(.perfMap) }, teardown: { perf.deactivate(); removeOwnFiles() })) { benchmark in
        let before = perf.status.stubCount
        var middle = before
        for cycle in 0..<1_000_000 {
            if cycle == 500_000 { middle = perf.status.stubCount }
            let code = BenchCode("bench::churn\(cycle % 1000):churn.bench")
            if let stub = perf.stub(for: code.slot, name: code.name) { blackHole(stub(nil, nil, cycle, addEvaluator)) }
            perf.release(code.slot)
        }
        let after = perf.status.stubCount
        benchmark.measurement(.custom("stubs made"), after - before)
        benchmark.measurement(.custom("stubs made in the second half"), after - middle)
    }

    // Jitdump mode renames a released stub (a fresh load record): every name may be new and
    // memory stays bounded by the code objects alive at once. 100,000 cycles: the dump grows by
    // one unwind + load record per cycle (about 25 MB), the process should not.
    Benchmark("churn (jitdump): 100000 create-call-release cycles, every name new",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident,
                                             .custom("stubs made", polarity: .prefersSmaller),
                                             .custom("bookkeeping bytes at the end", polarity: .prefersSmaller)],
                                   warmupIterations: 0, maxDuration: .seconds(60), maxIterations: 1,
                                   setup: { try perf.activate(.jitDump) }, teardown: { perf.deactivate(); removeOwnFiles() })) { benchmark in
        let before = perf.status.stubCount
        for cycle in 0..<100_000 {
            let code = BenchCode("bench::renamed\(cycle):churn.bench")
            if let stub = perf.stub(for: code.slot, name: code.name) { blackHole(stub(nil, nil, cycle, addEvaluator)) }
            perf.release(code.slot)
        }
        benchmark.measurement(.custom("stubs made"), perf.status.stubCount - before)
        benchmark.measurement(.custom("bookkeeping bytes at the end"), perf.status.metadataBytes)
    }

    for mode in [ProfilingMode.perfMap, .jitDump] {
        Benchmark("first entry of a new code object (\(mode)): slot + entry written",
                  configuration: .init(metrics: [.wallClock, .syscalls], maxDuration: .seconds(2), maxIterations: 20_000,
                                       setup: { try perf.activate(mode) }, teardown: { perf.deactivate(); removeOwnFiles() })) { benchmark in
            let codes = (0..<benchmark.scaledIterations.count).map { BenchCode("bench::first\($0):\(mode).bench") }
            benchmark.startMeasurement()
            for code in codes {
                blackHole(perf.stub(for: code.slot, name: code.name))
            }
            benchmark.stopMeasurement()
        }
    }
}
