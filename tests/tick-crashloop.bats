#!/usr/bin/env bats
# The crash-loop guard: deaths inside the window reaching the limit
# suspend restarts until `roost start`.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

LIFE() { echo "$ROOST_HOME/log/lifecycle.log"; }
not_running() { ! is_running "$1"; }

@test "an instant crasher, no tick run: restarts back off 1 s, then 2 s (ev=backoff), and the 3rd death crash-loops it" {
	roost add c --crashloop 3/300 -- false >/dev/null
	run roost start c
	assert_status 0
	wait_for 20 test -f "$ROOST_HOME/state/c.crash-loop"
	wait_for 5 not_running c
	[ "$(count_lines "$ROOST_HOME/state/c.deaths" '^[0-9]+ status=1$')" -eq 3 ]
	[ "$(cat "$ROOST_HOME/state/c.crash-loop")" = "deaths=3 window=300" ]
	[ "$(count_lines "$(LIFE)" 'ev=refused id=c cause=crash-loop')" -eq 1 ]
	# The delays double: 1 s after the first death, 2 s after the second.
	[ "$(count_lines "$(LIFE)" 'ev=backoff id=c delay=1\.000 ')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=backoff id=c delay=2\.000 ')" -eq 1 ]
	[ "$(count_lines "$(LIFE)" 'ev=backoff')" -eq 2 ]
	# start + two restarts, no third.
	[ "$(count_lines "$(LIFE)" 'ev=launch id=c ')" -eq 3 ]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=c .*cause=restart')" -eq 2 ]
	# The pass removes .session last, after the death's line.
	wait_for 5 eval '[ ! -e "$ROOST_HOME/state/c.session" ]'
	run roost status c
	assert_status 3
	[[ ${lines[1]} =~ ^c\ +crash-loop\ +-\ +-\ +-\ +-\ +-\ +0\ +3\ +status=1\ [0-9]+s\ ago$ ]]
	# Further ticks leave it down.
	run roost tick
	assert_status 0
	not_running c
	[ "$(count_lines "$(LIFE)" 'ev=launch id=c ')" -eq 3 ]
}

@test "a crash-looped identity: wake is refused with exit 3, even a .wake does not launch it" {
	roost add c --crashloop 3/300 -- false >/dev/null
	printf '%s status=1\n' "$(date +%s)" "$(date +%s)" "$(date +%s)" \
	    >"$ROOST_HOME/state/c.deaths"
	printf 'deaths=3 window=300\n' >"$ROOST_HOME/state/c.crash-loop"
	run roost wake c
	assert_status 3
	assert_output_has "refused c: crash-loop"
	not_running c
	[ "$(count_lines "$(LIFE)" 'ev=refused id=c cause=crash-loop')" -eq 1 ]
	touch "$ROOST_HOME/state/c.wake"
	run roost tick
	assert_status 0
	not_running c
	[ "$(count_lines "$(LIFE)" 'ev=launch')" -eq 0 ]
}

@test "start clears .crash-loop, .deaths and .stopped and launches" {
	roost add c --crashloop 3/300 -- "$T/prog/forever" >/dev/null
	printf '%s status=1\n' "$(date +%s)" "$(date +%s)" "$(date +%s)" \
	    >"$ROOST_HOME/state/c.deaths"
	printf 'deaths=3 window=300\n' >"$ROOST_HOME/state/c.crash-loop"
	touch "$ROOST_HOME/state/c.stopped"
	run roost start c
	assert_status 0
	[ "$output" = "started c (fresh)" ]
	[ ! -e "$ROOST_HOME/state/c.crash-loop" ]
	[ ! -e "$ROOST_HOME/state/c.deaths" ]
	[ ! -e "$ROOST_HOME/state/c.stopped" ]
	is_running c
	[ "$(count_lines "$(LIFE)" 'ev=launch id=c mode=fresh cause=start')" -eq 1 ]
	run roost status c
	assert_status 0
}

@test "deaths outside the window do not count towards a crash loop" {
	local old=$(($(date +%s) - 1000))
	roost add w --crashloop 3/300 --restart-delay 0 -- "$T/prog/forever" >/dev/null
	printf '%s status=1\n' "$old" "$old" >"$ROOST_HOME/state/w.deaths"
	roost start w >/dev/null
	# start cleared them; put them back, as if they had happened long ago.
	printf '%s status=1\n' "$old" "$old" >"$ROOST_HOME/state/w.deaths"
	kill -KILL "$(server_pid w)"
	wait_for 10 eval '[ "$(count_lines "$ROOST_HOME/state/w.deaths" .)" -eq 3 ]'
	wait_for 10 is_running w
	# The server answers before the launch has logged itself.
	wait_for 5 grep -Eq 'ev=launch id=w .*cause=restart' "$(LIFE)"
	[ ! -e "$ROOST_HOME/state/w.crash-loop" ]
	[ "$(count_lines "$(LIFE)" 'ev=launch id=w .*cause=restart')" -eq 1 ]
	is_running w
}
