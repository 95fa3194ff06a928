#!/usr/bin/env bats
# log-follow.bats - `roost log -f` prints new events as they are written,
# across a rotation, until interrupted; `--format json` turns every
# logfmt line into one JSON object.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }

teardown() {
	[ -z "${FOLLOWER:-}" ] || kill "$FOLLOWER" 2>/dev/null || true
	common_teardown
}

# follow ARGS...: roost log -f ARGS in the background, into $T/follow.
follow() {
	"$ROOST_BIN" log -f "$@" >"$T/follow" 2>"$T/follow.err" &
	FOLLOWER=$!
}

has() { grep -q -e "$1" "$T/follow"; }

@test "log -f prints the newest events, then a new one as it is written" {
	roost add bob -- "$T/prog/forever" >/dev/null
	follow
	wait_for 5 has 'ev=add id=bob '
	roost add alice -- "$T/prog/forever" >/dev/null
	wait_for 5 has 'ev=add id=alice '
	[ "$(grep -c 'ev=add id=bob ' "$T/follow")" -eq 1 ]
	pid_alive "$FOLLOWER"
	kill "$FOLLOWER"
	wait "$FOLLOWER" || true
	FOLLOWER=
	[ ! -s "$T/follow.err" ]
}

@test "log -f <id> follows only that identity, in both logs" {
	roost add bob -- "$T/prog/forever" >/dev/null
	roost add bob2 -- "$T/prog/forever" >/dev/null
	follow bob
	wait_for 5 has 'ev=add id=bob '
	printf 'ts=2030-01-01T00:00:00Z ev=session-exit id=bob2 status=1\n' >>"$ROOST_HOME/log/exits.log"
	printf 'ts=2030-01-01T00:00:01Z ev=session-exit id=bob status=7\n' >>"$ROOST_HOME/log/exits.log"
	wait_for 5 has 'ev=session-exit id=bob status=7'
	! grep -q 'id=bob2' "$T/follow" || false
}

@test "log -f goes on after the log is rotated, and waits for a log that does not exist yet" {
	follow
	sleep 0.3
	roost add bob -- "$T/prog/forever" >/dev/null
	wait_for 5 has 'ev=add id=bob '
	mv "$ROOST_HOME/log/lifecycle.log" "$ROOST_HOME/log/lifecycle.log.1"
	roost add carol -- "$T/prog/forever" >/dev/null
	wait_for 5 has 'ev=add id=carol '
	# A line half written is printed once it is whole.
	printf 'ts=2030-01-01T00:00:00Z ev=note id=carol part=' >>"$ROOST_HOME/log/lifecycle.log"
	sleep 0.5
	! has 'ev=note' || false
	printf 'one\n' >>"$ROOST_HOME/log/lifecycle.log"
	wait_for 5 has 'ev=note id=carol part=one$'
}

@test "--format json: one object a line, integers as numbers, empty values null, quoted values unescaped" {
	roost add bob -- 'echo "a b"'
	printf 'ts=2030-01-01T00:00:00Z ev=session-exit id=bob status=3 signal= pane_pid=42 note="x \\"y\\" \\\\ \\x01"\n' \
	    >>"$ROOST_HOME/log/exits.log"
	printf 'not logfmt at all\n' >>"$ROOST_HOME/log/exits.log"
	run --separate-stderr roost log --format json
	assert_status 0
	printf '%s\n' "$output" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
add = [r for r in rows if r.get("ev") == "add"][0]
assert add["id"] == "bob" and type(add["ts"]) is str, add
assert add["command"] == "echo \"a b\"", add
ex = [r for r in rows if r.get("ev") == "session-exit"][0]
assert ex["status"] == 3 and ex["pane_pid"] == 42 and ex["signal"] is None, ex
assert ex["note"] == "x \"y\" \\ \x01", repr(ex["note"])
raw = [r for r in rows if "raw" in r]
assert raw == [{"raw": "not logfmt at all"}], raw
'
	run --separate-stderr roost log --format yaml
	assert_status 2
	[ "$stderr" = "roost: log: --format yaml: must be logfmt or json" ]
}

@test "log -f --format json follows as JSON lines" {
	follow --format json
	sleep 0.3
	roost add bob -- "$T/prog/forever" >/dev/null
	wait_for 5 has '"ev":"add","id":"bob"'
}

@test "log refuses a log that is a symlink or not a file: one line, exit 1, the other log still read" {
	roost add a -- "$T/prog/forever" >/dev/null
	mv "$ROOST_HOME/log/lifecycle.log" "$T/elsewhere"
	ln -s "$T/elsewhere" "$ROOST_HOME/log/lifecycle.log"
	echo 'ts=2026-01-01T00:00:00Z ev=session-exit id=a status=1 signal= oom= pane_pid=1 server_pid=2' \
	    >"$ROOST_HOME/log/exits.log"
	run --separate-stderr roost log
	assert_status 1
	[ "$stderr" = "roost: log: $ROOST_HOME/log/lifecycle.log: a symlink, not read" ]
	[[ $output == *"ev=session-exit id=a "* ]]
	rm "$ROOST_HOME/log/lifecycle.log"
	mkfifo "$ROOST_HOME/log/lifecycle.log"
	run --separate-stderr roost log
	assert_status 1
	[ "$stderr" = "roost: log: $ROOST_HOME/log/lifecycle.log: not a regular file, not read" ]
}
