// A tiny interpreter written in Swift that embeds PerfTrampoline as a package dependency.
//
// Its code objects form a call chain (main_loop -> parse -> tokenize, which burns CPU). Every
// interpreted call goes through `PerfSupport.stub(for:name:)`: with -Xperf (or PERFSUPPORT=1)
// each code object gets its own trampoline, and `perf record -g` shows
// swiftdemo::tokenize <- swiftdemo::parse <- swiftdemo::main_loop by name.
//
//   swift run -c release SwiftEmbeddingExample [-Xperf | -Xperf_jit] [ROUNDS]
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PerfTrampoline

/// A code object: what to run, and the hook's two fields.
final class CodeObject: Sendable {
    let perfSlot = TrampolineSlot()  // this code object's trampoline, filled on first entry
    let perfName: String             // "swiftdemo::<function>:<file>"
    let callee: CodeObject?          // nil: burn CPU

    init(_ function: String, callee: CodeObject? = nil) {
        perfName = "swiftdemo::\(function):Examples/SwiftEmbedding/main.swift"
        self.callee = callee
    }
}

/// Every interpreted call: through the code object's stub while profiling is on.
func call(_ code: CodeObject, _ argument: Int) -> Int {
    let object = Unmanaged.passUnretained(code).toOpaque()
    if let stub = PerfSupport.shared.stub(for: code.perfSlot, name: code.perfName) {
        return stub(nil, object, argument, evaluate)
    }
    return evaluate(nil, object, argument)
}

/// The evaluator, entered through a C function pointer (a global function converts to one).
func evaluate(_ context: UnsafeMutableRawPointer?, _ object: UnsafeMutableRawPointer?, _ argument: Int) -> Int {
    let code = Unmanaged<CodeObject>.fromOpaque(object!).takeUnretainedValue()
    if let callee = code.callee { return call(callee, argument) }
    var total = 0
    for i in 0..<argument { total &+= i % 7 }
    return total
}

// `--fork-entry`: another code generator's entry announced before a fork and one from the child
// (issue 14: the child's entry must go to the child's own map, never the parent's).
if CommandLine.arguments.dropFirst().first == "--fork-entry" {
    let parentCode = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
    let childCode = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
    try PerfSupport.shared.writePerfMapEntry(address: parentCode, size: 16, name: "jit::parent_entry")
    let child = fork()
    if child == 0 {
        let ok = (try? PerfSupport.shared.writePerfMapEntry(address: childCode, size: 16, name: "jit::child_entry")) != nil
        _exit(ok ? 0 : 3)
    }
    var status: Int32 = 0
    waitpid(child, &status, 0)
    print("child status \(status)")
    print("child pid \(child)")
    print("pid \(getpid())")
    exit(0)
}

let options = CommandLine.arguments.dropFirst().filter { $0.hasPrefix("-X") }
let rounds = CommandLine.arguments.dropFirst().last { !$0.hasPrefix("-") }.flatMap { Int($0) } ?? 200
var environment: [String: String] = [:]
if let value = getenv("PERFSUPPORT") { environment["PERFSUPPORT"] = String(cString: value) }
let mode = PerfSupport.shared.configure(arguments: Array(options), environment: environment)

let tokenize = CodeObject("tokenize")
let parse = CodeObject("parse", callee: tokenize)
let mainLoop = CodeObject("main_loop", callee: parse)
var total = 0
for _ in 0..<rounds { total &+= call(mainLoop, 1_000_000) }
print("total \(total) mode \(mode)")
print("status \(PerfSupport.shared.status)")
print("pid \(getpid())")
