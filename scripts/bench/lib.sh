# scripts/bench/lib.sh: what the benchmark's figure scripts share.  POSIX
# sh, sourced (by scripts/bench.sh or by a figure script run alone), with
# $BENCH_DIR set to this directory's absolute path first.
#
# bench_setup makes the private root and prints the machine and timer
# lines; bench_end prints roost's errors, if any, and the total line.
# Between the two every figure script finds, ready:
#   $root       the private root (mktemp -d /tmp/rb.XXXXXX: unix socket
#               paths must stay under 104 bytes); the working directory
#   $H          ROOST_HOME under it (exported, with ROOST_TMUX_CONF=/dev/null)
#   $ROOST      a private copy of $ROOST_BIN (others may rebuild ./roost),
#               with its tree's utmp shim (ROOST_UTMP_SHIM) when it has one
#   $TMUX_REAL  the tmux roost was built with (or $BENCH_TMUX)
#   $PROG       the program every running identity runs
#   $TMUXW      a ROOST_TMUX wrapper logging each tmux call to $TMUXLOG
#   $EXITS      exits.log
#   $root/errors  roost's stderr from start/stop
# On exit every canary, server and program started in the root is ended
# and "bench=cleanup leftover=N" printed; leftovers make the status 1.
#
# Environment: ROOST_BIN (default ./roost), BENCH_TMUX (default: the tmux
# roost renders into its scripts).
#
# Tools: the roost binary, tmux, ps, pgrep, awk, sort, sleep, date; a
# sub-second clock: date +%s%N, else perl's Time::HiRes (BSD and macOS
# date print a literal N), else python3 (tests/lib.sh chooses).

# shellcheck source=tests/lib.sh
. "$BENCH_DIR/../../tests/lib.sh"

ROOST_SRC=${ROOST_BIN:-./roost}
case $ROOST_SRC in /*) ;; *) ROOST_SRC=$(pwd)/$ROOST_SRC ;; esac
TMUX_REAL=${BENCH_TMUX:-}	# default: the tmux roost was built with
BATCH=10	# roost starts run in parallel batches of this size

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}
note() {
	printf 'bench: %s\n' "$*" >&2
}

# ---------------------------------------------------------------- timer
# now: microseconds since the epoch in $NOW (one fork).
TIMER=$LIB_CLOCK
now() {
	clock_us
	NOW=$CLOCK_US
}

# stats: numbers (µs) on stdin -> "n median p90 max min" (nearest rank).
stats() {
	sort -n | awk '{ v[NR] = $1 }
	END {
		if (NR == 0) { print "0 0 0 0 0"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)
		i = int(0.9 * NR); if (i < 0.9 * NR) i++; if (i < 1) i = 1
		print NR, m, v[i], v[NR], v[1]
	}'
}
# stat_of FILE: S_N S_MED S_P90 S_MAX S_MIN from FILE's numbers.
# shellcheck disable=SC2034 # for the figure scripts
stat_of() {
	read -r S_N S_MED S_P90 S_MAX S_MIN <<EOF
$(stats <"$1")
EOF
}
# ms US: microseconds as milliseconds with two decimals.
ms() {
	awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'
}
# net US: US minus one timestamp's cost (TIMER_US), in ms, never below 0.
net() {
	_d=$(($1 - TIMER_US))
	[ "$_d" -lt 0 ] && _d=0
	ms "$_d"
}
# q S: S as a logfmt value (quoted when it needs to be).
q() {
	case $1 in
	'' | *[\ =\"\\]*)
		printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')" ;;
	*) printf '%s' "$1" ;;
	esac
}

# ---------------------------------------------------------------- cleanup
# ours: pids (not zombies) whose command line names the root.
ours() {
	for _p in $(pgrep -f "$root" 2>/dev/null); do
		alive "$_p" && printf '%s\n' "$_p"
	done
}

root=
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	[ -n "$root" ] && [ -d "$root" ] || exit "$rc"
	# As a clean teardown does: canaries first (their process groups),
	# so nothing records a death, then the servers.
	for f in "$H"/state/*.canary; do
		[ -f "$f" ] || continue
		p=
		read -r p <"$f" || :
		case $p in '' | *[!0-9]*) continue ;; esac
		[ "$p" -gt 1 ] && kill -TERM -- "-$p" 2>/dev/null
	done
	for s in "$H"/sock/*; do
		[ -S "$s" ] || continue
		"$TMUX_REAL" -S "$s" kill-server >/dev/null 2>&1 &
	done
	wait
	# Whatever still names the root (programs, stray clients): by pid.
	i=0
	while [ -n "$(ours)" ] && [ $i -lt 40 ]; do
		if [ $i -eq 0 ] || [ $i -eq 20 ]; then
			sig=TERM
			[ $i -eq 20 ] && sig=KILL
			for p in $(ours); do
				kill -s "$sig" "$p" 2>/dev/null
			done
		fi
		sleep 0.1
		i=$((i + 1))
	done
	left=$(ours | wc -l | tr -d ' ')
	printf 'bench=cleanup leftover=%s\n' "$left"
	if [ "$left" -ne 0 ]; then
		note "processes left behind: $(ours | tr '\n' ' ')"
		rc=1
	fi
	cd / && rm -rf "$root"
	exit "$rc"
}

# ---------------------------------------------------------------- set-up
# bench_setup: the root, the cleanup trap, the test program, the tmux
# wrapper; then the machine line and the timer-overhead line.  Sets
# bench_ready, which tells a figure script it is sourced by the driver.
bench_setup() {
	[ -x "$ROOST_SRC" ] || die "no roost binary at $ROOST_SRC (run make first)"
	command -v pgrep >/dev/null 2>&1 || die "pgrep not found"
	[ "$TIMER" != seconds ] ||
	    die "no high-resolution clock (date +%N, perl Time::HiRes, python3)"

	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	root=$(mktemp -d /tmp/rb.XXXXXX) || die "mktemp failed"
	cd "$root" || die "cannot enter $root"
	H=$root/h
	ROOST=$root/roost
	cp "$ROOST_SRC" "$ROOST" || die "cannot copy $ROOST_SRC"
	export ROOST_HOME="$H" ROOST_TMUX_CONF=/dev/null
	unset ROOST_TMUX ROOST_SOCK_DIR ROOST_TEMPLATES ROOST_NOW TMUX TMUX_PANE
	# The utmp shim of the binary's tree (an installed roost finds its
	# own; this copy would not), as the installed one runs (tree_shim).
	if [ -z "${ROOST_UTMP_SHIM+set}" ]; then
		ROOST_UTMP_SHIM=$(tree_shim "${ROOST_SRC%/*}")
		export ROOST_UTMP_SHIM
	fi
	EXITS=$H/log/exits.log

	# The tmux roost uses (compiled in), read from a rendered canary, so
	# the shell-loop baseline and the cleanup drive the very same binary.
	if [ -z "$TMUX_REAL" ]; then
		"$ROOST" add probe -- true >/dev/null || die "roost add failed"
		TMUX_REAL=$(sed -n "s/^TMUX_BIN='\([^']*\)'\$/\1/p" "$H/bin/probe.canary")
		"$ROOST" rm probe >/dev/null || die "roost rm failed"
		[ -n "$TMUX_REAL" ] || TMUX_REAL=$(command -v tmux 2>/dev/null)
	fi
	if [ -z "$TMUX_REAL" ] || [ ! -x "$TMUX_REAL" ]; then
		die "tmux not found"
	fi

	# The program every running identity runs: a sleep loop that takes
	# its sleep with it when the pane goes.
	PROG=$root/prog
	cat >"$PROG" <<'EOF'
#!/bin/sh
trap 'kill $c 2>/dev/null; exit 0' HUP TERM INT
while :; do
	sleep 30 &
	c=$!
	wait $c
done
EOF
	chmod 755 "$PROG"

	# The ROOST_TMUX wrapper that counts tmux invocations.
	TMUXW=$root/tmuxw
	TMUXLOG=$root/tmux-calls
	{
		echo '#!/bin/sh'
		printf 'printf "%%s\\n" "$*" >>%s\n' "'$TMUXLOG'"
		printf 'exec %s "$@"\n' "'$TMUX_REAL'"
	} >"$TMUXW"
	chmod 755 "$TMUXW"

	now
	T_START=$NOW
	bench_machine
	bench_timer
	# shellcheck disable=SC2034 # read by the figure scripts
	bench_ready=yes
}

# bench_machine: the bench=machine line.
bench_machine() {
	cpu=
	if [ -r /proc/cpuinfo ]; then
		cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	fi
	[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2>/dev/null)
	ncpu=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null ||
	    sysctl -n hw.ncpu 2>/dev/null)
	load=
	[ -r /proc/loadavg ] && load=$(cut -d' ' -f1-3 /proc/loadavg)
	printf 'bench=machine os=%s nproc=%s cpu=%s tmux=%s utmp_shim=%s load=%s\n' \
	    "$(q "$(uname -srm)")" "$(q "${ncpu:-?}")" "$(q "${cpu:-unknown}")" \
	    "$(q "$("$TMUX_REAL" -V)")" "$([ -n "${ROOST_UTMP_SHIM:-}" ] &&
	    echo yes || echo no)" "$(q "${load:-n/a}")"
}

# bench_timer: the cost of taking one timestamp, in TIMER_US, and the
# bench=timer line.  Every figure includes it once.
bench_timer() {
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		now
		a=$NOW
		now
		echo $((NOW - a))
	done >"$root/timer"
	stat_of "$root/timer"
	TIMER_US=$S_MED
	printf 'bench=timer method=%s overhead_ms=%s\n' "$TIMER" "$(ms "$TIMER_US")"
}

# bench_end: roost's first errors (stderr), then the bench=total line.
bench_end() {
	if [ -s "$root/errors" ]; then
		note "roost errors during the bench (first 5):"
		head -n 5 "$root/errors" >&2
	fi
	now
	TOTAL_S=$(awk -v u=$((NOW - T_START)) 'BEGIN { printf "%.1f", u / 1e6 }')
	load=
	[ -r /proc/loadavg ] && load=$(cut -d' ' -f1-3 /proc/loadavg)
	printf 'bench=total seconds=%s load_end=%s\n' "$TOTAL_S" "$(q "${load:-n/a}")"
}

# ---------------------------------------------------------------- identities
# idname N [PREFIX]: identity number N (1-based) as i0001 (PREFIX0001)
# in $ID, without a fork.
# shellcheck disable=SC2034 # for the figure scripts
idname() {
	_n=$((10000 + $1))
	ID=${2:-i}${_n#1}
}
# ids_add PREFIX FROM TO EVERY ARG...: `roost add ID ARG...` for the
# identities FROM..TO; all but every EVERYth are then parked (an
# .idle-reaped marker: a tick leaves them be).  1 when an add fails.
ids_add() {
	_p=$1 _i=$2 _to=$3 _ev=$4
	shift 4
	while [ "$_i" -le "$_to" ]; do
		idname "$_i" "$_p"
		"$ROOST" add "$ID" "$@" >/dev/null || return 1
		[ $((_i % _ev)) -eq 0 ] || : >"$H/state/$ID.idle-reaped"
		_i=$((_i + 1))
	done
}
# ids_setup PREFIX FROM TO EVERY ARG...: the identities FROM..TO defined
# (ids_add, in two parallel streams), and every EVERYth of them started
# (start_ids); those started in $RUN_IDS.  Dies when an add fails.
ids_setup() {
	_p=$1 _from=$2 _to=$3 _ev=$4
	shift 4
	_mid=$(((_from + _to) / 2))
	ids_add "$_p" "$_from" "$_mid" "$_ev" "$@" &
	_p1=$!
	ids_add "$_p" $((_mid + 1)) "$_to" "$_ev" "$@" &
	_p2=$!
	wait $_p1 || die "roost add failed"
	wait $_p2 || die "roost add failed"
	RUN_IDS=
	_i=$_from
	while [ "$_i" -le "$_to" ]; do
		idname "$_i" "$_p"
		[ $((_i % _ev)) -eq 0 ] && RUN_IDS="$RUN_IDS $ID"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	start_ids $RUN_IDS
}
# start_ids ID...: roost start, in parallel batches.
start_ids() {
	_k=0
	for _id; do
		"$ROOST" start "$_id" >/dev/null 2>>"$root/errors" &
		_k=$((_k + 1))
		if [ $_k -ge $BATCH ]; then
			wait
			_k=0
		fi
	done
	wait
}
# stop_ids ID...: roost stop, in parallel batches.
stop_ids() {
	_k=0
	for _id; do
		"$ROOST" stop "$_id" >/dev/null 2>>"$root/errors" &
		_k=$((_k + 1))
		if [ $_k -ge $BATCH ]; then
			wait
			_k=0
		fi
	done
	wait
}
# canary_of ID: the pid in .canary, in $CPID (empty when none).
canary_of() {
	CPID=
	[ -f "$H/state/$1.canary" ] && read -r CPID _ <"$H/state/$1.canary"
	case $CPID in *[!0-9]*) CPID= ;; esac
}
# server_of ID: server_pid from .session, in $SPID.
server_of() {
	SPID=
	_l=
	[ -f "$H/state/$1.session" ] && read -r _l <"$H/state/$1.session"
	case $_l in *server_pid=*) SPID=${_l##*server_pid=} SPID=${SPID%% *} ;; esac
}
# pane_of ID: pane_pid from .session, in $PPID_.
pane_of() {
	PPID_=
	_l=
	[ -f "$H/state/$1.session" ] && read -r _l <"$H/state/$1.session"
	case $_l in *" pane_pid="*) PPID_=${_l##* pane_pid=} PPID_=${PPID_%% *} ;; esac
}
# up ID: the identity's server accepts and its canary runs.
up() {
	canary_of "$1"
	[ -n "$CPID" ] && alive "$CPID" &&
	    "$TMUX_REAL" -S "$H/sock/$1" has-session -t "=$1" 2>/dev/null
}
# blocked ID: the canary's tmux client is waiting (wait-for, connected).
blocked() {
	canary_of "$1"
	[ -n "$CPID" ] || return 1
	# A launch's canary waits for the server it started, as its parent.
	server_of "$1"
	if [ -n "$SPID" ] && alive "$SPID" &&
	    [ "$(ps -o ppid= -p "$SPID" 2>/dev/null | tr -d ' ')" = "$CPID" ]; then
		return 0
	fi
	for _c in $(pgrep -P "$CPID" 2>/dev/null); do
		alive "$_c" || continue
		_cmd=$(tr '\0' ' ' <"/proc/$_c/cmdline" 2>/dev/null) ||
		    _cmd=$(ps -o args= -p "$_c" 2>/dev/null)
		case $_cmd in *" wait-for "*) ;; *) continue ;; esac
		# Connected to the server (Linux: a socket among its fds).
		[ -d "/proc/$_c/fd" ] || return 0
		for _f in "/proc/$_c/fd"/*; do
			case $(readlink "$_f" 2>/dev/null) in
			socket:*) return 0 ;;
			esac
		done
	done
	return 1
}
# seen ID: exits.log holds ID's server-exit line (builtins only: no fork).
seen() {
	[ -f "$EXITS" ] || return 1
	while IFS= read -r _l; do
		case $_l in *" ev=server-exit id=$1 "*) return 0 ;; esac
	done <"$EXITS"
	return 1
}
# server_exits: ev=server-exit lines so far.
server_exits() {
	_c=0
	if [ -f "$EXITS" ]; then
		while IFS= read -r _l; do
			case $_l in *" ev=server-exit "*) _c=$((_c + 1)) ;; esac
		done <"$EXITS"
	fi
	echo "$_c"
}
