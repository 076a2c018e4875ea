#!/usr/bin/env python3
"""Collector at scale: `clustmake stats` over a namespace holding 100,000 finished attempts.

A private redis-server is filled with a recorded run (ClustmakeCollectorTests' ScaleTests, run with
CLUSTMAKE_BENCH_REDIS and CLUSTMAKE_BENCH_ATTEMPTS: about 91,000 jobs on 20 hosts x 8 lanes, every tenth job failing
once, written through the worker's own store API with fixed times). Then `clustmake stats` (text, then --json) runs
several times: wall time, CPU time and peak RSS of the command, and the server's CPU time. In the same run
`redis-benchmark -P 100 -t get` measures the same server, and the script prints the ratio of records read per second
(job definitions, job statuses and attempts: the hashes the command reads) to redis GETs per second.
Target: stats in at most 2 s.

Usage: bench/stats-scale.py [--clustmake PATH] [--attempts N] [--runs N] [--scratch-path DIR]
Build first: swift build -c release --product clustmake && swift build --build-tests
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile

import time

import benchlib

TARGET_SECONDS = 2.0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(directory, port):
    server = shutil.which("redis-server") or sys.exit("redis-server is not installed (apt-get install redis-server)")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no",
         "--logfile", os.path.join(directory, "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        if subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True).stdout.strip() == "PONG":
            return process
        time.sleep(0.01)
    process.kill()
    sys.exit("redis-server did not start")


def server_cpu(port):
    info = subprocess.run(["redis-cli", "-p", str(port), "INFO", "cpu"], capture_output=True, text=True).stdout
    return sum(float(value) for name, value in re.findall(r"used_cpu_(user|sys):([0-9.]+)", info))


def populate(root, port, attempts, scratch):
    command = ["swift", "test", "--skip-build", "--filter", "ScaleTests"]
    if scratch:
        command[3:3] = ["--scratch-path", scratch]
    environment = dict(os.environ, CLUSTMAKE_BENCH_REDIS=f"redis://127.0.0.1:{port}",
                       CLUSTMAKE_BENCH_ATTEMPTS=str(attempts))
    start = time.perf_counter()
    result = subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"filling redis failed ({' '.join(command)}):\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def run_stats(clustmake, port, extra):
    """Wall time, CPU time and peak RSS of one `clustmake stats`, and the server's CPU time meanwhile."""
    before = server_cpu(port)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        wall, cpu, peak, code = benchlib.measured(
            [clustmake, "stats", "--namespace", "scale", "--redis", f"redis://127.0.0.1:{port}"] + extra, out, err)
        if code != 0:
            err.seek(0)
            sys.exit(f"clustmake stats failed: {err.read().decode(errors='replace')}")
        out.seek(0)
        size = len(out.read())
    return wall, cpu, peak, server_cpu(port) - before, size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_clustmake_option(parser)
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scratch-path", help="the scratch path the tests were built in (swift build --scratch-path)")
    arguments = parser.parse_args()
    arguments.clustmake = benchlib.require_clustmake(arguments.clustmake)
    if not shutil.which("redis-benchmark"):
        sys.exit("redis-benchmark is not installed (apt-get install redis-tools)")

    directory = tempfile.mkdtemp(prefix="clustmake-stats-scale.")
    port = free_port()
    server = start_redis(directory, port)
    try:
        print(f"filling redis 127.0.0.1:{port} with {arguments.attempts:,} attempts through the store's worker API ...",
              flush=True)
        fill = populate(benchlib.ROOT, port, arguments.attempts, arguments.scratch_path)
        keys = int(subprocess.run(["redis-cli", "-p", str(port), "DBSIZE"], capture_output=True, text=True).stdout)
        jobs = int(subprocess.run(["redis-cli", "-p", str(port), "ZCARD", "compmake:{scale}:jobs"],
                                  capture_output=True, text=True).stdout)
        used = subprocess.run(["redis-cli", "-p", str(port), "INFO", "memory"], capture_output=True, text=True).stdout
        memory = re.search(r"used_memory_human:(\S+)", used).group(1)
        print(f"  filled in {fill:.1f} s: {jobs:,} jobs, {arguments.attempts:,} attempts, {keys:,} keys, {memory}")
        records = 2 * jobs + arguments.attempts

        for label, extra in (("stats", []), ("stats --json", ["--json"])):
            runs = [run_stats(arguments.clustmake, port, extra) for _ in range(arguments.runs)]
            walls = [run[0] for run in runs]
            wall = statistics.median(walls)
            print(f"\nclustmake {label} ({arguments.runs} runs, output {runs[0][4]:,} bytes)")
            print(f"  wall time   median {wall:.2f} s, best {min(walls):.2f} s, worst {max(walls):.2f} s "
                  f"(target <= {TARGET_SECONDS:.0f} s: {'met' if wall <= TARGET_SECONDS else 'MISSED'})")
            print(f"  CPU time    command {statistics.median(r[1] for r in runs):.2f} s, "
                  f"redis-server {statistics.median(r[3] for r in runs):.2f} s")
            print(f"  peak RSS    {max(r[2] for r in runs):.0f} MiB")
            if label == "stats":
                stats_wall = wall

        result = subprocess.run(
            ["redis-benchmark", "-p", str(port), "-P", "100", "-t", "get", "-n", "2000000", "-q"],
            capture_output=True, text=True)
        match = re.search(r"GET: ([0-9.]+) requests per second", result.stdout.replace("\r", "\n"))
        if not match:
            sys.exit(f"cannot read redis-benchmark's output: {result.stdout[-500:]}")
        gets = float(match.group(1))
        rate = records / stats_wall
        print(f"\nredis-benchmark -P 100 -t get on the same server: {gets:,.0f} GET/s")
        print(f"clustmake stats reads {records:,} records ({jobs:,} job definitions, {jobs:,} job statuses, "
              f"{arguments.attempts:,} attempts) in {stats_wall:.2f} s: {rate:,.0f} records/s")
        print(f"ratio of records read per second to GETs per second: {rate / gets:.3f} "
              f"(attempts alone: {arguments.attempts / stats_wall / gets:.3f})")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
