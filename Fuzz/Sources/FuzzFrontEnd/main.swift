// Any bytes through the toy front end: a clean SyntaxError or a program, never a crash.
import FuzzDriver
import ToyVM
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? ToyProgram(source: source, file: "fuzz.toy")
    return 0
}

exit(runFuzzer(fuzzOne))
