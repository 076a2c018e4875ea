#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole-file reads with errors worded for JSON loading.
enum FileContents {
    /// The bytes of the file at `path`: one buffer sized by `fstat`, then more reads in case the
    /// file grew or is a pipe.
    ///
    /// - Throws: ``JSONError`` with code ``JSONError/Code/io`` naming the file and the system's reason.
    static func bytes(atPath path: String) throws(JSONError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, "cannot open", errno) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(path, "cannot read", errno) }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw failure(path, "cannot read", EISDIR) }

        var readError: Int32 = 0
        var chunk = max(Int(status.st_size) + 1, 64 * 1024)
        var bytes: [UInt8] = []
        while readError == 0 {
            let part = [UInt8](unsafeUninitializedCapacity: chunk) { buffer, count in
                count = readFully(descriptor, into: UnsafeMutableRawBufferPointer(buffer), error: &readError)
            }
            if bytes.isEmpty { bytes = part } else { bytes += part }
            if part.count < chunk { break }
            chunk = max(chunk, 1 << 20)
        }
        if readError != 0 { throw failure(path, "cannot read", readError) }
        return bytes
    }

    /// Reads until `buffer` is full or the file ends; returns the number of bytes read.
    private static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, error: inout Int32)
        -> Int
    {
        guard let base = buffer.baseAddress else { return 0 }
        var total = 0
        while total < buffer.count {
            let got = read(descriptor, base + total, buffer.count - total)
            if got > 0 {
                total += got
            } else if got == 0 {
                break
            } else if errno != EINTR {
                error = errno
                break
            }
        }
        return total
    }

    private static func failure(_ path: String, _ what: String, _ number: Int32) -> JSONError {
        let reason = String(cString: strerror(number))
        return JSONError(code: .io, message: "\(what) the file: \(reason)", source: path, underlying: reason)
    }
}
