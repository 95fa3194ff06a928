#!/bin/sh
# restart.sh: the restart figure.  A program's death -> its identity
# running again, with no scheduled tick: the pane-died hook asks for a
# pass over the identity, which records the death and relaunches.  Over
# BENCH_RESTARTS deaths of one identity (--restart-delay 0, so the figure
# is roost's own reaction; a real restart adds restart_delay): median,
# p90, worst.  "Running again" is a new pane process in .session (the
# program is respawned in its live server) with the session up.
#
# Prints bench=restart; leaves R_N R_MED R_P90 R_MAX for the summary
# table.  Sourced by scripts/bench.sh, or run alone:
# sh scripts/bench/restart.sh.
#
# Environment: BENCH_RESTARTS (default 20); those of lib.sh.

set -u
if [ -z "${bench_ready:-}" ]; then
	BENCH_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
	# shellcheck source=scripts/bench/lib.sh
	. "$BENCH_DIR/lib.sh"
	bench_setup
	bench_alone=restart
fi

RESTARTS=${BENCH_RESTARTS:-20}

# The program ends (exit 1) when $root/end exists, else lasts.
RPROG=$root/rprog
cat >"$RPROG" <<PEOF
#!/bin/sh
while [ ! -e '$root/end' ]; do sleep 0.01; done
rm -f '$root/end'
exit 1
PEOF
chmod 755 "$RPROG"
"$ROOST" add rr --idle 0 --restart always --restart-delay 0 \
    --crashloop 16/1 -- "$RPROG" >/dev/null || die "roost add failed"
"$ROOST" start rr >/dev/null 2>>"$root/errors" || die "roost start failed"
: >"$root/restart"
rmissed=0
i=0
while [ "$i" -lt "$RESTARTS" ]; do
	i=$((i + 1))
	k=0
	while ! up rr && [ "$k" -lt 500 ]; do
		sleep 0.01
		k=$((k + 1))
	done
	pane_of rr
	old=$PPID_
	now
	a=$NOW
	: >"$root/end"
	k=0
	while [ "$k" -lt 20000 ]; do
		pane_of rr
		if [ -n "$PPID_" ] && [ "$PPID_" != "$old" ] &&
		    "$TMUX_REAL" -S "$H/sock/rr" has-session 2>/dev/null; then
			break
		fi
		k=$((k + 1))
		sleep 0.001
	done
	now
	if [ -n "$PPID_" ] && [ "$PPID_" != "$old" ]; then
		echo $((NOW - a)) >>"$root/restart"
	else
		rmissed=$((rmissed + 1))
	fi
	# Outside the crash-loop window before the next death.
	sleep 1.1
done
stat_of "$root/restart"
R_N=$S_N R_MED=$S_MED R_P90=$S_P90 R_MAX=$S_MAX
printf 'bench=restart deaths=%s restarted=%s missed=%s median_ms=%s net_ms=%s p90_ms=%s worst_ms=%s best_ms=%s restart_delay=0\n' \
    "$RESTARTS" "$R_N" "$rmissed" "$(ms "$R_MED")" "$(net "$R_MED")" \
    "$(ms "$R_P90")" "$(ms "$R_MAX")" "$(ms "$S_MIN")"
"$ROOST" stop rr >/dev/null 2>>"$root/errors"

[ "${bench_alone:-}" != restart ] || bench_end
