/// Opens a symbol file (`/tmp/perf-PID.map`, `jit-PID.dump`) so that nobody else's file can be
/// written through it.
///
/// `O_NOFOLLOW` refuses a symbolic link at the path; `O_NONBLOCK` keeps a planted FIFO from
/// hanging the open; then `fstat` must show a regular file, owned by our effective uid, with
/// one link (a hard link would let us scribble on another file). A file that passes but is not
/// empty was left by an earlier process with our (recycled) pid: it is truncated. Mode 0600,
/// `O_CLOEXEC`, so an exec'd child does not inherit the descriptor.
enum OwnedFile {
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    static func open(_ path: String, extraFlags: Int32) throws(Refusal) -> Int32 {
        let fd: Int32
        do {
            fd = try System.openForWriting(path, flags: extraFlags)
        } catch {
            if error.code == ELOOP {
                throw Refusal(description: "\(path) is a symbolic link; refusing to follow it")
            }
            throw Refusal(description: "cannot open \(path): \(error.reasonText)")
        }
        do {
            let info = try System.status(fd, path: path)
            if (info.st_mode & S_IFMT) != S_IFREG {
                throw Refusal(description: "\(path) exists and is not a regular file; refusing to use it")
            }
            if info.st_uid != System.effectiveUserID {
                throw Refusal(description:
                    "\(path) exists and is owned by uid \(info.st_uid), not by us (uid \(System.effectiveUserID)); refusing to use it")
            }
            if info.st_nlink != 1 {
                throw Refusal(description: "\(path) has \(info.st_nlink) hard links; refusing to use it")
            }
            if info.st_size != 0 {
                try System.truncate(fd, path: path)
            }
            System.clearNonBlocking(fd)
            return fd
        } catch let refusal as Refusal {
            System.close(fd)
            throw refusal
        } catch {
            System.close(fd)
            throw Refusal(description: "\(error)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SystemCallError {
    var reasonText: String { String(cString: strerror(code)) }
}
