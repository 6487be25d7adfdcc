// Random stubs (names, sizes, unwind room) encoded as jitdump records and read back by the
// independent reader of Tests/TestSupport: every record complete and well-formed.
import FuzzDriver
@testable import PerfTrampoline
#if canImport(Glibc)
import Glibc
#endif
import TestSupport

let template = StubTemplate.assembly()!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var registry = SymbolRegistry()
    var offset = 2
    let count = Int(bytes[0] % 8) + 1
    let code = template.code
    var stubs: [UnsafeMutableRawPointer] = []
    defer { stubs.forEach { $0.deallocate() } }
    for index in 0..<count {
        let length = offset < bytes.count ? Int(bytes[offset]) : 0
        let end = min(bytes.count, offset + 1 + length)
        let name = offset + 1 < end ? Array(bytes[(offset + 1)..<end]) : []
        offset = end
        let stub = UnsafeMutableRawPointer.allocate(byteCount: code.count, alignment: 16)
        stub.copyMemory(from: code, byteCount: code.count)
        stubs.append(stub)
        registry.append(address: UInt(bitPattern: stub), size: UInt(code.count), origin: index % 3 == 2 ? .external : .stub,
                        unwindRoom: Int(bytes[1]) * (index + 1), sanitizedName: SymbolName.sanitized(utf8: name))
    }
    var records = JitDumpRecords(frame: template.frame!, processID: 1)
    var encoded = records.header(timestamp: 0)
    for index in 0..<registry.count { records.append(registry[index], to: &encoded) }
    let dump = try! JitDumpReader(bytes: encoded)
    let stubCount = (0..<registry.count).filter { registry[$0].origin == .stub }.count
    precondition(dump.loads.count == stubCount, "one LOAD per stub")
    for load in dump.loads {
        let unwind = load.unwind!
        precondition(JitDumpReader.problems(in: unwind, codeSize: Int(load.codeSize)).isEmpty, "well-formed unwind data")
    }
    return 0
}

exit(runFuzzer(fuzzOne))
