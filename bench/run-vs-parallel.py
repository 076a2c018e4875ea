#!/usr/bin/env python3
"""clustmake run against GNU parallel over the same ssh hosts, and a WfCommons workflow's makespan.

Builds 4 hosts as Linux network namespaces reached by ssh through `ProxyCommand ip netns exec NS sshd -i`
(as the integration tests do, docs/testing.md), starts a redis-server on loopback, and prints side by side:

1. 1,000 no-op jobs on 4 hosts x 2 slots:
   - clustmake run --bundle off (one job per line) and --bundle auto (short jobs grouped), each with streamed
     sessions (the default: one session and worker per slot, reading each line's job ids) and with --no-stream
     (one ssh session and worker per line),
   - GNU parallel -M --ssh WRAPPER -S 2/h1,...,2/h4 true (one ssh per job over ControlMaster; WRAPPER is a script
     running `ssh -F CFG "$@"`, since parallel's -M does nothing when --ssh is a string with options),
   - the machine's limit: one ssh session per slot, all at once, each running its share as `seq N | xargs -n1 true`
     (a fork and an exec a job, nothing recorded; connecting included, and connecting alone beside it),
   with jobs per second and the ratios;
2. a WfCommons workflow (../shared/data/workflows) run as scaled sleeps on the same cluster: the actual makespan
   over the planned makespan and over the lower bound, in each of the --modes, per job how much longer the jobs
   ran than planned and how long each waited to start once it was ready with its slot free, and the limit: the
   makespan of the same jobs, each as long as it ran here, started by a dispatcher that costs nothing (a free slot
   takes the ready job the plan starts first at once), and the same replay with the planned costs beside it;
3. --local-jobs (20,000) no-op jobs on this machine with the embedded default (`clustmake run JOBS`: no cluster
   file, one slot per core, the private redis under .clustmake/ in a temporary directory, --bundle auto) against
   `xargs -P NPROC -n1 true` (the machine's limit) and GNU parallel `-j NPROC true`, with the CPU each used a job
   and, from those, the most the embedded run can reach against xargs on this machine; `--local-jobs 0` leaves it
   out, `--local-only` runs only it.

With `--tunnel tcp` or `--tunnel unix` every host gets that `tunnel:` (docs/cluster.md). With `--tunnel compare`
only the no-op jobs run, `--bundle off` (one ssh line per job), `--repeat` times (default 3) over each tunnel,
alternating, and the median of each is printed with the ratio (docs/security.md, "tunnel: unix or tcp").

Needs root (network namespaces), openssh-server, redis-server, GNU parallel (`apt-get install -y parallel`), and a
release build: swift build -c release (or --build DIR for another build directory).

    sudo python3 bench/run-vs-parallel.py [--build .build/release] [--jobs 1000] [--workflow epigenomics-1000]
        [--local-jobs 20000] [--worker PATH] [--tunnel tcp|unix]
    sudo python3 bench/run-vs-parallel.py --tunnel compare [--repeat 3]

`--modes default,no-stream` (the default) says which ways of running lines are measured: `default` is the build's
default, `no-stream` adds `--no-stream`, `no-look-ahead` adds `--no-look-ahead` (give `--modes default` for a build
older than the option).

The hosts run --worker (default: the self-contained worker of scripts/build-worker.sh when it is built and not
older than the build's compmake, else the build's compmake); the embedded default picks its worker itself.
"""

import argparse
import datetime
import heapq
import json
import os
import pwd
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib  # bench/benchlib.py: the embedded redis

USER = "clustmake-test"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args, **kw):
    return subprocess.run(args, check=True, **kw)


def ensure_user():
    try:
        pwd.getpwnam(USER)
    except KeyError:
        run(["useradd", "--system", "--create-home", "--home-dir", "/var/lib/clustmake-test", "--shell", "/bin/sh",
             "--password", "*", USER])


class Cluster:
    """Hosts h1..hN as network namespaces behind sshd -i (cf. Sources/ClustmakeTestSupport/SSHTestCluster)."""

    def __init__(self, hosts):
        ensure_user()
        os.makedirs("/run/sshd", exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="cmkb.", dir="/tmp")
        os.chmod(self.dir, 0o711)
        self.hosts = [f"h{i + 1}" for i in range(hosts)]
        self.prefix = f"cmkb-{os.getpid()}"
        d = self.dir
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/host_key"])
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/id_ed25519"])
        shutil.copy(f"{d}/id_ed25519.pub", f"{d}/authorized_keys")
        os.chmod(f"{d}/authorized_keys", 0o644)
        host_pub = open(f"{d}/host_key.pub").read().strip()
        with open(f"{d}/known_hosts", "w") as f:
            for h in self.hosts:
                f.write(f"{self.prefix}-{h} {host_pub}\n")
        config = []
        user = pwd.getpwnam(USER)
        for h in self.hosts:
            ns = f"{self.prefix}-{h}"
            run(["ip", "netns", "add", ns])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            work = f"{d}/work-{h}"
            os.makedirs(work)
            os.chown(work, user.pw_uid, user.pw_gid)
            with open(f"{d}/sshd_config.{h}", "w") as f:
                f.write(f"""HostKey {d}/host_key
AuthorizedKeysFile {d}/authorized_keys
AllowUsers {USER}
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
PermitListen any
PermitTTY no
MaxSessions 256
MaxStartups 256
PidFile none
LogLevel ERROR
SetEnv HOME={work}
""")
            config.append(f"""Host {h}
    HostName {ns}
    User {USER}
    ProxyCommand ip netns exec {ns} /usr/sbin/sshd -i -f {d}/sshd_config.{h} -E {d}/sshd.{h}.log
    IdentityFile {d}/id_ed25519
    IdentitiesOnly yes
    IdentityAgent none
    UserKnownHostsFile {d}/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    CheckHostIP no
    BatchMode yes
    ConnectTimeout 10
    LogLevel ERROR
""")
        self.ssh_config = f"{d}/ssh_config"
        with open(self.ssh_config, "w") as f:
            f.write("\n".join(config))

    def cluster_file(self, worker, processors, tunnel="tcp"):
        path = f"{self.dir}/cluster-{tunnel}.yaml"
        with open(path, "w") as f:
            f.write(f"tunnel: {tunnel}\nhosts:\n")
            for h in self.hosts:
                f.write(f'  {h}: {{host: {h}, processors: {processors}, ssh_config: "{self.ssh_config}", '
                        f'worker: "{worker}"}}\n')
        return path

    def close(self):
        for h in self.hosts:
            ns = f"{self.prefix}-{h}"
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except OSError:
                    pass
            subprocess.run(["ip", "netns", "delete", ns])
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """A redis-server on loopback with a random password (remote hosts are refused one without, docs/security.md);
    its config file, not its command line, holds the password."""

    def __init__(self, directory):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.password = os.urandom(16).hex()
        config = os.path.join(directory, "redis.conf")
        with open(config, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {directory}\n"
                    f"requirepass {self.password}\n")
        os.chmod(config, 0o600)
        password_file = os.path.join(directory, "redis-password")
        with open(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(self.password + "\n")
        # How every clustmake command of the bench names this redis; the password stays off command lines.
        self.arguments = ["--redis", f"redis://127.0.0.1:{self.port}", "--redis-password-file", password_file]
        self.proc = subprocess.Popen(["redis-server", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "PING"], capture_output=True, text=True,
                                  env=self.cli_env())
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def cli_env(self):
        """redis-cli's environment: the password in REDISCLI_AUTH, never on its command line."""
        return dict(os.environ, REDISCLI_AUTH=self.password)

    def close(self):
        self.proc.terminate()
        self.proc.wait()

    def reset_stats(self):
        run(["redis-cli", "-p", str(self.port), "CONFIG", "RESETSTAT"], capture_output=True, env=self.cli_env())

    def traffic(self):
        """Since reset_stats: (commands, round trips, bytes in, bytes out, connections), less this INFO call."""
        text = subprocess.run(["redis-cli", "-p", str(self.port), "INFO", "stats"], capture_output=True, text=True,
                              check=True, env=self.cli_env()).stdout
        stats = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        connections = int(stats["total_connections_received"]) - 1
        # Every connection's last read is the one that sees it close; the INFO call is one read.
        round_trips = int(stats["total_reads_processed"]) - 1 - connections
        return (int(stats["total_commands_processed"]) - 1, round_trips, int(stats["total_net_input_bytes"]),
                int(stats["total_net_output_bytes"]), connections)


def timed(args, env=None):
    start = time.monotonic()
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    return time.monotonic() - start, result


def children_cpu():
    """CPU seconds (user + system) of every waited-for descendant of this script so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def local(clustmake, count):
    """The embedded default against xargs and GNU parallel on this machine, `count` no-op jobs each.

    Beside each wall time, the CPU each used a job: the command with everything it waited for (for clustmake the
    executor, its workers and their jobs; for xargs its forks of `true`), and for clustmake its redis too. With
    the cores fully used, a job can go no faster than its CPU over the cores, so the ratio of the two CPU figures is
    the most the embedded run can reach against xargs on this machine."""
    cores = os.cpu_count()
    directory = tempfile.mkdtemp(prefix="cmkb-local.")
    try:
        jobs = os.path.join(directory, "noop.json")
        with open(jobs, "w") as f:
            json.dump({"jobs": [{"id": f"n{i}", "command": "true", "cost": 0.001} for i in range(count)]}, f)
        # Start the embedded redis first, so that the timed run measures running jobs, not starting a server.
        redis = benchlib.EmbeddedRedis(clustmake, directory)
        redis_before = redis.cpu()
        cpu_before = children_cpu()
        start = time.monotonic()
        result = subprocess.run([clustmake, "run", jobs, "--namespace", "noop", "--no-check"], cwd=directory,
                                capture_output=True, text=True)
        clustmake_seconds = time.monotonic() - start
        clustmake_cpu = children_cpu() - cpu_before
        redis_cpu = redis.cpu() - redis_before
        redis.stop()
        if result.returncode != 0:
            raise SystemExit(f"the embedded run failed with {result.returncode}: {result.stderr[-2000:]}")
        arguments = "".join(f"{i}\n" for i in range(count))
        cpu_before = children_cpu()
        start = time.monotonic()
        run(["xargs", f"-P{cores}", "-n1", "true"], input=arguments, text=True)
        xargs_seconds = time.monotonic() - start
        xargs_cpu = children_cpu() - cpu_before
        cpu_before = children_cpu()
        start = time.monotonic()
        run(["parallel", f"-j{cores}", "true"], input=arguments, text=True, capture_output=True)
        parallel_seconds = time.monotonic() - start
        parallel_cpu = children_cpu() - cpu_before
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"\n{count} no-op jobs on this machine ({cores} cores)")
    print(f"{'command':64} {'seconds':>8} {'jobs/s':>8} {'vs xargs':>9} {'CPU ms/job':>11}")
    rows = ((f"clustmake run (embedded default, --bundle auto), with its redis", clustmake_seconds,
             clustmake_cpu + redis_cpu),
            (f"xargs -P{cores} -n1 true", xargs_seconds, xargs_cpu),
            (f"parallel -j{cores} true", parallel_seconds, parallel_cpu))
    for label, seconds, cpu in rows:
        print(f"{label:64} {seconds:8.2f} {count / seconds:8.1f} {xargs_seconds / seconds:8.2f}x "
              f"{1000 * cpu / count:11.3f}")
    print(f"  clustmake's CPU a job: {1000 * clustmake_cpu / count:.3f} ms executor, workers and jobs, "
          f"{1000 * redis_cpu / count:.3f} ms redis; the cores were busy "
          f"{100 * (clustmake_cpu + redis_cpu) / (cores * clustmake_seconds):.0f}% of its run, "
          f"{100 * xargs_cpu / (cores * xargs_seconds):.0f}% of xargs's")
    print(f"  most the embedded run can reach against xargs here, both using every core fully: "
          f"{xargs_cpu / (clustmake_cpu + redis_cpu):.2f}x (xargs's CPU a job over clustmake's)")


def compare_tunnels(args, clustmake, worker, cluster, jobs, redis_args):
    """The no-op jobs, one ssh line each, over tcp and unix tunnels alternately; the median of each."""
    seconds = {"tcp": [], "unix": []}
    for round_ in range(args.repeat):
        for tunnel in ("tcp", "unix"):
            cfile = cluster.cluster_file(worker, args.slots, tunnel)
            ns = f"noop-{tunnel}-{round_}"
            took, result = timed([clustmake, "run", jobs, "--cluster", cfile, *redis_args, "--namespace", ns,
                                  "--bundle", "off", "--no-check", "--json"])
            if result.returncode != 0:
                print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
                raise SystemExit(f"the run over tunnel: {tunnel} failed with {result.returncode}")
            seconds[tunnel].append(took)
    print(f"\n{args.jobs} no-op jobs on {args.hosts} namespace hosts x {args.slots} slots, --bundle off, "
          f"median of {args.repeat} (ssh through ProxyCommand sshd -i; every run includes connecting)")
    print(f"{'tunnel':8} {'runs (s)':>30} {'median s':>9} {'jobs/s':>8}")
    medians = {}
    for tunnel in ("tcp", "unix"):
        medians[tunnel] = statistics.median(seconds[tunnel])
        runs = " ".join(f"{t:.2f}" for t in seconds[tunnel])
        print(f"{tunnel:8} {runs:>30} {medians[tunnel]:9.2f} {args.jobs / medians[tunnel]:8.1f}")
    print(f"unix / tcp throughput: {medians['tcp'] / medians['unix']:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, ".build", "release"))
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--workflow", default="epigenomics-1000")
    parser.add_argument("--time-scale", type=float, default=0.001)
    parser.add_argument("--local-jobs", type=int, default=20000)
    parser.add_argument("--worker", help="the worker the hosts run")
    parser.add_argument("--tunnel", choices=["tcp", "unix", "compare"], default="tcp")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default="default,no-stream",
                        help="comma-separated: default (the build's default lines), no-stream (--no-stream), "
                             "no-look-ahead (--no-look-ahead)")
    parser.add_argument("--local-only", action="store_true",
                        help="run only the --local-jobs no-op jobs on this machine (no hosts; root not needed)")
    parser.add_argument("--workflow-only", action="store_true",
                        help="run only the workflow, --repeat times (the makespan ratio of each run, then the median)")
    args = parser.parse_args()
    clustmake = os.path.join(os.path.abspath(args.build), "clustmake")
    compmake = os.path.join(os.path.abspath(args.build), "compmake")
    for tool in (clustmake, compmake):
        if not os.access(tool, os.X_OK):
            raise SystemExit(f"{tool} is missing: build with swift build -c release (or give --build)")
    if shutil.which("parallel") is None and args.tunnel != "compare":
        raise SystemExit("GNU parallel is missing: apt-get install -y parallel")
    if args.local_only:
        local(clustmake, args.local_jobs or 20000)
        return
    if os.getuid() != 0:
        raise SystemExit("run as root: the hosts are network namespaces")

    static = os.path.join(ROOT, ".build-static", "worker", "compmake")
    worker = args.worker or (static if os.access(static, os.X_OK) and os.stat(static).st_mtime >= os.stat(compmake).st_mtime
                             else compmake)
    print(f"hosts run the worker {worker}")
    if args.tunnel != "compare" and args.local_jobs > 0 and not args.workflow_only:
        local(clustmake, args.local_jobs)

    cluster = Cluster(args.hosts)
    redis = Redis(cluster.dir)
    try:
        jobs = os.path.join(cluster.dir, "noop.json")
        with open(jobs, "w") as f:
            json.dump({"jobs": [{"id": f"n{i}", "command": "true", "cost": 0.001} for i in range(args.jobs)]}, f)
        redis_args = redis.arguments
        if args.tunnel == "compare":
            compare_tunnels(args, clustmake, worker, cluster, jobs, redis_args)
            return
        cfile = cluster.cluster_file(worker, args.slots, args.tunnel)
        if args.workflow_only:
            for mode in modes(args):
                ratios = [run_workflow(args, clustmake, worker, cluster, cfile, redis_args, f"wf-{mode}-{index}",
                                       mode) for index in range(args.repeat)]
                print(f"\n{args.workflow} ({mode}): actual / planned over {args.repeat} runs: "
                      + ", ".join(f"{ratio:.2f}" for ratio in ratios) + f"; median {statistics.median(ratios):.2f}")
            return
        rows = []
        traffic = []
        for mode, bundle in [(mode, bundle) for mode in modes(args) for bundle in ("off", "auto")]:
            label = " ".join(["clustmake run --bundle", bundle, *mode_arguments(mode)])
            ns = f"noop-{bundle}-{mode}"
            redis.reset_stats()
            seconds, result = timed([clustmake, "run", jobs, "--cluster", cfile, *redis_args, "--namespace", ns,
                                     "--bundle", bundle, "--no-check", "--json", *mode_arguments(mode)])
            if result.returncode != 0:
                print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
                raise SystemExit(f"{label} failed with {result.returncode}")
            lines = sum(1 for line in result.stdout.splitlines() if '"event":"line-started"' in line)
            rows.append((label, seconds, lines))
            traffic.append((label, redis.traffic()))
        slots = ",".join(f"{args.slots}/{h}" for h in cluster.hosts)
        seq = "\n".join(str(i) for i in range(args.jobs)) + "\n"
        start = time.monotonic()
        # GNU parallel at its best: -M (one ControlMaster per host) with --ssh given as a program. Given as a string
        # with options ("ssh -F CFG"), -M silently falls back to a full ssh login per job.
        wrapper = os.path.join(os.path.dirname(cluster.ssh_config), "ssh-for-parallel")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec ssh -F "{cluster.ssh_config}" "$@"\n')
        os.chmod(wrapper, 0o755)
        result = subprocess.run(["parallel", "-M", "--ssh", wrapper, "-S", slots, "true"],
                                input=seq, capture_output=True, text=True)
        seconds = time.monotonic() - start
        if result.returncode != 0:
            raise SystemExit(f"GNU parallel failed: {result.stderr[-2000:]}")
        rows.append((f'parallel -M --ssh SSH_WRAPPER -S {slots} true', seconds, args.jobs))
        parallel_rate = args.jobs / rows[-1][1]
        limit_label, limit_seconds, connect_seconds = machine_limit(cluster, args.jobs, args.slots)
        rows.append((limit_label, limit_seconds, args.hosts * args.slots))

        print(f"\n{args.jobs} no-op jobs on {args.hosts} namespace hosts x {args.slots} slots "
              f"(ssh through ProxyCommand sshd -i; every run includes connecting)")
        print(f"{'command':64} {'seconds':>8} {'lines':>9} {'jobs/s':>8} {'vs parallel':>11}")
        for label, seconds, lines in rows:
            rate = args.jobs / seconds
            print(f"{label:64} {seconds:8.2f} {lines:9d} {rate:8.1f} {rate / parallel_rate:10.2f}x")
        limit_rate = args.jobs / limit_seconds
        print(f"the limit: {args.hosts * args.slots} ssh sessions at once, each fork/exec'ing its share of `true` "
              f"with nothing recorded ({limit_rate:.1f} jobs/s, connecting included; connecting alone "
              f"{connect_seconds:.2f} s); clustmake against it: "
              + ", ".join(f"{label.split('clustmake run ')[1]} {args.jobs / seconds / limit_rate:.2f}x"
                          for label, seconds, _ in rows if label.startswith("clustmake run")))
        print("redis per job (executor and workers, from redis' INFO stats; commands count the scripts' own, round "
              "trips are the reads redis served less one per connection for its close):")
        for label, (commands, round_trips, bytes_in, bytes_out, connections) in traffic:
            print(f"  {label:40} commands {commands / args.jobs:5.2f}   round trips {round_trips / args.jobs:5.2f}   "
                  f"bytes in {bytes_in / args.jobs:7.0f}   out {bytes_out / args.jobs:6.0f}   "
                  f"connections {connections / args.jobs:5.2f}")

        for mode in modes(args):
            run_workflow(args, clustmake, worker, cluster, cfile, redis_args, f"wf-{mode}", mode)
    finally:
        redis.close()
        cluster.close()


def machine_limit(cluster, jobs, slots):
    """What the cluster gives at best: every slot's ssh session opened at once, each running its share of the jobs
    as `xargs -n1 true` (a fork and an exec a job, nothing recorded). Returns the row's label, the seconds from the
    first connection to the last session's end, and the seconds of the same sessions running nothing."""
    sessions = [host for host in cluster.hosts for _ in range(slots)]
    shares = [jobs // len(sessions) + (1 if index < jobs % len(sessions) else 0) for index in range(len(sessions))]

    def timed_sessions(commands):
        start = time.monotonic()
        procs = [subprocess.Popen(["ssh", "-F", cluster.ssh_config, host, command], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for host, command in zip(sessions, commands)]
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"a session of the machine's limit failed: {err[-2000:]}")
        return time.monotonic() - start

    connect = timed_sessions(["true"] * len(sessions))
    seconds = timed_sessions([f"seq {share} | xargs -n1 true" for share in shares])
    label = f"limit: {len(sessions)} ssh sessions, seq N | xargs -n1 true in each"
    return label, seconds, connect


def modes(args):
    chosen = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    for mode in chosen:
        if mode not in ("default", "no-stream", "no-look-ahead"):
            raise SystemExit(f"--modes: unknown mode {mode!r} (default, no-stream, no-look-ahead)")
    return chosen


def mode_arguments(mode):
    return {"no-stream": ["--no-stream"], "no-look-ahead": ["--no-look-ahead"]}.get(mode, [])


def run_workflow(args, clustmake, worker, cluster, cfile, redis_args, namespace, mode="default"):
    """A workflow as scaled sleeps: actual makespan against the plan's, printed; returns actual / planned."""
    workflow = os.path.join(ROOT, "..", "shared", "data", "workflows", args.workflow + ".json")
    plan_dir = os.path.join(cluster.dir, "plan")
    # The plan (for its makespan) over tcp: a plan's scripts forward TCP ports only, whatever --tunnel says.
    plan_cluster = cluster.cluster_file(worker, args.slots, "tcp")
    run([clustmake, "plan", workflow, "--time-scale", str(args.time_scale), "--cluster", plan_cluster, *redis_args,
         "-o", plan_dir], capture_output=True)
    plan = json.load(open(os.path.join(plan_dir, "plan.json")))
    seconds, result = timed([clustmake, "run", workflow, "--time-scale", str(args.time_scale), "--cluster", cfile,
                             *redis_args, "--namespace", namespace, "--no-check", "--json", *mode_arguments(mode)])
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        raise SystemExit("the workflow run failed")
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    first = min(e["elapsed_ms"] for e in events if e["event"] == "line-started")
    last = max(e["elapsed_ms"] for e in events if e["event"] == "jobs-done")
    actual = (last - first) / 1000
    print(f"\n{args.workflow} ({len(plan['jobs'])} jobs) as sleeps x {args.time_scale} on "
          f"{args.hosts} x {args.slots} slots, bundling auto, lines: {mode}")
    print(f"  planned makespan {plan['makespan']:.2f} s, lower bound {plan['lower_bound']:.2f} s")
    print(f"  actual makespan  {actual:.2f} s (first start to last end; whole command {seconds:.2f} s)")
    print(f"  actual / planned {actual / plan['makespan']:.2f}, actual / lower bound "
          f"{actual / plan['lower_bound']:.2f}")
    attempts = print_overheads(clustmake, redis_args, namespace, plan)
    if attempts:
        slots = args.hosts * args.slots
        costs = {job["id"]: job["est_end"] - job["est_start"] for job in plan["jobs"]}
        # A job without a counted success here (none in a run that ended well) keeps its planned cost.
        own = costs | {a["job"]: a["wall_time"] for a in attempts if a["wall_time"] is not None}
        planned = replay(plan, costs, slots)
        limit = replay(plan, own, slots)
        print(f"  the limit (each job started the moment a slot and its dependencies allow, the plan's order; "
              f"no dispatch cost): {limit:.2f} s with each job's own measured run time ({limit / plan['makespan']:.2f}"
              f" of the plan; actual / limit {actual / limit:.2f}); {planned:.2f} s with the planned costs")
    return actual / plan["makespan"]


def replay(plan, durations, slots):
    """The makespan of the plan's jobs run with `durations` on `slots` slots by a dispatcher that costs nothing: a
    free slot takes at once the ready job the plan starts first (its planned start), as the executor picks."""
    jobs = {job["id"]: job for job in plan["jobs"]}
    waiting = {job_id: len(job["deps"]) for job_id, job in jobs.items()}
    dependents = {job_id: [] for job_id in jobs}
    for job_id, job in jobs.items():
        for dep in job["deps"]:
            dependents[dep].append(job_id)
    ready = [(job["est_start"], job_id) for job_id, job in jobs.items() if waiting[job_id] == 0]
    heapq.heapify(ready)
    running = []  # (end, job)
    now, free, end = 0.0, slots, 0.0
    while ready or running:
        while free and ready:
            _, job_id = heapq.heappop(ready)
            heapq.heappush(running, (now + max(0.0, durations[job_id]), job_id))
            free -= 1
        now, done = heapq.heappop(running)
        free += 1
        end = max(end, now)
        for dependent in dependents[done]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, (jobs[dependent]["est_start"], dependent))
    return end


def print_overheads(clustmake, redis_args, namespace, plan):
    """Where a run's time beyond its plan went, per job, from its attempts (`clustmake results --json`): how much
    longer each job ran than planned (its command's own start: exec, loading), and how long it waited to start once
    it was ready and its slot was free (the dispatch: the worker's round trips, the line, the session)."""
    text = subprocess.run([clustmake, "results", "--json", "--namespace", namespace, *redis_args],
                          capture_output=True, text=True, check=True).stdout
    attempts = [a for a in json.loads(text)["attempts"] if a["counted"] and a["state"] == "succeeded"]
    planned = {job["id"]: job["est_end"] - job["est_start"] for job in plan["jobs"]}

    def seconds(stamp):
        return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

    longer = [a["wall_time"] - planned[a["job"]] for a in attempts
              if a["job"] in planned and a["wall_time"] is not None]
    waits = []
    lanes = {}
    for attempt in attempts:
        lanes.setdefault((attempt["host"], attempt["lane"]), []).append(attempt)
    for lane in lanes.values():
        lane.sort(key=lambda a: seconds(a["started"]))
        for before, attempt in zip([None] + lane[:-1], lane):
            ready = seconds(attempt["ready"]) if attempt.get("ready") else seconds(attempt["started"])
            free = max(ready, seconds(before["ended"]) if before and before.get("ended") else 0)
            waits.append(max(0.0, seconds(attempt["started"]) - free))
    if not longer or not waits:
        return attempts
    print(f"  per job ({len(attempts)}): ran {statistics.mean(longer) * 1000:.1f} ms longer than planned "
          f"(median {statistics.median(longer) * 1000:.1f} ms); waited {statistics.mean(waits) * 1000:.1f} ms "
          f"(median {statistics.median(waits) * 1000:.1f} ms) from ready with its slot free to its start")
    return attempts


if __name__ == "__main__":
    main()
