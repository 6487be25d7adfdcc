// Embedded experiment: what the Glibc overlay provides, for the Embedded build (CLibc).
#if !canImport(Glibc) && canImport(CLibc)
import CLibc
var errno: Int32 { perftrampoline_errno() }
func open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { perftrampoline_open(path, flags, mode) }
func fcntl(_ fd: Int32, _ command: Int32, _ argument: Int32 = 0) -> Int32 { perftrampoline_fcntl(fd, command, argument) }
var MAP_FAILED: UnsafeMutableRawPointer? { perftrampoline_map_failed() }
#endif
