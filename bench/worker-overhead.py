#!/usr/bin/env python3
"""Worker overhead: what `compmake ... make_single` adds to running a job, against a local redis.

Median wall time of `compmake --slave NS make_single more=True JOB` for a job whose command is `true`, against
`sh -c true` (what a worker that runs every line through the shell execs) and against `true` alone (what a worker
that runs plain lines directly execs: docs/worker.md, "Run"), all started from this script, runs interleaved. The
difference is what the worker adds: starting, connecting, taking the lease, forking the job, recording the attempt. Also the
worker's CPU time (perf stat, when perf is installed: unlike wall time it hardly moves when other work loads the
machine), its peak RSS (measured through GNU time, whose fork does not lend the child the parent's memory), and
what one job costs redis, from redis' own counters (`INFO stats`, `INFO commandstats`) over --traffic-runs runs:
commands by name, bytes each way, and round trips (the reads redis served, less the one per connection that sees
it close). Targets: at most 5 ms added, at most 20 MiB.

Then the same job through one streamed session (`make_single more=True stream=True`, what `clustmake run` starts
once per slot: docs/worker.md, "Streamed sessions"): --runs batches (at least 500) of the one job, each written to
the worker's standard input after the answer to the one before. Per job: the wall time from writing the id to reading the answer,
and the worker's own CPU time (its /proc/PID/stat user and system time, the job's excluded), which is what the worker
adds to each job once its session runs.

With --password, redis asks for one (as clustmake's embedded redis always does) and the worker reads it from a
file (--redis_password_file), so logging in is part of every run.

Usage: bench/worker-overhead.py [--compmake PATH] [--runs N] [--traffic-runs N] [--unix-socket] [--password]
       [--command LINE] [--check]
Build first: swift build -c release --product compmake
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_OVERHEAD_MS = 5.0
TARGET_RSS_MIB = 20.0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(directory, port, password):
    server = shutil.which("redis-server") or sys.exit("redis-server is not installed (apt-get install redis-server)")
    socket_path = os.path.join(directory, "redis.sock")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--unixsocket", socket_path, "--unixsocketperm", "700",
         "--dir", directory, "--save", "", "--appendonly", "no", "--logfile", os.path.join(directory, "redis.log")]
        + (["--requirepass", password] if password else []),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        if subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True).stdout.strip() == "PONG":
            return process, socket_path
        time.sleep(0.01)
    process.kill()
    sys.exit("redis-server did not start")


def push(port, namespace, job, command):
    """Writes a one-job namespace as docs/redis-schema.md describes it (what `clustmake push` writes)."""
    prefix = "compmake:{%s}:" % namespace
    commands = [
        ["SET", prefix + "schema", "1"],
        ["HSET", prefix + "meta", "namespace", namespace, "jobs", "1", "pushes", "1", "pushed_by", "bench"],
        ["ZADD", prefix + "jobs", "0", job],
        ["HSET", prefix + "job:" + job, "id", job, "index", "0", "shell", command, "deps", "[]", "dependents", "[]",
         "env", "{}", "cost", "1", "cores", "1", "retries", "0", "tags", "[]", "digest", "bench"],
        ["HSET", prefix + "states", job, "not-started"],
    ]
    for command in commands:
        subprocess.run(["redis-cli", "-p", str(port)] + command, check=True, capture_output=True)


def redis_info(port, section):
    """`INFO section` as a dictionary; `cmdstat_*` values as dictionaries of their fields."""
    text = subprocess.run(["redis-cli", "-p", str(port), "INFO", section], capture_output=True, text=True,
                          check=True).stdout
    info = {}
    for line in text.splitlines():
        if ":" not in line or line.startswith("#"):
            continue
        name, value = line.split(":", 1)
        if name.startswith("cmdstat_"):
            info[name] = dict(pair.split("=", 1) for pair in value.split(","))
        else:
            info[name] = value
    return info


def traffic(port, worker, runs, password):
    """Per job: {command: calls}, bytes to redis, bytes from redis, round trips, connections."""
    subprocess.run(["redis-cli", "-p", str(port), "CONFIG", "RESETSTAT"], check=True, capture_output=True)
    for _ in range(runs):
        timed(worker)
    stats = redis_info(port, "stats")
    commands = redis_info(port, "commandstats")
    # The INFO stats call itself: one read (two with AUTH), and its own bytes are counted; its connection's close is
    # not seen yet. The RESETSTAT connection's close may be counted: at most one read in all. The INFO commandstats
    # call logs in too.
    # The commands the worker sends (the scripts' own commands count in commandstats too, under their names).
    calls = {name[len("cmdstat_"):]: int(fields["calls"]) for name, fields in commands.items()
             if name in ("cmdstat_eval", "cmdstat_evalsha", "cmdstat_auth", "cmdstat_select", "cmdstat_xread")}
    if password:
        calls["auth"] -= 2
    connections = int(stats["total_connections_received"]) - 1
    reads = int(stats["total_reads_processed"]) - (2 if password else 1)
    return ({name: count / runs for name, count in calls.items()},
            int(stats["total_net_input_bytes"]) / runs, int(stats["total_net_output_bytes"]) / runs,
            (reads - connections) / runs, connections / runs)


def cpu_ms(argv, runs):
    """Mean CPU time (user and system, children included) of `argv` over `runs` runs, from `perf stat`, in ms; None
    without perf. Unlike wall time it hardly moves when other work loads the machine."""
    perf = shutil.which("perf")
    if perf is None:
        return None
    result = subprocess.run([perf, "stat", "-r", str(runs), "-x", ",", "-e", "task-clock"] + argv,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in result.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("task-clock"):
            return float(fields[0])
    return None


def timed(argv):
    start = time.perf_counter()
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.decode(errors='replace')}")
    return elapsed


def peak_rss_kib(argv):
    time_binary = "/usr/bin/time"
    if not os.access(time_binary, os.X_OK):
        return None
    result = subprocess.run([time_binary, "-f", "%M"] + argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    return int(result.stderr.strip().splitlines()[-1])


def streamed(worker, runs):
    """Runs the job `runs` times through one streamed worker (`worker` ends with `make_single more=True`): returns
    the wall time of each (seconds) and the worker's own CPU time per job (ms), its start-up excluded."""
    process = subprocess.Popen(worker + ["stream=True"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, bufsize=0)

    def one():
        start = time.perf_counter()
        process.stdin.write(b"nop\n")
        answer = process.stdout.readline()
        elapsed = time.perf_counter() - start
        if answer != b"0\n":
            process.kill()
            sys.exit(f"the streamed worker answered {answer!r}: {process.stderr.read().decode(errors='replace')}")
        return elapsed

    def own_cpu_ticks():
        with open(f"/proc/{process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime: the worker's own, not its children's

    for _ in range(20):
        one()
    before = own_cpu_ticks()
    times = [one() for _ in range(runs)]
    ticks = own_cpu_ticks() - before
    process.stdin.close()
    if process.wait(timeout=30) != 0:
        sys.exit(f"the streamed worker exited {process.returncode}: {process.stderr.read().decode(errors='replace')}")
    return times, ticks * 1000 / os.sysconf("SC_CLK_TCK") / runs


def describe(samples):
    ms = sorted(sample * 1000 for sample in samples)
    return statistics.median(ms), ms[int(len(ms) * 0.9)], ms[0]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compmake", default=os.path.join(here, "..", ".build", "release", "compmake"))
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--traffic-runs", type=int, default=50)
    parser.add_argument("--password", action="store_true", help="redis asks for a password")
    parser.add_argument("--unix-socket", action="store_true", help="reach redis over its unix socket, not TCP")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--command", default="true",
                        help="the job's shell line (default true, which sh runs as a builtin: try 'sleep 0')")
    arguments = parser.parse_args()
    compmake = os.path.abspath(arguments.compmake)
    if not os.access(compmake, os.X_OK):
        sys.exit(f"{compmake} is not built: swift build -c release --product compmake")

    directory = tempfile.mkdtemp(prefix="clustmake-bench-")
    port = free_port()
    password = None
    if arguments.password:
        password = os.urandom(16).hex()
        os.environ["REDISCLI_AUTH"] = password  # for redis-cli
        with open(os.open(os.path.join(directory, "password"), os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(password + "\n")
    server, socket_path = start_redis(directory, port, password)
    try:
        push(port, "bench", "nop", arguments.command)
        redis_host = f"unix:{socket_path}" if arguments.unix_socket else f"127.0.0.1:{port}"
        worker = [compmake, "--hostname=bench", "--db=redis", f"--redis_host={redis_host}", "--save_progress=False",
                  "--slave", "bench", "make_single", "more=True", "nop"]
        if password:
            worker[4:4] = [f"--redis_password_file={os.path.join(directory, 'password')}"]
        direct = ["sh", "-c", arguments.command]
        # What a worker that runs a plain line without the shell execs (docs/worker.md, "Run").
        words = arguments.command.split()
        alone = [shutil.which(words[0]) or words[0]] + words[1:]
        version = [compmake, "--version"]
        for _ in range(20):  # warm the page cache and redis' script cache
            timed(worker)
            timed(direct)
            timed(alone)
        worker_times, direct_times, alone_times, version_times = [], [], [], []
        for _ in range(arguments.runs):
            worker_times.append(timed(worker))
            direct_times.append(timed(direct))
            alone_times.append(timed(alone))
            version_times.append(timed(version))
        rss = [peak_rss_kib(worker) for _ in range(5)]
        per_job = traffic(port, worker, arguments.traffic_runs, password)
        cpu = [cpu_ms(argv, arguments.runs) for argv in (worker, direct, version, alone)]
        stream_times, stream_cpu = streamed(worker[:-1], max(arguments.runs, 500))
        attempts = subprocess.run(["redis-cli", "-p", str(port), "HGET", "compmake:{bench}:status:nop", "attempts"],
                                  capture_output=True, text=True).stdout.strip()
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)

    worker_median, worker_p90, worker_min = describe(worker_times)
    direct_median, direct_p90, direct_min = describe(direct_times)
    version_median, _, _ = describe(version_times)
    alone_median, alone_p90, alone_min = describe(alone_times)
    overhead = worker_median - direct_median
    print(f"worker overhead on this machine ({os.cpu_count()} cores), {arguments.runs} runs each, redis over "
          f"{'a unix socket' if arguments.unix_socket else 'TCP 127.0.0.1'}{', with a password' if password else ''}:")
    print(f"  compmake make_single more=True nop   median {worker_median:7.3f} ms   p90 {worker_p90:7.3f} ms   "
          f"min {worker_min:7.3f} ms")
    print(f"  {'sh -c ' + arguments.command:<36} median {direct_median:7.3f} ms   p90 {direct_p90:7.3f} ms   "
          f"min {direct_min:7.3f} ms")
    print(f"  {' '.join(alone):<36} median {alone_median:7.3f} ms   p90 {alone_p90:7.3f} ms   min {alone_min:7.3f} ms")
    print(f"  compmake --version (start-up only)   median {version_median:7.3f} ms")
    print(f"  added by the worker (median)         {overhead:7.3f} ms   target <= {TARGET_OVERHEAD_MS} ms   "
          f"{'ok' if overhead <= TARGET_OVERHEAD_MS else 'MISSED'}")
    print(f"  worker against {' '.join(alone)} alone   {worker_median - alone_median:7.3f} ms (what running the job "
          f"under the worker costs over running it directly)")
    if None not in cpu:
        print(f"  CPU time (perf stat): worker {cpu[0]:.3f} ms, sh -c {arguments.command} {cpu[1]:.3f} ms, added {cpu[0] - cpu[1]:.3f} ms; "
              f"{' '.join(alone)} {cpu[3]:.3f} ms, added over it {cpu[0] - cpu[3]:.3f} ms; --version {cpu[2]:.3f} ms")
    missed = overhead > TARGET_OVERHEAD_MS
    if all(value is not None for value in rss):
        peak = max(rss) / 1024
        missed = missed or peak > TARGET_RSS_MIB
        print(f"  worker peak RSS                      {peak:7.2f} MiB  target <= {TARGET_RSS_MIB} MiB  "
              f"{'ok' if peak <= TARGET_RSS_MIB else 'MISSED'}")
    else:
        print("  worker peak RSS                      (needs GNU time at /usr/bin/time)")
    stream_median, stream_p90, stream_min = describe(stream_times)
    print(f"  streamed session, per job ({len(stream_times)} jobs through one worker):")
    print(f"    id written to answer read          median {stream_median:7.3f} ms   p90 {stream_p90:7.3f} ms   "
          f"min {stream_min:7.3f} ms; against {' '.join(alone)} alone {stream_median - alone_median:7.3f} ms")
    print(f"    the worker's own CPU time          {stream_cpu:7.3f} ms a job (the job's own excluded)   target <= 2.5 ms"
          f"   {'ok' if stream_cpu <= 2.5 else 'MISSED'}")
    calls, bytes_in, bytes_out, round_trips, connections = per_job
    print(f"  redis per job ({arguments.traffic_runs} runs): "
          + ", ".join(f"{name} {count:g}" for name, count in sorted(calls.items())))
    print(f"  bytes to redis {bytes_in:8.0f}   from redis {bytes_out:6.0f}   round trips {round_trips:4.2f}   "
          f"connections {connections:4.2f}")
    print(f"  attempts recorded: {attempts}")
    return 1 if arguments.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
