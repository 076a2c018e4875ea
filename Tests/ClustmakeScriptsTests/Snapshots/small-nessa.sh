#!/bin/sh
# clustmake plan: the jobs of host nessa.
#
#   address:   nessa.cds.caltech.edu
#   worker:    compmake
#   slots:     2
#   jobs:      4
#   namespace: demo
#   redis:     redisdb:6379 (as seen from the machine that runs this script)
#   graph:     7325bedf1286475512ddf4e62c278df8f6024221348ada1d78df42887e83170a
#   cluster:   37b48a39d0741096d74b12ae60b437620950efa2920b8cd492263992e46270a0
#
# Review the job lines below, then run this script on the machine that reaches redis:
#
#     sh hosts/nessa.sh
#
# by hand, from cron or from a queue; before, after or together with the other hosts' scripts. Each slot runs
# its jobs one after another and the slots run side by side. A job whose dependencies run elsewhere waits for
# them (wait=SECONDS); a job whose dependency failed fails at once. A failed job is reported on stderr and the
# slot goes on with its next job.
#
# Exit status: 0 if every job succeeded, 1 if any failed, 130 or 143 when interrupted (SIGINT, SIGTERM).

host=nessa
failures=0

# Reports a failed job on stderr and counts it.
failed() {
    failures=$((failures + 1))
    printf "clustmake: job '%s' on %s slot %s exited %s\n" "$1" "$host" "$slot" "$2" >&2
}

# Runs in a slot on SIGTERM: stops the job it is running (its ssh, or the local worker) and ends the slot.
stop_job() {
    if [ "${!:-}" != "$inherited_pid" ]; then
        kill -TERM "$!" 2>/dev/null
    fi
    exit 143
}

# Slot 0: 3 jobs, redis tunnel on port 13000, planned to finish at 8.0s.
slot_0() {
    slot=0
    inherited_pid=${!:-}
    trap stop_job TERM
    ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 nessa.cds.caltech.edu -R 13000:redisdb:6379 nice -n 10 compmake --hostname=nessa --db=redis --redis_host=localhost:13000 --save_progress=False --slave demo make_single more=False wait=86400 -- prepare & wait $! || failed prepare $?
    ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 nessa.cds.caltech.edu -R 13000:redisdb:6379 nice -n 10 compmake --hostname=nessa --db=redis --redis_host=localhost:13000 --save_progress=False --slave demo make_single more=False wait=86400 -- fit-1 & wait $! || failed fit-1 $?
    ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 nessa.cds.caltech.edu -R 13000:redisdb:6379 nice -n 10 compmake --hostname=nessa --db=redis --redis_host=localhost:13000 --save_progress=False --slave demo make_single more=False wait=86400 -- report & wait $! || failed report $?
    [ "$failures" -eq 0 ]
}

# Slot 1: 1 job, redis tunnel on port 13001, planned to finish at 6.0s.
slot_1() {
    slot=1
    inherited_pid=${!:-}
    trap stop_job TERM
    ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 nessa.cds.caltech.edu -R 13001:redisdb:6379 nice -n 19 compmake --hostname=nessa --db=redis --redis_host=localhost:13001 --save_progress=False --slave demo make_single more=False wait=86400 -- fit-2 & wait $! || failed fit-2 $?
    [ "$failures" -eq 0 ]
}

# Runs on SIGINT and SIGTERM: stops every slot (each stops its job), waits for them and exits with status $1.
stop_slots() {
    trap - INT TERM
    [ -z "${pid_0:-}" ] || kill -TERM "$pid_0" 2>/dev/null
    [ -z "${pid_1:-}" ] || kill -TERM "$pid_1" 2>/dev/null
    wait
    exit "$1"
}
trap 'stop_slots 130' INT
trap 'stop_slots 143' TERM

slot_0 &
pid_0=$!
slot_1 &
pid_1=$!

status=0
wait "$pid_0" || status=1
wait "$pid_1" || status=1
if [ "$status" -ne 0 ]; then
    exit 1
fi
