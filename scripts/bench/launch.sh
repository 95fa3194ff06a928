#!/bin/sh
# launch.sh: the launch figure.  `roost start` -> session up and canary
# running, over BENCH_LAUNCHES identities (l01 ...), each stopped again;
# then the tmux invocations of one launch (five launches through the
# counting ROOST_TMUX wrapper).
#
# Prints bench=launch; leaves L_N L_MED L_MAX L_CALLS L_NS for the summary
# table.  Sourced by scripts/bench.sh, or run alone:
# sh scripts/bench/launch.sh.
#
# Environment: BENCH_LAUNCHES (default 20); those of lib.sh.

set -u
if [ -z "${bench_ready:-}" ]; then
	BENCH_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
	# shellcheck source=scripts/bench/lib.sh
	. "$BENCH_DIR/lib.sh"
	bench_setup
	bench_alone=launch
fi

LAUNCHES=${BENCH_LAUNCHES:-20}

l_ids=
i=1
while [ $i -le "$LAUNCHES" ]; do
	_n=$((100 + i))
	l_ids="$l_ids l${_n#1}"
	"$ROOST" add "l${_n#1}" --idle 0 -- "$PROG" >/dev/null ||
	    die "roost add failed"
	i=$((i + 1))
done
: >"$root/launch"
lfail=0
for id in $l_ids; do
	now
	a=$NOW
	if ! "$ROOST" start "$id" >/dev/null 2>>"$root/errors"; then
		lfail=$((lfail + 1))
		continue
	fi
	k=0
	canary_of "$id"
	while { [ -z "$CPID" ] || ! alive "$CPID"; } && [ $k -lt 5000 ]; do
		k=$((k + 1))
		canary_of "$id"
	done
	now
	if up "$id"; then
		echo $((NOW - a)) >>"$root/launch"
	else
		lfail=$((lfail + 1))
	fi
	"$ROOST" stop "$id" >/dev/null 2>>"$root/errors"
done
# tmux invocations of one launch, through a counting ROOST_TMUX wrapper.
# A launch renders the canary with the tmux in force, so the server the
# canary starts (tmux -D) goes through the wrapper too: it is the server,
# not a set-up call, and is left out.
: >"$root/calls"
k=0
for id in $l_ids; do
	k=$((k + 1))
	[ $k -gt 5 ] && break
	: >"$TMUXLOG"
	ROOST_TMUX=$TMUXW "$ROOST" start "$id" >/dev/null 2>>"$root/errors"
	c=$(grep -vc -e ' wait-for ' -e ' -D$' "$TMUXLOG" | tr -d ' ')
	ns=$(grep -c ' new-session ' "$TMUXLOG")
	echo "$c $ns" >>"$root/calls"
	"$ROOST" stop "$id" >/dev/null 2>>"$root/errors"
done
L_CALLS=$(awk '{ print $1 }' "$root/calls" | sort -n | uniq | tr '\n' ',' | sed 's/,$//')
L_NS=$(awk '{ s += $2 } END { print s / NR }' "$root/calls")
stat_of "$root/launch"
L_N=$S_N L_MED=$S_MED L_MAX=$S_MAX
printf 'bench=launch launches=%s ok=%s failed=%s median_ms=%s net_ms=%s p90_ms=%s worst_ms=%s tmux_calls=%s new_session_per_launch=%s\n' \
    "$LAUNCHES" "$L_N" "$lfail" "$(ms "$L_MED")" \
    "$(net "$L_MED")" "$(ms "$S_P90")" "$(ms "$L_MAX")" \
    "$L_CALLS" "$L_NS"

[ "${bench_alone:-}" != launch ] || bench_end
