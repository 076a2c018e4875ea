#!/usr/bin/env bash
# Installs the Debian packages clustmake builds and tests with (run as root, or with sudo available).
set -euo pipefail
packages=(
    pkg-config libhiredis-dev libjansson-dev   # the C libraries clustmake links
    redis-server redis-tools                    # the store; tests start their own servers
    shellcheck dash bash                        # generated scripts are checked with these
    openssh-server openssh-client iproute2      # test hosts: network namespaces reached through sshd -i
    netcat-openbsd                              # nc: a test host's listening sshd (MaxStartups tests)
    bsdutils                                    # script(1): clustmake run on a pseudo-terminal in tests
    python3 parallel                            # benchmarks (bench/run-vs-parallel.py runs GNU parallel)
    chromium                                    # the collector's HTML report is opened headless in tests
    nodejs                                      # node --check reads the report page's script (templates/report.js)
    slurmctld slurmd slurm-client munge         # hand-off tests: a real SLURM per test (SlurmTestCluster)
    cron at                                     # hand-off tests: crontab blocks and at jobs (CronService, AtService)
)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
