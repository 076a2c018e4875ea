import Glibc

/// Runs `body` with `SIGPIPE` blocked on the calling thread, and discards a `SIGPIPE` that
/// `body` raised, so a write to a socket the server closed fails with `EPIPE` instead of
/// killing the process.
///
/// hiredis writes with `write(2)`, which has no `MSG_NOSIGNAL`, and Linux has no `SO_NOSIGPIPE`.
/// Ignoring `SIGPIPE` process-wide is the executable's decision (clustmake's entry point does);
/// a library must not depend on it, so it masks the signal per thread the way libcurl and
/// OpenSSL document. `SIGPIPE` raised by a write is directed at the writing thread, so it stays
/// pending while blocked and `sigtimedwait` with a zero timeout removes it.
/// - Parameter body: The hiredis calls that may write.
/// - Returns: What `body` returns.
func withSIGPIPEBlocked<R>(_ body: () -> R) -> R {
    var pipeOnly = sigset_t()
    sigemptyset(&pipeOnly)
    sigaddset(&pipeOnly, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
    defer {
        if sigismember(&previous, SIGPIPE) == 0 {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var noWait = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeOnly, nil, &noWait)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
    }
    return body()
}
