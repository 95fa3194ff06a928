#!/bin/sh
# canary.sh: the canary figure.  SIGKILL of a tmux server -> its
# ev=server-exit line in exits.log, over BENCH_DEATHS identities (each
# --restart never, each killed once its canary's client is waiting on the
# server): median, p90, worst and best, polled every millisecond.
#
# Prints bench=canary; leaves C_N C_MED C_P90 C_MAX for the summary table.
# Sourced by scripts/bench.sh, or run alone: sh scripts/bench/canary.sh.
#
# Environment: BENCH_DEATHS (default 30); those of lib.sh.

set -u
if [ -z "${bench_ready:-}" ]; then
	BENCH_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
	# shellcheck source=scripts/bench/lib.sh
	. "$BENCH_DIR/lib.sh"
	bench_setup
	bench_alone=canary
fi

DEATHS=${BENCH_DEATHS:-30}

c_ids=
i=1
while [ $i -le "$DEATHS" ]; do
	_n=$((100 + i))
	c_ids="$c_ids c${_n#1}"
	"$ROOST" add "c${_n#1}" --idle 0 --restart never -- "$PROG" >/dev/null ||
	    die "roost add failed"
	i=$((i + 1))
done
# shellcheck disable=SC2086
start_ids $c_ids
: >"$root/canary"
vanished=0
missed=0
for id in $c_ids; do
	server_of "$id"
	k=0
	while ! blocked "$id" && [ $k -lt 500 ]; do
		sleep 0.01
		k=$((k + 1))
	done
	if [ -z "$SPID" ] || ! blocked "$id"; then
		note "canary: $id: not up (server=$SPID canary=$CPID)"
		missed=$((missed + 1))
		continue
	fi
	cp=$CPID
	now
	a=$NOW
	kill -9 "$SPID"
	k=0
	while ! seen "$id"; do
		k=$((k + 1))
		[ $k -gt 5000 ] && break
		sleep 0.001
	done
	now
	if seen "$id"; then
		echo $((NOW - a)) >>"$root/canary"
		while IFS= read -r l; do
			case $l in
			*" ev=server-exit id=$id cause=server-vanished "*)
				vanished=$((vanished + 1)) ;;
			esac
		done <"$EXITS"
	else
		note "canary: $id: no ev=server-exit line within 5 s"
		missed=$((missed + 1))
	fi
	# Let it finish its forensics snapshot before the next death.
	k=0
	while alive "$cp" && [ $k -lt 500 ]; do
		sleep 0.01
		k=$((k + 1))
	done
done
stat_of "$root/canary"
C_N=$S_N C_MED=$S_MED C_P90=$S_P90 C_MAX=$S_MAX
printf 'bench=canary deaths=%s recorded=%s missed=%s cause_vanished=%s median_ms=%s net_ms=%s p90_ms=%s worst_ms=%s best_ms=%s poll=%s\n' \
    "$DEATHS" "$C_N" "$missed" "$vanished" "$(ms "$C_MED")" \
    "$(net "$C_MED")" "$(ms "$C_P90")" \
    "$(ms "$C_MAX")" "$(ms "$S_MIN")" 1ms

[ "${bench_alone:-}" != canary ] || bench_end
