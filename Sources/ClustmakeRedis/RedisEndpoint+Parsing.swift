import ClustmakeModel

extension RedisEndpoint {
    /// The forms ``init(parsing:)`` accepts, as shown in its error messages.
    public static let acceptedForms = RedisLocation.acceptedForms

    /// Parses an endpoint from a URL or a bare address, with the rules of
    /// ``ClustmakeModel/RedisLocation/init(parsing:)``.
    ///
    /// - Parameter text: The endpoint as the user wrote it; surrounding whitespace is ignored.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidURL`` that says what is wrong
    ///   and lists the accepted forms. The password never appears in it.
    public init(parsing text: String) throws(RedisError) {
        do {
            self.init(try RedisLocation(parsing: text))
        } catch {
            throw RedisError(.invalidURL, error.message)
        }
    }
}
