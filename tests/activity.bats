#!/usr/bin/env bats
# What a running program is doing (busy, waiting for a person, idle), seen
# on its screen or said by roost mark: the markers, the idle reap that
# never parks a waiting program, stop keys never typed into a prompt, the
# status columns, and the hostile patterns add refuses.  The program is
# the suite's fake agent (tests/fake-agent).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	cp "$BATS_TEST_DIRNAME/fake-agent" "$T/prog/agent"
	chmod +x "$T/prog/agent"
}

teardown() { common_teardown; }

# keys ID KEY...: type into the identity's pane, as a person would.
keys() {
	"$TMUX_BIN" -S "$(sock_of "$1")" send-keys -t "=$1:" "${@:2}"
}

# ticked ID COMMAND...: a pass over ID, then COMMAND (for wait_for).
ticked() {
	roost tick "$1" >/dev/null 2>&1
	"${@:2}"
}

marker() { [ -f "$ROOST_HOME/state/$1.$2" ]; }
no_marker() { [ ! -e "$ROOST_HOME/state/$1.$2" ]; }
parked() { marker "$1" idle-reaped && ! is_running "$1"; }
lifelog() { count_lines "$ROOST_HOME/log/lifecycle.log" "$1"; }

# doing ID: the DOING column of status.
doing() {
	roost status "$1" --format logfmt 2>/dev/null |
	    sed -n 's/.* doing=\([a-z]*\) .*/\1/p'
}
doing_is() { [ "$(doing "$1")" = "$2" ]; }
# idle_unmarked ID: idle, and no .busy left behind.
idle_unmarked() { no_marker "$1" busy && doing_is "$1" idle; }

# A hooks/waiting that keeps what it was given.
waiting_hook() {
	mkdir -p -m 0700 "$ROOST_HOME/hooks"
	printf '#!/bin/sh\n{ cat; echo "cause=$ROOST_CAUSE"; } >>"%s"\n' \
	    "$T/waiting.out" >"$ROOST_HOME/hooks/waiting"
	chmod 0700 "$ROOST_HOME/hooks/waiting"
}

# add_agent ID [ADD-OPTION...]: the fake agent with the patterns of its
# screen (its approval prompt, its input prompt).
add_agent() {
	roost add "$1" --waiting-pattern '\[y/n\]' --ready-pattern '^> $' \
	    --env FAKE_INPUT_LOG="$T/$1.input" --env FAKE_WORK=0.2 \
	    "${@:2}" -- "$T/prog/agent" >/dev/null
}

@test "a prompt for a person is seen on the screen: .waiting holds the line, status says waiting" {
	add_agent a
	roost start a >/dev/null
	wait_for 10 ticked a marker a ready
	doing_is a idle
	keys a '/ask rm -rf build' Enter
	wait_for 10 ticked a marker a waiting
	grep -qx 'by=roost line="Allow tool? \[y/n\] "' "$ROOST_HOME/state/a.waiting"
	doing_is a waiting
	[ "$(lifelog '^ts=[^ ]+ ev=activity id=a doing=waiting line="Allow tool\? \[y/n\] "$')" -eq 1 ]
	# Answered: the screen no longer matches, roost removes its marker.
	keys a y Enter
	wait_for 10 ticked a no_marker a waiting
	wait_for 10 ticked a doing_is a idle
	grep -qx 'allowed' <(roost output a -n 10)
}

@test "the idle reap never parks a waiting program, and hooks/waiting runs once per wait" {
	waiting_hook
	add_agent w --idle 1
	roost start w >/dev/null
	wait_for 20 ticked w marker w ready
	keys w '/ask deploy' Enter
	wait_for 10 ticked w marker w waiting
	# Well past its idle time, pass after pass: still running, waiting.
	sleep 2
	roost tick
	roost tick w
	is_running w
	[ "$(lifelog 'ev=reap id=w')" -eq 0 ]
	doing_is w waiting
	wait_for 10 [ -s "$T/waiting.out" ]
	[ "$(count_lines "$T/waiting.out" '^ts=[^ ]+ ev=activity id=w doing=waiting line=')" -eq 1 ]
	grep -qx 'cause=Allow tool? \[y/n\] ' "$T/waiting.out"
	# Answered and back at its prompt: now it is idle, and parked.
	keys w y Enter
	wait_for 20 ticked w parked w
	[ "$(lifelog 'ev=reap id=w reason=idle')" -eq 1 ]
	[ "$(count_lines "$T/waiting.out" 'ev=activity')" -eq 1 ]
}

@test "stop keys are never typed into a prompt that waits for a person: keys=skipped-waiting" {
	add_agent s --stop-keys "'/exit' Enter"
	roost start s >/dev/null
	wait_for 10 ticked s marker s ready
	keys s '/ask drop table' Enter
	wait_for 10 ticked s marker s waiting
	run roost stop s
	assert_status 0
	[ "$output" = "stopped s" ]
	! is_running s || false
	[ "$(lifelog '^ts=[^ ]+ ev=teardown id=s reason=stop graceful=yes waited_ms=[0-9]+ keys=skipped-waiting$')" -eq 1 ]
	# The prompt never got /exit (nor anything but what the test typed).
	[ "$(cat "$T/s.input")" = "/ask drop table" ]
	no_marker s waiting && no_marker s ready && no_marker s seen
}

@test "stop keys are typed at an idle prompt: the program ends by them, keys=typed" {
	add_agent i --stop-keys "'/exit' Enter"
	roost start i >/dev/null
	wait_for 10 ticked i marker i ready
	wait_for 10 ticked i doing_is i idle
	run roost stop i
	assert_status 0
	[ "$(lifelog 'ev=teardown id=i reason=stop graceful=yes waited_ms=[0-9]+ keys=typed$')" -eq 1 ]
	[ "$(cat "$T/i.input")" = "/exit" ]
}

@test "stop keys are not typed while it is busy: keys=skipped-busy, the signal ends it" {
	add_agent b --stop-keys "'/exit' Enter" --env FAKE_WORK=30
	roost start b >/dev/null
	wait_for 10 ticked b marker b ready
	roost mark b busy
	run roost stop b
	assert_status 0
	[ "$(lifelog 'ev=teardown id=b reason=stop graceful=yes waited_ms=[0-9]+ keys=skipped-busy$')" -eq 1 ]
	[ ! -s "$T/b.input" ]
	no_marker b busy
}

@test "a program's own marker beats the screen: a hook's busy is not undone by a waiting_pattern" {
	roost add h --waiting-pattern '^working' --env FAKE_WORK=30 \
	    -- "$T/prog/agent" >/dev/null
	roost start h >/dev/null
	wait_for 10 ticked h marker h ready
	roost mark h busy
	keys h job Enter
	wait_for 10 grep -q 'working: job' "$ROOST_HOME/log/h.log"
	roost tick h
	roost tick h
	doing_is h busy
	no_marker h waiting
	[ -z "$(cat "$ROOST_HOME/state/h.busy")" ] ||
	    [ "$(cat "$ROOST_HOME/state/h.busy")" = by=mark ]
	# And a hook's waiting stays while the screen shows no such prompt.
	roost mark h waiting
	roost tick h
	doing_is h waiting
	marker h waiting
	# Idle from the hooks: theirs are gone, and the screen decides again
	# (its markers say by=roost).
	roost mark h idle
	local m
	for m in busy waiting; do
		no_marker h "$m" || grep -q '^by=roost' "$ROOST_HOME/state/h.$m"
	done
}

@test "a program's marker too big to read is still its own: never overwritten nor removed" {
	add_agent g
	roost start g >/dev/null
	wait_for 10 ticked g marker g ready
	# A hook that writes its whole JSON input into the marker.
	head -c 70000 /dev/zero | tr '\0' j >"$ROOST_HOME/state/g.busy"
	roost tick g
	roost tick g
	doing_is g busy
	[ "$(head -c 3 "$ROOST_HOME/state/g.busy")" = jjj ]
	[ "$(wc -c <"$ROOST_HOME/state/g.busy")" -eq 70000 ]
	rm "$ROOST_HOME/state/g.busy"
	head -c 70000 /dev/zero | tr '\0' w >"$ROOST_HOME/state/g.waiting"
	roost tick g
	doing_is g waiting
	[ "$(head -c 3 "$ROOST_HOME/state/g.waiting")" = www ]
}

@test "a stale .busy (older than busy_max) is ignored and logged once" {
	roost add st --busy-max 60 -- "$T/prog/forever" >/dev/null
	roost start st >/dev/null
	: >"$ROOST_HOME/state/st.busy"
	set_mtime $(($(date +%s) - 3600)) "$ROOST_HOME/state/st.busy"
	wait_for 10 ticked st doing_is st idle
	roost tick st
	roost tick
	[ "$(lifelog '^ts=[^ ]+ ev=activity id=st stale=busy$')" -eq 1 ]
	# Ignored, not removed: it is the program's.
	marker st busy
	# A fresh one counts again.
	touch "$ROOST_HOME/state/st.busy"
	roost tick st
	doing_is st busy
}

@test "a quiet program is idle after ready_quiet, one that printed is busy for busy_quiet" {
	# busy_quiet is the time a tick and a status have to see it busy
	# after its output: ample on a loaded machine.
	roost add q --ready-quiet 1 --busy-quiet 10 -- "$T/prog/agent" >/dev/null
	roost start q >/dev/null
	wait_for 10 ticked q marker q ready
	wait_for 10 ticked q doing_is q idle
	keys q hello Enter
	wait_for 10 grep -q 'done: hello' "$ROOST_HOME/log/q.log"
	roost tick q
	doing_is q busy
	grep -qx 'by=roost' "$ROOST_HOME/state/q.busy"
	# Quiet for busy_quiet: a pass removes the marker it wrote, and status
	# says idle.  (A pass just before the end of busy_quiet keeps it while
	# status, a moment later, already says idle: both are waited for.)
	wait_for 25 ticked q idle_unmarked q
	[ "$(lifelog 'ev=activity id=q doing=busy')" -ge 1 ]
}

@test "seen with no tick: tmux's alert-silence asks for a look, and re-arms for the next wait" {
	add_agent fast
	roost start fast >/dev/null
	# No roost tick from here on: only the pane going quiet asks.  (How
	# fast is the benchmark's figure, not a test's: make bench.)
	wait_for 10 marker fast ready
	local i
	for i in 1 2; do
		keys fast "/ask $i" Enter
		wait_for 10 marker fast waiting
		keys fast y Enter
		wait_for 10 no_marker fast waiting
	done
	[ "$(lifelog 'ev=activity id=fast doing=waiting')" -eq 2 ]
	# A look only: the alert's passes logged no ev=tick of their own.
	[ "$(lifelog 'ev=tick')" -eq 0 ]
}

@test "launch clears the markers of the run before" {
	roost add l -- "$T/prog/forever" >/dev/null
	touch "$ROOST_HOME/state/l.busy" "$ROOST_HOME/state/l.waiting" \
	    "$ROOST_HOME/state/l.ready"
	roost start l >/dev/null
	no_marker l busy && no_marker l waiting
	[ "$(doing l)" = starting ] || [ "$(doing l)" = idle ]
}

@test "roost mark: busy, waiting and idle keep the markers; idle marks it ready" {
	roost add m -- "$T/prog/forever" >/dev/null
	roost start m >/dev/null
	run roost mark m busy
	assert_status 0
	[ -z "$output" ]
	marker m busy
	doing_is m busy
	roost mark m waiting
	marker m waiting
	doing_is m waiting
	# idle asks for a full pass over the identity (not only a look): it
	# respawns the canary the test ended.
	local cp
	cp=$(canary_pid m)
	kill -TERM "$cp"
	wait_for 5 pid_gone "$cp"
	roost mark m idle
	no_marker m busy && no_marker m waiting
	marker m ready
	wait_for 10 grep -q 'ev=canary id=m state=spawned origin=tick' \
	    "$ROOST_HOME/log/lifecycle.log"
	doing_is m idle
	# Not running: the markers only, no pass asked for.
	roost stop m >/dev/null
	run roost mark m busy
	assert_status 0
}

@test "roost mark errors: a bad word exits 2, an unknown id 4, a bad id 2, each with its message" {
	roost add m -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost mark m sleeping
	assert_status 2
	[ "$stderr" = "roost: mark: sleeping: must be busy, waiting or idle" ]
	run --separate-stderr roost mark nobody busy
	assert_status 4
	[ "$stderr" = "roost: mark: nobody: unknown identity" ]
	run --separate-stderr roost mark 'a.b' busy
	assert_status 2
	[[ $stderr == "roost: mark: "*"a.b"* ]]
	run --separate-stderr roost mark m
	assert_status 2
	no_marker m busy && no_marker m waiting && no_marker nobody busy
}

@test "roost mark never writes through a symlink" {
	roost add m -- "$T/prog/forever" >/dev/null
	echo precious >"$T/target"
	ln -s "$T/target" "$ROOST_HOME/state/m.busy"
	roost mark m idle
	[ ! -L "$ROOST_HOME/state/m.busy" ]
	[ "$(cat "$T/target")" = precious ]
	ln -s "$T/target" "$ROOST_HOME/state/m.waiting"
	roost mark m waiting
	[ ! -L "$ROOST_HOME/state/m.waiting" ]
	[ "$(cat "$T/target")" = precious ]
}

@test "hostile patterns are refused at add, naming the key, and nothing is written" {
	local big
	big=$(printf 'a%.0s' $(seq 300))
	run --separate-stderr roost add p --waiting-pattern '(unclosed' -- sh
	assert_status 2
	[[ $stderr == "roost: add: --waiting-pattern: key 'waiting_pattern': not a valid extended regular expression: "* ]]
	run --separate-stderr roost add p --ready-pattern "$big" -- sh
	assert_status 2
	[ "$stderr" = "roost: add: --ready-pattern: key 'ready_pattern': longer than 256 bytes" ]
	run --separate-stderr roost add p --waiting-pattern '(a*)*\1' -- sh
	assert_status 2
	[ "$stderr" = "roost: add: --waiting-pattern: key 'waiting_pattern': back-references are not allowed" ]
	run --separate-stderr roost add p --waiting-pattern '((a{1,200}){1,200}){1,9999}' -- sh
	assert_status 2
	[ "$stderr" = "roost: add: --waiting-pattern: key 'waiting_pattern': a {n,m} bound over 255" ]
	# Repetitions of repetitions: regcomp's work doubles with each +.
	local pat
	for pat in "a$(printf '+%.0s' $(seq 90))" '((a{1,255}){1,255})' \
	    'a{1,200}{1,200}'; do
		run --separate-stderr timeout 10 "$ROOST_BIN" add p \
		    --waiting-pattern "$pat" -- sh
		assert_status 2
		[ "$stderr" = "roost: add: --waiting-pattern: key 'waiting_pattern': repetitions of repetitions too many or too large" ]
	done
	# Real patterns pass.
	roost add q --waiting-pattern '\[y/n\]|(Do you want|Allow) [a-z ]+\?' \
	    --ready-pattern '^(> |[[:alpha:]]+ [0-9]{1,3}%)$' -- sh >/dev/null
	roost rm q >/dev/null
	run --separate-stderr roost add p --waiting-pattern "$(printf 'a\001b')" -- sh
	assert_status 2
	[ "$stderr" = "roost: add: --waiting-pattern: key 'waiting_pattern': contains a control character" ]
	run --separate-stderr roost add p --resume-after sometimes -- sh
	assert_status 2
	[ "$stderr" = "roost: add: --resume-after: key 'resume_after': must be park or any" ]
	run --separate-stderr roost add p --busy-max 0 -- sh
	assert_status 2
	[ ! -e "$ROOST_HOME/conf/p.conf" ]
}

@test "a hostile pattern written into a conf by hand is refused by every reader, with file, line and key" {
	roost add p -- sh >/dev/null
	printf "waiting_pattern='(x'\n" >>"$ROOST_HOME/conf/p.conf"
	run --separate-stderr roost status p
	assert_status 2
	[[ $stderr == *"conf/p.conf: line "*": key 'waiting_pattern': not a valid extended regular expression"* ]]
}

@test "the v3 keys round-trip through add and the conf; defaults are not written" {
	roost add k -- sh >/dev/null
	! grep -q 'resume_after\|busy_max\|pattern' "$ROOST_HOME/conf/k.conf" || false
	roost add k --replace --resume-after any --resume-grace 5 \
	    --waiting-pattern "it's \[y/n\]" --ready-pattern '^> $' \
	    --ready-quiet 4 --busy-quiet 0 --busy-max 99 -- sh >/dev/null
	(
		. "$ROOST_HOME/conf/k.conf"
		[ "$resume_after" = any ] && [ "$resume_grace" = 5 ] &&
		    [ "$waiting_pattern" = "it's \[y/n\]" ] &&
		    [ "$ready_pattern" = '^> $' ] && [ "$ready_quiet" = 4 ] &&
		    [ "$busy_quiet" = 0 ] && [ "$busy_max" = 99 ]
	)
	roost status k >/dev/null || [ $? -eq 3 ]
}

@test "status: DOING, MEM and QUEUE columns, and doing, ready, mem, queue in JSON" {
	add_agent j
	roost start j >/dev/null
	wait_for 10 ticked j doing_is j idle
	run --separate-stderr roost status j --format json
	assert_status 0
	printf '%s\n' "$output" | python3 -c '
import json, sys
r = json.load(sys.stdin)["ids"][0]
assert r["doing"] == "idle" and r["ready"] is True, r
assert r["queue"] == 0, r'
	# An idle, ready program is delivered to by the next pass (the pane's
	# alert hook runs one at any moment): busy, it keeps its queue.  Marked
	# before the messages arrive, a pass that sees them sees it busy too.
	roost mark j busy
	mkdir -p "$ROOST_HOME/state/j.queue/failed"
	: >"$ROOST_HOME/state/j.queue/1-1-1.msg"
	: >"$ROOST_HOME/state/j.queue/2-1-1.msg"
	: >"$ROOST_HOME/state/j.queue/failed/0-1-1.msg"
	run --separate-stderr roost status j
	assert_status 0
	[[ ${lines[0]} =~ ^ID\ +STATE\ +DOING\ +PID\ +UPTIME\ +IDLE\ +MEM\ +QUEUE\ +DEATHS\ +LAST\ EXIT$ ]]
	[[ ${lines[1]} =~ ^j\ +running\ +busy\ +[0-9]+\ +[0-9]+s\ +[0-9]+s\ +([0-9]+[KMG]|[0-9.]+G)\ +2\ +0\ +-$ ]]
	run --separate-stderr roost status j --format json
	assert_status 0
	printf '%s\n' "$output" | python3 -c '
import json, sys
r = json.load(sys.stdin)["ids"][0]
assert r["doing"] == "busy" and r["ready"] is True, r
assert r["queue"] == 2, r
assert type(r["mem"]) is int and r["mem"] > 0, r'
	roost stop j >/dev/null
	run --separate-stderr roost status j --format json
	printf '%s\n' "$output" | python3 -c '
import json, sys
r = json.load(sys.stdin)["ids"][0]
assert r["doing"] is None and r["ready"] is None and r["mem"] is None, r
assert r["queue"] == 2, r'
	run --separate-stderr roost status j
	[[ ${lines[1]} =~ ^j\ +stopped\ +-\ +-\ +-\ +-\ +-\ +2\ +0\  ]]
}
