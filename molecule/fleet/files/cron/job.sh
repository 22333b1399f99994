#!/bin/sh
# One scheduled run of the cron app: appends "<host> <pid> <start> <end>" to runs when it
# ends (times in seconds since the epoch), or "<host> <pid> <start> stopped" to stopped
# when it gets SIGTERM first. JOB_SECONDS: how long a run takes; JOB_EXIT: its exit status.
out=/var/lib/cron-runs
start=$(date +%s.%N)
trap 'echo "$(hostname) $$ $start stopped" >> "$out/stopped"; exit 143' TERM
sleep "${JOB_SECONDS:-0}" &
wait $!
echo "$(hostname) $$ $start $(date +%s.%N) DYNO=$DYNO PORT=${PORT:-none}" >> "$out/runs"
echo "tick ran on $(hostname) as $DYNO"
exit "${JOB_EXIT:-0}"
