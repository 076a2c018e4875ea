"""What the bench scripts share: the clustmake they measure, their working directory, one measured child, and the
embedded redis of a directory."""
import contextlib
import os
import re
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


class EmbeddedRedis:
    """The embedded redis of `directory`, reached with redis-cli over its socket and password file."""

    def __init__(self, clustmake, directory):
        self.clustmake = clustmake
        self.directory = directory
        result = subprocess.run([clustmake, "redis", "start", "--idle-timeout", "never"], cwd=directory,
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"clustmake redis start failed: {result.stderr.strip()}")
        state = os.path.join(directory, ".clustmake", "redis")
        self.socket = os.path.join(state, "redis.sock")
        with open(os.path.join(state, "password")) as f:
            self.password = f.read().strip()

    def info(self, section):
        return subprocess.run(["redis-cli", "-s", self.socket, "INFO", section], capture_output=True, text=True,
                              env=dict(os.environ, REDISCLI_AUTH=self.password)).stdout

    def used_memory(self):
        """used_memory, MiB."""
        match = re.search(r"^used_memory:(\d+)", self.info("memory"), re.M)
        return int(match.group(1)) / 2**20 if match else float("nan")

    def cpu(self):
        """The server's CPU time so far, s."""
        return sum(float(value) for _, value in re.findall(r"used_cpu_(user|sys):([0-9.]+)", self.info("cpu")))

    def stop(self):
        subprocess.run([self.clustmake, "redis", "stop", "--force"], cwd=self.directory, capture_output=True)
