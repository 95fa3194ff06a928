#!/bin/sh
# activity.sh: what knowing what a program is doing costs (roost(1), WHAT
# THE PROGRAM IS DOING).  N running identities (default 100) whose
# programs echo what they are given, each with a waiting_pattern, and
# their alert hooks off so only the measured ticks look:
#   quiet    roost tick once every pane was looked at: median wall time,
#            processes created during one pass (strace, when present);
#   changed  every pane printed a line since the last look: one roost
#            tick's wall time, and the capture-pane calls it made (at
#            most one per identity);
#   waiting  one fake agent (tests/fake-agent) with its alert hook on and
#            no tick run: a prompt appearing on its screen -> its
#            .waiting, median and worst of BENCH_WAITS (default 5).
# Prints bench=activity-quiet, bench=activity-changed and
# bench=activity-waiting.  Figures are printed, never asserted.  Sourced
# by scripts/bench.sh, or run alone: sh scripts/bench/activity.sh.
#
# Environment: BENCH_ACTIVITY_N (identities, default 100), BENCH_RUNS
# (quiet ticks, default 7), BENCH_WAITS; those of lib.sh.

set -u
if [ -z "${bench_ready:-}" ]; then
	BENCH_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
	# shellcheck source=scripts/bench/lib.sh
	. "$BENCH_DIR/lib.sh"
	bench_setup
	bench_alone=activity
fi

AN=${BENCH_ACTIVITY_N:-100}
ARUNS=${BENCH_RUNS:-7}
AWAITS=${BENCH_WAITS:-5}
have_strace=no
command -v strace >/dev/null 2>&1 && have_strace=yes

# The identities: a[0001]... running `cat`, so a line typed is echoed.
ids_setup a 1 "$AN" 1 --idle 0 --waiting-pattern '\[y/n\]' -- cat
act_ids=$RUN_IDS
for ID in $act_ids; do
	"$TMUX_REAL" -S "$H/sock/$ID" set-option -w -t "=$ID:" \
	    monitor-silence 0 2>/dev/null
done
# An alert that fired at the start left a delayed look pending (run-shell
# -d, busy_quiet seconds on): let it run out before measuring.
sleep 5
"$ROOST" tick >/dev/null 2>&1	# the first look at every pane
"$ROOST" tick >/dev/null 2>&1

# act_strace FILE: one roost tick under strace; PROCS and CAPTURES.
act_strace() {
	PROCS=n/a
	CAPTURES=n/a
	if [ $have_strace = yes ] && strace -f -qq -s 64 -o "$1" \
	    -e trace=clone,clone3,fork,vfork,execve "$ROOST" tick \
	    >/dev/null 2>&1; then
		PROCS=$(grep -cE '^[0-9]+ +(clone3?|v?fork)\(' "$1")
		CAPTURES=$(grep -c 'capture-pane' "$1")
	fi
}

i=0
while [ $i -lt "$ARUNS" ]; do
	now
	a=$NOW
	"$ROOST" tick >/dev/null
	now
	echo $((NOW - a))
	i=$((i + 1))
done >"$root/act.quiet"
stat_of "$root/act.quiet"
act_strace "$root/act.strace.quiet"
printf 'bench=activity-quiet ids=%s median_ms=%s procs=%s captures=%s\n' \
    "$AN" "$(net "$S_MED")" "$PROCS" "$CAPTURES"

# act_change: every pane echoes a line; wait (bounded) for every log.
act_change() {
	for ID in $act_ids; do
		"$TMUX_REAL" -S "$H/sock/$ID" send-keys -t "=$ID:" "x$1" Enter
	done
	for ID in $act_ids; do
		wait_for 10 grep -q "^x$1" "$H/log/$ID.log" ||
		    note "activity: $ID did not echo"
	done
}
act_change 1
now
a=$NOW
"$ROOST" tick >/dev/null
now
changed_us=$((NOW - a))
act_change 2
act_strace "$root/act.strace.changed"
printf 'bench=activity-changed ids=%s ms=%s procs=%s captures=%s\n' \
    "$AN" "$(net "$changed_us")" "$PROCS" "$CAPTURES"
# shellcheck disable=SC2086
stop_ids $act_ids

# A prompt on the screen -> .waiting, with no tick: the alert hook only.
cp "$BENCH_DIR/../../tests/fake-agent" "$root/agent"
chmod 755 "$root/agent"
"$ROOST" add agent --idle 0 --waiting-pattern '\[y/n\]' \
    --ready-pattern '^> $' --env FAKE_WORK=0.2 -- "$root/agent" \
    >/dev/null || die "roost add failed"
"$ROOST" start agent >/dev/null 2>>"$root/errors"
wait_for 10 test -f "$H/state/agent.ready" || note "activity: agent not ready"
i=0
while [ $i -lt "$AWAITS" ]; do
	now
	a=$NOW
	"$TMUX_REAL" -S "$H/sock/agent" send-keys -t "=agent:" "/ask $i" Enter
	if wait_for 15 test -f "$H/state/agent.waiting"; then
		now
		echo $((NOW - a))
	else
		note "activity: no .waiting within 15 s"
	fi
	"$TMUX_REAL" -S "$H/sock/agent" send-keys -t "=agent:" y Enter
	wait_for 15 test ! -e "$H/state/agent.waiting"
	wait_for 15 grep -q "doing=idle" "$H/state/agent.seen"
	i=$((i + 1))
done >"$root/act.waiting"
stat_of "$root/act.waiting"
printf 'bench=activity-waiting runs=%s median_ms=%s max_ms=%s goal_ms=3000\n' \
    "$S_N" "$(net "$S_MED")" "$(net "$S_MAX")"
stop_ids agent

if [ "${bench_alone:-}" = activity ]; then
	bench_end
fi
