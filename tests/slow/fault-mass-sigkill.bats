#!/usr/bin/env bats
# Fifty tmux servers SIGKILLed at the same instant: fifty canaries record
# fifty ev=server-exit lines, one per identity, each whole (one write(2)
# on O_APPEND each: none interleaved), none missed; the next tick turns
# each into exactly one death.

load ../helpers
bats_require_minimum_version 1.5.0

N=50

setup() { common_setup; }
teardown() { common_teardown; }

ids() {
	local i
	for i in $(seq -w 1 "$N"); do echo "m$i"; done
}

EXITS() { echo "$ROOST_HOME/log/exits.log"; }

server_exits() {
	[ "$(count_lines "$(EXITS)" 'ev=server-exit')" -ge "$N" ]
}

canaries_gone() {
	local id p
	for id in $(ids); do
		p=$(cat "$T/canary.$id")
		pid_alive "$p" && return 1
	done
	return 0
}

@test "50 servers SIGKILLed at once: 50 whole ev=server-exit records, one per identity; the tick records 50 deaths" {
	local id pids=() sp
	for id in $(ids); do
		roost add "$id" --restart never -- "$T/prog/forever"
		run roost start "$id"
		assert_status 0
	done
	for id in $(ids); do
		wait_for 10 pid_alive "$(canary_pid "$id")"
		sp=$(server_pid "$id")
		pid_alive "$sp"
		echo "$sp" >"$T/server.$id"
		canary_pid "$id" >"$T/canary.$id"
		pids+=("$sp")
	done
	[ "${#pids[@]}" -eq "$N" ]

	kill -KILL "${pids[@]}"

	wait_for 60 server_exits
	wait_for 60 canaries_gone

	# Exactly N lines, every one whole and well formed.
	[ "$(wc -l <"$(EXITS)")" -eq "$N" ]
	local re='^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ev=server-exit id=m[0-9]+ cause=server-vanished signal=SIGKILL status= exact=yes oom=(no|unknown) server_pid=[0-9]+ wait_rc=137 orphans=[0-9,]* forensics="[^"]+/log/server-deaths/m[0-9]+-[0-9]+-[0-9]+\.txt"$'
	if grep -Evn "$re" "$(EXITS)"; then
		echo "malformed lines above" >&2
		false
	fi
	# One per identity, each naming the server that identity had.
	[ -z "$(sed 's/.* id=\([^ ]*\) .*/\1/' "$(EXITS)" | sort | uniq -d)" ]
	for id in $(ids); do
		grep -q " ev=server-exit id=$id cause=server-vanished .* server_pid=$(cat "$T/server.$id") .*/$id-[0-9]*-$(cat "$T/server.$id").txt\"\$" "$(EXITS)"
		grep -q " ev=server-exit id=$id " "$ROOST_HOME/state/$id.last-exit"
		[ ! -e "$ROOST_HOME/state/$id.canary" ]
	done
	[ "$(find "$ROOST_HOME/log/server-deaths" -name 'm*.txt' | wc -l)" -eq "$N" ]

	# Each death asked for its own pass: every one is recorded, once.
	wait_for 60 eval '[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" "ev=death id=m[0-9]+ cause=server-vanished ")" -eq "$N" ]'
	for id in $(ids); do
		wait_for 10 test ! -e "$ROOST_HOME/state/$id.session"
		grep -Eqx '[0-9]+ server-vanished signal=SIGKILL' "$ROOST_HOME/state/$id.deaths"
	done
	run --separate-stderr roost tick
	assert_status 0
	# Nothing recorded twice by a second pass.
	roost tick
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" 'ev=death ')" -eq "$N" ]
	[ "$(wc -l <"$(EXITS)")" -eq "$N" ]
}
