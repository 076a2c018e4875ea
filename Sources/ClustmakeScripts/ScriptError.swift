public import ClustmakeModel

/// Why a plan's scripts or plan directory could not be written: an ``InputError`` (the template file and line,
/// the host, the directory, what is wrong, how to fix it, and the underlying cause), with the codes below. No
/// password or redis credential ever appears in one.
public typealias ScriptError = InputError

extension InputError.Code {
    /// A template file is not valid mustache.
    public static let templateSyntax = InputError.Code("template-syntax")
    /// A template file or directory could not be read.
    public static let templateUnreadable = InputError.Code("template-unreadable")
    /// A template leaves out something the scripts cannot do without (a slot's job lines).
    public static let templateIncomplete = InputError.Code("template-incomplete")
    /// A host setting or the namespace holds a character that cannot appear in a reviewed script line.
    public static let unsafeValue = InputError.Code("unsafe-value")
    /// A host nickname cannot name a script file, or two hosts share one.
    public static let invalidHostName = InputError.Code("invalid-host-name")
    /// A writer option is out of range.
    public static let invalidOption = InputError.Code("invalid-option")
    /// The plan is inconsistent (slots, sequences and placements disagree): a planner bug.
    public static let invalidPlan = InputError.Code("invalid-plan")
    /// The output path exists and is not a plan directory, so it is not replaced.
    public static let outputInUse = InputError.Code("output-in-use")
}
