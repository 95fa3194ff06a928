#!/usr/bin/env bats
# Concurrent passes: the tick lock makes a full pass exclusive and each
# identity's lock makes its actions exclusive, so a burst of ticks, the
# passes the deaths asked for and wakes relaunch each dead identity
# exactly once.

load helpers

setup() { common_setup; }
teardown() {
	release_lock
	common_teardown
}

# The lock holder: flock(1) and the sleep it runs with the lock's fd.
release_lock() {
	[ -n "${HOLDER:-}" ] || return 0
	pkill -P "$HOLDER" 2>/dev/null || true
	kill "$HOLDER" 2>/dev/null || true
	wait "$HOLDER" 2>/dev/null || true
	HOLDER=
}

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
not_running() { ! is_running "$1"; }

# servers_on SOCK: live (not zombie) tmux servers whose command line names
# SOCK: once the ticks are done, every tmux process naming it but the
# canary's wait-for client (ps, not /proc: a server is "tmux: server" by
# name only on Linux).
servers_on() {
	ps -A -ww -o stat= -o args= | awk -v sock="$1" '
		$1 ~ /^[ZX]/ { next }
		{ a = " " substr($0, index($0, $2)) " " }
		index(a, " " sock " ") && a ~ /tmux/ && a !~ / wait-for / { n++ }
		END { print n + 0 }'
}

@test "8 concurrent ticks over 6 SIGKILLed identities: each relaunched once, one death each, one server each" {
	local i id pids=() sp=()
	for i in 1 2 3 4 5 6; do
		roost add "c$i" --restart-delay 0 -- "$T/prog/forever" >/dev/null
		roost start "c$i" >/dev/null
	done
	for i in 1 2 3 4 5 6; do
		sp[i]=$(server_pid "c$i")
		[ "$(servers_on "$(sock_of "c$i")")" -eq 1 ]
	done
	for i in 1 2 3 4 5 6; do
		kill -KILL "${sp[i]}"
	done
	for i in 1 2 3 4 5 6; do
		wait_for 5 pid_gone "${sp[i]}"
	done
	for i in 1 2 3 4 5 6 7 8; do
		"$ROOST_BIN" tick >"$T/tick$i.out" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}"
	done
	cat "$T"/tick*.out >&2
	for i in 1 2 3 4 5 6 7 8; do
		# Silent, whether it ran the pass or found the lock held.
		[ ! -s "$T/tick$i.out" ]
	done
	for i in 1 2 3 4 5 6; do
		id=c$i
		wait_for 10 is_running "$id"
		wait_for 10 eval '[ "$(count_lines "$(LIFE)" "ev=launch id='"$id"' mode=fresh cause=restart")" -ge 1 ]'
		[ "$(count_lines "$(LIFE)" "ev=launch id=$id mode=fresh cause=restart")" -eq 1 ]
		[ "$(count_lines "$(LIFE)" "ev=death id=$id ")" -eq 1 ]
		[ "$(count_lines "$ROOST_HOME/state/$id.deaths" .)" -eq 1 ]
		is_running "$id"
		[ "$(server_pid "$id")" != "${sp[i]}" ]
		[ "$(servers_on "$(sock_of "$id")")" -eq 1 ]
	done
	# Every scheduled tick either ran the pass (it logs a pass that did
	# something) or was skipped; none of them saw a death twice.
	[ "$(count_lines "$(LIFE)" 'ev=tick .*origin=schedule')" -le 8 ]
	[ "$(count_lines "$(LIFE)" 'ev=death ')" -eq 6 ]
}

@test "a tick while another holds state/.tick.lock waits briefly, then exits 0 and logs ev=tick skipped=locked" {
	need_tool flock "the lock is held from outside with flock(1)"
	roost add a -- "$T/prog/forever" >/dev/null
	flock "$ROOST_HOME/state/.tick.lock" sleep 30 &
	HOLDER=$!
	wait_for 5 sh -c '! flock -n "$1" true' sh "$ROOST_HOME/state/.tick.lock"
	# A wake request, but the pass belongs to the lock holder.
	: >"$ROOST_HOME/state/a.wake"
	run roost tick
	assert_status 0
	[ -z "$output" ]
	[ "$(count_lines "$(LIFE)" '^ts=[^ ]+ ev=tick skipped=locked origin=schedule$')" -eq 1 ]
	not_running a
	[ -f "$ROOST_HOME/state/a.wake" ]
	run roost tick --verbose
	assert_status 0
	assert_output_has "skipped"
	release_lock
	wait_for 5 flock -n "$ROOST_HOME/state/.tick.lock" true
	# Lock released: the next tick does the work.
	run roost tick
	assert_status 0
	is_running a
	[ ! -e "$ROOST_HOME/state/a.wake" ]
}

@test "a pass a death asks for is never lost to a busy identity: it waits for the lock" {
	roost add d --restart-delay 0 -- "$T/prog/forever" >/dev/null
	roost start d >/dev/null
	local sp
	sp=$(server_pid d)
	# Something else holds d's lock while d dies.
	need_tool flock "the lock is held from outside with flock(1)"
	flock "$ROOST_HOME/lock/d" sleep 2 &
	HOLDER=$!
	wait_for 5 sh -c '! flock -n "$1" true' sh "$ROOST_HOME/lock/d"
	kill -KILL "$sp"
	wait_for 5 pid_gone "$sp"
	# The scheduled tick skips the busy identity; the death's own pass
	# waits and then relaunches it.
	run roost tick
	assert_status 0
	wait_for 15 is_running d
	# The server answers before the launch has logged itself.
	wait_for 5 grep -q 'ev=launch id=d mode=fresh cause=restart' "$(LIFE)"
	[ "$(count_lines "$(LIFE)" 'ev=death id=d ')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=d mode=fresh cause=restart')" -eq 1 ]
}

@test "ticks racing wakes over killed identities: one death and one launch each, one server each" {
	local i j id pids=() sp=()
	for i in 1 2 3; do
		roost add "r$i" -- "$T/prog/forever" >/dev/null
		roost start "r$i" >/dev/null
		sp[i]=$(server_pid "r$i")
	done
	for i in 1 2 3; do
		kill -KILL "${sp[i]}"
		wait_for 5 pid_gone "${sp[i]}"
	done
	for j in 1 2 3 4; do
		"$ROOST_BIN" tick >"$T/tick$j.out" 2>&1 &
		pids+=($!)
		for i in 1 2 3; do
			"$ROOST_BIN" wake "r$i" >"$T/wake$j$i.out" 2>&1 &
			pids+=($!)
		done
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}"
	done
	for i in 1 2 3; do
		id=r$i
		wait_for 10 is_running "$id"
		[ "$(count_lines "$(LIFE)" "ev=launch id=$id .*cause=(restart|wake)")" -eq 1 ]
		[ "$(count_lines "$(LIFE)" "ev=death id=$id ")" -eq 1 ]
		[ "$(count_lines "$ROOST_HOME/state/$id.deaths" .)" -eq 1 ]
		is_running "$id"
		[ "$(servers_on "$(sock_of "$id")")" -eq 1 ]
		# Every wake either launched it or found it running.
		cat "$T"/wake?"$i".out >&2
		[ "$(cat "$T"/wake?"$i".out | grep -cE "^(woke $id \(fresh\)|running $id)$")" -eq 4 ]
	done
}

@test "eight passes asked for one death at once: one death recorded, one launch, one server" {
	roost add dd --restart-delay 0 -- "$T/prog/forever" >/dev/null
	roost start dd >/dev/null
	local sp i pids=()
	sp=$(server_pid dd)
	# The canary's own request plus seven more, all racing.
	kill -KILL "$sp"
	for i in 1 2 3 4 5 6 7; do
		"$ROOST_BIN" tick --origin death dd &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}"
	done
	wait_for 15 is_running dd
	sleep 1
	[ "$(count_lines "$(LIFE)" 'ev=death id=dd ')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=dd .*cause=restart')" -eq 1 ]
	[ "$(servers_on "$(sock_of dd)")" -eq 1 ]
}
