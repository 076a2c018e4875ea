extension RedisError {
    /// The error for a server's error reply to `command`.
    ///
    /// `NOAUTH` and `WRONGPASS` become ``Code/authentication`` with advice on where the password
    /// goes; everything else is ``Code/server``. The message names only the command's name, never
    /// its arguments (they may hold secrets).
    /// - Parameters:
    ///   - reply: The error reply's text, already redacted.
    ///   - command: The command's name (`SET`), or `nil` when unknown.
    ///   - endpoint: The redacted endpoint description, or `nil` when unknown.
    static func serverReply(_ reply: String, command: String?, endpoint: String?) -> RedisError {
        let prefix = reply.prefix(while: { $0 != " " })
        let doing = command.map { " to \($0)" } ?? ""
        let at = endpoint.map { " at \($0)" } ?? ""
        switch prefix {
        case "NOAUTH":
            return RedisError(
                .authentication,
                "the server\(at) requires a password: give it with --redis-password-file FILE (mode 0600), "
                    + "the REDISCLI_AUTH environment variable, the cluster file's redis password_file, or in the URL "
                    + "(redis://:PASSWORD@host) (server said: \(reply))",
                endpoint: endpoint, serverMessage: reply)
        case "WRONGPASS":
            return RedisError(
                .authentication,
                "the server\(at) rejected the user name or password; check the credentials "
                    + "(server said: \(reply))",
                endpoint: endpoint, serverMessage: reply)
        case "NOPERM":
            return RedisError(
                .server,
                "the ACL user has no permission for the command\(doing)\(at); grant it with ACL SETUSER "
                    + "(server said: \(reply))",
                endpoint: endpoint, serverMessage: reply)
        default:
            return RedisError(
                .server, "the server\(at) replied with an error\(doing): \(reply)",
                endpoint: endpoint, serverMessage: reply)
        }
    }
}
