#!/bin/sh
# clustmake plan: the jobs of host spare.
#
#   address:   spare
#   worker:    compmake
#   slots:     1
#   jobs:      0
#   namespace: demo
#   redis:     redisdb:6379 (as seen from the machine that runs this script)
#   graph:     7325bedf1286475512ddf4e62c278df8f6024221348ada1d78df42887e83170a
#   cluster:   37b48a39d0741096d74b12ae60b437620950efa2920b8cd492263992e46270a0
#
# This host has no jobs in this plan: the script has nothing to do and exits 0.

echo "clustmake: host 'spare' has no jobs in this plan; nothing to do." >&2
exit 0
