#!/usr/bin/env bats
# The pane log's writer (what tmux pipe-pane runs): it caps the log
# itself as it grows, so a flood is cut at once and nothing appended
# meanwhile is lost; killed, it is noticed by the tick and started again,
# so output is not lost silently and an active program is not parked for
# an idleness only the lost pipe showed.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

plog() { echo "$ROOST_HOME/log/$1.log"; }
writer() {
	local p rest
	read -r p rest <"$ROOST_HOME/state/$1.pipe" || return 1
	echo "$p"
}

# A program that prints a numbered line every 50 ms.
counter() {
	printf '#!/bin/sh\ni=0\nwhile :; do i=$((i + 1)); echo "n $i"; sleep 0.05; done\n' >"$T/prog/counter"
	chmod +x "$T/prog/counter"
}

@test "the writer caps a flood as it writes it (no tick), and keeps every line after the cut" {
	roost add f -- "$T/prog/forever"
	# 40 MiB of numbered 32-byte lines and a last one, fed as pipe-pane
	# feeds it.
	awk 'BEGIN { for (i = 0; i < 40 * 1024 * 1024 / 32; i++) printf "line %026d\n", i; print "flood-done" }' |
	    roost pane-log f
	[ "$(wc -c <"$(plog f)")" -le $((32 * 1024 * 1024)) ]
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=tick ')" -eq 0 ]
	# What is kept runs without a gap from its first line to the end.
	awk '
		/^line / { n = $2 + 0; if (seen && n != last + 1) { print "gap after " last; exit 1 } last = n; seen = 1; next }
		/^flood-done$/ { done = 1; next }
		{ print "odd line: " $0; exit 1 }
		END { if (!done || !seen) exit 1; if (last != 40 * 1024 * 1024 / 32 - 1) { print "last " last; exit 1 } }
	' "$(plog f)"
	# Its record goes with it.
	[ ! -e "$ROOST_HOME/state/f.pipe" ]
}

@test "the pane-log writer killed: the tick starts it again, logged, and output reaches the log again" {
	counter
	roost add c --idle 0 -- "$T/prog/counter"
	roost start c >/dev/null
	wait_for 10 test -s "$ROOST_HOME/state/c.pipe"
	local w
	w=$(writer c)
	argv_has "$w" pane-log
	kill -KILL "$w"
	wait_for 5 pid_gone "$w"
	run roost tick
	assert_status 0
	grep -q ' ev=pipe id=c result=restarted$' "$ROOST_HOME/log/lifecycle.log"
	wait_for 10 eval '[ -s "$ROOST_HOME/state/c.pipe" ] && [ "$(writer c)" != "$w" ]'
	pid_alive "$(writer c)"
	local size
	size=$(wc -c <"$(plog c)")
	wait_for 10 eval '[ "$(wc -c <"$(plog c)")" -gt "$size" ]'
	# A healthy pipe: the next tick leaves it be.
	run roost tick
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=pipe ')" -eq 1 ]
}

@test "an active program whose log writer was killed is not parked as idle" {
	counter
	roost add i --idle 2 -- "$T/prog/counter"
	roost start i >/dev/null
	wait_for 10 test -s "$ROOST_HOME/state/i.pipe"
	local w
	w=$(writer i)
	kill -KILL "$w"
	wait_for 5 pid_gone "$w"
	# Longer than idle with no byte reaching the log: the log and the
	# launch an hour old.
	local s=$ROOST_HOME/state/i.session old
	old=$(($(date +%s) - 3600))
	sed "s/woke=[0-9]*/woke=$old/" "$s" >"$s.new" && mv "$s.new" "$s"
	set_mtime "$old" "$(plog i)"
	run roost tick
	assert_status 0
	is_running i
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=reap ')" -eq 0 ]
	grep -q ' ev=pipe id=i result=restarted$' "$ROOST_HOME/log/lifecycle.log"
}
