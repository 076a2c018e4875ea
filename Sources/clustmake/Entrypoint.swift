import ClustmakeCommands

@main struct Entrypoint {
    static func main() async { await CommandLineTool.main(ClustmakeCommand.self, name: "clustmake") }
}
