#!/usr/bin/env python3
"""Handing a plan to SLURM against clustmake run: time to submit, makespan and SLURM calls (docs/handoff.md).

Starts its own SLURM 22.05 (munged, slurmctld and one `slurmd -N nK` per node on this machine, as the tests'
SlurmTestCluster does: a munge key, a slurm.conf with free ports and a unique ClusterName, everything in a
temporary /tmp/clustmake-slurm.XXXXXX) and its own redis-server with a password on a free loopback port, then runs
one WfCommons workflow, its runtimes scaled into sleeps (`--time-scale`), three ways on the same number of slots:

  allocation  clustmake plan --target slurm + clustmake submit: one SLURM job of all the nodes, the static plan
  per-job     clustmake plan --target slurm-jobs + clustmake submit (--follow when the plan has more jobs than
              --max-submit): one SLURM job per job; "per-job mode: not in this build" when plan refuses the target
  run         clustmake run with a cluster file of one local host per node, as many slots each as a node has

Fair by construction: the same workflow and scale, the same worker (the build's compmake), the same redis, and
NODES x CPUS slots each way (the allocation's nodes x `processors`; per-job, SLURM's NODES x CPUS CPUs for jobs of
one core; run, NODES local hosts x CPUS slots). Each way runs alone, one after the other, with the same
`clustmake status --watch --interval 1 --json` going on from before the submission to the last job's end; its PATH
starts with a directory of wrappers for squeue, sacct, scontrol, sinfo, sbatch and scancel that log every call and
exec the real one.

Figures per way: time to submit (`submit` command start to exit; for run, none), makespan (submit start to the
last job's end, from redis: `clustmake stats --json`, never from SLURM), jobs done exactly once (one attempt and
state done, from redis), the watch's refreshes (its JSON lines) and its SLURM calls by command, the calls of one
`clustmake status` (text) right after the submission, and where each slot's time went (before its first job,
running jobs, waiting for dependencies, starting jobs, idle after its last job; from `clustmake results --json`). Ratios against
the goals of issue 10: allocation makespan / run makespan (<= 1.2), per-job submit time (< 30 s for 2,000 jobs),
queue calls per refresh (<= 1), calls that learn an outcome, sacct and scontrol (0).

The default workflow is two WfCommons instances of about 1,000 jobs side by side (genome-1000 and cycles-1000 of
../shared/data/workflows, /work/shared/data/workflows on the development machine; WfCommons publishes them in
github.com/wfcommons/WfInstances), merged by this script into one graph of about 2,000 jobs. `--workflow PATH`
takes any WfCommons file instead (give it twice or more to merge several; merging needs WfFormat 1.5 or later).

Needs root (slurmd starts jobs as their users; munged runs as root), the SLURM and munge packages and
redis-server (scripts/install-deps.sh installs them: slurmctld slurmd slurm-client munge redis-server), and a
build of clustmake and compmake:

    swift build -c release
    sudo python3 bench/handoff.py [--build .build/release] [--workflow PATH ...] [--time-scale 0.0025]
        [--nodes 2] [--cpus-per-node NPROC] [--ways allocation,per-job,run] [--max-submit N]
    sudo python3 bench/handoff.py --workflow small.json --time-scale 0.01     # a short check

Everything it starts (daemons, jobs, the watch, redis) is stopped and its directory removed at the end, also when
a way fails or on Ctrl-C / SIGTERM; a directory left by a killed run is removed by the next SLURM test cluster
(its owner.pid names a dead process).
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_WORKFLOWS = [os.path.join(ROOT, "..", "shared", "data", "workflows", name)
                     for name in ("genome-1000.json", "cycles-1000.json")]
WRAPPED = ("squeue", "sacct", "scontrol", "sinfo", "sbatch", "scancel")
DAEMONS = {"munged": "munge", "slurmctld": "slurmctld", "slurmd": "slurmd"}
CLIENTS = ("sinfo", "squeue", "sbatch", "scancel", "scontrol", "srun", "sacct")


def refuse(message):
    """Bad input or a missing prerequisite: one message on stderr, exit status 2, nothing started."""
    print(f"bench/handoff.py: {message}", file=sys.stderr)
    sys.exit(2)


class BenchError(Exception):
    """One clear message: what went wrong and what to do."""


class InputError(BenchError):
    """A workflow this script cannot use (exit status 2)."""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return f"--- {path}\n" + "".join(f.readlines()[-lines:])
    except OSError:
        return f"--- {path}: absent\n"


def iso_seconds(text):
    """An ISO 8601 instant of clustmake's JSON (`2026-12-06T06:06:02.022Z`) as seconds since the epoch."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def kill_holders(directory, limit=10.0):
    """SIGKILLs every process but this one with a file, socket or working directory under `directory`, until
    none is left (as SlurmTestCluster's shutdown does: slurmstepd and the jobs it started)."""
    prefix = directory.rstrip("/") + "/"
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        inodes = set()
        try:
            with open("/proc/net/unix") as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if len(fields) >= 8 and fields[7].startswith(prefix):
                        inodes.add(f"socket:[{fields[6]}]")
        except OSError:
            pass
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                links = [f"/proc/{entry}/fd/{fd}" for fd in os.listdir(f"/proc/{entry}/fd")] + [f"/proc/{entry}/cwd"]
            except OSError:
                continue
            for link in links:
                try:
                    target = os.readlink(link)
                except OSError:
                    continue
                if target.startswith(prefix) or target + "/" == prefix or target in inodes:
                    found.append(int(entry))
                    break
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def stop_group(proc, grace=10.0):
    """SIGTERM to the process group of `proc` (started with start_new_session), SIGKILL after `grace`."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except (OSError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()


class Slurm:
    """munged, slurmctld and one slurmd per node, all on this machine and in `directory` (cf.
    Sources/ClustmakeTestSupport/SlurmTestCluster+Configuration.swift for the configuration's reasons)."""

    def __init__(self, directory, nodes, cpus):
        self.dir = directory
        self.nodes = [f"n{i + 1}" for i in range(nodes)]
        self.cpus = cpus
        self.partition = "bench"
        self.conf = os.path.join(directory, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.daemons = []
        host = socket.gethostname().split(".")[0]
        memory = max(1, os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024) // nodes)
        key = os.path.join(directory, "munge.key")
        with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400), "wb") as f:
            f.write(os.urandom(1024))
        os.makedirs(os.path.join(directory, "state"))
        for node in self.nodes:
            os.makedirs(os.path.join(directory, "spool", node))
        d = directory
        lines = [
            f"ClusterName=cmkb{os.getpid()}", f"SlurmctldHost={host}(127.0.0.1)", f"SlurmctldPort={free_port()}",
            "SlurmUser=root", "SlurmdUser=root", "AuthType=auth/munge", "CredType=cred/munge",
            f"AuthInfo=socket={d}/munge.sock", f"StateSaveLocation={d}/state", f"SlurmdSpoolDir={d}/spool/%n",
            f"SlurmctldPidFile={d}/slurmctld.pid", f"SlurmdPidFile={d}/slurmd.%n.pid",
            f"SlurmctldLogFile={d}/slurmctld.log", f"SlurmdLogFile={d}/slurmd.%n.log",
            "SlurmctldDebug=info", "SlurmdDebug=info",
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none", "JobCompType=jobcomp/none", "MpiDefault=none",
            "MailProg=/bin/true", "SelectType=select/cons_tres", "SelectTypeParameters=CR_CPU",
            "SlurmdParameters=config_overrides", "ReturnToService=2",
            "SchedulerType=sched/backfill", "SchedulerParameters=sched_interval=1,bf_interval=1",
            "MinJobAge=600", "KillWait=2", "InactiveLimit=0",
            "MessageTimeout=30", "SlurmctldTimeout=300", "SlurmdTimeout=300",
            "MaxJobCount=100000",
        ]
        for node in self.nodes:
            lines.append(f"NodeName={node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={cpus} "
                         f"RealMemory={memory} State=UNKNOWN Port={free_port()}")
        lines.append(f"PartitionName={self.partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.tools = {name: shutil.which(name) for name in list(DAEMONS) + list(CLIENTS)}
        self._launch("munged", [self.tools["munged"], "--foreground", f"--socket={d}/munge.sock",
                                f"--key-file={key}", f"--pid-file={d}/munged.pid", f"--log-file={d}/munged.log",
                                f"--seed-file={d}/munged.seed"])
        self._wait("munged listens", lambda: os.path.exists(f"{d}/munge.sock"), 60)
        self._launch("slurmctld", [self.tools["slurmctld"], "-D", "-f", self.conf])
        for node in self.nodes:
            self._launch(f"slurmd {node}", [self.tools["slurmd"], "-D", "-f", self.conf, "-N", node])
        self._wait("every node idle", self._idle, 120)

    def _launch(self, label, arguments):
        name = label.split()[-1]
        out = open(os.path.join(self.dir, f"{name}.out"), "ab")
        proc = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=self.env, start_new_session=True)
        out.close()
        self.daemons.append((label, proc))

    def _wait(self, what, condition, limit):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            for label, proc in self.daemons:
                if proc.poll() is not None:
                    raise BenchError(f"SLURM: {label} exited during start-up.\n" + self.logs())
            if condition():
                return
            time.sleep(0.2)
        raise BenchError(f"SLURM: timed out after {limit} s waiting for: {what}.\n" + self.logs())

    def _idle(self):
        result = self.run(["sinfo", "--noheader", "--Node", "--format=%N %T"])
        states = dict(line.split() for line in result.stdout.splitlines() if len(line.split()) == 2)
        return result.returncode == 0 and all(states.get(node) == "idle" for node in self.nodes)

    def run(self, arguments, **kw):
        return subprocess.run([self.tools.get(arguments[0]) or arguments[0]] + arguments[1:], capture_output=True,
                              text=True, env=self.env, cwd=self.dir, **kw)

    def queue_length(self):
        result = self.run(["squeue", "--noheader", f"--partition={self.partition}", "--format=%i"])
        return len(result.stdout.split()) if result.returncode == 0 else None

    def logs(self):
        return "".join(tail(os.path.join(self.dir, name)) for name in
                       ["munged.out", "slurmctld.log"] + [f"slurmd.{n}.log" for n in self.nodes])

    def close(self):
        if any(label == "slurmctld" and proc.poll() is None for label, proc in self.daemons):
            self.run(["scancel", f"--partition={self.partition}"], timeout=30)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.queue_length() not in (0, None):
                time.sleep(0.2)
        for _, proc in reversed(self.daemons):
            stop_group(proc)


class Redis:
    """A redis-server on a free loopback port, its password in its config file and in a password file (0600)
    that the cluster files name: never on a command line."""

    def __init__(self, directory):
        self.port = free_port()
        self.password = os.urandom(16).hex()
        self.dir = os.path.join(directory, "redis")
        os.makedirs(self.dir)
        config = os.path.join(self.dir, "redis.conf")
        with open(os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {self.dir}\n"
                    f"requirepass {self.password}\n")
        self.password_file = os.path.join(directory, "redis-password")
        with open(os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(self.password + "\n")
        self.proc = subprocess.Popen(["redis-server", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        env = dict(os.environ, REDISCLI_AUTH=self.password)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "PING"], capture_output=True, text=True,
                                  env=env)
            if ping.stdout.strip() == "PONG":
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise BenchError(f"redis-server did not answer on 127.0.0.1:{self.port}")

    def close(self):
        stop_group(self.proc)


def merge_workflows(paths, target):
    """Several WfCommons instances (WfFormat 1.5 or later: workflow.specification and workflow.execution) side
    by side as one, each task id prefixed with its instance's number (w1_, w2_, …)."""
    merged = None
    for number, path in enumerate(paths, 1):
        with open(path) as f:
            try:
                document = json.load(f)
            except json.JSONDecodeError as error:
                raise InputError(f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}. Fix: give a "
                                 "WfCommons JSON instance.")
        workflow = document.get("workflow") if isinstance(document, dict) else None
        if not (isinstance(workflow, dict) and isinstance(workflow.get("specification"), dict)
                and isinstance(workflow.get("execution"), dict)):
            raise InputError(f"{path}: not a WfCommons instance of WfFormat 1.5 or later (workflow.specification "
                             "and workflow.execution), which is what this script can merge. Fix: give one "
                             "--workflow (clustmake reads every WfCommons version), or newer instances to merge.")
        prefix = f"w{number}_"
        specification, execution = workflow["specification"], workflow["execution"]
        tasks = [dict(task, id=prefix + task["id"], parents=[prefix + p for p in task.get("parents", [])],
                      children=[prefix + c for c in task.get("children", [])])
                 for task in specification.get("tasks", [])]
        runs = [dict(task, id=prefix + task["id"]) for task in execution.get("tasks", [])]
        if merged is None:
            merged = dict(document, name="+".join(os.path.basename(p) for p in paths))
            merged["workflow"] = dict(workflow, specification=dict(specification, tasks=tasks, files=[]),
                                      execution=dict(execution, tasks=runs))
            files = {}
        else:
            merged["workflow"]["specification"]["tasks"] += tasks
            merged["workflow"]["execution"]["tasks"] += runs
        for entry in specification.get("files", []):
            files.setdefault(entry.get("id"), entry)
    merged["workflow"]["specification"]["files"] = list(files.values())
    with open(target, "w") as f:
        json.dump(merged, f)
    return target


def count_tasks(path):
    """How many tasks a WfCommons instance holds (1.5+: workflow.specification.tasks; earlier: workflow.tasks or
    workflow.jobs), for per-job mode's max_submit before any plan was made."""
    with open(path) as f:
        workflow = json.load(f).get("workflow", {})
    for tasks in (workflow.get("specification", {}).get("tasks"), workflow.get("tasks"), workflow.get("jobs")):
        if isinstance(tasks, list):
            return len(tasks)
    return 0


class Bench:
    def __init__(self, args, directory, clustmake, compmake):
        self.args = args
        self.dir = directory
        self.clustmake = clustmake
        self.compmake = compmake
        self.slurm = None
        self.redis = None
        self.children = []

    # MARK: setting up

    def start(self):
        self.slurm = Slurm(self.dir, self.args.nodes, self.args.cpus_per_node)
        self.redis = Redis(self.dir)
        self.wrappers = os.path.join(self.dir, "wrappers")
        os.makedirs(self.wrappers)
        for name in WRAPPED:
            real = shutil.which(name)
            if real is None:
                continue
            path = os.path.join(self.wrappers, name)
            with open(path, "w") as f:
                # One line per call, appended (a short write to an O_APPEND file is never interleaved).
                f.write(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >>"$CLUSTMAKE_BENCH_CALLS"\nexec {real} "$@"\n')
            os.chmod(path, 0o755)
        nodes, cpus = self.args.nodes, self.args.cpus_per_node
        redis = (f'redis: {{url: "redis://127.0.0.1:{self.redis.port}/0", '
                 f'password_file: "{self.redis.password_file}"}}\n')
        slurm = (f"slurm:\n  nodes: {nodes}\n  processors: {cpus}\n  partition: {self.slurm.partition}\n"
                 f'  time: "{self.args.wall_time}"\n  worker: "{self.compmake}"\n'
                 f'  redis: {{from_nodes: "redis://127.0.0.1:{self.redis.port}/0"}}\n')
        self.allocation_file = self.write("allocation.yaml", slurm + redis)
        self.per_job_file = self.write("per-job.yaml", slurm + f"  max_submit: {{MAX}}\n" + redis)
        hosts = "".join(f'  n{k + 1}: {{local: true, processors: {cpus}, worker: "{self.compmake}"}}\n'
                        for k in range(nodes))
        self.run_file = self.write("local.yaml", "hosts:\n" + hosts + redis)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def close(self):
        for proc in self.children:
            stop_group(proc)
        if self.slurm:
            self.slurm.close()
        if self.redis:
            self.redis.close()
        kill_holders(self.dir)

    # MARK: commands

    def command(self, arguments, timeout=None):
        """clustmake ARGUMENTS in the bench directory with the cluster's SLURM_CONF, timed."""
        start = time.monotonic()
        result = subprocess.run([self.clustmake] + arguments, capture_output=True, text=True, cwd=self.dir,
                                env=self.slurm.env, timeout=timeout)
        return time.monotonic() - start, result

    def must(self, label, arguments, timeout=None):
        seconds, result = self.command(arguments, timeout)
        if result.returncode != 0:
            raise BenchError(f"{label} failed with status {result.returncode}: clustmake {' '.join(arguments)}\n"
                             f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
        return seconds, result

    def watch(self, namespace, cluster_file, name):
        """`clustmake status --watch --interval 1 --json` with the wrappers first on its PATH."""
        calls = os.path.join(self.dir, f"calls-{name}.log")
        open(calls, "w").close()
        output = open(os.path.join(self.dir, f"watch-{name}.jsonl"), "w")
        env = dict(self.slurm.env, PATH=self.wrappers + os.pathsep + os.environ.get("PATH", ""),
                   CLUSTMAKE_BENCH_CALLS=calls)
        proc = subprocess.Popen([self.clustmake, "status", "--watch", "--interval", "1", "--json", "--namespace",
                                 namespace, "--cluster", cluster_file], stdout=output,
                                stderr=open(os.path.join(self.dir, f"watch-{name}.err"), "w"), cwd=self.dir, env=env,
                                start_new_session=True)
        output.close()
        self.children.append(proc)
        return proc, output.name, calls

    def single_status(self, namespace, cluster_file, name):
        """One `clustmake status` (text: the form that shows the hand-off) through the wrappers: its SLURM calls."""
        calls = os.path.join(self.dir, f"calls-{name}-once.log")
        open(calls, "w").close()
        env = dict(self.slurm.env, PATH=self.wrappers + os.pathsep + os.environ.get("PATH", ""),
                   CLUSTMAKE_BENCH_CALLS=calls)
        result = subprocess.run([self.clustmake, "status", "--namespace", namespace, "--cluster", cluster_file],
                                capture_output=True, text=True, cwd=self.dir, env=env)
        if result.returncode != 0:
            raise BenchError(f"{name}: clustmake status failed with {result.returncode}: {result.stderr[-2000:]}")
        with open(calls) as f:
            return [line.strip() for line in f]

    def last_status(self, path):
        """The watch's last complete JSON line, or None."""
        try:
            with open(path) as f:
                lines = [line for line in f.read().split("\n")[:-1] if line.startswith("{")]
        except OSError:
            return None
        return json.loads(lines[-1]) if lines else None

    def wait_until_finished(self, way, watch, watch_output, limit, slurm_queue):
        """Until no job is not-started, in progress or lost (from the watch's JSON, i.e. redis). A status read
        while jobs end can show a job that just ended as lost (its lease is read after its state), so a lost job
        ends the wait only once its way is over: the run command exited, or the SLURM queue is empty. A SLURM way
        whose queue stays empty 30 s while jobs are left has failed: its output is shown."""
        deadline = time.monotonic() + limit
        empty_since = None
        while time.monotonic() < deadline:
            status = self.last_status(watch_output)
            states = status["states"] if status else {}
            left = states.get("not-started", 0) + states.get("in-progress", 0)
            if status is not None and left + states.get("lost", 0) == 0:
                return status
            if status is not None and left == 0 and (not slurm_queue or self.slurm.queue_length() == 0):
                return status
            if watch.poll() is not None:
                raise BenchError(f"{way}: clustmake status --watch exited with {watch.returncode}: "
                                 + tail(watch_output.replace(".jsonl", ".err")))
            if slurm_queue:
                if self.slurm.queue_length() == 0:
                    empty_since = empty_since or time.monotonic()
                    if time.monotonic() - empty_since > 30:
                        outputs = [os.path.join(root, f) for root, _, files in os.walk(self.dir)
                                   for f in files if f.startswith("slurm-") and f.endswith(".out")]
                        raise BenchError(f"{way}: the SLURM queue is empty but jobs are left: {states}\n"
                                         + "".join(tail(p) for p in sorted(outputs)[-3:]))
                else:
                    empty_since = None
            time.sleep(1)
        raise BenchError(f"{way}: not finished after {limit:.0f} s (--timeout)")

    # MARK: the ways

    def plan(self, way, workflow, cluster_file, target, namespace):
        plan_dir = os.path.join(self.dir, f"plan-{way}")
        seconds, result = self.command(["plan", workflow, "--time-scale", str(self.args.time_scale), "--cluster",
                                        cluster_file, "--target", target, "--namespace", namespace, "-o", plan_dir])
        return seconds, result, plan_dir

    def measure(self, way, namespace, cluster_file, submit, slurm_queue, estimate):
        """Starts the watch, runs `submit` (a function returning the submit command's seconds or None), waits for
        the end, and reads the figures from redis."""
        watch, watch_output, calls = self.watch(namespace, cluster_file, way)
        # The watch's first refresh is on screen before the clock starts.
        deadline = time.monotonic() + 60
        while self.last_status(watch_output) is None and time.monotonic() < deadline and watch.poll() is None:
            time.sleep(0.1)
        start = time.time()
        submit_seconds = submit()
        single = self.single_status(namespace, cluster_file, way) if slurm_queue else None
        self.wait_until_finished(way, watch, watch_output, max(self.args.timeout, 10 * estimate), slurm_queue)
        stop_group(watch)
        _, result = self.must(f"{way}: stats", ["stats", "--json", "--namespace", namespace, "--cluster",
                                                 cluster_file])
        stats = json.loads(result.stdout)
        jobs = stats["jobs"]
        once = sum(1 for job in jobs if job["state"] == "done" and job["attempts"] == 1)
        end = stats["run"]["end"]
        makespan = iso_seconds(end) - start if end else None
        first = iso_seconds(stats["run"]["start"]) - start if stats["run"]["start"] else None
        _, result = self.must(f"{way}: results", ["results", "--json", "--namespace", namespace, "--cluster",
                                                   cluster_file])
        lanes = breakdown(json.loads(result.stdout)["attempts"], start, iso_seconds(end) if end else start)
        with open(watch_output) as f:
            documents = [json.loads(line) for line in f if line.startswith("{") and line.endswith("}\n")]
        refreshes = len(documents)
        # Refreshes that showed a job lost while the way went on: a status read in the middle of a job's end.
        lost_seen = sum(1 for document in documents if document["states"].get("lost", 0) > 0)
        counts = {name: 0 for name in WRAPPED}
        with open(calls) as f:
            for line in f:
                name = line.split(" ", 1)[0]
                counts[name] = counts.get(name, 0) + 1
        return {"way": way, "submit": submit_seconds, "makespan": makespan, "first": first, "once": once, "jobs": len(jobs),
                "refreshes": refreshes, "lost_seen": lost_seen, "calls": counts, "lanes": lanes,
                "single": single}

    def allocation(self, workflow):
        namespace = f"bench-allocation-{os.getpid()}"
        plan_seconds, result, plan_dir = self.plan("allocation", workflow, self.allocation_file, "slurm", namespace)
        if result.returncode != 0:
            raise BenchError(f"allocation: plan failed with {result.returncode}:\n{result.stderr[-3000:]}")
        plan = json.load(open(os.path.join(plan_dir, "plan.json")))

        def submit():
            seconds, _ = self.must("allocation: submit", ["submit", plan_dir, "--cluster", self.allocation_file])
            return seconds

        row = self.measure("allocation", namespace, self.allocation_file, submit, True, plan["makespan"])
        row.update(plan=plan_seconds, planned=plan["makespan"], lower=plan["lower_bound"])
        return row

    def per_job(self, workflow, jobs):
        namespace = f"bench-per-job-{os.getpid()}"
        max_submit = self.args.max_submit or jobs
        with open(self.per_job_file) as f:
            text = f.read().replace("{MAX}", str(max_submit))
        with open(self.per_job_file, "w") as f:
            f.write(text)
        plan_seconds, result, plan_dir = self.plan("per-job", workflow, self.per_job_file, "slurm-jobs", namespace)
        if result.returncode != 0:
            # A build without the mode refuses the target's value itself (the argument parser's message).
            if "'slurm-jobs'" in result.stderr and "invalid" in result.stderr:
                first = result.stderr.strip().splitlines()[0] if result.stderr.strip() else ""
                print(f"per-job mode: not in this build ({first})")
                return None
            raise BenchError(f"per-job: plan failed with {result.returncode}:\n{result.stderr[-3000:]}")
        plan = json.load(open(os.path.join(plan_dir, "plan.json")))
        follow = ["--follow"] if jobs > max_submit else []

        def submit():
            seconds, _ = self.must("per-job: submit", ["submit", plan_dir, "--cluster", self.per_job_file] + follow)
            return seconds

        row = self.measure("per-job", namespace, self.per_job_file, submit, True, plan["makespan"])
        row.update(plan=plan_seconds, planned=plan["makespan"], lower=plan["lower_bound"], follow=bool(follow))
        return row

    def run(self, workflow, estimate):
        namespace = f"bench-run-{os.getpid()}"
        # The graph goes to redis first, so the watch has a namespace to show from the start.
        self.must("run: push", ["push", workflow, "--time-scale", str(self.args.time_scale), "--namespace",
                                namespace, "--cluster", self.run_file])

        def submit():
            self.must("run", ["run", workflow, "--time-scale", str(self.args.time_scale), "--namespace", namespace,
                              "--cluster", self.run_file, "--no-check", "--bundle", self.args.bundle])
            return None

        return self.measure("run", namespace, self.run_file, submit, False, estimate)


def breakdown(attempts, start, end):
    """Where each lane's time went between submit start and the last job's end (from redis' attempts, each lane's
    attempts in order): before its first job, running jobs, waiting for dependencies (the lane's previous job had
    ended before the next job was ready), starting the next job (from then to its start: the worker's start-up,
    its lease, the job line's dispatch), and idle after its last job. Means over the lanes, seconds."""
    by_lane = {}
    for a in attempts:
        if a.get("started") and a.get("ended"):
            by_lane.setdefault((a["host"], a["lane"]), []).append(a)
    totals = {"lanes": len(by_lane), "head": 0.0, "busy": 0.0, "waiting": 0.0, "starting": 0.0, "tail": 0.0,
              "gaps": 0}
    for runs in by_lane.values():
        runs.sort(key=lambda a: a["started"])
        previous = None
        for a in runs:
            started, ended = iso_seconds(a["started"]), iso_seconds(a["ended"])
            totals["busy"] += ended - started
            if previous is None:
                totals["head"] += started - start
            else:
                ready = iso_seconds(a["ready"]) if a.get("ready") else previous
                waiting = max(0.0, min(ready, started) - previous)
                totals["waiting"] += waiting
                totals["starting"] += max(0.0, started - previous - waiting)
                totals["gaps"] += 1
            previous = ended
        totals["tail"] += end - previous
    count = max(1, len(by_lane))
    return {key: (value / count if key not in ("lanes", "gaps") else value) for key, value in totals.items()}


def report(rows, args, slots, workflow_label, jobs):
    if not rows:
        print("\nnothing measured: no way ran in this build (see above)")
        return
    print(f"\n{workflow_label}: {jobs} jobs as sleeps x {args.time_scale}, {args.nodes} nodes x "
          f"{args.cpus_per_node} CPUs = {slots} slots each way; run with --bundle {args.bundle}")
    print("submit s: the submit command; first start, makespan: from submit start to the first job's start and to "
          "the last job's end (redis)")
    header = (f"{'way':11} {'plan s':>7} {'submit s':>9} {'first start':>11} {'makespan s':>11} {'done once':>10} "
              f"{'refreshes':>9} "
              + " ".join(f"{name:>8}" for name in WRAPPED) + f" {'queue/refresh':>13}")
    print(header)
    for row in rows:
        queue = row["calls"]["squeue"]
        plan = f"{row['plan']:7.2f}" if "plan" in row else f"{'-':>7}"
        submit = f"{row['submit']:9.2f}" if row["submit"] is not None else f"{'-':>9}"
        makespan = f"{row['makespan']:11.2f}" if row["makespan"] is not None else f"{'-':>11}"
        first = f"{row['first']:11.2f}" if row["first"] is not None else f"{'-':>11}"
        print(f"{row['way']:11} {plan} {submit} {first} {makespan} {str(row['once']) + '/' + str(row['jobs']):>10} "
              f"{row['refreshes']:9d} " + " ".join(f"{row['calls'][name]:8d}" for name in WRAPPED)
              + f" {queue / max(1, row['refreshes']):13.2f}")
    print("where each lane's time went (means over the lanes, s): before its first job | running jobs | waiting for "
          "dependencies | starting jobs (per start) | idle after its last job")
    for row in rows:
        lane = row["lanes"]
        per_start = lane["starting"] * lane["lanes"] / max(1, lane["gaps"]) * 1000
        print(f"  {row['way']:11} {lane['lanes']} lanes: {lane['head']:6.2f} | {lane['busy']:7.2f} | "
              f"{lane['waiting']:6.2f} | {lane['starting']:6.2f} ({per_start:.0f} ms) | {lane['tail']:6.2f}")
    for row in rows:
        print(f"  {row['way']}: {row['lost_seen']} of {row['refreshes']} refreshes of status --watch showed a job lost")
        if row["single"] is not None:
            print(f"  {row['way']}: one clustmake status (text) right after submit made {len(row['single'])} SLURM "
                  f"call(s): {'; '.join(row['single']) or 'none'}")
    by_way = {row["way"]: row for row in rows}
    if "allocation" in by_way:
        row = by_way["allocation"]
        print(f"allocation plan: estimated makespan {row['planned']:.2f} s, lower bound {row['lower']:.2f} s")
    print("goals (issue 10):")
    if "allocation" in by_way and "run" in by_way and by_way["run"]["makespan"]:
        ratio = by_way["allocation"]["makespan"] / by_way["run"]["makespan"]
        print(f"  allocation makespan / run makespan     {ratio:6.2f}  (goal <= 1.2: {'met' if ratio <= 1.2 else 'MISSED'})")
    if "per-job" in by_way:
        seconds = by_way["per-job"]["submit"]
        scaled = seconds * 2000 / max(1, jobs)
        print(f"  per-job submit time                    {seconds:6.2f} s for {jobs} jobs, {scaled:.2f} s per 2,000 "
              f"(goal < 30 s: {'met' if scaled < 30 else 'MISSED'})")
    slurm_rows = [row for row in rows if row["way"] != "run"]
    if slurm_rows:
        worst = max(row["calls"]["squeue"] / max(1, row["refreshes"]) for row in slurm_rows)
        print(f"  queue calls per refresh (worst)        {worst:6.2f}  (goal <= 1: {'met' if worst <= 1 else 'MISSED'})")
        outcome = sum(row["calls"]["sacct"] + row["calls"]["scontrol"] for row in slurm_rows)
        print(f"  calls to learn an outcome (sacct, scontrol) {outcome:3d}  (goal 0: {'met' if outcome == 0 else 'MISSED'})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, ".build", "release"),
                        help="the build directory holding clustmake and compmake (default .build/release)")
    parser.add_argument("--workflow", action="append", metavar="PATH",
                        help="a WfCommons instance; twice or more: merged side by side (default: genome-1000 and "
                             "cycles-1000 of ../shared/data/workflows)")
    parser.add_argument("--time-scale", "--scale", dest="time_scale", type=float, default=0.0025,
                        help="each task sleeps its recorded runtime times this (default 0.0025)")
    parser.add_argument("--nodes", type=int, default=2, help="SLURM nodes, and local hosts of the run (default 2)")
    parser.add_argument("--cpus-per-node", type=int, default=os.cpu_count(),
                        help=f"CPUs of each node, and slots of each local host (default: this machine's, {os.cpu_count()})")
    parser.add_argument("--ways", default="allocation,per-job,run",
                        help="which ways to run, comma-separated (default allocation,per-job,run)")
    parser.add_argument("--bundle", default="auto",
                        help="run: clustmake run's --bundle (default auto, run's own default; off: one worker per job, "
                             "as the plan's job lines)")
    parser.add_argument("--max-submit", type=int, help="per-job: the cluster file's max_submit (default: every job)")
    parser.add_argument("--wall-time", default="120", help="the allocation's time limit, minutes (default 120)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="the longest a way may take, seconds (default 1800, or 10x the planned makespan)")
    parser.add_argument("--keep", action="store_true", help="leave the temporary directory (logs, plans) behind (the next SLURM test "
                             "cluster removes it)")
    args = parser.parse_args()
    ways = [way.strip() for way in args.ways.split(",") if way.strip()]
    unknown = [way for way in ways if way not in ("allocation", "per-job", "run")]
    if unknown or not ways:
        parser.error(f"--ways: unknown way {', '.join(unknown) or '(none)'}; choose from allocation, per-job, run")
    if args.nodes < 1 or args.cpus_per_node < 1 or args.time_scale <= 0:
        parser.error("--nodes, --cpus-per-node and --time-scale must be positive")

    build = os.path.abspath(args.build)
    clustmake, compmake = os.path.join(build, "clustmake"), os.path.join(build, "compmake")
    for tool in (clustmake, compmake):
        if not os.access(tool, os.X_OK):
            refuse(f"{tool} is missing. Fix: build with swift build -c release, or give "
                             "--build DIR of another build.")
    missing = [f"{name} ({DAEMONS.get(name, 'slurm-client')})" for name in list(DAEMONS) + list(CLIENTS)
               if shutil.which(name) is None]
    missing += ["redis-server (redis-server)"] if shutil.which("redis-server") is None else []
    if missing:
        refuse(f"not installed: {', '.join(missing)}. Fix: sudo scripts/install-deps.sh")
    if os.getuid() != 0:
        refuse("run as root (slurmd starts jobs as their users, munged runs as root). "
                         "Fix: sudo python3 bench/handoff.py ...")
    workflows = [os.path.abspath(p) for p in (args.workflow or DEFAULT_WORKFLOWS)]
    for path in workflows:
        if not os.path.isfile(path):
            hint = (" (the default: two instances of ../shared/data/workflows, also in "
                    "github.com/wfcommons/WfInstances)" if not args.workflow else "")
            refuse(f"the workflow {path} does not exist{hint}. Fix: give --workflow PATH "
                             "of a WfCommons instance.")

    # Ctrl-C, SIGTERM and SIGHUP raise KeyboardInterrupt (also when started with SIGINT ignored, as by `&`), so that
    # `finally` stops everything.
    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)

    # Named as the SLURM test clusters' directories, with owner.pid: if this process is killed outright, the next
    # SlurmTestCluster removes what it left (SlurmTestCluster.removeStale).
    directory = tempfile.mkdtemp(prefix="clustmake-slurm.", dir="/tmp")
    os.chmod(directory, 0o755)
    with open(os.path.join(directory, "owner.pid"), "w") as f:
        f.write(f"{os.getpid()}\n")
    bench = Bench(args, directory, clustmake, compmake)
    status = 0
    try:
        if len(workflows) > 1:
            workflow = merge_workflows(workflows, os.path.join(directory, "workflow.json"))
        else:
            workflow = workflows[0]
        label = " + ".join(os.path.basename(p) for p in workflows)
        bench.start()
        print(f"SLURM {bench.slurm.conf} ({args.nodes} nodes x {args.cpus_per_node} CPUs), redis 127.0.0.1:"
              f"{bench.redis.port}, worker {compmake}; uptime: {os.popen('uptime').read().strip()}", flush=True)
        rows = []
        estimate = 60.0
        jobs = 0
        for way in ways:
            print(f"running {way} ...", flush=True)
            if way == "allocation":
                row = bench.allocation(workflow)
                estimate = row["planned"]
            elif way == "per-job":
                row = bench.per_job(workflow, jobs or count_tasks(workflow))
            else:
                row = bench.run(workflow, estimate)
            if row:
                jobs = row["jobs"]
                rows.append(row)
        report(rows, args, args.nodes * args.cpus_per_node, label, jobs)
        print(f"uptime after: {os.popen('uptime').read().strip()}")
    except BenchError as error:
        print(f"bench/handoff.py: {error}", file=sys.stderr)
        status = 2 if isinstance(error, InputError) else 1
    except KeyboardInterrupt:
        print("bench/handoff.py: interrupted; stopping SLURM, redis and the jobs", file=sys.stderr)
        status = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        bench.close()
        if args.keep:
            print(f"kept {directory}", file=sys.stderr)
        else:
            shutil.rmtree(directory, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
