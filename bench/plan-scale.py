#!/usr/bin/env python3
"""Planning at scale: wall time and peak memory of `clustmake plan`, input parsing and writing included.

(a) a fan-out/fan-in graph of 40,001 jobs; (b) a random layered graph of 1,000,000 jobs and about 3,000,000
edges; both on 50 hosts x 8 slots. Targets on a 2-core machine: (b) in at most 10 s and 2 GiB.

Usage: bench/plan-scale.py [--clustmake PATH] [--jobs N] [--keep DIR]
Build first: swift build -c release
"""
import argparse
import os
import sys
import time

import benchlib
import scale  # bench/scale.py: the graphs


def write_cluster(path, hosts=50, slots=8):
    with open(path, "w") as out:
        out.write("hosts:\n")
        for index in range(hosts):
            out.write(f"  node{index:02d}: {{host: node{index:02d}.lab, processors: {slots}}}\n")


def write_fan(path, width=39_999):
    return scale.write_fan(path, width, cost=lambda i: 1 + (i * 7919) % 60, ends=5)


def write_layered(path, jobs=1_000_000):
    return scale.write_layered(path, jobs, cost=lambda rng: str(rng.randint(1, 100)))


def measure(clustmake, graph, cluster, output):
    """Wall time, CPU time and peak RSS of one `clustmake plan`, and what it printed."""
    with open(os.path.join(os.path.dirname(output), "stdout.txt"), "w+") as out, \
            open(os.path.join(os.path.dirname(output), "stderr.txt"), "w+") as err:
        # --no-push: the plan alone is measured (pushing a million jobs is redis's work, not the planner's).
        wall, cpu, peak, code = benchlib.measured(
            [clustmake, "plan", graph, "--cluster", cluster, "-o", output, "--no-push"], out, err)
        out.seek(0)
        err.seek(0)
        if code != 0:
            sys.exit(f"clustmake plan failed ({code}): {err.read().strip()}")
        return wall, cpu, peak, out.read().strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchlib.add_clustmake_option(parser)
    parser.add_argument("--jobs", type=int, default=1_000_000, help="jobs in the layered graph")
    parser.add_argument("--keep", help="keep the generated inputs and plans in this directory")
    args = parser.parse_args()
    args.clustmake = benchlib.require_clustmake(args.clustmake)
    with benchlib.work_directory(args.keep, "clustmake-bench-") as work:
        cluster = os.path.join(work, "cluster.yaml")
        write_cluster(cluster)
        fan = os.path.join(work, "fan.json")
        layered = os.path.join(work, "layered.json")
        fan_jobs, fan_edges = write_fan(fan)
        started = time.perf_counter()
        jobs, edges = write_layered(layered, jobs=args.jobs)
        print(f"generated layered graph: {jobs:,} jobs, {edges:,} edges, "
              f"{os.path.getsize(layered) / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
        print(f"{'graph':<10} {'jobs':>10} {'edges':>10} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  target")
        for name, graph, n, e, target in [
            ("fan", fan, fan_jobs, fan_edges, None),
            ("layered", layered, jobs, edges, (10.0, 2048.0)),
        ]:
            wall, cpu, peak, summary = measure(args.clustmake, graph, cluster, os.path.join(work, f"plan-{name}"))
            verdict = ""
            if target:
                ok = wall <= target[0] and peak <= target[1]
                verdict = f"{'met' if ok else 'MISSED'} (<= {target[0]:.0f} s, <= {target[1]:.0f} MiB)"
            print(f"{name:<10} {n:>10,} {e:>10,} {wall:>8.2f} {cpu:>8.2f} {peak:>9.0f}  {verdict}")
            for line in summary.splitlines():
                print(f"    {line}")


if __name__ == "__main__":
    main()
