#!/usr/bin/env bats
# Ten ticks in a loop racing stop/start/wake/restart and hand-made
# .wake/.stopped requests on the same three identities for 20 seconds.
# Sampled all along: never two tmux servers (or two canaries) for one
# identity, every marker parses whenever it is read.  Afterwards: no
# death or exit record (every teardown was a clean one), no death counted
# twice, and the markers agree with what runs.

load ../helpers
bats_require_minimum_version 1.5.0

IDS="r1 r2 r3"
SECS=20

setup() {
	common_setup
	: >"$T/bg.pids"
}

teardown() {
	touch "$T/stop"
	local p
	while read -r p; do
		kill "$p" 2>/dev/null
	done <"$T/bg.pids"
	while read -r p; do
		wait "$p" 2>/dev/null
	done <"$T/bg.pids"
	common_teardown
}

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }

# bg FUNCTION ARGS...: in the background, without bats' errexit (a refused
# wake exits 3, and the loop goes on).
bg() {
	(set +e; "$@") >/dev/null 2>&1 3>&- &
	echo $! >>"$T/bg.pids"
}

running_until() {
	[ ! -e "$T/stop" ] && [ "$SECONDS" -lt "$1" ]
}

tick_loop() {
	while running_until "$1"; do
		"$ROOST_BIN" tick -v
		sleep 0.0$((RANDOM % 10))
	done
}

op_loop() {
	local ids=($IDS) id
	while running_until "$1"; do
		id=${ids[RANDOM % ${#ids[@]}]}
		case $((RANDOM % 8)) in
		0) "$ROOST_BIN" stop "$id" ;;
		1 | 2) "$ROOST_BIN" start "$id" ;;
		3) "$ROOST_BIN" wake "$id" ;;
		4) "$ROOST_BIN" restart "$id" ;;
		5) touch "$ROOST_HOME/state/$id.wake" ;;
		6) touch "$ROOST_HOME/state/$id.stopped" ;;
		7) rm -f "$ROOST_HOME/state/$id.stopped" ;;
		esac
		sleep 0.0$((RANDOM % 10))
	done
}

# sample: one look at every identity; problems go to $T/violations.
# One ps and one awk per look, the markers read with builtins: the
# machine is busy, and the more looks the better.
sample() {
	local id
	ps -eo pid=,ppid=,stat=,args= | awk -v ids="$IDS" \
	    -v sockdir="$ROOST_HOME/sock/" -v bindir="$ROOST_HOME/bin/" '
	BEGIN { n = split(ids, id, " ") }
	$3 ~ /^Z/ { next }
	{
		for (i = 1; i <= n; i++) {
			# A server: tmux -D on this socket (the canary started
			# it; a client is a tmux without -D).
			if (index($0, "-S " sockdir id[i] " ") &&
			    $0 ~ / -D$/) {
				srv[i]++; srvl[i] = srvl[i] "\n  " $0
			}
			if (index($0, "/bin/sh " bindir id[i] ".canary ")) {
				can[i]++; canl[i] = canl[i] "\n  " $0
			}
		}
	}
	END {
		for (i = 1; i <= n; i++) {
			if (srv[i] > 1) print id[i] ": " srv[i] " servers" srvl[i]
			if (can[i] > 1) print id[i] ": " can[i] " canaries" canl[i]
		}
	}' >>"$T/violations"
	for id in $IDS; do
		check_markers "$id" >>"$T/violations"
	done
}

# check_markers ID: every marker that exists parses; prints what does not.
check_markers() {
	local s=$ROOST_HOME/state/$1 line
	if read -r line 2>/dev/null <"$s.session"; then
		[[ $line =~ ^woke=[0-9]+\ mode=(fresh|resume)\ server_pid=[0-9]+\ pane_pid=[0-9]+\ server_start=[0-9]+\ pane_start=[0-9]+(\ run=[0-9]+)?(\ died=[0-9]+)?(\ pane_id=%[0-9]+)?(\ memcg=[^ ]+\ oom_kills=[0-9]+)?(\ scope=[^ ]+)?$ ]] ||
		    echo "$1: torn .session: $(printf %q "$line")"
	fi
	if read -r line 2>/dev/null <"$s.canary"; then
		[[ $line =~ ^[0-9]+\ [0-9]+$ ]] || echo "$1: torn .canary: $(printf %q "$line")"
	fi
	# One open file read whole, as a rename may replace it meanwhile, and
	# none when there is none (a while-read loop: bash 3.2, macOS's, has
	# no mapfile).
	{
		while IFS= read -r line; do
			[[ $line =~ ^[0-9]+\ .+$ ]] ||
			    echo "$1: torn .deaths line: $(printf %q "$line")" >&3
		done <"$s.deaths"
	} 3>&1 2>/dev/null || :
	if read -r line 2>/dev/null <"$s.crash-loop"; then
		[[ $line =~ ^deaths=[0-9]+\ window=[0-9]+$ ]] ||
		    echo "$1: torn .crash-loop: $(printf %q "$line")"
	fi
}

@test "10 ticks racing stop/start/wake/restart for 20 s: one server per identity at a time, no torn marker, no false or double death" {
	local id end i samples=0
	for id in $IDS; do
		roost add "$id" -- "$T/prog/forever"
		roost start "$id"
	done
	end=$((SECONDS + SECS))
	for i in $(seq 10); do
		bg tick_loop "$end"
	done
	for i in 1 2 3; do
		bg op_loop "$end"
	done
	: >"$T/violations"
	while [ "$SECONDS" -lt "$end" ]; do
		sample
		samples=$((samples + 1))
	done
	local p
	while read -r p; do
		wait "$p" 2>/dev/null || true
	done <"$T/bg.pids"
	: >"$T/bg.pids"
	sample
	echo "# samples: $samples" >&3

	if [ -s "$T/violations" ]; then
		sort "$T/violations" | uniq -c | head -n 40 >&2
		false
	fi

	# The race was real: launches and teardowns happened, ticks collided.
	cat "$ROOST_HOME"/log/lifecycle.log* >"$T/life"
	local launches teardowns
	launches=$(count_lines "$T/life" 'ev=launch ')
	teardowns=$(count_lines "$T/life" 'ev=teardown ')
	echo "# launches: $launches teardowns: $teardowns ticks: $(count_lines "$T/life" 'ev=tick ') skipped: $(count_lines "$T/life" 'ev=tick skipped=locked')" >&3
	# (Every pass logs ev=tick with -v; a tick that finds the pass lock
	# taken waits for it, so a collision shows as a pass, not a skip.)
	[ "$launches" -ge 10 ]
	[ "$teardowns" -ge 10 ]
	[ "$(count_lines "$T/life" 'ev=tick ')" -ge 20 ]

	# Every teardown was clean: nothing may look like a death.
	[ "$(count_lines "$T/life" 'ev=death ')" -eq 0 ] || {
		grep 'ev=death ' "$T/life" >&2
		false
	}
	[ "$(count_lines "$ROOST_HOME/log/exits.log" 'ev=server-exit')" -eq 0 ]
	# No death counted twice, in case there were any.
	[ -z "$(sed -n 's/.*ev=death .*server_pid=\([0-9]*\).*/\1/p' "$T/life" | sort | uniq -d)" ]
	for id in $IDS; do
		f=$ROOST_HOME/state/$id.deaths
		[ ! -e "$f" ] || [ -z "$(sort "$f" | uniq -d)" ]
	done
	# Each launch's server is a new one.
	[ -z "$(sed -n 's/.*ev=launch .*server_pid=\([0-9]*\).*/\1/p' "$T/life" | sort | uniq -d)" ]

	# Settled: after one more tick the markers say what runs.
	roost tick
	for id in $IDS; do
		if is_running "$id"; then
			[ -f "$ROOST_HOME/state/$id.session" ]
			[ "$("$TMUX_BIN" -S "$(sock_of "$id")" display-message -p '#{pid}')" = "$(server_pid "$id")" ]
			wait_for 10 pid_alive "$(canary_pid "$id")"
		else
			[ ! -e "$ROOST_HOME/state/$id.session" ]
		fi
	done
	[ -z "$(find "$ROOST_HOME/state" "$ROOST_HOME/conf" "$ROOST_HOME/bin" -name '.*.tmp.*')" ]
	for id in $IDS; do
		roost stop "$id" >/dev/null
	done
	wait_for 10 assert_no_processes
}
