import ClustmakeJSON
public import ClustmakeModel
public import ClustmakeScripts
import ClustmakeSystem

extension ScriptTemplates {
    /// The built-in templates with every `*.mustache` file of `directory` added or put in place of the built-in
    /// one of the same name (`--templates DIR`).
    /// - Parameter directory: The user's template directory.
    /// - Throws: ``ScriptError`` naming the file (and line and column) that cannot be read or parsed.
    public init(overridingWith directory: String) throws(ScriptError) {
        let names: [String]
        do {
            names = try FileSystem.entries(of: directory).filter { $0.hasSuffix(Self.fileExtension) }
        } catch {
            throw ScriptError(
                .templateUnreadable, "the template directory cannot be read.",
                fix: "Pass a readable directory of *.mustache files to --templates.", file: directory,
                cause: error.cause)
        }
        var files: [String: [UInt8]] = [:]
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            do {
                files[path] = try FileContents.bytes(atPath: path)
            } catch {
                throw ScriptError(
                    .templateUnreadable, "the template cannot be read.", fix: "Make it a readable file.",
                    file: path, cause: error.cause)
            }
        }
        try self.init(templateFiles: files)
    }
}
