#!/bin/sh
# clustmake plan: runs the scripts of all 3 hosts at once and waits for them.
#
#   jobs:      5
#   namespace: demo
#   redis:     redisdb:6379
#   graph:     7325bedf1286475512ddf4e62c278df8f6024221348ada1d78df42887e83170a
#   cluster:   37b48a39d0741096d74b12ae60b437620950efa2920b8cd492263992e46270a0
#
#   hosts/nessa.sh: 4 jobs on 2 slots
#   hosts/lab2.sh: 1 job on 1 slot
#   hosts/spare.sh: 0 jobs on 1 slot
#
# Review hosts/*.sh first, then run:
#
#     sh run-all.sh
#
# from any directory (the host scripts are found next to this file, so the plan directory can be moved).
# Each host script can also be run on its own (sh hosts/NAME.sh), in any order: this script only saves typing.
#
# Exit status: 0 if every host script succeeded, 1 if any failed (they are listed on stderr), 130 or 143 when
# interrupted (SIGINT, SIGTERM are passed on to the host scripts).

here=$(dirname -- "$0")

# Runs on SIGINT and SIGTERM: stops every host script (each stops its jobs), waits for them and exits with $1.
stop_hosts() {
    trap - INT TERM
    [ -z "${pid_0:-}" ] || kill -TERM "$pid_0" 2>/dev/null
    [ -z "${pid_1:-}" ] || kill -TERM "$pid_1" 2>/dev/null
    [ -z "${pid_2:-}" ] || kill -TERM "$pid_2" 2>/dev/null
    wait
    exit "$1"
}
trap 'stop_hosts 130' INT
trap 'stop_hosts 143' TERM

sh "$here"/hosts/nessa.sh &
pid_0=$!
sh "$here"/hosts/lab2.sh &
pid_1=$!
sh "$here"/hosts/spare.sh &
pid_2=$!

failures=0
failed_hosts=

# Notes a host script that failed.
failed() {
    failures=$((failures + 1))
    failed_hosts="$failed_hosts $1"
    printf 'clustmake: hosts/%s.sh exited %s\n' "$1" "$2" >&2
}

wait "$pid_0" || failed nessa $?
wait "$pid_1" || failed lab2 $?
wait "$pid_2" || failed spare $?
if [ "$failures" -gt 0 ]; then
    printf 'clustmake: %s of 3 host scripts failed:%s\n' "$failures" "$failed_hosts" >&2
    exit 1
fi
