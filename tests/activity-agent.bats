#!/usr/bin/env bats
# Coding agents kept by roost: README's recipes (Claude Code's hooks,
# Codex's notify) run by the fake agent in its hooks mode with exactly
# the commands README gives, and resume_after=any keeping the
# conversation across a server SIGKILL and a crash, without looping on a
# resume that dies at once.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	cp "$BATS_TEST_DIRNAME/fake-agent" "$T/prog/agent"
	chmod +x "$T/prog/agent"
	# The recipes call roost by name, as they would when it is installed.
	PATH="${ROOST_BIN%/*}:$PATH"
	export PATH
}

teardown() { common_teardown; }

keys() {
	"$TMUX_BIN" -S "$(sock_of "$1")" send-keys -t "=$1:" "${@:2}"
}
ticked() {
	roost tick "$1" >/dev/null 2>&1
	"${@:2}"
}
marker() { [ -f "$ROOST_HOME/state/$1.$2" ]; }
no_marker() { [ ! -e "$ROOST_HOME/state/$1.$2" ]; }
parked() { marker "$1" idle-reaped && ! is_running "$1"; }
lifelog() { count_lines "$ROOST_HOME/log/lifecycle.log" "$1"; }
doing_is() {
	[ "$(roost status "$1" --format logfmt 2>/dev/null |
	    sed -n 's/.* doing=\([a-z]*\) .*/\1/p')" = "$2" ]
}
# idle_unmarked ID: idle, and no .busy left behind.
idle_unmarked() { no_marker "$1" busy && doing_is "$1" idle; }

# recipe claude EVENT | recipe codex: the command README's section
# "Keeping coding agents" gives (Codex: its notify argv, as a sh command
# line that runs it with the JSON argument Codex appends).
recipe() {
	python3 - "$BATS_TEST_DIRNAME/../README.md" "$@" <<'EOF'
import json, re, shlex, sys
text = open(sys.argv[1]).read()
sec = text.split("## Keeping coding agents", 1)[1].split("\n## ", 1)[0]
if sys.argv[2] == "claude":
    block = re.search(r"```json\n(.*?)```", sec, re.S).group(1)
    hooks = json.loads(block)["hooks"][sys.argv[3]]
    print(hooks[0]["hooks"][0]["command"])
else:
    block = re.search(r"```toml\n(.*?)```", sec, re.S).group(1)
    argv = json.loads(block.split("=", 1)[1].strip())
    print(shlex.join(argv + ['{"type":"agent-turn-complete"}']))
EOF
}

@test "Claude Code's recipe: a busy turn past idle is not parked; back at its prompt it is" {
	local submit stop notify
	submit=$(recipe claude UserPromptSubmit)
	stop=$(recipe claude Stop)
	notify=$(recipe claude Notification)
	[[ $submit == *"roost mark \"\$ROOST_ID\" busy"* ]]
	roost add c --idle 2 --ready-quiet 1 --env FAKE_WORK=12 --env FAKE_HOOK_SUBMIT="$submit" \
	    --env FAKE_HOOK_STOP="$stop" --env FAKE_HOOK_NOTIFY="$notify" \
	    -- "$T/prog/agent" >/dev/null
	roost start c >/dev/null
	wait_for 10 ticked c marker c ready
	keys c 'refactor it' Enter
	wait_for 10 marker c busy
	# The hook wrote it, not roost's screen detection.
	! grep -q 'by=roost' "$ROOST_HOME/state/c.busy" || false
	# Quiet for longer than idle and busy_quiet: only the hook says busy.
	wait_for 10 grep -q 'working: refactor it' "$ROOST_HOME/log/c.log"
	sleep 3.5
	roost tick
	is_running c
	doing_is c busy
	[ "$(lifelog 'ev=reap id=c')" -eq 0 ]
	# The turn ends, the Stop hook says idle: parked now.
	wait_for 30 ticked c parked c
	[ "$(lifelog 'ev=reap id=c reason=idle')" -eq 1 ]
	[ "$(lifelog 'ev=activity id=c doing=busy')" -ge 1 ]
}

@test "Claude Code's recipe: Notification marks it waiting; PostToolUse busy again; Stop idle" {
	roost add n --env FAKE_WORK=5 \
	    --env FAKE_HOOK_SUBMIT="$(recipe claude UserPromptSubmit)" \
	    --env FAKE_HOOK_STOP="$(recipe claude Stop)" \
	    --env FAKE_HOOK_NOTIFY="$(recipe claude Notification)" \
	    --env FAKE_HOOK_TOOL="$(recipe claude PostToolUse)" \
	    --env FAKE_INPUT_LOG="$T/n.input" --stop-keys "'/exit' Enter" \
	    -- "$T/prog/agent" >/dev/null
	roost start n >/dev/null
	wait_for 10 ticked n marker n ready
	keys n '/ask push' Enter
	wait_for 10 marker n waiting
	! grep -q 'by=roost' "$ROOST_HOME/state/n.waiting" || false
	roost tick n
	doing_is n waiting
	keys n y Enter
	# Answered: the tool ran, the turn goes on (busy), no longer waiting.
	wait_for 10 no_marker n waiting
	marker n busy
	roost tick n
	doing_is n busy
	wait_for 10 no_marker n busy
	# At its prompt again: stop keys are typed and end it.
	wait_for 10 ticked n doing_is n idle
	roost stop n >/dev/null
	[ "$(lifelog 'ev=teardown id=n reason=stop graceful=yes waited_ms=[0-9]+ keys=typed$')" -eq 1 ]
	[ "$(tail -n 1 "$T/n.input")" = /exit ]
}

@test "Codex's recipe: notify at the end of a turn marks it idle and ready" {
	local notify
	notify=$(recipe codex)
	[[ $notify == "sh -c "* ]]
	# ready_quiet so long that only the notify can make it ready.
	roost add x --ready-quiet 3600 --env FAKE_WORK=0.2 \
	    --env FAKE_HOOK_STOP="$notify" -- "$T/prog/agent" >/dev/null
	roost start x >/dev/null
	roost tick x
	doing_is x starting
	no_marker x ready
	keys x hello Enter
	wait_for 10 marker x ready
	# Codex has no hook for a turn's start: its output says busy (by=roost).
	no_marker x busy || grep -qx by=roost "$ROOST_HOME/state/x.busy"
	# busy_quiet after its last output, a pass removes that .busy.
	wait_for 10 ticked x idle_unmarked x
}

# add_resumer ID [ADD-OPTION...]: an agent whose conversation is a file;
# resume_after=any, no restart delay.
add_resumer() {
	roost add "$1" --resume-after any --resume "$T/prog/agent --continue" \
	    --restart-delay 0 --env FAKE_CONV="$T/$1.conv" --env FAKE_WORK=0.2 \
	    "${@:2}" -- "$T/prog/agent" >/dev/null
}

@test "resume_after=any: after a SIGKILL of the tmux server the conversation is resumed" {
	local sp
	add_resumer r
	roost start r >/dev/null
	wait_for 10 ticked r marker r ready
	keys r 'remember me' Enter
	wait_for 10 grep -qx 'remember me' "$T/r.conv"
	sp=$(server_pid r)
	kill -KILL "$sp"
	wait_for 20 grep -q 'ev=launch id=r mode=resume cause=restart' \
	    "$ROOST_HOME/log/lifecycle.log"
	wait_for 10 grep -q 'resumed 1 turns' "$ROOST_HOME/log/r.log"
	is_running r
	[ "$(server_pid r)" != "$sp" ]
}

@test "resume_after=any: after the program crashes the conversation is resumed" {
	add_resumer k
	roost start k >/dev/null
	wait_for 10 ticked k marker k ready
	keys k 'one' Enter
	keys k 'two' Enter
	wait_for 10 grep -qx two "$T/k.conv"
	keys k '/crash 3' Enter
	wait_for 20 grep -q 'ev=launch id=k mode=resume cause=restart' \
	    "$ROOST_HOME/log/lifecycle.log"
	wait_for 10 grep -q 'resumed 2 turns' "$ROOST_HOME/log/k.log"
	[ "$(lifelog 'ev=death id=k')" -eq 1 ]
}

@test "resume_after=any: a resume that dies at once makes the next launch fresh (cause=resume-failed)" {
	add_resumer f --env FAKE_RESUME_FAIL=1
	roost start f >/dev/null
	wait_for 10 ticked f marker f ready
	keys f '/crash 3' Enter
	wait_for 20 grep -q 'ev=launch id=f mode=fresh cause=resume-failed' \
	    "$ROOST_HOME/log/lifecycle.log"
	[ "$(lifelog 'ev=launch id=f mode=resume cause=restart')" -eq 1 ]
	wait_for 10 ticked f marker f ready
	is_running f
	wait_for 10 grep -q 'resume failed' "$ROOST_HOME/log/f.log"
	[ "$(lifelog 'ev=death id=f')" -eq 2 ]
	no_marker f crash-loop
	no_marker f resume-failed
}

@test "resume_after=park (the default): a crash restarts fresh" {
	roost add p --resume "$T/prog/agent --continue" --restart-delay 0 \
	    --env FAKE_WORK=0.2 -- "$T/prog/agent" >/dev/null
	roost start p >/dev/null
	wait_for 10 ticked p marker p ready
	keys p '/crash 3' Enter
	wait_for 20 grep -q 'ev=launch id=p mode=fresh cause=restart' \
	    "$ROOST_HOME/log/lifecycle.log"
	[ "$(lifelog 'mode=resume')" -eq 0 ]
}
