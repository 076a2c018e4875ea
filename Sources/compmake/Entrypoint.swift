import ClustmakeWorker

@main struct Entrypoint {
    static func main() { WorkerMain.main() }
}
