#!/bin/sh
# peers.sh: roost side by side with the supervisors people would pick
# instead, where they are installed (runit's runsv, s6's s6-supervise,
# supervisor's supervisord, npm's pm2), in one interleaved run: each
# round SIGKILLs the program of each supervisor in turn.
#
#   restart   program SIGKILLed -> running again (a new pid of the
#             program), least delay: roost with restart_delay 0, the
#             others as they come.
#   record    program SIGKILLed -> its death logged: roost's ev=
#             session-exit line in exits.log; supervisord's "exited:"
#             line in its log; pm2's "exited with code" line in its
#             pm2.log.  runit and s6 log no death by themselves.
#   start     the program stopped by the supervisor's own command, then
#             its start command -> the program running (a new live pid):
#             roost stop/start, sv down/up, s6-svc -d/-u, supervisorctl
#             stop/start, pm2 stop/start.
#   server    roost only (the others have no server of their own): the
#             identity's tmux server SIGKILLed -> the program running
#             again in a new server; printed with no ratio.
#   cpu       CPU time (user + system) per death on the supervisor's
#             side: its own processes' and that of the children they
#             reaped (/proc/PID/stat utime stime cutime cstime), from the
#             kill to half a second after the restart.  roost: its tmux
#             server (which reaps the hook's roost, its tmux client and
#             the launch script that ended) and the canary; runsv,
#             s6-supervise, supervisord, pm2's daemon.  A mean, not a
#             median: the counters move in clock ticks (10 ms).  Linux
#             only.
#
# Each program writes its pid to a file and sleeps; the bench waits for a
# new live pid there.  The timer is clock.c, built here with ${CC:-cc}:
# it sends the SIGKILL or runs the start command itself and polls every
# 100 us, with no fork between (a shell's date, wc and sleep cost a
# millisecond or more each).  Without a compiler, the shell's loop, and
# bench=peers timer=shell says so.  Figures printed, never asserted; for each, the
# ratio roost/best peer.  Short: BENCH_PEER_DEATHS deaths each (default
# 10), about a second and a half per round (runsv and s6-supervise
# restart a service at most once a second).
#
# Prints bench=peers lines.  Sourced by scripts/bench.sh, or run alone:
# sh scripts/bench/peers.sh.

set -u
if [ -z "${bench_ready:-}" ]; then
	BENCH_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
	# shellcheck source=scripts/bench/lib.sh
	. "$BENCH_DIR/lib.sh"
	bench_setup
	bench_alone=peers
fi

PDEATHS=${BENCH_PEER_DEATHS:-10}
P=$root/peers
mkdir -p "$P" || die "mkdir $P"

# prog NAME: a program that records its pid in $P/NAME.pid, then sleeps.
prog() {
	cat >"$P/$1.prog" <<PEOF
#!/bin/sh
echo \$\$ >'$P/$1.pid'
exec sleep 1000000
PEOF
	chmod 755 "$P/$1.prog"
}

# pid_in NAME: the pid the program last wrote, in $PID_.
pid_in() {
	PID_=
	[ -f "$P/$1.pid" ] && read -r PID_ <"$P/$1.pid"
	case $PID_ in *[!0-9]*) PID_= ;; esac
}

# The timer (see above).
CLOCK=$P/clock
if ${CC:-cc} -O2 -o "$CLOCK" "$BENCH_DIR/clock.c" 2>/dev/null; then
	echo "bench=peers timer=clock poll_us=100"
else
	CLOCK=
	echo "bench=peers timer=shell"
fi

# The supervisors present: roost always, the others when installed.
peers=roost
prog roost
"$ROOST" add pr --idle 0 --restart always --restart-delay 0 \
    --crashloop 16/1 -- "$P/roost.prog" >/dev/null || die "roost add failed"
"$ROOST" start pr >/dev/null 2>>"$root/errors" || die "roost start failed"

if command -v runsv >/dev/null 2>&1; then
	prog runit
	mkdir -p "$P/sv/runit"
	printf '#!/bin/sh\nexec %s\n' "$P/runit.prog" >"$P/sv/runit/run"
	chmod 755 "$P/sv/runit/run"
	runsv "$P/sv/runit" </dev/null >/dev/null 2>&1 &
	RUNSV=$!
	peers="$peers runit"
else
	note "runit (runsv) not installed: not measured"
fi
if command -v s6-supervise >/dev/null 2>&1; then
	prog s6
	mkdir -p "$P/s6/s6"
	printf '#!/bin/sh\nexec %s\n' "$P/s6.prog" >"$P/s6/s6/run"
	chmod 755 "$P/s6/s6/run"
	s6-supervise "$P/s6/s6" </dev/null >/dev/null 2>&1 &
	S6=$!
	peers="$peers s6"
else
	note "s6 (s6-supervise) not installed: not measured"
fi
if command -v supervisord >/dev/null 2>&1; then
	prog supervisor
	cat >"$P/supervisord.conf" <<PEOF
[supervisord]
nodaemon=true
logfile=$P/supervisord.log
pidfile=$P/supervisord.pid
[unix_http_server]
file=$P/supervisor.sock
[supervisorctl]
serverurl=unix://$P/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:p]
command=$P/supervisor.prog
autorestart=true
startsecs=0
PEOF
	supervisord -c "$P/supervisord.conf" </dev/null >/dev/null 2>&1 &
	SUPD=$!
	peers="$peers supervisor"
else
	note "supervisor (supervisord) not installed: not measured"
fi
if command -v pm2 >/dev/null 2>&1; then
	prog pm2
	# Its own daemon, in a home of its own under the root (its command
	# line names the root, so the cleanup finds it too).
	export PM2_HOME="$P/pm2"
	if pm2 start "$P/pm2.prog" --name p --interpreter none \
	    --restart-delay 0 </dev/null >/dev/null 2>&1; then
		peers="$peers pm2"
	else
		note "pm2 did not start its program: not measured"
	fi
else
	note "pm2 not installed: not measured"
fi

# Everyone's program up before the first round.
for s in $peers; do
	k=0
	while pid_in "$s" && { [ -z "$PID_" ] || ! alive "$PID_"; } &&
	    [ "$k" -lt 500 ]; do
		sleep 0.01
		k=$((k + 1))
	done
done

# sup_pids S: the pids of supervisor S's own processes, in $SP.
sup_pids() {
	SP=
	case $1 in
	roost)
		server_of pr
		canary_of pr
		SP="$SPID $CPID" ;;
	runit) SP=${RUNSV:-} ;;
	s6) SP=${S6:-} ;;
	supervisor) SP=${SUPD:-} ;;
	pm2) [ -f "$PM2_HOME/pm2.pid" ] && read -r SP <"$PM2_HOME/pm2.pid" ;;
	esac
}
# ticks PID...: their CPU time so far, with their reaped children's, in
# clock ticks, in $TK (empty without /proc).
ticks() {
	TK=
	[ -r /proc/self/stat ] || return 0
	TK=0
	for _p in "$@"; do
		_st=
		read -r _st <"/proc/$_p/stat" 2>/dev/null || continue
		# shellcheck disable=SC2086
		set -- ${_st##*) }
		TK=$((TK + ${12} + ${13} + ${14} + ${15}))
	done
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# The log supervisor S records a death in, and what the line holds, in
# $LOG and $PAT ($LOG empty: S logs no death by itself).
log_of() {
	LOG='' PAT=''
	case $1 in
	roost) LOG=$H/log/exits.log ;;
	supervisor) LOG=$P/supervisord.log PAT='exited:' ;;
	pm2) LOG=$PM2_HOME/pm2.log PAT='exited with code' ;;
	esac
}

# One death of supervisor S: restart and record times, CPU.
kill_one() {
	pid_in "$1"
	old=$PID_
	[ -n "$old" ] || return 0
	if [ -n "$CLOCK" ]; then
		kill_clocked "$1"
		return
	fi
	lines=0
	case $1 in
	roost) [ -f "$H/log/exits.log" ] && lines=$(wc -l <"$H/log/exits.log") ;;
	supervisor) lines=$(grep -c 'exited:' "$P/supervisord.log" 2>/dev/null) ;;
	pm2) lines=$(grep -c 'exited with code' "$PM2_HOME/pm2.log" 2>/dev/null) ;;
	esac
	sup_pids "$1"
	# shellcheck disable=SC2086
	ticks $SP
	j0=$TK
	now
	a=$NOW
	kill -KILL "$old"
	rec=
	k=0
	while [ "$k" -lt 20000 ]; do
		if [ -z "$rec" ]; then
			case $1 in
			roost)
				[ -f "$H/log/exits.log" ] &&
				    [ "$(wc -l <"$H/log/exits.log")" -gt "$lines" ] &&
				    now && rec=$((NOW - a)) ;;
			supervisor)
				[ "$(grep -c 'exited:' "$P/supervisord.log")" -gt "$lines" ] &&
				    now && rec=$((NOW - a)) ;;
			pm2)
				[ "$(grep -c 'exited with code' "$PM2_HOME/pm2.log")" -gt "$lines" ] &&
				    now && rec=$((NOW - a)) ;;
			esac
		fi
		pid_in "$1"
		if [ -n "$PID_" ] && [ "$PID_" != "$old" ] && alive "$PID_"; then
			now
			echo $((NOW - a)) >>"$P/$1.restart"
			break
		fi
		k=$((k + 1))
		sleep 0.001
	done
	[ -z "$rec" ] || echo "$rec" >>"$P/$1.record"
	# Everything the death cost the machine settles within this.
	sleep 0.5
	# shellcheck disable=SC2086
	ticks $SP
	[ -z "$TK" ] || echo $(((TK - j0) * 1000000 / HZ)) >>"$P/$1.cpu"
}

# kill_one with the clock: its times, then the CPU as kill_one's.
kill_clocked() {
	log_of "$1"
	sup_pids "$1"
	# shellcheck disable=SC2086
	ticks $SP
	j0=$TK
	if [ -n "$LOG" ]; then
		t=$("$CLOCK" kill "$old" "$P/$1.pid" "$LOG" "$PAT")
	else
		t=$("$CLOCK" kill "$old" "$P/$1.pid")
	fi
	case ${t% *} in *[!0-9]* | '') ;; *) echo "${t% *}" >>"$P/$1.restart" ;; esac
	case ${t#* } in *[!0-9]* | '') ;; *) echo "${t#* }" >>"$P/$1.record" ;; esac
	sleep 0.5
	# shellcheck disable=SC2086
	ticks $SP
	[ -z "$TK" ] || echo $(((TK - j0) * 1000000 / HZ)) >>"$P/$1.cpu"
}

# svc S down|up: supervisor S's own command to stop or start its program.
svc() {
	case $1:$2 in
	roost:down) "$ROOST" stop pr ;;
	roost:up) "$ROOST" start pr ;;
	runit:*) sv "$2" "$P/sv/runit" ;;
	s6:down) s6-svc -d "$P/s6/s6" ;;
	s6:up) s6-svc -u "$P/s6/s6" ;;
	supervisor:down) supervisorctl -c "$P/supervisord.conf" stop p ;;
	supervisor:up) supervisorctl -c "$P/supervisord.conf" start p ;;
	pm2:down) pm2 stop p ;;
	pm2:up) pm2 start p ;;
	esac </dev/null >/dev/null 2>>"$root/errors"
}

# wait_new S OLD: (bounded) until S's program is a live pid other than
# OLD; 0 then.
wait_new() {
	k=0
	while [ "$k" -lt 20000 ]; do
		pid_in "$1"
		if [ -n "$PID_" ] && [ "$PID_" != "$2" ] && alive "$PID_"; then
			return 0
		fi
		k=$((k + 1))
		sleep 0.001
	done
	return 1
}

# One stop and start of S by its own commands: the start's time.
start_one() {
	pid_in "$1"
	old=$PID_
	svc "$1" down
	k=0
	while [ -n "$old" ] && alive "$old" && [ "$k" -lt 1000 ]; do
		sleep 0.01
		k=$((k + 1))
	done
	if [ -n "$CLOCK" ]; then
		# svc's command for "up", run and timed by the clock.
		case $1 in
		roost) set -- "$1" "$ROOST" start pr ;;
		runit) set -- "$1" sv up "$P/sv/runit" ;;
		s6) set -- "$1" s6-svc -u "$P/s6/s6" ;;
		supervisor) set -- "$1" supervisorctl -c "$P/supervisord.conf" start p ;;
		pm2) set -- "$1" pm2 start p ;;
		esac
		_s=$1
		shift
		if t=$("$CLOCK" run "$P/$_s.pid" "${old:-0}" "$@" 2>>"$root/errors"); then
			echo "$t" >>"$P/$_s.start"
		fi
		return 0
	fi
	now
	a=$NOW
	svc "$1" up
	if wait_new "$1" "$old"; then
		now
		echo $((NOW - a)) >>"$P/$1.start"
	fi
}

# roost's tmux server SIGKILLed -> the program running again.
kill_server() {
	server_of pr
	pid_in roost
	old=$PID_
	[ -n "$SPID" ] || return 0
	if [ -n "$CLOCK" ]; then
		t=$("$CLOCK" kill "$SPID" "$P/roost.pid")
		case ${t% *} in *[!0-9]* | '') ;; *) echo "${t% *}" >>"$P/roost.server" ;; esac
		sleep 0.5
		return 0
	fi
	now
	a=$NOW
	kill -KILL "$SPID"
	if wait_new roost "$old"; then
		now
		echo $((NOW - a)) >>"$P/roost.server"
	fi
	sleep 0.5
}

i=0
while [ "$i" -lt "$PDEATHS" ]; do
	i=$((i + 1))
	for s in $peers; do
		kill_one "$s"
	done
	kill_server
	# Past runsv's and s6-supervise's one-second restart throttle.
	sleep 1
	for s in $peers; do
		start_one "$s"
	done
	sleep 1
done

# fig NAME: "median_ms best_peer best_peer_ms ratio" of figure NAME.
# Also a row of the summary table in $root/peers.table.
fig() {
	r=
	best='' bestv='' row=
	for s in $peers; do
		[ -s "$P/$s.$1" ] || continue
		stat_of "$P/$s.$1"
		# The CPU counters move in ticks: their mean, not a median.
		[ "$1" != cpu ] ||
		    S_MED=$(awk '{ t += $1 } END { printf "%d", NR ? t / NR : 0 }' "$P/$s.$1")
		printf 'bench=peers figure=%s supervisor=%s n=%s median_ms=%s p90_ms=%s best_ms=%s\n' \
		    "$1" "$s" "$S_N" "$(ms "$S_MED")" "$(ms "$S_P90")" "$(ms "$S_MIN")"
		row="$row $s=$(ms "$S_MED")"
		if [ "$s" = roost ]; then
			r=$S_MED
		elif [ -z "$bestv" ] || [ "$S_MED" -lt "$bestv" ]; then
			best=$s bestv=$S_MED
		fi
	done
	if [ -n "$r" ] && [ -n "$bestv" ] && [ "$bestv" -gt 0 ]; then
		printf 'bench=peers figure=%s ratio=%s roost_ms=%s best_peer=%s best_peer_ms=%s\n' \
		    "$1" "$(awk -v a="$r" -v b="$bestv" 'BEGIN { printf "%.1f", a / b }')" \
		    "$(ms "$r")" "$best" "$(ms "$bestv")"
		row="$row ratio=$(awk -v a="$r" -v b="$bestv" 'BEGIN { printf "%.1f", a / b }')x"
	fi
	_what=median
	[ "$1" != cpu ] || _what=mean
	printf '%-34s%s\n' "peers: $1 ($_what ms)" "$row" >>"$root/peers.table"
}
fig restart
fig record
fig start
fig server
fig cpu	# (its median_ms is the mean)

"$ROOST" stop pr >/dev/null 2>>"$root/errors"
for p in ${RUNSV:-} ${S6:-} ${SUPD:-}; do
	kill -TERM "$p" 2>/dev/null
done
case " $peers " in
*" pm2 "*) pm2 kill </dev/null >/dev/null 2>&1 ;;
esac
wait 2>/dev/null
# runsv and s6-supervise leave their program running: end those too.
for s in $peers; do
	pid_in "$s"
	[ -n "$PID_" ] && kill -KILL "$PID_" 2>/dev/null
done

[ "${bench_alone:-}" != peers ] || bench_end
