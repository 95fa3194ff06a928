#!/usr/bin/env bats
# status-tick.bats - status tells whether the tick runs: the trailer
# names the scheduler install recorded and the age of the last completed
# pass (state/.tick.last), and warns when there is no entry or the pass
# is stale; an empty home hints at roost add; --format json is one
# document, checked field by field.

load helpers
load install-helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	stand_ins
}

teardown() { common_teardown; }

NOW=1800000000

@test "the trailer before and after a tick: no pass yet, then the pass just made" {
	roost install --scheduler cron >/dev/null 2>&1
	roost add bob -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost status
	assert_status 0
	[ "${lines[${#lines[@]}-1]}" = "tick: cron, no pass yet" ]
	[ -z "$stderr" ]
	run roost tick
	assert_status 0
	[[ $(cat "$ROOST_HOME/state/.tick.last") =~ ^ts=[0-9T:-]+Z\ ev=tick\ ids=1\ running=0\ launched=0\ reaped=0\ deaths=0\ ms=[0-9]+\ origin=schedule$ ]]
	run --separate-stderr roost status
	assert_status 0
	[[ ${lines[${#lines[@]}-1]} =~ ^tick:\ cron,\ last\ pass\ [0-9]s\ ago$ ]]
	[ -z "$stderr" ]
}

@test "a stale last pass: over three intervals old, the trailer warns and says where to look" {
	fake_cron
	roost install --scheduler cron --interval 120 >/dev/null 2>&1
	roost add bob -- "$T/prog/forever" >/dev/null
	roost tick
	set_mtime "$((NOW - 361))" "$ROOST_HOME/state/.tick.last"
	run --separate-stderr env ROOST_NOW=$NOW "$ROOST_BIN" status
	assert_status 0
	[ "${lines[${#lines[@]}-1]}" = "tick: cron, last pass 6m ago" ]
	[ "$stderr" = "roost: status: warning: the last tick pass was 6m ago, more than three intervals (120s each): is the cron entry running? (roost install says why it would not)" ]
	# Three intervals exactly is still fine.
	set_mtime "$((NOW - 360))" "$ROOST_HOME/state/.tick.last"
	run --separate-stderr env ROOST_NOW=$NOW "$ROOST_BIN" status
	[ -z "$stderr" ]
}

@test "an entry that never ran: no pass three intervals after install, the trailer warns" {
	fake_cron
	roost install --scheduler cron --interval 120 >/dev/null 2>&1
	roost add bob -- "$T/prog/forever" >/dev/null
	set_mtime "$((NOW - 361))" "$ROOST_HOME/state/.scheduler"
	run --separate-stderr env ROOST_NOW=$NOW "$ROOST_BIN" status
	assert_status 0
	[ "${lines[${#lines[@]}-1]}" = "tick: cron, no pass yet" ]
	[ "$stderr" = "roost: status: warning: no tick pass has completed since the cron entry was set up 6m ago: is it running? (roost install says why it would not)" ]
	# Within three intervals of the install, no pass yet is no news.
	set_mtime "$((NOW - 360))" "$ROOST_HOME/state/.scheduler"
	run --separate-stderr env ROOST_NOW=$NOW "$ROOST_BIN" status
	[ -z "$stderr" ]
}

@test "no scheduler entry: the trailer says so and warns; --scheduler none is quiet while passes come" {
	roost add bob -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost status
	assert_status 0
	[ "${lines[${#lines[@]}-1]}" = "tick: no scheduler entry, no pass yet" ]
	[ "$stderr" = "roost: status: warning: no scheduler entry: nothing runs the tick, so no session is restarted or parked unless you run roost tick (roost install sets one up)" ]
	roost install --scheduler none >/dev/null
	set_mtime "$((NOW - 86400))" "$ROOST_HOME/state/.scheduler"
	run --separate-stderr env ROOST_NOW=$NOW "$ROOST_BIN" status
	assert_status 0
	[ "${lines[${#lines[@]}-1]}" = "tick: none (you run roost tick), no pass yet" ]
	[ "$stderr" = "roost: status: warning: nothing runs the tick: install set up no scheduler (--scheduler none); keep roost tick --every 60 running (a container's entrypoint, a terminal)" ]
	roost tick
	run --separate-stderr roost status
	assert_status 0
	[[ ${lines[${#lines[@]}-1]} =~ ^tick:\ none\ \(you\ run\ roost\ tick\),\ last\ pass\ [0-9]s\ ago$ ]]
	[ -z "$stderr" ]
	# uninstall takes the record away again.
	roost uninstall >/dev/null 2>&1
	[ ! -e "$ROOST_HOME/state/.scheduler" ]
}

@test "an empty home, or none at all, hints at roost add" {
	run --separate-stderr roost status
	assert_status 0
	[ "${lines[0]}" = "no identities yet: roost add <id> -- <command> defines one" ]
	[ "${lines[1]}" = "tick: no scheduler entry, no pass yet" ]
	[ ! -e "$ROOST_HOME" ]
	roost install --scheduler none >/dev/null
	run --separate-stderr roost status
	assert_status 0
	[ "${lines[0]}" = "no identities yet: roost add <id> -- <command> defines one" ]
	run --separate-stderr roost status --format logfmt
	assert_status 0
	[ -z "$output" ]
}

@test "--format json: one document that json.tool parses, every field of the right type and value" {
	need_tool python3
	local s=$ROOST_HOME/state sp
	roost install --scheduler cron >/dev/null 2>&1
	roost add run1 -- "$T/prog/forever" >/dev/null
	roost add park -- "$T/prog/forever" >/dev/null
	roost add odd -- "$T/prog/forever" >/dev/null
	roost start run1 >/dev/null
	sp=$(server_pid run1)
	roost tick
	set_mtime "$((NOW - 3600))" "$s/park.idle-reaped"
	touch "$s/park.wake"
	# A cause a hand could have written: quotes, a backslash, a control
	# byte and bytes that are not UTF-8.
	printf '%s wei"rd\\\001\377x\n' $((NOW - 10)) >"$s/odd.deaths"
	set_mtime "$((NOW - 5))" "$s/.tick.last"
	run --separate-stderr env ROOST_NOW=$NOW "$ROOST_BIN" status --format json
	assert_status 0
	[ "${#lines[@]}" -eq 1 ]
	printf '%s\n' "$output" | python3 -m json.tool >/dev/null
	printf '%s\n' "$output" | SP=$sp NOW=$NOW python3 -c '
import json, os, sys
d = json.load(sys.stdin)
assert set(d) == {"ids", "tick"}, d
ids = {r["id"]: r for r in d["ids"]}
assert [r["id"] for r in d["ids"]] == ["odd", "park", "run1"], d["ids"]
keys = {"id", "state", "doing", "ready", "pid", "uptime", "idle", "mem",
        "queue", "deaths", "last_exit", "last_exit_age", "wake_pending"}
for r in d["ids"]:
    assert set(r) == keys, r
r = ids["run1"]
assert r["state"] == "running" and r["pid"] == int(os.environ["SP"]), r
assert type(r["uptime"]) is int and type(r["idle"]) is int, r
assert r["deaths"] == 0 and r["last_exit"] is None and r["last_exit_age"] is None, r
assert r["wake_pending"] is False, r
assert r["doing"] in ("starting", "idle", "busy") and type(r["ready"]) is bool, r
assert r["mem"] is None or type(r["mem"]) is int, r
assert r["queue"] == 0, r
r = ids["park"]
assert r["state"] == "parked" and r["pid"] is None and r["uptime"] is None, r
assert r["doing"] is None and r["ready"] is None and r["mem"] is None, r
assert r["last_exit"] == "idle" and r["last_exit_age"] == 3600, r
assert r["wake_pending"] is True, r
r = ids["odd"]
assert r["state"] == "exited" and r["deaths"] == 1, r
assert r["last_exit"] == "wei\"rd\\\u0001\ufffdx", repr(r["last_exit"])
assert r["last_exit_age"] == 10, r
t = d["tick"]
assert set(t) == {"scheduler", "interval", "last_pass_age", "last_pass", "warning"}, t
assert t["scheduler"] == "cron" and t["interval"] == 60, t
assert t["last_pass_age"] == 5 and t["warning"] is None, t
lp = t["last_pass"]
assert lp["ev"] == "tick" and lp["ids"] == 3 and lp["running"] == 1, lp
assert type(lp["ms"]) is int and type(lp["ts"]) is str, lp
'
	roost stop run1 >/dev/null
}

@test "--format json with no home: empty ids, a null scheduler and the warning" {
	need_tool python3
	run --separate-stderr roost status --format json
	assert_status 0
	[ -z "$stderr" ]
	printf '%s\n' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ids"] == [], d
t = d["tick"]
assert t["scheduler"] is None and t["interval"] is None, t
assert t["last_pass_age"] is None and t["last_pass"] is None, t
assert t["warning"].startswith("no scheduler entry"), t
'
}
