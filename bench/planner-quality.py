#!/usr/bin/env python3
"""Planner quality: clustmake's planned makespan against plain HEFT, both over a lower bound.

For every WfCommons instance (*.json) in a directory and every slot count (default 4, 16 and 64 slots of speed 1),
this script

  * computes the lower bound max(critical path, total cost / slots) and plain HEFT (upward-rank order,
    earliest-finish slot with ties to the lowest slot index, no insertion) itself, independently of clustmake;
  * runs the real CLI, `clustmake plan WORKFLOW --cluster CLUSTER.yaml -o OUTDIR`, on a one-host cluster with that
    many processors, and reads `makespan` and `lower_bound` from OUTDIR/plan.json;
  * prints one row per instance, then the mean ratios and whether the targets hold:
      - never worse than HEFT on any instance,
      - strictly better wherever HEFT is more than 5% above the bound,
      - mean clustmake/bound at most 1.05.

It prints; it does not assert: the exit status is 0 whether or not the targets hold (1 when clustmake fails,
2 for bad usage).

    bench/planner-quality.py [WORKFLOW_DIR] [--clustmake PATH] [--slots 4,16,64] [--check-heft] [--tight]

--check-heft also runs `clustmake plan --planner heft` and checks that clustmake's own HEFT has exactly the
makespan computed here (both are printed when they differ). --tight adds a two-sided energy bound (the work that
must fall between a head threshold and a tail threshold) to show how much of the gap to the simple bound is real.
Python 3 standard library only.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE = 1e-9  # relative: plan.json numbers may have gone through a decimal round trip


def load_workflow(path):
    """Costs and dependency lists by job index, in clustmake's order: specification.tasks order, parents in
    order without repeats, cost = runtimeInSeconds of the matching execution task (1 when missing)."""
    with open(path) as handle:
        workflow = json.load(handle)["workflow"]
    specification = workflow.get("specification")
    tasks = specification["tasks"] if specification else workflow["tasks"]
    executed = {}
    if specification:
        for task in workflow.get("execution", {}).get("tasks", []):
            executed[task["id"]] = task
    index = {task["id"]: position for position, task in enumerate(tasks)}
    costs, predecessors = [], []
    for task in tasks:
        record = executed.get(task["id"], task)
        runtime = record.get("runtimeInSeconds", record.get("runtime"))
        costs.append(float(runtime) if runtime is not None else 1.0)
        deps = []
        for parent in task.get("parents", []):
            if index[parent] not in deps:
                deps.append(index[parent])
        predecessors.append(deps)
    return costs, predecessors


class Graph:
    def __init__(self, costs, predecessors):
        self.costs = costs
        self.predecessors = predecessors
        count = len(costs)
        self.successors = [[] for _ in range(count)]
        for job in range(count):  # ascending job order, as clustmake's reversed adjacency lists
            for dep in predecessors[job]:
                self.successors[dep].append(job)
        # Kahn's algorithm, FIFO seeded in input order (clustmake's topologicalOrder).
        remaining = [len(deps) for deps in predecessors]
        order = [job for job in range(count) if remaining[job] == 0]
        head = 0
        while head < len(order):
            job = order[head]
            head += 1
            for successor in self.successors[job]:
                remaining[successor] -= 1
                if remaining[successor] == 0:
                    order.append(successor)
        if len(order) != count:
            raise ValueError("the dependencies form a cycle")
        self.order = order
        self.position = [0] * count
        for position, job in enumerate(order):
            self.position[job] = position
        # Upward rank: cost + the largest rank among successors (the same additions, in the same order).
        rank = [0.0] * count
        for job in reversed(order):
            longest = 0.0
            for successor in self.successors[job]:
                if rank[successor] > longest:
                    longest = rank[successor]
            rank[job] = costs[job] + longest
        self.rank = rank
        # Head: the longest chain before a job (for --tight).
        head_length = [0.0] * count
        for job in order:
            for successor in self.successors[job]:
                candidate = head_length[job] + costs[job]
                if candidate > head_length[successor]:
                    head_length[successor] = candidate
        self.head = head_length

    def total_cost(self):
        total = 0.0
        for cost in self.costs:  # a plain loop: sum() compensates rounding since Python 3.12
            total += cost
        return total

    def lower_bound(self, slots, speed=1.0):
        return max(max(self.rank) / speed, self.total_cost() / (slots * speed))

    def heft(self, slots, speed=1.0):
        """Plain HEFT makespan: decreasing upward rank (ties: topological position), each job on the slot where it
        ends first (ties: the lowest slot index), after the slot's last job."""
        jobs = sorted(range(len(self.costs)), key=lambda job: (-self.rank[job], self.position[job]))
        free = [0.0] * slots
        end = [0.0] * len(self.costs)
        for job in jobs:
            ready = 0.0
            for dep in self.predecessors[job]:
                if end[dep] > ready:
                    ready = end[dep]
            duration = self.costs[job] / speed
            best_slot, best_end = -1, math.inf
            for slot in range(slots):
                start = free[slot] if free[slot] > ready else ready
                if start + duration < best_end:
                    best_slot, best_end = slot, start + duration
            free[best_slot] = best_end
            end[job] = best_end
        return max(end)

    def tight_bound(self, slots, thresholds=120):
        """An energy bound: max over A, B of A + B + W(A, B) / slots, where W is the work that must run between A
        and makespan - B, since no job starts before its head (longest chain before it) nor ends later than
        makespan minus its tail (longest chain after it). A runs over the most common heads and head quantiles;
        for each A, every breakpoint B is swept exactly."""
        costs, head = self.costs, self.head
        tail = [self.rank[job] - costs[job] for job in range(len(costs))]
        total = self.total_cost()
        best = self.lower_bound(slots)
        counts = {}
        for value in head:
            counts[value] = counts.get(value, 0) + 1
        common = sorted(counts, key=lambda value: (-counts[value], value))[: thresholds // 2]
        ordered = sorted(set(head) | {h + c for h, c in zip(head, costs)})
        spread = {ordered[int(k * (len(ordered) - 1) / (thresholds // 2))] for k in range(thresholds // 2 + 1)}
        for a in sorted(set(common) | spread | {0.0}):
            remaining = [c - min(c, max(0.0, a - h)) for h, c in zip(head, costs)]
            # W(B) = sum of remaining minus what may run after makespan - B: job i loses B - tail_i from tail_i on,
            # down to 0 at tail_i + remaining_i. Piecewise linear: sweep the breakpoints.
            events = []
            base = 0.0
            for t, r in zip(tail, remaining):
                if r > 0:
                    base += r
                    events.append((t, 0, t, r))
                    events.append((t + r, 1, t, r))
            events.sort()
            active, active_tails, finished = 0, 0.0, 0.0
            index = 0
            while index < len(events):
                b = events[index][0]
                ended = False
                while index < len(events) and events[index][0] == b:
                    _, kind, t, r = events[index]
                    if kind == 0:
                        active += 1
                        active_tails += t
                    else:
                        active -= 1
                        active_tails -= t
                        finished += r
                        ended = True
                    index += 1
                work = base - (active * b - active_tails) - finished
                if work > 1e-9 * total:
                    best = max(best, a + b + work / slots)
                elif ended:
                    best = max(best, a + b)  # the limit from the left, where some work was still forced
        return best


def run_clustmake(binary, workflow, slots, workdir, extra=()):
    cluster = os.path.join(workdir, "cluster-%d.yaml" % slots)
    with open(cluster, "w") as handle:
        handle.write("hosts:\n  node1:\n    host: node1\n    processors: %d\n" % slots)
    outdir = os.path.join(workdir, "plan-%d-%s" % (slots, "-".join(extra) or "best"))
    command = [binary, "plan", workflow, "--cluster", cluster, "-o", outdir, "--no-push", *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("%s exited with %d: %s" % (" ".join(command), result.returncode, result.stderr.strip()))
    with open(os.path.join(outdir, "plan.json")) as handle:
        plan = json.load(handle)
    return float(plan["makespan"]), float(plan["lower_bound"])


def main():
    parser = argparse.ArgumentParser(description="Compare clustmake's planner with plain HEFT on WfCommons workflows.")
    parser.add_argument(
        "workflows", nargs="?", default=os.path.join(REPO, "..", "shared", "data", "workflows"),
        help="directory of WfCommons *.json instances (default: ../shared/data/workflows from the repository root)")
    parser.add_argument(
        "--clustmake", default=os.path.join(REPO, ".build", "release", "clustmake"),
        help="the clustmake executable (default: .build/release/clustmake)")
    parser.add_argument("--slots", default="4,16,64", help="comma-separated slot counts (default: 4,16,64)")
    parser.add_argument(
        "--check-heft", action="store_true", help="also compare clustmake --planner heft with HEFT computed here")
    parser.add_argument("--tight", action="store_true", help="also compute a tighter two-sided lower bound (slow)")
    options = parser.parse_args()

    directory = os.path.normpath(options.workflows)
    files = sorted(name for name in os.listdir(directory) if name.endswith(".json")) if os.path.isdir(directory) else []
    if not files:
        print("no *.json workflows in %s" % directory, file=sys.stderr)
        return 2
    if not os.access(options.clustmake, os.X_OK):
        print("%s is not an executable; build it with `swift build -c release` or pass --clustmake PATH"
              % options.clustmake, file=sys.stderr)
        return 2
    slot_counts = [int(value) for value in options.slots.split(",")]

    header = "%-22s %6s %5s %14s %10s %10s" % ("workflow", "jobs", "slots", "lower bound", "HEFT/lb", "ours/lb")
    if options.tight:
        header += " %10s %10s" % ("tight/lb", "ours/tight")
    print(header + "  verdict")
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="planner-quality-") as workdir:
        for name in files:
            path = os.path.join(directory, name)
            try:
                graph = Graph(*load_workflow(path))
            except (OSError, ValueError, KeyError, TypeError) as error:
                print("skipping %s: not a WfCommons instance clustmake can plan (%r)" % (name, error), file=sys.stderr)
                continue
            for slots in slot_counts:
                bound = graph.lower_bound(slots)
                heft = graph.heft(slots)
                try:
                    ours, cli_bound = run_clustmake(options.clustmake, path, slots, workdir)
                except (RuntimeError, OSError, ValueError, KeyError) as error:
                    print("cannot plan %s on %d slots: %s" % (name, slots, error), file=sys.stderr)
                    return 1
                if abs(cli_bound - bound) > TOLERANCE * bound:
                    notes.append("%s on %d slots: clustmake's lower bound %r differs from %r computed here"
                                 % (name, slots, cli_bound, bound))
                if options.check_heft:
                    try:
                        cli_heft, _ = run_clustmake(options.clustmake, path, slots, workdir, ("--planner", "heft"))
                    except RuntimeError as error:
                        notes.append("no HEFT cross-check: %s" % error)
                        options.check_heft = False
                    else:
                        if cli_heft != heft:
                            notes.append("%s on %d slots: clustmake's HEFT makespan %r, HEFT here %r"
                                         % (name, slots, cli_heft, heft))
                heft_ratio, ours_ratio = heft / bound, ours / bound
                if ours > heft * (1 + TOLERANCE):
                    verdict = "WORSE than HEFT"
                elif heft_ratio > 1.05:
                    verdict = "better" if ours < heft * (1 - TOLERANCE) else "NOT better (HEFT > 5% above bound)"
                else:
                    verdict = "better" if ours < heft * (1 - TOLERANCE) else "same"
                line = "%-22s %6d %5d %14.3f %10.4f %10.4f" % (
                    name[:-5], len(graph.costs), slots, bound, heft_ratio, ours_ratio)
                if options.tight:
                    tight = graph.tight_bound(slots)
                    line += " %10.4f %10.4f" % (tight / bound, ours / tight)
                print(line + "  " + verdict, flush=True)
                rows.append((heft, ours, heft_ratio, ours_ratio))

    count = len(rows)
    if count == 0:
        print("no WfCommons workflows planned", file=sys.stderr)
        return 2
    mean_heft = sum(row[2] for row in rows) / count
    mean_ours = sum(row[3] for row in rows) / count
    never_worse = all(ours <= heft * (1 + TOLERANCE) for heft, ours, _, _ in rows)
    above = [(heft, ours) for heft, ours, heft_ratio, _ in rows if heft_ratio > 1.05]
    better_where_needed = all(ours < heft * (1 - TOLERANCE) for heft, ours in above)
    print()
    print("mean HEFT/lb      %.4f" % mean_heft)
    print("mean ours/lb      %.4f" % mean_ours)
    print("never worse than HEFT:                      %s" % ("yes" if never_worse else "NO"))
    print("strictly better where HEFT > 5%% above lb:   %s (%d instance%s)"
          % ("yes" if better_where_needed else "NO", len(above), "" if len(above) == 1 else "s"))
    print("mean ours/lb <= 1.05:                       %s" % ("yes" if mean_ours <= 1.05 else "NO"))
    for note in notes:
        print("note: " + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
