#!/bin/sh
# tick.sh: the tick figure.  One home grows 10 -> 100 -> 1,000 identities;
# every 10th runs on a real tmux server, the rest are parked (conf +
# .idle-reaped).  At each size, on a healthy pass (nothing launched or
# reaped): roost tick's median wall time, the processes it creates during
# one pass (strace, when present), and the baseline roost is compared
# with: a shell supervisor's pass over the same identities, `tmux
# has-session` + `pgrep -f` on the canary per identity, timed as a shell
# loop, with the ratio.  Then the growth: time per identity at each size
# and the slope between sizes.  The running identities are stopped at the
# end; no such clean stop may leave an ev=server-exit record.
#
# Prints bench=tick (one line per size) and bench=tick-growth; leaves
# sizes, growth and, per size n, TICK_n PROCS_n LOOP_n LOOP_K_n RATIO_n
# for the summary table.  Sourced by scripts/bench.sh, or run alone:
# sh scripts/bench/tick.sh.
#
# Environment: BENCH_RUNS (roost tick runs per size, default 7),
# BENCH_OLD_RUNS (shell-loop runs per size, default 5), BENCH_OLD_BUDGET
# (seconds the shell loop may take per size, default 40), BENCH_MAX
# (largest size, default 1000); those of lib.sh.

set -u
if [ -z "${bench_ready:-}" ]; then
	BENCH_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
	# shellcheck source=scripts/bench/lib.sh
	. "$BENCH_DIR/lib.sh"
	bench_setup
	bench_alone=tick
fi

RUNS=${BENCH_RUNS:-7}
LOOP_RUNS=${BENCH_OLD_RUNS:-5}
# The shell loop costs 1-3 minutes per run at 1,000 identities on a small
# VM (pgrep -f reads every process's cmdline, once per identity).  When
# the estimate from the previous size exceeds this budget, it runs over
# the first k identities (same 90/10 mix, same home, same process table)
# and is extrapolated linearly: every identity costs the same two
# commands.
LOOP_BUDGET=${BENCH_OLD_BUDGET:-40}
MAX=${BENCH_MAX:-1000}

have_strace=no
command -v strace >/dev/null 2>&1 && have_strace=yes
# shell_pass N: the shell supervisor's pass over identities 1..N.
shell_pass() {
	_i=1
	while [ $_i -le "$1" ]; do
		idname $_i
		"$TMUX_REAL" -S "$H/sock/$ID" has-session -t "$ID" 2>/dev/null
		pgrep -f "$H/bin/$ID.canary" >/dev/null
		_i=$((_i + 1))
	done
}
defined=0
loop_us_per_id=
sizes=
for n in 10 100 1000; do
	[ $n -le "$MAX" ] && sizes="$sizes $n"
done
for n in $sizes; do
	# Identities defined+1 .. n, every 10th running.
	ids_setup i $((defined + 1)) "$n" 10 --idle 0 -- "$PROG"
	defined=$n
	running=0
	i=10
	while [ $i -le "$n" ]; do
		idname $i
		up "$ID" && running=$((running + 1))
		i=$((i + 10))
	done
	[ $running -eq $((n / 10)) ] ||
	    note "tick $n: only $running of $((n / 10)) identities running"

	# Validate the pass is the healthy one (nothing launched or reaped).
	"$ROOST" tick >/dev/null 2>&1	# warm-up
	v=$("$ROOST" tick --verbose 2>&1)
	case $v in
	*" launched=0 reaped=0 deaths=0 "*) ;;
	*) note "tick $n: not a healthy pass: $v" ;;
	esac
	self=${v##*ms=}
	self=${self%%[!0-9]*}

	# roost tick: median wall time.
	i=0
	while [ $i -lt "$RUNS" ]; do
		now
		a=$NOW
		"$ROOST" tick >/dev/null
		now
		echo $((NOW - a))
		i=$((i + 1))
	done >"$root/tick.$n"
	stat_of "$root/tick.$n"
	med=$S_MED
	eval "TICK_$n=\$med"

	# Processes created during one pass.
	procs=n/a
	execs=n/a
	if [ $have_strace = yes ] &&
	    strace -f -qq -o "$root/strace.$n" \
	    -e trace=clone,clone3,fork,vfork,execve "$ROOST" tick \
	    >/dev/null 2>&1; then
		procs=$(grep -cE '^[0-9]+ +(clone3?|v?fork)\(' "$root/strace.$n")
		execs=$(grep -cE '^[0-9]+ +execve\(' "$root/strace.$n")
		execs=$((execs - 1))	# roost's own exec
	fi
	eval "PROCS_$n=\$procs"

	# The shell supervisor's pass over the same identities (see
	# LOOP_BUDGET).
	k=$n
	if [ -n "$loop_us_per_id" ]; then
		k=$(awk -v b="$LOOP_BUDGET" -v p="$loop_us_per_id" \
		    -v r="$LOOP_RUNS" -v n="$n" 'BEGIN {
			k = int(b * 1e6 / (p * r) / 10) * 10
			if (k < 10) k = 10
			if (k > n + 0) k = n
			print k }')
	fi
	i=0
	while [ $i -lt "$LOOP_RUNS" ]; do
		now
		a=$NOW
		shell_pass "$k"
		now
		echo $((NOW - a))
		i=$((i + 1))
	done >"$root/loop.$n"
	stat_of "$root/loop.$n"
	loop_us_per_id=$((S_MED / k))
	loop=$((S_MED * n / k))
	eval "LOOP_$n=\$loop LOOP_K_$n=\$k"
	ratio=$(awk -v o="$loop" -v r="$med" 'BEGIN { printf "%.0f", (r > 0 ? o / r : 0) }')
	eval "RATIO_$n=\$ratio"
	per=$(awk -v r="$med" -v n="$n" 'BEGIN { printf "%.4f", r / 1000 / n }')
	printf 'bench=tick ids=%s running=%s parked=%s runs=%s roost_ms=%s net_ms=%s self_ms=%s ms_per_id=%s procs=%s execs=%s shell_runs=%s shell_ids=%s shell_ms=%s shell_extrapolated=%s ratio=%s\n' \
	    "$n" "$running" $((n - n / 10)) "$RUNS" "$(ms "$med")" \
	    "$(net "$med")" "${self:-?}" "$per" "$procs" "$execs" \
	    "$LOOP_RUNS" "$k" "$(ms "$loop")" "$([ "$k" -lt "$n" ] && echo yes || echo no)" \
	    "$ratio"
done

# Growth: time per identity at each size, and the slope between sizes.
growth=
prev_n=
prev_t=
t=
for n in $sizes; do
	eval "t=\$TICK_$n"
	growth="$growth ms_per_id_$n=$(awk -v r="$t" -v n="$n" 'BEGIN { printf "%.4f", r / 1000 / n }')"
	if [ -n "$prev_n" ]; then
		growth="$growth slope_${prev_n}_${n}_ms_per_id=$(awk -v a="$prev_t" -v b="$t" -v m="$prev_n" -v n="$n" 'BEGIN { printf "%.4f", (b - a) / 1000 / (n - m) }')"
	fi
	prev_n=$n
	prev_t=$t
done
printf 'bench=tick-growth%s\n' "$growth"

# The running tick identities go (a clean teardown each); no clean path
# may leave a server-exit record.
run_ids=
i=10
while [ $i -le "$defined" ]; do
	idname $i
	run_ids="$run_ids $ID"
	i=$((i + 10))
done
# shellcheck disable=SC2086
stop_ids $run_ids
clean_exits=$(server_exits)
[ "$clean_exits" -eq 0 ] ||
    note "clean stops wrote $clean_exits ev=server-exit records"

[ "${bench_alone:-}" != tick ] || bench_end
