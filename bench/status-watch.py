#!/usr/bin/env python3
"""What `clustmake status --watch` costs a run it watches.

In a fresh directory with clustmake's embedded redis, a graph of --jobs no-op jobs (`true`) is pushed, then run with
`clustmake run` on this machine's slots while `clustmake status --watch --json` follows it, started half a second
after the run. Printed for each round: the run's wall time, the watch's CPU time (os.wait4 gives the child's own
rusage) and how many refreshes it made; with --compare, the same run watched by another build's `status --watch`,
alternated round by round, so both see the same machine. A watch that refreshes back to back whenever the run's
events move takes CPU from the run; the spaced watch (docs/collector.md, `status --watch`) should leave the run's
time near a run nobody watches, which --unwatched measures too.

Usage: bench/status-watch.py [--clustmake PATH] [--compare PATH] [--jobs N] [--rounds N] [--unwatched]
Build first: swift build -c release
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import benchlib

def one_round(clustmake, watcher, jobs):
    """Runs the graph once, watched by `watcher` (or nobody); returns (run seconds, watch CPU seconds, refreshes)."""
    directory = tempfile.mkdtemp(prefix="cmkb-watch.")
    try:
        graph = os.path.join(directory, "noop.json")
        with open(graph, "w") as out:
            json.dump({"jobs": [{"id": f"n{i}", "command": "true", "cost": 0.001} for i in range(jobs)]}, out)
        for command in (["redis", "start"], ["push", graph, "--namespace", "watched"]):
            subprocess.run([clustmake] + command, cwd=directory, capture_output=True, check=True)
        start = time.monotonic()
        run = subprocess.Popen([clustmake, "run", graph, "--namespace", "watched", "--no-check"], cwd=directory,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        watch = None
        if watcher:
            time.sleep(0.5)
            watch = subprocess.Popen([watcher, "status", "--namespace", "watched", "--watch", "--json"],
                                     cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        _, errors = run.communicate()
        seconds = time.monotonic() - start
        if run.returncode != 0:
            raise SystemExit(f"the run failed with {run.returncode}: {errors[-2000:]}")
        cpu, refreshes = 0.0, 0
        if watch:
            watch.send_signal(signal.SIGINT)
            refreshes = watch.stdout.read().count(b"\n")
            _, _, usage = os.wait4(watch.pid, 0)
            cpu = usage.ru_utime + usage.ru_stime
        subprocess.run([clustmake, "redis", "stop", "--force"], cwd=directory, capture_output=True)
        return seconds, cpu, refreshes
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    benchlib.add_clustmake_option(parser)
    parser.add_argument("--compare", help="another build's clustmake, whose status --watch is alternated with")
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--unwatched", action="store_true", help="also run each round with nobody watching")
    args = parser.parse_args()
    args.clustmake = benchlib.require_clustmake(args.clustmake)
    if args.compare:
        args.compare = benchlib.require_clustmake(args.compare)
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; {args.clustmake}")
    watchers = [("this build", args.clustmake)]
    if args.compare:
        watchers.append(("--compare", args.compare))
    if args.unwatched:
        watchers.append(("unwatched", None))
    print(f"\n{args.jobs:,} no-op jobs, embedded default; `status --watch --json` from half a second in")
    print(f"{'round':>5}  {'watched by':12} {'run s':>7} {'watch CPU s':>12} {'refreshes':>10}")
    for round_ in range(1, args.rounds + 1):
        for label, watcher in watchers:
            seconds, cpu, refreshes = one_round(args.clustmake, watcher, args.jobs)
            print(f"{round_:>5}  {label:12} {seconds:7.2f} {cpu:12.2f} {refreshes:10}", flush=True)


if __name__ == "__main__":
    main()
