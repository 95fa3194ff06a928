#!/usr/bin/env bats
# roost status: the state derived from markers and one connect(2), as an
# aligned table or logfmt, with the exit codes of `status <id>`.
#
# Regenerate the golden files after a deliberate change with
#   ROOST_UPDATE_GOLDEN=1 bats tests/status.bats
# and review the diff.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

NOW=1800000000

# golden NAME: diff -u $T/NAME against tests/golden/NAME (or write it when
# ROOST_UPDATE_GOLDEN=1).
golden() {
	local want=$BATS_TEST_DIRNAME/golden/$1
	if [ "${ROOST_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$T/$1" "$want"
	fi
	diff -u "$want" "$T/$1"
}

# A pid that certainly belongs to no process.
dead_pid() {
	local p
	sh -c 'exit 0' &
	p=$!
	wait "$p"
	echo "$p"
}

# One identity in every state but running, from hand-made markers, seen at
# the fixed clock $NOW.
fixture() {
	local s=$ROOST_HOME/state id
	for id in crashy dead-one dead-known down exited-3 parked waking segv \
	    stopped vanished a-much-longer-identity-name; do
		roost add "$id" -- "$T/prog/forever" >/dev/null
	done
	# crash-loop: three deaths, the newest server-vanished 2 minutes ago.
	printf '%s status=1\n%s SIGSEGV\n%s server-vanished\n' \
	    $((NOW - 200)) $((NOW - 150)) $((NOW - 120)) >"$s/crashy.deaths"
	echo 'deaths=3 window=300' >"$s/crashy.crash-loop"
	# dead: a .session whose server is gone, no socket.
	printf 'woke=%s mode=fresh server_pid=%s\n' $((NOW - 600)) \
	    "$(dead_pid)" >"$s/dead-one.session"
	# dead, and .last-exit already says how: killed by SIGKILL, the OOM
	# killer's doing, 9m50s ago; the tick has not classified it yet.
	printf 'woke=%s mode=fresh server_pid=4242 pane_pid=4243\n' $((NOW - 600)) \
	    >"$s/dead-known.session"
	printf 'ts=x ev=server-exit id=dead-known cause=server-vanished signal=SIGKILL status= exact=yes oom=yes server_pid=4242 wait_rc=1 orphans=\n' \
	    >"$s/dead-known.last-exit"
	set_mtime "$((NOW - 590))" "$s/dead-known.last-exit"
	# parked an hour ago, and a wake is pending.
	set_mtime "$((NOW - 3600))" "$s/waking.idle-reaped"
	touch "$s/waking.wake"
	# exited: the program ended with status 3, 2 minutes ago.
	printf '%s status=3\n' $((NOW - 120)) >"$s/exited-3.deaths"
	# parked 3 hours ago.
	set_mtime $((NOW - 3 * 3600)) "$s/parked.idle-reaped"
	# a SIGSEGV an hour ago.
	printf '%s SIGSEGV\n' $((NOW - 3600)) >"$s/segv.deaths"
	# stopped two days ago, after an earlier death.
	printf '%s status=2\n' $((NOW - 3 * 86400)) >"$s/stopped.deaths"
	set_mtime $((NOW - 2 * 86400)) "$s/stopped.stopped"
	# the server vanished 5 minutes ago; a reboot-shape death before it.
	printf '%s server-dead reason=socket-missing\n%s server-vanished\n' \
	    $((NOW - 4000)) $((NOW - 300)) >"$s/vanished.deaths"
	# The tick runs from cron; its last pass ended 34 s ago.
	echo 'scheduler=cron interval=60' >"$s/.scheduler"
	echo 'ts=2027-01-15T08:00:00Z ev=tick ids=11 running=0 launched=0 reaped=0 deaths=0 ms=3' \
	    >"$s/.tick.last"
	set_mtime "$((NOW - 34))" "$s/.tick.last"
}

@test "golden: the table for parked, stopped, crash-loop, exited, dead and down" {
	fixture
	ROOST_NOW=$NOW "$ROOST_BIN" status >"$T/status-table.txt"
	golden status-table.txt
}

@test "golden: the same identities as logfmt" {
	fixture
	ROOST_NOW=$NOW "$ROOST_BIN" status --format logfmt >"$T/status-logfmt.txt"
	golden status-logfmt.txt
}

@test "golden: status of chosen identities, in the order given" {
	fixture
	run env ROOST_NOW=$NOW "$ROOST_BIN" status vanished parked
	assert_status 3
	printf '%s\n' "$output" >"$T/status-some.txt"
	golden status-some.txt
}

@test "LAST EXIT wording: status=3 2m ago, SIGSEGV 1h ago, server-vanished 5m ago, idle 3h ago" {
	fixture
	run env ROOST_NOW=$NOW "$ROOST_BIN" status
	assert_status 0
	[[ $output =~ exited-3\ +exited\ +-\ +-\ +-\ +-\ +-\ +0\ +1\ +status=3\ 2m\ ago ]]
	[[ $output =~ segv\ +exited\ +-\ +-\ +-\ +-\ +-\ +0\ +1\ +SIGSEGV\ 1h\ ago ]]
	[[ $output =~ vanished\ +exited\ +-\ +-\ +-\ +-\ +-\ +0\ +2\ +server-vanished\ 5m\ ago ]]
	[[ $output =~ parked\ +parked\ +-\ +-\ +-\ +-\ +-\ +0\ +0\ +idle\ 3h\ ago ]]
	[[ $output =~ crashy\ +crash-loop\ +-\ +-\ +-\ +-\ +-\ +0\ +3\ +server-vanished\ 2m\ ago ]]
	[[ $output =~ dead-one\ +dead\ +-\ +-\ +-\ +-\ +-\ +0\ +0\ +- ]]
	[[ $output =~ down\ +down\ +-\ +-\ +-\ +-\ +-\ +0\ +0\ +- ]]
}

@test "columns are aligned: every field starts where its heading starts" {
	fixture
	ROOST_NOW=$NOW "$ROOST_BIN" status >"$T/out"
	local head col line n
	head=$(head -n 1 "$T/out")
	for col in STATE PID UPTIME IDLE DEATHS "LAST EXIT"; do
		n=${head%%"$col"*}
		n=${#n}
		while IFS= read -r line; do
			# a field starts at n: a non-blank there, blanks before it
			[ "${line:n:1}" != " " ]
			[ "${line:n-2:2}" = "  " ]
		done < <(sed '1d;$d' "$T/out")
	done
	[ "$(wc -l <"$T/out")" -eq 13 ]
	[ "$(tail -n 1 "$T/out")" = "tick: cron, last pass 34s ago" ]
}

@test "no ANSI escapes when stdout is not a terminal" {
	fixture
	run env ROOST_NOW=$NOW "$ROOST_BIN" status
	assert_status 0
	! printf '%s' "$output" | grep -q $'\033' || false
}

@test "a terminal gets colour unless NO_COLOR is set" {
	need_tool script "it gives status a terminal"
	fixture
	ROOST_NOW=$NOW in_tty "$ROOST_BIN status" >"$T/tty" </dev/null
	grep -q $'\033\\[' "$T/tty"
	ROOST_NOW=$NOW NO_COLOR=1 in_tty "$ROOST_BIN status" >"$T/tty" </dev/null
	! grep -q $'\033\\[' "$T/tty" || false
}

@test "a running identity shows its server pid, uptime and idle" {
	roost add r -- "$T/prog/forever" >/dev/null
	roost start r >/dev/null
	local sp
	sp=$(server_pid r)
	run --separate-stderr roost status r
	assert_status 0
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[2]}" = "tick: no scheduler entry, no pass yet" ]
	read -r -a f <<<"${lines[1]}"
	[ "${f[0]}" = r ]
	[ "${f[1]}" = running ]
	[[ ${f[2]} =~ ^(starting|idle|busy)$ ]]
	[ "${f[3]}" = "$sp" ]
	[[ ${f[4]} =~ ^[0-9]+s$ ]]
	[[ ${f[5]} =~ ^[0-9]+s$ ]]
	[[ ${f[6]} =~ ^([0-9]+[KM]|-)$ ]]
	[ "${f[7]}" = 0 ]
	[ "${f[8]}" = 0 ]
	[ "${f[9]}" = - ]
	# With a fixed clock an hour later: uptime and idle grow.
	run env ROOST_NOW=$(($(date +%s) + 3600)) "$ROOST_BIN" status r --format logfmt
	assert_status 0
	[[ $output =~ ^id=r\ state=running\ doing=[a-z]+\ ready=(yes|no)\ pid=$sp\ uptime=36[0-9][0-9]\ idle=36[0-9][0-9]\ mem=[0-9]*\ queue=0\ deaths=0\ last_exit=\ last_exit_age=\ wake_pending=no$ ]]
	run env ROOST_NOW=$(($(date +%s) + 3 * 3600 + 125)) "$ROOST_BIN" status r
	[[ ${lines[1]} =~ ^r\ +running\ +[a-z]+\ +$sp\ +3h0[0-9]m\ +3h0[0-9]m\ +[0-9KM-]+\ +0\ +0\ +-$ ]]
}

@test "status <id> exits 0 running, 3 not running, 4 unknown, 2 bad id" {
	roost add r -- "$T/prog/forever" >/dev/null
	roost add d -- "$T/prog/forever" >/dev/null
	roost start r >/dev/null
	run roost status r
	assert_status 0
	run roost status d
	assert_status 3
	[[ ${lines[1]} =~ ^d\ +down\  ]]
	run roost status nosuch
	assert_status 4
	assert_output_has "roost: status: nosuch: unknown identity"
	run roost status 'bad.id'
	assert_status 2
	assert_output_has "roost: status: "
	assert_output_has "bad.id"
	run roost status 'x/y'
	assert_status 2
	# More than one: 0 only when all run.
	run roost status r d
	assert_status 3
	run roost status r
	assert_status 0
	# Without ids: 0, whatever the states.
	run roost status
	assert_status 0
	run roost status --format yaml
	assert_status 2
	assert_output_has "--format"
}

@test "logfmt: one line per identity, the same fields, values quoted when needed" {
	fixture
	run env ROOST_NOW=$NOW "$ROOST_BIN" status --format logfmt exited-3 vanished
	assert_status 3
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = 'id=exited-3 state=exited doing= ready= pid= uptime= idle= mem= queue=0 deaths=1 last_exit="status=3" last_exit_age=120 wake_pending=no' ]
	[ "${lines[1]}" = "id=vanished state=exited doing= ready= pid= uptime= idle= mem= queue=0 deaths=2 last_exit=server-vanished last_exit_age=300 wake_pending=no" ]
}

@test "the states as the tick leaves them: dead before the tick, exited after it" {
	local sp cp
	roost add k --restart never -- "$T/prog/forever" >/dev/null
	roost start k >/dev/null
	sp=$(server_pid k)
	cp=$(canary_pid k)
	wait_for 5 pid_alive "$cp"
	# No canary to record it or ask for a pass: the tick finds it.
	kill -KILL "$cp"
	wait_for 5 pid_gone "$cp"
	kill -KILL "$sp"
	wait_for 5 pid_gone "$sp"
	run roost status k
	assert_status 3
	[[ ${lines[1]} =~ ^k\ +dead\ +-\ +-\ +-\ +-\ +-\ +0\ +0\ +-$ ]]
	run roost tick
	assert_status 0
	run roost status k
	assert_status 3
	[[ ${lines[1]} =~ ^k\ +exited\ +-\ +-\ +-\ +-\ +-\ +0\ +1\ +server-dead\ [0-9]+s\ ago$ ]]
}

@test "a hand-written .deaths reaches the table with its controls made visible, never as escapes" {
	roost add d -- sleep 1000 >/dev/null
	printf '%s status=1\033[2J\033]0;pwn\007\302\2332J\n' "$(date +%s)" >"$ROOST_HOME/state/d.deaths"
	run --separate-stderr roost status d
	assert_status 3
	[[ $output != *$'\033'* && $output != *$'\007'* && $output != *$'\302\233'* ]]
	[[ ${lines[1]} == *"status=1?[2J?]0;pwn???2J "* ]]
}

@test "a running identity whose .session cannot be read: no pid, null in JSON" {
	need_tool python3
	roost add g -- "$T/prog/forever" >/dev/null
	roost start g >/dev/null
	echo garbage >"$ROOST_HOME/state/g.session"
	run --separate-stderr roost status g --format json
	printf '%s\n' "$output" | python3 -c '
import json, sys
r = json.load(sys.stdin)["ids"][0]
assert r["pid"] is None and r["state"] == "running", r'
	run --separate-stderr roost status g
	[[ ${lines[1]} =~ ^g\ +running\ +-\ +-\  ]]
}
