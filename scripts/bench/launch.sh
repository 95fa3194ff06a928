#!/bin/sh
# launch.sh: the launch figure.  `roost start` -> session up and canary
# running, over BENCH_LAUNCHES identities (l01 ...), each stopped again;
# then the tmux clients one launch runs (five launches through the
# counting ROOST_TMUX wrapper: none, as roost speaks to the server itself),
# and the processes a start creates (three starts under strace -f, when
# present).
#
# Prints bench=launch; leaves L_N L_MED L_MAX L_CALLS L_FORKS for the summary
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
# tmux clients of one launch, through a counting ROOST_TMUX wrapper.  A
# launch renders the canary with the tmux in force, so the server the
# canary starts (tmux -D) goes through the wrapper too: it is the server,
# not a client, and is left out.
: >"$root/calls"
k=0
for id in $l_ids; do
	k=$((k + 1))
	[ $k -gt 5 ] && break
	: >"$TMUXLOG"
	ROOST_TMUX=$TMUXW "$ROOST" start "$id" >/dev/null 2>>"$root/errors"
	c=$(grep -vc -e ' wait-for ' -e ' -D$' "$TMUXLOG" | tr -d ' ')
	echo "$c" >>"$root/calls"
	"$ROOST" stop "$id" >/dev/null 2>>"$root/errors"
done
# The processes one start creates, by strace -f (when present): from
# `roost start` until it has returned and the program runs (a program
# that execs sleep, so it creates none of its own), over three starts:
# their process creations (fork, vfork, clone) and what each ran.
L_FORKS=n/a L_RAN=
if command -v strace >/dev/null 2>&1; then
	LP=$root/lprog
	printf '#!/bin/sh\necho $$ >%s.pid\nexec sleep 1000000\n' "$LP" >"$LP"
	chmod 755 "$LP"
	"$ROOST" add lf --idle 0 -- "$LP" >/dev/null || die "roost add failed"
	: >"$root/forks"
	for k in 1 2 3; do
		rm -f "$LP.pid" "$root/st.lf"
		# -I 1: strace -o FILE PROG blocks SIGTERM by default.
		strace -f -q -I 1 -o "$root/st.lf" \
		    -e trace=clone,clone3,fork,vfork,execve "$ROOST" start lf \
		    >/dev/null 2>>"$root/errors" &
		stp=$!
		first=
		n=0
		while [ "$n" -lt 3000 ]; do
			[ -n "$first" ] ||
			    first=$(awk 'NR == 1 { print $1; exit }' "$root/st.lf" 2>/dev/null)
			# strace pads the pid column: compare fields.
			if [ -n "$first" ] && [ -s "$LP.pid" ] &&
			    awk -v p="$first" '$1 == p && $2 == "+++" &&
				$3 == "exited" { f = 1 } END { exit !f }' \
				"$root/st.lf"; then
				break
			fi
			sleep 0.01
			n=$((n + 1))
		done
		kill -TERM "$stp" 2>/dev/null
		wait "$stp" 2>/dev/null
		# Up to roost's exit and the program's exec, whichever is
		# later: the start (the hooks a slow traced run lets fire
		# later are not the start's).
		awk -v f="$first" '
		    $1 == f && $2 == "+++" { e = 1 }
		    /execve\(".*\/lprog"/ { p = 1 }
		    { print }
		    e && p { exit }' "$root/st.lf" >"$root/st.cut"
		grep -cE '^[0-9]+ +(clone3?|v?fork)\(' "$root/st.cut" >>"$root/forks"
		mv "$root/st.cut" "$root/st.lf"
		[ -n "$L_RAN" ] || L_RAN=$(grep -v -e ENOENT -e resumed "$root/st.lf" |
		    sed -n 's/^[0-9]* *execve("\([^"]*\)".*/\1/p' |
		    sed 's|.*/||' | tr '\n' ',' | sed 's/,$//')
		"$ROOST" stop lf >/dev/null 2>>"$root/errors"
	done
	L_FORKS=$(sort -n "$root/forks" | uniq | tr '\n' ',' | sed 's/,$//')
fi
L_CALLS=$(awk '{ print $1 }' "$root/calls" | sort -n | uniq | tr '\n' ',' | sed 's/,$//')
stat_of "$root/launch"
L_N=$S_N L_MED=$S_MED L_MAX=$S_MAX
printf 'bench=launch launches=%s ok=%s failed=%s median_ms=%s net_ms=%s p90_ms=%s worst_ms=%s tmux_clients=%s forks=%s ran=%s\n' \
    "$LAUNCHES" "$L_N" "$lfail" "$(ms "$L_MED")" \
    "$(net "$L_MED")" "$(ms "$S_P90")" "$(ms "$L_MAX")" \
    "$L_CALLS" "$L_FORKS" "$(q "$L_RAN")"

[ "${bench_alone:-}" != launch ] || bench_end
