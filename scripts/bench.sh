#!/bin/sh
# bench.sh: roost's benchmark (make bench).  Prints logfmt result lines
# (bench=<name> key=value ...) and, at the end, a short human table.
#
# Figures, one script each under scripts/bench/ (each can also run alone):
#   tick       roost tick over 10 / 100 / 1,000 identities (90 % parked,
#              10 % running on real tmux servers): median wall time,
#              processes created during one pass (strace, when present),
#              and the baseline roost is compared with: a shell
#              supervisor's pass (`tmux has-session` + `pgrep -f` on the
#              canary per identity) as a shell loop over the same
#              identities, with the ratio.
#   canary     SIGKILL of a tmux server -> its ev=server-exit line in
#              exits.log: median, p90 and worst over 30 deaths.
#   restart    a program's death -> running again, no tick run: median,
#              p90 and worst over 20 deaths (restart_delay 0).
#   launch     `roost start` -> session up and canary running, median of
#              20; tmux invocations per launch (ROOST_TMUX wrapper);
#              processes one start creates (strace -f, when present).
#   footprint  RSS and PSS of one identity's canary and of its tmux
#              server.
#   activity   roost tick over 100 running quiet identities (processes
#              created) and over 100 whose panes changed (capture-pane
#              calls); a prompt on screen -> .waiting with no tick run.
#   send       `roost send` to a ready program -> its text in the pane
#              log, median and p90 of 20; start --wait's overhead.
#   peers      roost side by side with runit, s6 and supervisord where
#              installed, interleaved: program SIGKILLed -> running
#              again, -> its death logged, CPU per death; each with the
#              ratio roost/best peer (scripts/bench/peers.sh).
#
# They run in this order, sourced, in one private root (mktemp -d
# /tmp/rb.XXXXXX: unix socket paths must stay under 104 bytes) with
# ROOST_TMUX_CONF=/dev/null, set up once by scripts/bench/lib.sh; every
# server, canary and program started there is ended on exit, and the
# script checks that no process naming the root is left.  Figures are
# printed, never asserted: the exit status is 0 unless the bench itself
# could not run or left processes behind.
#
# Environment: ROOST_BIN (default ./roost), BENCH_TMUX (the tmux roost was
# configured with; default: the one roost renders into its scripts),
# BENCH_RUNS (roost tick runs per size, default 7), BENCH_OLD_RUNS
# (shell-loop runs per size, default 5), BENCH_OLD_BUDGET (seconds the
# shell loop may take per size, default 40), BENCH_DEATHS (default 30),
# BENCH_LAUNCHES (default 20), BENCH_MAX (largest tick size, default 1000).
#
# Tools: the roost binary, tmux, ps, pgrep, awk, sort, sleep, date; strace
# when present.  High-resolution time comes from `date +%s%N`; where %N is
# unsupported (macOS) perl's Time::HiRes is used, and python3 only as the
# last resort because neither date nor perl can give sub-second time there.

set -u

BENCH_DIR=$(cd "$(dirname "$0")/bench" && pwd) || exit 1
# shellcheck source=scripts/bench/lib.sh
. "$BENCH_DIR/lib.sh"
bench_setup

# shellcheck source=scripts/bench/tick.sh
. "$BENCH_DIR/tick.sh"
# shellcheck source=scripts/bench/canary.sh
. "$BENCH_DIR/canary.sh"
# shellcheck source=scripts/bench/restart.sh
. "$BENCH_DIR/restart.sh"
# shellcheck source=scripts/bench/launch.sh
. "$BENCH_DIR/launch.sh"
# shellcheck source=scripts/bench/footprint.sh
. "$BENCH_DIR/footprint.sh"
# shellcheck source=scripts/bench/activity.sh
. "$BENCH_DIR/activity.sh"
# shellcheck source=scripts/bench/send.sh
. "$BENCH_DIR/send.sh"
# shellcheck source=scripts/bench/peers.sh
. "$BENCH_DIR/peers.sh"

bench_end

# ---------------------------------------------------------------- table
echo
printf '%-34s %-40s %s\n' FIGURE RESULT GOAL
p='' o='' r='' ok=''
for n in $sizes; do
	eval "t=\$TICK_$n p=\$PROCS_$n o=\$LOOP_$n r=\$RATIO_$n ok=\$LOOP_K_$n"
	est=
	[ "$ok" -lt "$n" ] && est=" (est. from $ok)"
	goal=
	[ "$n" = 1000 ] && goal='<= 20 ms, 0 procs'
	printf '%-34s %-40s %s\n' "tick, $n ids (roost)" \
	    "$(ms "$t") ms, procs=$p" "$goal"
	goal=
	[ "$n" = 1000 ] && goal='ratio >= 50x'
	printf '%-34s %-40s %s\n' "tick, $n ids (old shell loop)" \
	    "$(ms "$o") ms$est, ${r}x" "$goal"
done
printf '%-34s %-40s %s\n' "tick growth, ms per id" \
    "$(echo "$growth" | sed 's/ms_per_id_//g; s/ slope[^ ]*//g; s/^ *//')" ''
printf '%-34s %-40s %s\n' "tick growth, slope ms per id" \
    "$(echo "$growth" | sed 's/ms_per_id_[^ ]*//g; s/slope_//g; s/_ms_per_id//g; s/_/->/g; s/^ *//; s/  */ /g')" \
    'linear, tiny slope'

printf '%-34s %-40s %s\n' "canary: SIGKILL -> record" \
    "$(ms "$C_MED") / $(ms "$C_P90") / $(ms "$C_MAX") ms" \
    'median <= 5, p90 <= 10 ms'
printf '%-34s %-40s %s\n' "  (median / p90 / worst, $C_N deaths)" "" ""
printf '%-34s %-40s %s\n' "launch: start -> canary running" \
    "$(ms "$L_MED") ms median, tmux clients=$L_CALLS, forks=$L_FORKS" '<= 15 ms, <= 4 forks'
printf '%-34s %-40s %s\n' "death -> running again (no tick)" \
    "$(ms "$R_MED") / $(ms "$R_P90") / $(ms "$R_MAX") ms" \
    'about 1 s + restart_delay'
printf '%-34s %-40s %s\n' "  (median / p90 / worst, $R_N deaths, restart_delay 0)" "" ""
printf '%-34s %-40s %s\n' "footprint: canary RSS / PSS" \
    "$F_CAN KiB / $F_SH_PSS KiB" ''
printf '%-34s %-40s %s\n' "footprint: tmux server RSS / PSS" \
    "$F_SRV KiB / $F_SRV_PSS KiB" ''
[ -f "$root/peers.table" ] && cat "$root/peers.table"
printf '%-34s %-40s %s\n' "timestamp overhead ($TIMER)" \
    "$(ms "$TIMER_US") ms in each figure" '(net_ms = median - this)'
echo
