/// Which WfFormat version a WfCommons instance is read as: the version it declares (`schemaVersion`) and the
/// shape its `workflow` object has, which decides how it is read.
///
/// The published versions come in three shapes (WfFormat's schema history, github.com/wfcommons/wfformat):
/// - 1.0–1.2: `workflow.jobs`, `parents` naming tasks by `name`;
/// - 1.3–1.4: `workflow.tasks`, `parents` naming tasks by `name`;
/// - 1.5–1.6: `workflow.specification.tasks` (`parents` by `id`) and `workflow.execution.tasks` (runtimes,
///   commands, cores, memory, matched by `id`).
///
/// When the declared version and the shape disagree, the shape wins: it is what the file holds.
struct WfFormatVersion: Sendable, Equatable {
    /// The three shapes of a WfCommons instance.
    enum Shape: Sendable, Equatable {
        /// `workflow.jobs` (1.0–1.2).
        case jobs
        /// `workflow.tasks` (1.3–1.4).
        case tasks
        /// `workflow.specification` and `workflow.execution` (1.5–1.6).
        case specification

        /// The versions published with this shape.
        var versions: String {
            switch self {
            case .jobs: "1.0–1.2"
            case .tasks: "1.3–1.4"
            case .specification: "1.5–1.6"
            }
        }

        /// Where the tasks are and how parents name them, for messages.
        var layout: String {
            switch self {
            case .jobs: "workflow.jobs, parents by name"
            case .tasks: "workflow.tasks, parents by name"
            case .specification: "workflow.specification and workflow.execution, parents by id"
            }
        }

        /// The shape the published version `declared` has, if it is one.
        init?(declared: String) {
            switch declared {
            case "1.0", "1.1", "1.2": self = .jobs
            case "1.3", "1.4": self = .tasks
            case "1.5", "1.6": self = .specification
            default: return nil
            }
        }
    }

    /// The `schemaVersion` the file declares, if any.
    var declared: String?
    /// The shape found in the file.
    var shape: Shape

    /// Whether the declared version is a published one of the shape found.
    var agrees: Bool {
        declared.flatMap(Shape.init(declared:)) == shape
    }

    /// One line for `-v`: "WfCommons instance, WfFormat 1.4 (workflow.tasks, parents by name)", or what was
    /// declared and what was read when they differ.
    var summary: String {
        guard let declared else {
            return "WfCommons instance without schemaVersion, read as WfFormat \(shape.versions) (\(shape.layout))"
        }
        if agrees { return "WfCommons instance, WfFormat \(declared) (\(shape.layout))" }
        let known = Shape(declared: declared) == nil ? ", not a published version" : ""
        return "WfCommons instance declaring WfFormat \(declared)\(known), but shaped as WfFormat "
            + "\(shape.versions): read as \(shape.versions) (\(shape.layout))"
    }
}
