#!/usr/bin/env bats
# send-deliver.bats - delivery into a real program (tests/fake-agent in a
# real tmux): pasted, submitted, confirmed, logged without its bytes, one
# at a time when the program is ready; never into an approval prompt or
# under a person's hands; survives a crash; start --wait.

load helpers
load send-lib
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# pane_index ID TEXT: the first line number of the pane log holding TEXT.
pane_index() {
	grep -nF -- "$2" "$ROOST_HOME/log/$1.log" | head -n 1 | cut -d: -f1
}

@test "send --wait to a ready agent returns once the agent has read the text" {
	agent_up a
	run --separate-stderr roost send a --wait=20 -- 'hello agent'
	assert_status 0
	[[ $output =~ ^delivered\ a\ [0-9]{19}-[0-9]+-1\.msg$ ]]
	input_has a 'hello agent'
	[ "$(queued a)" -eq 0 ]
	wait_for 10 grep -q 'done: hello agent' "$ROOST_HOME/log/a.log"
}

@test "a delivery is logged with name, size and attempt, never the text; hooks/deliver and roost log see it" {
	mkdir -p "$ROOST_HOME/hooks"
	chmod 700 "$ROOST_HOME/hooks"
	printf '#!/bin/sh\ncat >>"%s/hook.out"\necho "$ROOST_EVENT $ROOST_ID $ROOST_CAUSE" >>"%s/hook.out"\n' "$T" "$T" >"$ROOST_HOME/hooks/deliver"
	chmod 700 "$ROOST_HOME/hooks/deliver"
	agent_up a
	run roost send a --wait=20 secret-words-here
	assert_status 0
	item=${output##* }
	grep -qE "ev=deliver id=a item=$item bytes=17 attempt=1 result=ok ms=[0-9]+" "$(life_log)"
	refute grep -rq secret-words-here "$ROOST_HOME/log/lifecycle.log" "$ROOST_HOME/log/exits.log"
	wait_for 10 grep -q '^deliver a ok$' "$T/hook.out"
	grep -q "ev=deliver id=a item=$item" "$T/hook.out"
	run roost log a
	assert_output_has "ev=deliver id=a item=$item"
}

@test "a queue of three prompts is answered in order, each after the previous turn ended" {
	FAKE_WORK=1 agent_up a
	roost send a one >/dev/null
	roost send a two >/dev/null
	roost send a three >/dev/null
	wait_for 30 grep -q 'done: three' "$ROOST_HOME/log/a.log"
	printf 'one\ntwo\nthree\n' | diff -u - "$T/a.conv"
	# Each pasted only after the turn before it had ended.
	[ "$(pane_index a 'done: one')" -lt "$(pane_index a 'two')" ]
	[ "$(pane_index a 'done: two')" -lt "$(pane_index a 'three')" ]
	[ "$(queued a)" -eq 0 ]
	[ "$(count_lines "$(life_log)" 'ev=deliver id=a .*result=ok')" -eq 3 ]
}

@test "a message to a parked agent wakes it with resume and is delivered once it is ready" {
	agent_add a
	roost start a >/dev/null
	make_ready a
	roost stop a >/dev/null
	rm -f "$ROOST_HOME/state/a.stopped"	# parked, not stopped
	make_ready_later a
	run --separate-stderr roost send a --wait=30 after-the-nap
	assert_status 0
	assert_output_has "delivered a "
	grep -q 'ev=launch id=a mode=resume cause=send' "$(life_log)"
	input_has a after-the-nap
}

@test "send without --wait to a down agent wakes it; the message follows it until it is ready" {
	agent_add a
	make_ready_later a
	run --separate-stderr roost send a in-the-background
	assert_status 0
	assert_output_has "queued a "
	wait_for 30 input_has a in-the-background
	wait_for 10 delivered_ok a 1
}

@test "a message sent while the agent waits at an approval prompt is not pasted into it; --now answers" {
	agent_up a
	roost send a --wait=20 '/ask rm -rf build' >/dev/null
	wait_for 10 test -f "$ROOST_HOME/state/a.waiting"
	wait_for 10 grep -q 'Allow tool' "$ROOST_HOME/log/a.log"
	run roost send a not-an-answer
	assert_status 0
	assert_output_has "queued a "
	run roost tick a
	refute input_has a not-an-answer
	[ "$(queued a)" -eq 1 ]
	run --separate-stderr roost send a --now y
	assert_status 0
	assert_output_has "delivered a "
	wait_for 10 grep -q allowed "$ROOST_HOME/log/a.log"
	[ ! -e "$ROOST_HOME/state/a.waiting" ]
	# The turn ends, its hook asks for a pass: the queued one goes in.
	wait_for 20 input_has a not-an-answer
	refute grep -q 'allowed.*not-an-answer\|not-an-answer.*denied' "$ROOST_HOME/log/a.log"
}

@test "a person attached holds delivery until they detach" {
	need_tool script "a terminal for the tmux client"
	agent_up a
	("$T/prog/forever" | TERM=xterm in_tty "'$TMUX_BIN' -S '$(sock_of a)' attach-session -t '=a:'") >/dev/null 2>&1 &
	wait_for 10 is_attached a
	run roost send a while-you-type
	assert_status 0
	assert_output_has "queued a "
	run roost tick a
	refute input_has a while-you-type
	run --separate-stderr roost send a --now y
	assert_status 3
	[ "$stderr" = "roost: send: a: a person is attached (nothing sent)" ]
	"$TMUX_BIN" -S "$(sock_of a)" detach-client -s =a:
	wait_for 10 refute is_attached a
	run roost tick a
	wait_for 10 input_has a while-you-type
	refute grep -qxF y "$T/a.in"
}

@test "a program that never becomes ready: send --wait exits 5 and the message stays queued" {
	agent_add a
	roost start a >/dev/null
	run --separate-stderr roost send a --wait=1 patience
	assert_status 5
	[[ $stderr =~ ^roost:\ send:\ a:\ [0-9-]+\.msg:\ not\ delivered\ within\ 1\ s\ \(it\ stays\ queued\)$ ]]
	[ "$(queued a)" -eq 1 ]
	refute input_has a patience
}

@test "a delivery nobody confirms is submitted 3 times, then moved to failed/" {
	# A program that shows nothing and never goes busy.
	roost add a --restart never -- sh -c 'stty -echo; while :; do sleep 1; done' >/dev/null
	echo 'confirm=1' >>"$ROOST_HOME/conf/a.conf"
	echo 'submit_delay_ms=0' >>"$ROOST_HOME/conf/a.conf"
	roost start a >/dev/null
	wait_for 10 is_running a
	wait_for 10 log_quiet a
	touch "$ROOST_HOME/state/a.ready"
	run --separate-stderr roost send a --wait=30 into-the-void
	assert_status 1
	[[ $stderr == "roost: send: a: "*".msg: not confirmed after 3 attempts (moved to a.queue/failed/)" ]]
	[ "$(queued a)" -eq 0 ]
	[ "$(ls "$(queue_of a)/failed" | wc -l)" -eq 1 ]
	[ "$(count_lines "$(life_log)" 'ev=deliver id=a .*result=unconfirmed')" -eq 2 ]
	grep -q 'ev=deliver id=a .*attempt=3 result=failed ms=[0-9]* why=unconfirmed' "$(life_log)"
	# failed/ is not a wake request and not delivered again.
	roost stop a >/dev/null
	rm -f "$ROOST_HOME/state/a.stopped"
	run roost tick
	refute is_running a
}

@test "an item whose name leaves no room for .sending is moved to failed/, and the queue goes on" {
	agent_up a
	local long
	long=0$(printf 'm%.0s' $(seq 250))
	mkdir -p -m 0700 "$ROOST_HOME/state/a.queue"
	printf 'too long a name\n' >"$ROOST_HOME/state/a.queue/$long"
	run --separate-stderr roost send a --wait=20 after
	assert_status 0
	input_has a after
	[ -f "$ROOST_HOME/state/a.queue/failed/$long" ]
	grep -qE "ev=deliver id=a item=$long bytes=0 attempt=0 result=failed ms=[0-9]+ why=\"name too long\"" "$(life_log)"
}

@test "a .sending left by a crash is delivered again after the restart, attempt=2" {
	agent_add a
	mkdir -m 700 "$(queue_of a)"
	printf 'again' >"$(queue_of a)/0000000000000000001-1-1.msg.sending"
	echo 1 >"$(queue_of a)/.0000000000000000001-1-1.msg.tries"
	printf 'later' >"$(queue_of a)/0000000000000000000-1-1.msg"
	make_ready_later a
	run roost start a --wait=30
	assert_status 0
	wait_for 20 delivered_ok a 2
	grep -q 'ev=deliver id=a item=0000000000000000001-1-1.msg bytes=5 attempt=2 result=ok' "$(life_log)"
	# The interrupted one first, though its name sorts after.
	head -n 1 "$T/a.conv" | grep -qx again
	[ -z "$(ls -A "$(queue_of a)")" ]
}

@test "a program that dies mid-delivery keeps the message; relaunched for it, it gets it again (attempt= says so)" {
	# The first run ends on the first byte of input (the paste kills
	# it); the runs after it are the agent.
	printf '#!/bin/sh\n[ -e "%s/died" ] && exec "$@"\n: >"%s/died"\nstty raw -echo\nexec dd bs=1 count=1 >/dev/null 2>&1\n' "$T" "$T" >"$T/prog/once-dies"
	chmod +x "$T/prog/once-dies"
	agent_add a "$T/prog/once-dies"
	roost start a >/dev/null
	wait_for 10 log_quiet a
	touch "$ROOST_HOME/state/a.ready"
	run --separate-stderr roost send a first-byte-kills
	assert_status 0
	assert_output_has "queued a "
	# Its death's pass relaunches it: the queue is a wake request.  Once
	# it is ready, the next pass (the tick's) delivers it again.
	wait_for 30 grep -q 'ev=launch id=a mode=fresh cause=queue' "$(life_log)"
	make_ready a
	run roost tick a
	assert_status 0
	wait_for 30 input_has a first-byte-kills
	[ -e "$T/died" ]
	grep -qE 'ev=deliver id=a .*attempt=1 result=(error|unconfirmed)' "$(life_log)"
	wait_for 10 delivered_ok a 1
	grep -qE 'ev=deliver id=a .*attempt=[23] result=ok' "$(life_log)"
	[ "$(queued a)" -eq 0 ]
}

@test "an embedded ESC [ 201 ~ cannot end the bracketed paste early; ^C and ^D arrive as text" {
	agent_up a FAKE_BRACKETED=1
	msg=$(printf 'a\033[201~b\003c\004d')
	run roost send a --wait=20 -- "$msg"
	assert_status 0
	# One paste, opened and closed once, the marker inside it inert.
	line=$(grep -F 'c' "$T/a.in" | tail -n 1)
	[ "$line" = "$(printf '\033[200~a^[[201~b^Cc^Dd\033[201~')" ]
	pid_alive "$(sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$ROOST_HOME/state/a.session")"
}

@test "start --wait returns when the program is ready, and says after how long" {
	agent_add a
	make_ready_later a
	run --separate-stderr roost start a --wait=30
	assert_status 0
	[[ $output =~ ^started\ a\ \(fresh\),\ ready\ after\ [0-9]+\ ms$ ]]
	run roost wake a --wait=5
	assert_status 0
	[[ $output =~ ^running\ a,\ ready\ after\ [0-9]+\ ms$ ]]
}

@test "start --wait on a program that is never ready exits 5 after the first line" {
	roost add a --restart never -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost start a --wait=1
	assert_status 5
	[ "$output" = "started a (fresh)" ]
	[ "$stderr" = "roost: start: a: not ready within 1 s" ]
	is_running a
}

@test "start --wait and send --wait end at once when nothing will run: exit 3 naming the state" {
	roost add c --crashloop 2/300 -- sh -c 'exit 1' >/dev/null
	run --separate-stderr roost start c --wait=60
	assert_status 3
	[ "$output" = "started c (fresh)" ]
	[ "$stderr" = "roost: start: c: crash-loop: nothing will run to wait for (roost status c says why)" ]
	roost add n --restart never -- sh -c 'exit 1' >/dev/null
	run --separate-stderr roost start n --wait=60
	assert_status 3
	[ "$stderr" = "roost: start: n: exited: nothing will run to wait for (roost status n says why)" ]
	# A stop while a send waits: the message stays queued.
	roost add s -- "$T/prog/forever" >/dev/null
	roost start s >/dev/null
	(wait_for 20 eval '[ "$(queued s)" -eq 1 ]' && roost stop s >/dev/null) &
	run --separate-stderr roost send s --wait=60 hello
	wait
	assert_status 3
	[ "$stderr" = "roost: send: s: stopped: nothing will run to wait for (roost status s says why)" ]
	[ "$(queued s)" -eq 1 ]
}

@test "restart --wait: a fresh launch is ready again only after its own .ready" {
	agent_up a
	make_ready_later a
	run --separate-stderr roost restart a --wait=30
	assert_status 0
	[[ $output =~ ^restarted\ a\ \(resume\),\ ready\ after\ [0-9]+\ ms$ ]]
}

@test "with roost's own screen detection (no hand-made .ready): start --wait, then send --wait" {
	roost add a --restart never --ready-pattern '^> ?$' -- env \
	    FAKE_INPUT_LOG="$T/a.in" FAKE_WORK=0.3 "$FAKE_AGENT" >/dev/null
	run --separate-stderr roost start a --wait=30
	assert_status 0
	[[ $output =~ ^started\ a\ \(fresh\),\ ready\ after\ [0-9]+\ ms$ ]]
	[ -f "$ROOST_HOME/state/a.ready" ]
	run --separate-stderr roost send a --wait=30 detected
	assert_status 0
	assert_output_has "delivered a "
	input_has a detected
}
