#!/bin/sh
# peers.sh: roost side by side with the supervisors people would pick
# instead, where they are installed (runit's runsv, s6's s6-supervise,
# supervisor's supervisord), in one interleaved run: each round SIGKILLs
# the program of each supervisor in turn.
#
#   restart   program SIGKILLed -> running again (a new pid of the
#             program), least delay: roost with restart_delay 0, the
#             others as they come.
#   record    program SIGKILLed -> its death logged: roost's ev=
#             session-exit line in exits.log; supervisord's "exited:"
#             line in its log.  runit and s6 log no death by themselves.
#   cpu       CPU time (user + system, of every process) per death, from
#             /proc/stat's jiffies from the kill to half a second after
#             the restart: the whole machine's, so only an idle machine
#             gives a fair figure (a busy one, an upper bound).  Linux
#             only.
#
# Each program writes its pid to a file and sleeps; the bench waits for a
# new live pid there.  Figures printed, never asserted; for each, the
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
command -v pm2 >/dev/null 2>&1 || note "pm2 not installed: not measured"

# Everyone's program up before the first round.
for s in $peers; do
	k=0
	while pid_in "$s" && { [ -z "$PID_" ] || ! alive "$PID_"; } &&
	    [ "$k" -lt 500 ]; do
		sleep 0.01
		k=$((k + 1))
	done
done

# jiffies: the machine's user + system CPU time so far, in $JIF.
jiffies() {
	JIF=
	[ -r /proc/stat ] || return 0
	read -r _c _u _n _s _rest </proc/stat
	JIF=$((_u + _n + _s))
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# One death of supervisor S: restart and record times, CPU.
kill_one() {
	pid_in "$1"
	old=$PID_
	[ -n "$old" ] || return 0
	lines=0
	case $1 in
	roost) [ -f "$H/log/exits.log" ] && lines=$(wc -l <"$H/log/exits.log") ;;
	supervisor) lines=$(grep -c 'exited:' "$P/supervisord.log" 2>/dev/null) ;;
	esac
	jiffies
	j0=$JIF
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
	jiffies
	[ -z "$JIF" ] || echo $(((JIF - j0) * 1000000 / HZ)) >>"$P/$1.cpu"
}

i=0
while [ "$i" -lt "$PDEATHS" ]; do
	i=$((i + 1))
	for s in $peers; do
		kill_one "$s"
	done
	# Past runsv's and s6-supervise's one-second restart throttle.
	sleep 1
done

# fig NAME: "median_ms best_peer best_peer_ms ratio" of figure NAME.
fig() {
	r=
	best='' bestv=''
	for s in $peers; do
		[ -s "$P/$s.$1" ] || continue
		stat_of "$P/$s.$1"
		printf 'bench=peers figure=%s supervisor=%s n=%s median_ms=%s p90_ms=%s best_ms=%s\n' \
		    "$1" "$s" "$S_N" "$(ms "$S_MED")" "$(ms "$S_P90")" "$(ms "$S_MIN")"
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
	fi
}
fig restart
fig record
fig cpu

"$ROOST" stop pr >/dev/null 2>>"$root/errors"
for p in ${RUNSV:-} ${S6:-} ${SUPD:-}; do
	kill -TERM "$p" 2>/dev/null
done
wait 2>/dev/null
# runsv and s6-supervise leave their program running: end those too.
for s in $peers; do
	pid_in "$s"
	[ -n "$PID_" ] && kill -KILL "$PID_" 2>/dev/null
done

[ "${bench_alone:-}" != peers ] || bench_end
