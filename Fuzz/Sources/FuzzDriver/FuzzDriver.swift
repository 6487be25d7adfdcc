// Starts libFuzzer from a SwiftPM executable. SwiftPM names an executable's entry point
// `<Module>_main` and binds `main` to it at link time, so libFuzzer's own `main` is never used;
// each target's top-level code calls `runFuzzer` instead, which hands argv to libFuzzer's driver.
// Each target also exports its function as `LLVMFuzzerTestOneInput`, which libFuzzer's archive
// references.

public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: FuzzTarget) -> Int32

/// Runs libFuzzer with this process's arguments on `target`; returns its exit status.
public func runFuzzer(_ target: FuzzTarget) -> Int32 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, target)
}
