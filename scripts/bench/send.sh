#!/bin/sh
# send.sh: the send figures.  `roost send` to a ready program -> its text
# visible in the pane log, over BENCH_SENDS messages (median, p90; the
# goal is 50 ms plus submit_delay_ms, which this run sets to 0 so the
# figure is roost's own); then `start --wait` over BENCH_WAITS starts:
# what it takes after .ready appears (its overhead over the program's own
# start-up).  Until roost detects readiness on the screen, the bench
# writes .ready itself once the prompt shows, as the suites' make_ready
# does.
#
# Prints bench=send and bench=start-wait.  Sourced by scripts/bench.sh, or run alone:
# sh scripts/bench/send.sh.
#
# Environment: BENCH_SENDS (default 20), BENCH_WAITS (default 5); those
# of lib.sh.

set -u
if [ -z "${bench_ready:-}" ]; then
	BENCH_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
	# shellcheck source=scripts/bench/lib.sh
	. "$BENCH_DIR/lib.sh"
	bench_setup
	bench_alone=send
fi

SENDS=${BENCH_SENDS:-20}
WAITS=${BENCH_WAITS:-5}
AGENT=$BENCH_DIR/../../tests/fake-agent

# prompt_shown ID: the launch is recorded and the pane's last line that
# is not blank is the prompt.
prompt_shown() {
	[ -f "$H/state/$1.session" ] &&
	    [ "$("$TMUX_REAL" -S "$H/sock/$1" capture-pane -p -t "=$1:" 2>/dev/null |
	    sed '/^ *$/d' | tail -n 1)" = ">" ]
}

"$ROOST" add sb --idle 0 -- env FAKE_WORK=0 "$AGENT" >/dev/null ||
    die "roost add failed"
echo 'submit_delay_ms=0' >>"$H/conf/sb.conf"
"$ROOST" start sb >/dev/null 2>>"$root/errors" || die "roost start failed"
wait_for 10 prompt_shown sb || die "the agent showed no prompt"
touch "$H/state/sb.ready"
: >"$root/send"
i=1
while [ $i -le "$SENDS" ]; do
	sleep 0.6	# the pane quiet again: the delivery's settle time
	tok="bench-token-$i-$$"
	now
	a=$NOW
	"$ROOST" send -q sb "$tok" 2>>"$root/errors" &
	sp=$!
	k=0
	until grep -qF "$tok" "$H/log/sb.log" 2>/dev/null || [ $k -ge 5000 ]; do
		k=$((k + 1))
	done
	now
	[ $k -lt 5000 ] && echo $((NOW - a)) >>"$root/send"
	wait "$sp"
	i=$((i + 1))
done
"$ROOST" stop sb >/dev/null 2>>"$root/errors"
stat_of "$root/send"
printf 'bench=send sends=%s ok=%s median_ms=%s p90_ms=%s worst_ms=%s submit_delay_ms=0\n' \
    "$SENDS" "$S_N" "$(ms "$S_MED")" "$(ms "$S_P90")" "$(ms "$S_MAX")"

# start --wait: from .ready written to start's return.
: >"$root/wait"
i=1
while [ $i -le "$WAITS" ]; do
	(
		wait_for 20 prompt_shown sb && {
			clock_us
			touch "$H/state/sb.ready"
			echo "$CLOCK_US" >"$root/ready-at"
		}
	) &
	hp=$!
	rm -f "$root/ready-at"
	"$ROOST" start sb --wait=30 >/dev/null 2>>"$root/errors"
	now
	wait "$hp"
	[ -s "$root/ready-at" ] && echo $((NOW - $(cat "$root/ready-at"))) >>"$root/wait"
	"$ROOST" stop sb >/dev/null 2>>"$root/errors"
	i=$((i + 1))
done
stat_of "$root/wait"
printf 'bench=start-wait starts=%s ok=%s overhead_median_ms=%s overhead_worst_ms=%s poll_ms=50\n' \
    "$WAITS" "$S_N" "$(ms "$S_MED")" "$(ms "$S_MAX")"

[ "${bench_alone:-}" != send ] || bench_end
