"""What the bench scripts share: the clustmake they measure, their working directory, and one measured child."""
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def add_clustmake_option(parser):
    """`--clustmake PATH`, the release build by default."""
    parser.add_argument("--clustmake", default=os.path.join(ROOT, ".build/release/clustmake"))


def require_clustmake(path):
    """Exits, saying how to build it, unless `path` is an executable; returns its absolute path."""
    if not os.access(path, os.X_OK):
        sys.exit(f"{path} not found: build it with 'swift build -c release'")
    return os.path.abspath(path)


@contextlib.contextmanager
def work_directory(keep, prefix):
    """`keep` (made if missing and left afterwards), else a new temporary directory removed afterwards."""
    work = keep or tempfile.mkdtemp(prefix=prefix)
    os.makedirs(work, exist_ok=True)
    try:
        yield work
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def measured(argv, stdout, stderr, cwd=None):
    """Runs `argv` to its end with the given output files: wall seconds, CPU seconds and peak RSS in MiB of that
    child alone (os.wait4 gives its own rusage), and its exit status."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=stdout, stderr=stderr)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)
