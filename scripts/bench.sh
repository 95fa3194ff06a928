#!/bin/sh
# bench.sh: roost's benchmark (make bench).  Prints logfmt result lines
# (bench=<name> key=value ...) and, at the end, a short human table.
#
# Figures (issues 3, 4 and 6):
#   tick       roost tick over 10 / 100 / 1,000 identities (90 % parked,
#              10 % running on real tmux servers): median wall time,
#              processes created during one pass (strace, when present),
#              and the previous design's pass (per identity `tmux
#              has-session` + `pgrep -f` on the canary) as a shell loop
#              over the same identities, with the ratio.
#   canary     SIGKILL of a tmux server -> its ev=server-exit line in
#              exits.log: median, p90 and worst over 30 deaths.
#   launch     `roost start` -> session up and canary running, median of
#              20; tmux invocations per launch (ROOST_TMUX wrapper).
#   footprint  RSS of one identity's canary (sh + its tmux client) and of
#              its tmux server.
#
# Everything runs in a private root (mktemp -d /tmp/rb.XXXXXX: unix socket
# paths must stay under 104 bytes) with ROOST_TMUX_CONF=/dev/null; every
# server, canary and program started here is ended on exit, and the script
# checks that no process naming the root is left.  Figures are printed,
# never asserted: the exit status is 0 unless the bench itself could not
# run or left processes behind.
#
# Environment: ROOST_BIN (default ./roost), BENCH_TMUX (the tmux roost was
# configured with; default: the one roost renders into its scripts), BENCH_RUNS (roost tick runs per
# size, default 7), BENCH_OLD_RUNS (shell-loop runs per size, default 5),
# BENCH_OLD_BUDGET (seconds the shell loop may take per size, default 40),
# BENCH_DEATHS (default 30), BENCH_LAUNCHES (default 20), BENCH_MAX
# (largest tick size, default 1000).
#
# Tools: the roost binary, tmux, ps, pgrep, awk, sort, sleep, date; strace
# when present.  High-resolution time comes from `date +%s%N`; where %N is
# unsupported (macOS) perl's Time::HiRes is used, and python3 only as the
# last resort because neither date nor perl can give sub-second time there.

set -u

ROOST_SRC=${ROOST_BIN:-./roost}
case $ROOST_SRC in /*) ;; *) ROOST_SRC=$(pwd)/$ROOST_SRC ;; esac
TMUX_REAL=${BENCH_TMUX:-}	# default: the tmux roost was built with (below)
RUNS=${BENCH_RUNS:-7}
OLD_RUNS=${BENCH_OLD_RUNS:-5}
# The old pass costs 1-3 minutes per run at 1,000 identities on a small
# VM (pgrep -f reads every process's cmdline, once per identity).  When the
# estimate from the previous size exceeds this budget, it runs over the
# first k identities (same 90/10 mix, same home, same process table) and
# is extrapolated linearly: every identity costs the same two commands.
OLD_BUDGET=${BENCH_OLD_BUDGET:-40}
DEATHS=${BENCH_DEATHS:-30}
LAUNCHES=${BENCH_LAUNCHES:-20}
MAX=${BENCH_MAX:-1000}
BATCH=10	# roost starts run in parallel batches of this size

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}
note() {
	printf 'bench: %s\n' "$*" >&2
}

[ -x "$ROOST_SRC" ] || die "no roost binary at $ROOST_SRC (run make first)"
command -v pgrep >/dev/null 2>&1 || die "pgrep not found"

# ---------------------------------------------------------------- timer
# now: microseconds since the epoch in $NOW (one fork).
if _t=$(date +%s%N 2>/dev/null) && case $_t in '' | *[!0-9]*) false ;; esac
then
	TIMER='date'
	now() {
		_t=$(date +%s%N)
		NOW=$((_t / 1000))
	}
elif perl -MTime::HiRes -e 1 2>/dev/null; then
	TIMER=perl
	now() {
		NOW=$(perl -MTime::HiRes=time -e 'printf "%.0f\n", time * 1e6')
	}
elif command -v python3 >/dev/null 2>&1; then
	TIMER=python3
	now() {
		NOW=$(python3 -c 'import time; print(time.time_ns() // 1000)')
	}
else
	die "no high-resolution clock (date +%N, perl Time::HiRes, python3)"
fi

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

# ---------------------------------------------------------------- processes
# alive PID: running and not a zombie (PID 1 may reap slowly here).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		_st=
		read -r _st 2>/dev/null <"/proc/$1/stat"
		case ${_st##*) } in Z* | X*) return 1 ;; esac
	fi
	return 0
}
# ours: pids (not zombies) whose command line names the root.
ours() {
	for _p in $(pgrep -f "$root" 2>/dev/null); do
		alive "$_p" && printf '%s\n' "$_p"
	done
}
# rss PID: resident set size in KiB (0 when gone).
rss() {
	_r=$(ps -o rss= -p "$1" 2>/dev/null | tr -d ' ')
	printf '%s' "${_r:-0}"
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
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

root=$(mktemp -d /tmp/rb.XXXXXX) || die "mktemp failed"
cd "$root" || die "cannot enter $root"
H=$root/h
# A private copy: others may rebuild ./roost while the bench runs.
ROOST=$root/roost
cp "$ROOST_SRC" "$ROOST" || die "cannot copy $ROOST_SRC"
export ROOST_HOME="$H" ROOST_TMUX_CONF=/dev/null
unset ROOST_TMUX ROOST_SOCK_DIR ROOST_TEMPLATES ROOST_NOW TMUX TMUX_PANE
EXITS=$H/log/exits.log

# The tmux roost uses (compiled in), read from a rendered canary, so the
# old-design loop and the cleanup drive the very same binary.
if [ -z "$TMUX_REAL" ]; then
	"$ROOST" add probe -- true >/dev/null || die "roost add failed"
	TMUX_REAL=$(sed -n "s/^TMUX_BIN='\([^']*\)'\$/\1/p" "$H/bin/probe.canary")
	"$ROOST" rm probe >/dev/null || die "roost rm failed"
	[ -n "$TMUX_REAL" ] || TMUX_REAL=$(command -v tmux 2>/dev/null)
fi
if [ -z "$TMUX_REAL" ] || [ ! -x "$TMUX_REAL" ]; then
	die "tmux not found"
fi

# The program every running identity runs: a sleep loop that takes its
# sleep with it when the pane goes.
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

# ---------------------------------------------------------------- machine
cpu=
if [ -r /proc/cpuinfo ]; then
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
fi
[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2>/dev/null)
ncpu=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null ||
    sysctl -n hw.ncpu 2>/dev/null)
load=
[ -r /proc/loadavg ] && load=$(cut -d' ' -f1-3 /proc/loadavg)
printf 'bench=machine os=%s nproc=%s cpu=%s tmux=%s load=%s\n' \
    "$(q "$(uname -srm)")" "$(q "${ncpu:-?}")" "$(q "${cpu:-unknown}")" \
    "$(q "$("$TMUX_REAL" -V)")" "$(q "${load:-n/a}")"

# The cost of taking one timestamp: every figure below includes it once.
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	now
	a=$NOW
	now
	echo $((NOW - a))
done >"$root/timer"
stat_of "$root/timer"
TIMER_US=$S_MED
printf 'bench=timer method=%s overhead_ms=%s\n' "$TIMER" "$(ms "$TIMER_US")"

# ---------------------------------------------------------------- helpers
# idname N: identity number N (1-based) as i0001 in $ID, without a fork.
idname() {
	_n=$((10000 + $1))
	ID=i${_n#1}
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
	[ -f "$H/state/$1.canary" ] && read -r CPID <"$H/state/$1.canary"
	case $CPID in *[!0-9]*) CPID= ;; esac
}
# server_of ID: server_pid from .session, in $SPID.
server_of() {
	SPID=
	_l=
	[ -f "$H/state/$1.session" ] && read -r _l <"$H/state/$1.session"
	case $_l in *server_pid=*) SPID=${_l##*server_pid=} SPID=${SPID%% *} ;; esac
}
# up ID: the identity's server accepts and its canary runs.
up() {
	canary_of "$1"
	[ -n "$CPID" ] && alive "$CPID" &&
	    "$TMUX_REAL" -S "$H/sock/$1" has-session -t "=$1" 2>/dev/null
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

# ---------------------------------------------------------------- 1. tick
# One home grows 10 -> 100 -> 1,000: every 10th identity runs, the rest
# are parked (conf + .idle-reaped).
have_strace=no
command -v strace >/dev/null 2>&1 && have_strace=yes
# The previous design's pass, as a shell loop over identities 1..$1.
old_pass() {
	_i=1
	while [ $_i -le "$1" ]; do
		idname $_i
		"$TMUX_REAL" -S "$H/sock/$ID" has-session -t "$ID" 2>/dev/null
		pgrep -f "$H/bin/$ID.canary" >/dev/null
		_i=$((_i + 1))
	done
}

defined=0
old_us_per_id=
sizes=
for n in 10 100 1000; do
	[ $n -le "$MAX" ] && sizes="$sizes $n"
done
for n in $sizes; do
	# Define identities defined+1 .. n (adds in two parallel streams).
	add_range() {
		_i=$1
		while [ "$_i" -le "$2" ]; do
			idname "$_i"
			"$ROOST" add "$ID" --idle 0 -- "$PROG" >/dev/null ||
			    return 1
			if [ $((_i % 10)) -ne 0 ]; then
				: >"$H/state/$ID.idle-reaped"
			fi
			_i=$((_i + 1))
		done
	}
	mid=$(((defined + 1 + n) / 2))
	add_range $((defined + 1)) "$mid" &
	p1=$!
	add_range $((mid + 1)) "$n" &
	p2=$!
	wait $p1 || die "roost add failed"
	wait $p2 || die "roost add failed"
	run_ids=
	i=10
	while [ $i -le "$n" ]; do
		[ $i -gt "$defined" ] && idname $i && run_ids="$run_ids $ID"
		i=$((i + 10))
	done
	# shellcheck disable=SC2086
	start_ids $run_ids
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

	# The previous design over the same identities (see OLD_BUDGET).
	k=$n
	if [ -n "$old_us_per_id" ]; then
		k=$(awk -v b="$OLD_BUDGET" -v p="$old_us_per_id" \
		    -v r="$OLD_RUNS" -v n="$n" 'BEGIN {
			k = int(b * 1e6 / (p * r) / 10) * 10
			if (k < 10) k = 10
			if (k > n + 0) k = n
			print k }')
	fi
	i=0
	while [ $i -lt "$OLD_RUNS" ]; do
		now
		a=$NOW
		old_pass "$k"
		now
		echo $((NOW - a))
		i=$((i + 1))
	done >"$root/old.$n"
	stat_of "$root/old.$n"
	old_us_per_id=$((S_MED / k))
	old=$((S_MED * n / k))
	eval "OLD_$n=\$old OLD_K_$n=\$k"
	ratio=$(awk -v o="$old" -v r="$med" 'BEGIN { printf "%.0f", (r > 0 ? o / r : 0) }')
	eval "RATIO_$n=\$ratio"
	per=$(awk -v r="$med" -v n="$n" 'BEGIN { printf "%.4f", r / 1000 / n }')
	printf 'bench=tick ids=%s running=%s parked=%s runs=%s roost_ms=%s net_ms=%s self_ms=%s ms_per_id=%s procs=%s execs=%s shell_runs=%s shell_ids=%s shell_ms=%s shell_extrapolated=%s ratio=%s\n' \
	    "$n" "$running" $((n - n / 10)) "$RUNS" "$(ms "$med")" \
	    "$(net "$med")" "${self:-?}" "$per" "$procs" "$execs" \
	    "$OLD_RUNS" "$k" "$(ms "$old")" "$([ "$k" -lt "$n" ] && echo yes || echo no)" \
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

# ---------------------------------------------------------------- 2. canary
# seen ID: exits.log holds ID's server-exit line (builtins only: no fork).
seen() {
	[ -f "$EXITS" ] || return 1
	while IFS= read -r _l; do
		case $_l in *" ev=server-exit id=$1 "*) return 0 ;; esac
	done <"$EXITS"
	return 1
}
# blocked ID: the canary's tmux client is waiting (wait-for, connected).
blocked() {
	canary_of "$1"
	[ -n "$CPID" ] || return 1
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

# ---------------------------------------------------------------- 3. launch
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
# A launch renders the canary with the tmux in force, so the canary's own
# wait-for client goes through the wrapper too: it is not roost's set-up
# call and is left out.
: >"$root/calls"
k=0
for id in $l_ids; do
	k=$((k + 1))
	[ $k -gt 5 ] && break
	: >"$TMUXLOG"
	ROOST_TMUX=$TMUXW "$ROOST" start "$id" >/dev/null 2>>"$root/errors"
	c=$(grep -vc ' wait-for ' "$TMUXLOG" | tr -d ' ')
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

# ---------------------------------------------------------------- 4. footprint
fid=l01
"$ROOST" start "$fid" >/dev/null 2>>"$root/errors"
k=0
while ! blocked "$fid" && [ $k -lt 500 ]; do
	sleep 0.01
	k=$((k + 1))
done
canary_of "$fid"
server_of "$fid"
F_SH=$(rss "${CPID:-0}")
F_CL=0
for c in $(pgrep -P "${CPID:-0}" 2>/dev/null); do
	F_CL=$((F_CL + $(rss "$c")))
done
F_SRV=$(rss "${SPID:-0}")
F_CAN=$((F_SH + F_CL))
printf 'bench=footprint id=%s canary_sh_kb=%s canary_client_kb=%s canary_total_kb=%s server_kb=%s\n' \
    "$fid" "$F_SH" "$F_CL" "$F_CAN" "$F_SRV"
"$ROOST" stop "$fid" >/dev/null 2>>"$root/errors"

if [ -s "$root/errors" ]; then
	note "roost errors during the bench (first 5):"
	head -n 5 "$root/errors" >&2
fi

now
TOTAL_S=$(awk -v u=$((NOW - T_START)) 'BEGIN { printf "%.1f", u / 1e6 }')
load=
[ -r /proc/loadavg ] && load=$(cut -d' ' -f1-3 /proc/loadavg)
printf 'bench=total seconds=%s load_end=%s\n' "$TOTAL_S" "$(q "${load:-n/a}")"

# ---------------------------------------------------------------- table
echo
printf '%-34s %-40s %s\n' FIGURE RESULT GOAL
p='' o='' r='' ok=''
for n in $sizes; do
	eval "t=\$TICK_$n p=\$PROCS_$n o=\$OLD_$n r=\$RATIO_$n ok=\$OLD_K_$n"
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
    'median <= 20, worst <= 100 ms'
printf '%-34s %-40s %s\n' "  (median / p90 / worst, $C_N deaths)" "" ""
printf '%-34s %-40s %s\n' "launch: start -> canary running" \
    "$(ms "$L_MED") ms median, tmux=$L_CALLS" '<= 30 ms, 1 tmux call'
printf '%-34s %-40s %s\n' "footprint: canary (sh + client)" \
    "$F_CAN KiB ($F_SH + $F_CL)" ''
printf '%-34s %-40s %s\n' "footprint: tmux server" "$F_SRV KiB" ''
printf '%-34s %-40s %s\n' "timestamp overhead ($TIMER)" \
    "$(ms "$TIMER_US") ms in each figure" '(net_ms = median - this)'
echo
