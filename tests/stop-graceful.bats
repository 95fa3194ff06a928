#!/usr/bin/env bats
# Every teardown is graceful: stop_keys typed into the pane, stop_signal to
# the program's process group, stop_timeout for it to end by itself, and
# only then kill-server and SIGKILL.  A program that saves on TERM keeps
# its work through stop, restart, an idle reap and rm --force, and none of
# them is a death.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	# saver TAG [N]: on TERM, writes $T/TAG.term, waits for N of them to
	# exist (until 60 s after the first TERM any saver got, at most) and
	# writes how many it saw to $T/TAG.seen, spends 2 s saving, then writes
	# $T/TAG.saved.
	cat >"$T/prog/saver" <<EOF
#!/bin/sh
terms() { set -- "$T"/*.term; [ -e "\$1" ] && echo "\$#" || echo 0; }
save() {
	: >"$T/\$1.term"
	(set -C; date +%s >"$T/first-term") 2>/dev/null
	read -r t0 <"$T/first-term" || t0=\$(date +%s)
	while [ "\$(terms)" -lt "\${2:-0}" ] &&
	    [ "\$((\$(date +%s) - t0))" -lt 60 ]; do
		sleep 0.1
	done
	terms >"$T/\$1.seen"
	sleep 2
	echo saved >"$T/\$1.saved"
	exit 0
}
trap 'echo saving; save "\$@"' TERM
echo ready
while :; do sleep 1; done
EOF
	# reader: reads lines from the terminal, ends on /exit.
	cat >"$T/prog/reader" <<EOF
#!/bin/sh
while IFS= read -r l; do
	if [ "\$l" = /exit ]; then
		echo bye >"$T/reader.bye"
		exit 0
	fi
done
EOF
	chmod +x "$T/prog/saver" "$T/prog/reader"
}
teardown() { common_teardown; }

# no_death_records: no ev=death, no .deaths, no ev=server-exit, no
# ev=session-exit.
no_death_records() {
	[ "$(count_lines "$(life_log)" 'ev=death ')" -eq 0 ]
	[ -z "$(ls "$ROOST_HOME"/state/*.deaths 2>/dev/null)" ]
	[ "$(count_lines "$(exits_log)" .)" -eq 0 ]
}

# no_look_running: no pass the panes' alert hooks asked for runs.
# (pgrep never counts itself, where a grep of ps's list may see its own
# command line.)
no_look_running() {
	! pgrep -f -- "-H '?$ROOST_HOME'? tick --origin activity" >/dev/null || false
}

saver_up() {
	roost add "$1" ${2:+"$2"} -- "$T/prog/saver" "$1" >/dev/null
	start_id "$1"
	wait_for 5 grep -q ready "$ROOST_HOME/log/$1.log"
}

@test "stop lets a program that saves on TERM finish: saved, graceful=yes, no death" {
	saver_up s
	run roost stop s
	assert_status 0
	[ "$output" = "stopped s" ]
	[ "$(cat "$T/s.saved")" = saved ]
	grep -Eq 'ev=teardown id=s reason=stop graceful=yes waited_ms=[0-9]+$' "$(life_log)"
	no_death_records
	assert_no_processes
}

@test "restart lets it finish too, then launches it again" {
	saver_up s
	run roost restart s
	assert_status 0
	[ "$output" = "restarted s (resume)" ]
	[ -f "$T/s.saved" ]
	grep -q 'ev=teardown id=s reason=restart graceful=yes' "$(life_log)"
	is_running s
	no_death_records
}

@test "an idle reap lets it finish: parked, saved, no death" {
	saver_up s --idle=1
	wait_for 10 eval 'roost tick; [ -f "$T/s.saved" ]'
	wait_for 10 eval '! is_running s'
	[ -f "$(state_of s).idle-reaped" ]
	grep -q 'ev=teardown id=s reason=idle graceful=yes' "$(life_log)"
	grep -q 'ev=reap id=s reason=idle ' "$(life_log)"
	no_death_records
}

@test "rm --force lets it finish, then removes the identity" {
	saver_up s
	run roost rm --force s
	assert_status 0
	[ "${lines[0]}" = "removed s" ]
	[ -f "$T/s.saved" ]
	[ ! -e "$ROOST_HOME/conf/s.conf" ]
	no_death_records
	assert_no_processes
}

# group_gone PGID: no member of the process group but zombies.
group_gone() {
	[ -z "$(ps -A -o pgid= -o stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/')" ]
}

@test "a program that ignores TERM is gone after stop_timeout, graceful=no, nothing of its process groups left" {
	roost add ig --stop-timeout 1 -- sh -c 'trap "" TERM; echo up; while :; do sleep 1; done' >/dev/null
	start_id ig
	wait_for 5 grep -q up "$ROOST_HOME/log/ig.log"
	local pp
	pp=$(sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$(state_of ig).session")
	run roost stop ig
	assert_status 0
	grep -Eq 'ev=teardown id=ig reason=stop graceful=no waited_ms=[0-9]+$' "$(life_log)"
	# Nothing of its process group runs, once the SIGKILL has been taken
	# (a loaded machine schedules the dying late): what is left is a
	# zombie, for its parent (or an init) to reap.
	wait_for 10 group_gone "$pp"
	no_death_records
	assert_no_processes
}

@test "stop_keys reach a line-reading program, which ends by itself" {
	roost add rd --stop-keys "'/exit' Enter" --stop-signal none -- "$T/prog/reader" >/dev/null
	start_id rd
	run roost stop rd
	assert_status 0
	[ "$(cat "$T/reader.bye")" = bye ]
	grep -q 'ev=teardown id=rd reason=stop graceful=yes' "$(life_log)"
	no_death_records
}

@test "stop_keys ';' and words ending in ';' are keys, never the end of tmux's command" {
	cat >"$T/prog/lines" <<EOF
#!/bin/sh
while IFS= read -r l; do
	printf '%s\n' "\$l" >>"$T/lines"
	[ "\$l" = /exit ] && exit 0
done
EOF
	chmod +x "$T/prog/lines"
	roost add sc --stop-keys "'x;' ';' 'y\;' Enter '/exit' Enter" \
	    --stop-signal none --stop-timeout 5 -- "$T/prog/lines" >/dev/null
	start_id sc
	run roost stop sc
	assert_status 0
	[ "$(cat "$T/lines")" = "x;;y;
/exit" ]
	grep -q 'ev=teardown id=sc reason=stop graceful=yes' "$(life_log)"
}

@test "--stop-signal INT: the program gets SIGINT, not SIGTERM" {
	cat >"$T/prog/intsaver" <<EOF
#!/bin/sh
trap 'echo int >"$T/got"; exit 0' INT
trap 'echo term >"$T/got"; exit 0' TERM
echo ready
while :; do sleep 1; done
EOF
	chmod +x "$T/prog/intsaver"
	roost add i --stop-signal INT -- "$T/prog/intsaver" >/dev/null
	start_id i
	wait_for 5 grep -q ready "$ROOST_HOME/log/i.log"
	roost stop i >/dev/null
	[ "$(cat "$T/got")" = int ]
}

@test "ten identities reaped in one tick wait side by side: every one got TERM before any finished saving" {
	# Without /proc each teardown asks ps a dozen times, and the looks of
	# ten quiet panes hold their locks for seconds each: one tick cannot
	# be counted on to meet all ten free there.  (Root's run, with /proc,
	# runs this case.)
	build_has_proc || skip "this roost is built without /proc: ps answers for process identity, too slowly for ten in one tick"
	local i
	for i in 0 1 2 3 4 5 6 7 8 9; do
		roost add "p$i" --idle 1 --stop-timeout 90 -- "$T/prog/saver" "p$i" 10 \
		    >/dev/null
		roost start "p$i" >/dev/null
	done
	for i in 0 1 2 3 4 5 6 7 8 9; do
		wait_for 5 grep -q ready "$ROOST_HOME/log/p$i.log"
	done
	# Each quiet past its idle second (status says idle once ready_quiet,
	# 2 s, has gone by), and the one tick meets all ten free of the looks
	# (each holds the identity's lock while it runs).
	for i in 0 1 2 3 4 5 6 7 8 9; do
		wait_for 20 eval '"$ROOST_BIN" status --format logfmt "p'"$i"'" |
		    grep -q " doing=idle "'
	done
	wait_for 60 no_look_running
	run roost tick
	assert_status 0
	for i in 0 1 2 3 4 5 6 7 8 9; do
		[ -f "$T/p$i.saved" ]
		! is_running "p$i" || false
	done
	# Concurrent, not one after another: every TERM came before any save
	# was done.  One after another, the first saver would have waited its
	# 60 s for the others' TERMs and seen only its own.  (A slow machine
	# may take seconds to send ten -- a build without /proc asks ps a
	# dozen times for each identity's processes before its TERM -- so the
	# wait is by the clock, and stop_timeout 90 outlasts it.)
	for i in 0 1 2 3 4 5 6 7 8 9; do
		[ "$(cat "$T/p$i.seen")" -eq 10 ] || {
			echo "p$i saw $(cat "$T/p$i.seen") TERMs of 10 before saving" >&2
			false
		}
	done
	[ "$(count_lines "$(life_log)" 'ev=reap ')" -eq 10 ]
	[ "$(count_lines "$(life_log)" 'ev=teardown .*graceful=yes')" -eq 10 ]
	no_death_records
}

@test "stop on a terminal says what it waits for once it has waited a second" {
	need_tool script "the case needs a terminal"
	saver_up s
	in_tty "$ROOST_BIN stop s" >"$T/tty.out" 2>&1
	grep -q 'roost: stop: s: waiting for the program to end' "$T/tty.out"
	grep -q 'stopped s' "$T/tty.out"
	[ -f "$T/s.saved" ]
}

@test "stop without a terminal prints no progress" {
	saver_up s
	run --separate-stderr roost stop s
	assert_status 0
	[ -z "$stderr" ]
}
