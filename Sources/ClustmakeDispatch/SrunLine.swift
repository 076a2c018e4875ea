import ClustmakeModel

/// A job line on a node of the SLURM allocation the run is inside: the worker's command (``JobLine/command``, as
/// a host script runs it on the node) started by `srun` instead of ssh.
///
/// ```
/// srun --jobid=ID --nodes=1 --ntasks=1 --overlap -w NODE --job-name=clustmake:NS --quiet --mpi=none
///     nice -n N WORKER --hostname=NODE --db=redis --redis_host=FROM_NODES [--redis_password_stdin] … JOB
/// ```
///
/// - `--overlap`: in SLURM 22.05 a step with it shares CPUs, memory and GRES with every other step, so a line
///   never waits for another line's resources and holds none of them; the run's slots (the allocation's CPUs on
///   the node) bound how many lines run there. No `--exact`: like a job on an ssh host, the job may use every
///   CPU of the allocation on its node; no `--mem` (`--mem=0` would ask for all the memory still free, which
///   `--overlap` makes moot).
/// - `--quiet`: srun's informational messages never become a job's last output line (its errors still do);
///   `--mpi=none`: no MPI plugin set-up at step start.
/// - srun forwards its standard input to the task (`--input` defaults to all tasks): the redis password line
///   reaches the worker as it does over ssh, never in argv or the environment; so do a streamed session's job
///   ids, and the worker's answers come back on srun's standard output.
/// - srun forwards SIGTERM to the task: the executor's stop of a line stops the worker, which records its job
///   interrupted; the step ends with it. srun failing to start the step (the node is down, the allocation
///   ended) exits with a status that is not the worker's and counts as host trouble, as ssh's 255 does.
struct SrunLine {
    /// `srun … WORKER-COMMAND`.
    let argv: [String]

    /// - Parameters:
    ///   - allocation: The allocation the run is inside.
    ///   - node: The node to run on (one of the allocation's).
    ///   - namespace: The run's namespace, in the step's name.
    ///   - command: The worker's command (``JobLine/command``).
    init(allocation: SlurmAllocation, node: String, namespace: String, command: [String]) {
        argv =
            [
                "srun", "--jobid=\(allocation.jobID)", "--nodes=1", "--ntasks=1", "--overlap", "-w", node,
                "--job-name=clustmake:\(namespace)", "--quiet", "--mpi=none",
            ] + command
    }
}
