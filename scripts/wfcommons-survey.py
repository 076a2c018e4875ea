#!/usr/bin/env python3
"""Load and plan every WfCommons instance under one or more directories with the real clustmake.

Usage: scripts/wfcommons-survey.py [--clustmake PATH] [--time-scale F] [--jobs N] DIR...

DIR is, for example, a clone of github.com/wfcommons/WfInstances, pegasus-instances or makeflow-instances. Every
*.json file whose top level has a `workflow` object is planned with `clustmake plan --print --no-history`
(nothing is written, no redis is asked). The report groups the files by their declared `schemaVersion` and says,
per version, how many load and plan, how many are refused as input (exit 2: the graph does not load) and how many
fail otherwise; then every failure with clustmake's message.

As written, an instance runs its recorded commands, so a task without one (a WfFormat 1.6 instance with only a
specification) is refused; --time-scale F plans every instance as sleeps instead, which checks only the graph.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def default_clustmake():
    """The built clustmake of this checkout (release, then debug), else the one on PATH."""
    for configuration in ("release", "debug"):
        candidate = REPOSITORY / ".build" / configuration / "clustmake"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("clustmake")


def instances(directories):
    """(path, declared version) of every WfCommons instance under the directories, and the other JSON files."""
    found, skipped = [], []
    for directory in directories:
        for path in sorted(Path(directory).rglob("*.json")):
            if ".git" in path.parts:
                continue
            try:
                with open(path, "rb") as handle:
                    document = json.load(handle)
            except (OSError, ValueError) as error:
                found.append((path, "unreadable", f"not JSON python can read: {error}"))
                continue
            if not isinstance(document, dict) or not isinstance(document.get("workflow"), dict):
                skipped.append(path)
                continue
            version = document.get("schemaVersion")
            found.append((path, str(version) if version is not None else "none", None))
    return found, skipped


def plan(clustmake, path, time_scale):
    """Runs `clustmake plan --print` on one instance: (exit status, its diagnostics on one line)."""
    command = [clustmake, "plan", "--print", "--no-history", str(path)]
    if time_scale is not None:
        command[2:2] = ["--time-scale", str(time_scale)]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return -1, "no answer within 600 s"
    return finished.returncode, " / ".join(line for line in finished.stderr.strip().splitlines() if line)


def version_key(version):
    parts = version.split(".")
    return (0, [int(part) for part in parts]) if all(part.isdigit() for part in parts) else (1, version)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", nargs="+", metavar="DIR", help="directories searched for *.json instances")
    parser.add_argument("--clustmake", default=default_clustmake(), help="the clustmake to run (default: the built one)")
    parser.add_argument("--time-scale", type=float, help="plan every instance as sleeps of runtime times F")
    parser.add_argument("--jobs", type=int, default=2, help="instances planned at once (default: 2)")
    arguments = parser.parse_args()
    if not arguments.clustmake:
        sys.exit("wfcommons-survey: no clustmake found: build it (swift build) or give --clustmake PATH.")

    found, skipped = instances(arguments.directories)
    results = defaultdict(lambda: {"files": 0, "planned": 0, "refused": 0, "failed": 0})
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, arguments.jobs)) as pool:
        pending = {}
        for path, version, problem in found:
            if problem is not None:
                results[version]["files"] += 1
                results[version]["refused"] += 1
                failures.append((version, path, problem))
                continue
            pending[pool.submit(plan, arguments.clustmake, path, arguments.time_scale)] = (path, version)
        for future in concurrent.futures.as_completed(pending):
            path, version = pending[future]
            status, message = future.result()
            counts = results[version]
            counts["files"] += 1
            if status == 0:
                counts["planned"] += 1
            elif status == 2:
                counts["refused"] += 1
                failures.append((version, path, message))
            else:
                counts["failed"] += 1
                failures.append((version, path, f"exit {status}: {message}"))

    mode = f"as sleeps (--time-scale {arguments.time_scale})" if arguments.time_scale else "as written"
    print(f"clustmake plan on {len(found)} WfCommons instances in {', '.join(arguments.directories)}, {mode}")
    if skipped:
        print(f"({len(skipped)} other JSON files are not WfCommons instances and were left out)")
    print()
    print(f"{'schemaVersion':<14}{'files':>7}{'load+plan':>11}{'refused':>9}{'failed':>8}")
    total = {"files": 0, "planned": 0, "refused": 0, "failed": 0}
    for version in sorted(results, key=version_key):
        counts = results[version]
        for key in total:
            total[key] += counts[key]
        print(
            f"{version:<14}{counts['files']:>7}{counts['planned']:>11}{counts['refused']:>9}{counts['failed']:>8}")
    print(f"{'all':<14}{total['files']:>7}{total['planned']:>11}{total['refused']:>9}{total['failed']:>8}")
    if failures:
        print()
        print("failures:")
        for version, path, message in sorted(failures, key=lambda item: (version_key(item[0]), str(item[1]))):
            print(f"  [{version}] {path}: {message}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
