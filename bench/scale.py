#!/usr/bin/env python3
"""Runs of many jobs on the embedded default: push, status, stats, report and (with --run) `clustmake run`.

For each graph (a random layered graph of --jobs jobs with about 3 edges a job, layers of 1,000 jobs; a
fan-out/fan-in: one source, --jobs jobs after it, one sink after all of them), in a fresh directory with clustmake's embedded redis
(started first, so that no timed command starts a server):

1. `clustmake push GRAPH --namespace pushed`, then `status`, `stats` and `report` on that namespace;
2. with --run, `clustmake run GRAPH --namespace ran --bundle auto --json --no-check` (a new namespace: the run
   pushes, plans and dispatches), then `status`, `stats` and `report` on the finished namespace.

Each command's wall time, CPU time (its own, and redis-server's meanwhile: on a loaded machine the CPU times say more
than the wall times) and peak RSS (os.wait4 gives the child's own rusage), redis's used_memory after each step,
and for the run the time from the command to its first `line-started` event (read from its --json output as it
comes) and the executor's RSS sampled from /proc every half second; the goals of issue 12 beside them:
status, stats and report each within 10 s at 1,000,000 jobs; executor peak at most 200 MiB for 100,000 jobs and
1.5 GiB for 1,000,000; first job within 15 s of the command.

With --run-limit SECONDS a run still going then is cancelled (SIGTERM: its workers record their jobs interrupted),
and the jobs done so far and their rate are printed: on a loaded machine a run of a million jobs may not end in
the time there is.

With --rounds N the three collector commands run N times in turn on each namespace, a row each: this machine's speed
moves by a fifth from one half hour to the next, and one run of a command that takes close to 10 s says little.

With --fresh-run the run goes into a directory of its own with a fresh embedded redis (the first one is stopped), as
a user's first run of a new graph; by default it goes into the same redis, which then holds two copies of the graph
(a million jobs: 1.2 GB, and the append-only file is rewritten during the run's push).

Usage: bench/scale.py [--clustmake PATH] [--jobs N] [--graph layered|fan|both] [--run [--run-limit SECONDS]]
                      [--fresh-run] [--keep DIR] [--rounds N]
Build first: swift build -c release
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading

import time

import benchlib

GOAL_COLLECTOR_SECONDS = 10.0
GOAL_FIRST_JOB_SECONDS = 15.0


def executor_goal_mib(jobs):
    """The executor's peak memory goal: 200 MiB up to 100,000 jobs, 1.5 GiB at 1,000,000 (issue 12)."""
    return 200.0 if jobs <= 100_002 else 1536.0


def write_fan(path, width, cost=lambda index: 0.001, ends=0.001, namespace="fan"):
    """One source, `width` jobs after it, one sink after all of them; `cost(i)` of the i-th middle job."""
    jobs = [{"id": "source", "command": "true", "cost": ends}]
    jobs += [{"id": f"m{i}", "command": "true", "deps": ["source"], "cost": cost(i)} for i in range(width)]
    jobs.append({"id": "sink", "command": "true", "deps": [f"m{i}" for i in range(width)], "cost": ends})
    with open(path, "w") as out:
        json.dump({"namespace": namespace, "jobs": jobs}, out, separators=(",", ":"))
    return len(jobs), 2 * width


def write_layered(path, jobs, width=1000, fan_in=3, seed=7, cost=lambda rng: "0.001"):
    """Layers of `width` jobs, each job after `fan_in` random jobs of the layer before; `cost(rng)` as JSON text."""
    rng = random.Random(seed)
    edges = 0
    with open(path, "w") as out:
        out.write('{"namespace":"layered","jobs":[')
        for index in range(jobs):
            layer, position = divmod(index, width)
            if index:
                out.write(",")
            if layer == 0:
                out.write('{"id":"j%d","command":"true","cost":%s}' % (index, cost(rng)))
                continue
            base = (layer - 1) * width
            deps = rng.sample(range(width), fan_in)
            edges += fan_in
            out.write('{"id":"j%d","command":"true","deps":[%s],"cost":%s}'
                      % (index, ",".join('"j%d"' % (base + d) for d in deps), cost(rng)))
        out.write("]}")
    return jobs, edges


class RSSSampler(threading.Thread):
    """The RSS of one process, from /proc every `period` seconds: the peak and (seconds, MiB) samples."""

    def __init__(self, pid, period=0.5):
        super().__init__(daemon=True)
        self.pid, self.period, self.samples, self.done = pid, period, [], threading.Event()
        self.start_time = time.perf_counter()

    def run(self):
        while not self.done.is_set():
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024.0
                self.samples.append((time.perf_counter() - self.start_time, rss))
            except (OSError, AttributeError):
                pass
            self.done.wait(self.period)


class RunEvents:
    """What a run's --json output said so far: when it started its first line, and how many jobs are done."""

    def __init__(self, start):
        self.start, self.first_line, self.done = start, None, 0

    def read(self, line):
        if self.first_line is None and b'"line-started"' in line:
            self.first_line = time.perf_counter() - self.start
        if b'"jobs-done"' in line:
            self.done += len(json.loads(line)["jobs"])


def timed(clustmake, arguments, directory, log, redis, events=False, limit=None):
    """Runs `clustmake ARGUMENTS` in `directory`, stopped with SIGTERM (a cancel) after `limit` seconds: wall s,
    CPU s (its own, and redis-server's meanwhile), peak RSS MiB, exit status, the ``RunEvents`` of its stdout when
    `events` (else None), and the RSS samples."""
    redis_before = redis.cpu()
    start = time.perf_counter()
    with open(log + ".out", "w+b") as out, open(log + ".err", "w+") as err:
        child = subprocess.Popen([clustmake] + arguments, cwd=directory, stderr=err,
                                 stdout=subprocess.PIPE if events else out)
        sampler = RSSSampler(child.pid)
        sampler.start()
        stopper = threading.Timer(limit, child.terminate) if limit else None
        if stopper:
            stopper.start()
        seen = RunEvents(start) if events else None
        if events:
            for line in child.stdout:
                seen.read(line)
                out.write(line)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if stopper:
            stopper.cancel()
        sampler.done.set()
        sampler.join()
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1) and not (limit and code == 130):
            err.seek(0)
            sys.exit(f"clustmake {' '.join(arguments)} failed ({code}): {err.read()[-2000:]}")
    cpu = (usage.ru_utime + usage.ru_stime, redis.cpu() - redis_before)
    return wall, cpu, usage.ru_maxrss / 1024.0, code, seen, sampler.samples


def row(label, wall, cpu, peak, redis_mib, goal=""):
    print(f"  {label:<26} {wall:>8.2f} {cpu[0]:>7.2f} {cpu[1]:>7.2f} {peak:>9.0f} {redis_mib:>9.0f}  {goal}",
          flush=True)


def failed(code, log):
    """The command's failure, from its last stderr line ('' when it exited 0)."""
    if code == 0:
        return ""
    with open(log + ".err") as err:
        lines = err.read().strip().splitlines()
    return f"FAILED (exit {code}): {lines[-1] if lines else ''}"


def verdict(ok, text):
    return f"{'met' if ok else 'MISSED'} ({text})"


def collector_commands(clustmake, namespace, directory, redis, jobs, rounds):
    """status, stats and report, `rounds` times in turn (this machine's speed moves by a fifth from one half hour to
    the next; each round gets a row of its own)."""
    report = os.path.join(directory, f"report-{namespace}.html")
    for turn in range(1, rounds + 1):
        for name, extra in (("status", []), ("stats", []), ("report", ["-o", report])):
            log = os.path.join(directory, f"{name}-{namespace}")
            wall, cpu, peak, code, _, _ = timed(clustmake, [name, "--namespace", namespace] + extra, directory, log,
                                                redis)
            goal = verdict(wall <= GOAL_COLLECTOR_SECONDS, f"<= {GOAL_COLLECTOR_SECONDS:.0f} s at 1,000,000 jobs")
            label = f"{name} ({namespace})" + (f" #{turn}" if rounds > 1 else "")
            row(label, wall, cpu, peak, redis.used_memory(), failed(code, log) or (goal if jobs >= 1_000_000 else ""))


def measure(clustmake, graph, jobs, edges, directory, run, limit, fresh=False, rounds=1):
    redis = benchlib.EmbeddedRedis(clustmake, directory)
    try:
        print(f"\n{os.path.basename(graph)}: {jobs:,} jobs, {edges:,} edges, {os.path.getsize(graph) / 1e6:.1f} MB; "
              f"redis before: {redis.used_memory():.1f} MiB", flush=True)
        print(f"  {'command':<26} {'wall s':>8} {'cpu s':>7} {'redis s':>7} {'peak MiB':>9} {'redis MiB':>9}  goal")
        log = os.path.join(directory, "push")
        wall, cpu, peak, code, _, _ = timed(clustmake, ["push", graph, "--namespace", "pushed"], directory, log,
                                            redis)
        row("push", wall, cpu, peak, redis.used_memory(), failed(code, log))
        collector_commands(clustmake, "pushed", directory, redis, jobs, rounds)
        if not run:
            return
        if fresh:
            # The run in a directory of its own, with its own embedded redis (started first, untimed), as a user's
            # first run of a new graph; the pushed namespace's redis is stopped.
            redis.stop()
            directory = os.path.join(directory, "fresh-run")
            os.makedirs(directory, exist_ok=True)
            redis = benchlib.EmbeddedRedis(clustmake, directory)
            print(f"  (the run in {directory}, a fresh embedded redis: {redis.used_memory():.1f} MiB)")
        wall, cpu, peak, code, seen, samples = timed(
            clustmake, ["run", graph, "--namespace", "ran", "--bundle", "auto", "--json", "--no-check"], directory,
            os.path.join(directory, "run"), redis, events=True, limit=limit)
        goal = executor_goal_mib(jobs)
        stopped = code == 130 and limit
        row("run --bundle auto" + (" (stopped)" if stopped else ""), wall, cpu, peak, redis.used_memory(),
            verdict(peak <= goal, f"executor <= {goal:.0f} MiB" + (", so far" if stopped else "")))
        first = seen.first_line
        first_text = "never" if first is None else f"{first:.2f} s"
        print(f"  first job started {first_text} after the command: "
              + verdict(first is not None and first <= GOAL_FIRST_JOB_SECONDS, f"<= {GOAL_FIRST_JOB_SECONDS:.0f} s"))
        dispatching = wall - (first or wall)
        rate = seen.done / dispatching if dispatching > 0 else float("nan")
        ending = f"stopped after {limit:.0f} s (--run-limit)" if stopped else f"exit status {code}"
        print(f"  {ending}: {seen.done:,} of {jobs:,} jobs done, {rate:,.0f} jobs/s from the first line on")
        if code not in (0, 130):
            print(f"  {failed(code, os.path.join(directory, 'run'))}")
        if samples:
            step = max(1, len(samples) // 12)
            trace = ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples[::step])
            print(f"  executor RSS over time (MiB): {trace}")
        collector_commands(clustmake, "ran", directory, redis, jobs, rounds)
    finally:
        redis.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_clustmake_option(parser)
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs in each graph (100000, 1000000)")
    parser.add_argument("--graph", choices=("layered", "fan", "both"), default="both")
    parser.add_argument("--run", action="store_true", help="also run each graph with `clustmake run --bundle auto`")
    parser.add_argument("--run-limit", type=float, metavar="SECONDS",
                        help="cancel the run (SIGTERM) after this long and report the rate so far")
    parser.add_argument("--fresh-run", action="store_true",
                        help="run in a directory of its own with a fresh embedded redis (the pushed namespace's redis "
                             "is stopped first), as a first run of a new graph; by default the run's namespace goes "
                             "into the same redis as the pushed one")
    parser.add_argument("--keep", help="keep the inputs, outputs and redis in this directory")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run status, stats and report this many times in turn on each namespace (default 1)")
    args = parser.parse_args()
    clustmake = benchlib.require_clustmake(args.clustmake)
    if not shutil.which("redis-cli"):
        sys.exit("redis-cli is not installed (apt-get install redis-tools)")
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; {clustmake}")
    with benchlib.work_directory(args.keep, "clustmake-scale.") as work:
        for name in ("layered", "fan") if args.graph == "both" else (args.graph,):
            directory = os.path.join(work, name)
            os.makedirs(directory, exist_ok=True)
            graph = os.path.join(directory, f"{name}.json")
            if name == "layered":
                jobs, edges = write_layered(graph, args.jobs)
            else:
                jobs, edges = write_fan(graph, args.jobs)
            measure(clustmake, graph, jobs, edges, directory, args.run, args.run_limit, args.fresh_run,
                    max(1, args.rounds))
        load = os.getloadavg()
        print(f"\nload average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
