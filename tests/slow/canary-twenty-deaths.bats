#!/usr/bin/env bats
# Twenty tmux servers SIGKILLed at once, each recorded by its own canary
# with its exact wait status: twenty whole server-exit lines, one per
# identity, and twenty forensics files.  (Slow: twenty sessions; moved
# here from canary-death.bats.  fault-mass-sigkill.bats does fifty.)

load ../helpers
load ../session-lib

setup() { common_setup; }
teardown() { common_teardown; }

# server_exit_re ID CAUSE SIGNAL STATUS EXACT SERVER_PID WAIT_RC: the
# whole line, strictly (oom is no or unknown: never yes for these).
server_exit_re() {
	printf '%s' "^$EXITS_TS ev=server-exit id=$1 cause=$2 signal=$3 status=$4 exact=$5 oom=(no|unknown) server_pid=$6 wait_rc=$7 orphans=[0-9,]* forensics=\"[^\"]*/log/server-deaths/$1-[0-9]+-$6\\.txt\"\$"
}

@test "20 servers SIGKILLed at once: 20 whole, well-formed server-exit lines, one per identity" {
	local i pids=() sp
	for i in $(seq 1 20); do
		add_id "s$i" "$T/prog/forever"
		roost start "s$i" >/dev/null
	done
	for i in $(seq 1 20); do
		wait_for 5 canary_waiting "s$i"
		pids+=("$(server_pid "s$i")")
	done
	kill -9 "${pids[@]}"
	wait_for 20 eval '[ "$(count_lines "$(exits_log)" .)" -ge 20 ]'
	for i in $(seq 1 20); do
		wait_for 10 eval '[ ! -e "$(state_of s'"$i"').canary" ]'
	done
	[ "$(count_lines "$(exits_log)" .)" -eq 20 ]
	for i in $(seq 1 20); do
		sp=${pids[$((i - 1))]}
		[ "$(count_lines "$(exits_log)" "$(server_exit_re "s$i" server-vanished SIGKILL '' yes "$sp" 137)")" -eq 1 ] ||
		    { echo "no whole line for s$i (server $sp)" >&2; cat "$(exits_log)" >&2; false; }
	done
	# Every byte of the log belongs to one of those lines.
	[ "$(wc -l <"$(exits_log)")" -eq 20 ]
	[ -z "$(grep -vE "^$EXITS_TS ev=server-exit id=s[0-9]+ cause=server-vanished signal=SIGKILL status= exact=yes oom=(no|unknown) server_pid=[0-9]+ wait_rc=137 orphans=[0-9,]* forensics=\"[^\"]*\"\$" "$(exits_log)")" ]
	[ "$(tail -c 1 "$(exits_log)" | od -An -c | tr -d ' ')" = '\n' ]
	wait_for 10 eval '[ "$(ls "$ROOST_HOME/log/server-deaths" | wc -l)" -eq 20 ]'
}
