#!/bin/sh
# footprint.sh: the footprint figure.  RSS and PSS (proportional: shared
# pages counted by share) of one identity's canary (a launch's canary is
# one sh, the parent of the tmux server; a respawned one adds a tmux
# client) and of its tmux server.  The identity is l01 (launch.sh's
# first; defined here when absent).
#
# Prints bench=footprint; leaves F_SH F_CL F_CAN F_SRV for the summary
# table.  Sourced by scripts/bench.sh, or run alone:
# sh scripts/bench/footprint.sh.
#
# Environment: those of lib.sh.

set -u
if [ -z "${bench_ready:-}" ]; then
	BENCH_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
	# shellcheck source=scripts/bench/lib.sh
	. "$BENCH_DIR/lib.sh"
	bench_setup
	bench_alone=footprint
fi

# rss PID: resident set size in KiB (0 when gone).
rss() {
	_r=$(ps -o rss= -p "$1" 2>/dev/null | tr -d ' ')
	printf '%s' "${_r:-0}"
}
# pss PID: proportional set size in KiB (Linux smaps_rollup; n/a elsewhere).
pss() {
	_p=
	[ -r "/proc/$1/smaps_rollup" ] &&
	    _p=$(awk '$1 == "Pss:" { print $2; exit }' "/proc/$1/smaps_rollup" 2>/dev/null)
	printf '%s' "${_p:-n/a}"
}

fid=l01
if [ ! -f "$H/conf/$fid.conf" ]; then
	"$ROOST" add "$fid" --idle 0 -- "$PROG" >/dev/null ||
	    die "roost add failed"
fi
"$ROOST" start "$fid" >/dev/null 2>>"$root/errors"
k=0
while ! blocked "$fid" && [ $k -lt 500 ]; do
	sleep 0.01
	k=$((k + 1))
done
canary_of "$fid"
server_of "$fid"
F_SH=$(rss "${CPID:-0}")
F_SH_PSS=$(pss "${CPID:-0}")
F_CL=0
for c in $(pgrep -P "${CPID:-0}" 2>/dev/null); do
	[ "$c" = "${SPID:-}" ] && continue	# the server is counted apart
	F_CL=$((F_CL + $(rss "$c")))
done
F_SRV=$(rss "${SPID:-0}")
F_SRV_PSS=$(pss "${SPID:-0}")
F_CAN=$((F_SH + F_CL))
printf 'bench=footprint id=%s canary_sh_kb=%s canary_sh_pss_kb=%s canary_client_kb=%s canary_total_kb=%s server_kb=%s server_pss_kb=%s\n' \
    "$fid" "$F_SH" "$F_SH_PSS" "$F_CL" "$F_CAN" "$F_SRV" "$F_SRV_PSS"
"$ROOST" stop "$fid" >/dev/null 2>>"$root/errors"

[ "${bench_alone:-}" != footprint ] || bench_end
