#!/usr/bin/env bats
# A real kernel OOM kill in a small memory cgroup: of the tmux server
# (ev=server-exit signal=SIGKILL oom=yes), and of the program inside its
# pane (ev=session-exit signal=SIGKILL oom=yes), each with a snapshot
# naming the cgroup and the kernel's own lines.  A plain kill -9 in the
# same cgroup is oom=no.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	CG=
	if [ "$(id -u)" -ne 0 ]; then
		[ "${CI:-}" != true ] || { echo "CI runs as root: the OOM tests must run" >&2; return 1; }
		skip "needs root to make a memory cgroup"
	fi
	local base
	if [ -w /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/cgroup.procs ]; then
		CG=/sys/fs/cgroup/memory/roost-test-$$-$BATS_TEST_NUMBER
		mkdir "$CG"
		echo $((96 * 1024 * 1024)) >"$CG/memory.limit_in_bytes"
		echo 0 >"$CG/memory.swappiness" 2>/dev/null || true
	else
		for base in /sys/fs/cgroup /sys/fs/cgroup/unified; do
			grep -qw memory "$base/cgroup.subtree_control" 2>/dev/null || continue
			CG=$base/roost-test-$$-$BATS_TEST_NUMBER
			mkdir "$CG" && echo $((96 * 1024 * 1024)) >"$CG/memory.max" &&
			    { echo 0 >"$CG/memory.swap.max" 2>/dev/null || true; } && break
			CG=
		done
	fi
	if [ -z "$CG" ]; then
		[ "${CI:-}" != true ] || { echo "no writable memory cgroup in CI" >&2; return 1; }
		skip "no writable memory cgroup here"
	fi
	head -c $((200 * 1024 * 1024)) /dev/zero >"$T/big"
}

teardown() {
	common_teardown
	if [ -n "${CG:-}" ]; then
		local i
		for i in $(seq 50); do
			rmdir "$CG" 2>/dev/null && break
			sleep 0.1
		done
	fi
}

# start_in_cg ID: roost start ID from inside the cgroup, so its canary,
# server and program live there.
start_in_cg() {
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" start "$3"' sh "$CG" \
	    "$ROOST_BIN" "$1" >/dev/null
	wait_for 5 canary_waiting "$1"
}

@test "the OOM killer kills the tmux server: signal=SIGKILL exact=yes oom=yes, and the snapshot has the kernel's lines" {
	roost add o --restart never -- "$T/prog/forever" >/dev/null
	start_in_cg o
	local sp line fx
	sp=$(server_pid o)
	grep -q "memcg=$CG/memory" "$(state_of o).session"
	# Make the server the victim, then make it take more than the limit.
	echo 1000 >"/proc/$sp/oom_score_adj"
	"$TMUX_BIN" -S "$(sock_of o)" load-buffer "$T/big" 2>/dev/null || true
	wait_for 10 has_line "$(exits_log)" "ev=server-exit id=o "
	line=$(grep 'ev=server-exit id=o ' "$(exits_log)")
	[[ $line == *" cause=server-vanished signal=SIGKILL status= exact=yes oom=yes server_pid=$sp "* ]] ||
	    { echo "$line" >&2; false; }
	fx=$(field "$line" forensics)
	wait_for 10 grep -q '^== last 50 lines' "$fx"
	grep -q "^cgroup: $CG\$" "$fx"
	grep -qi 'killed process' "$fx"
	wait_for 10 grep -q 'ev=death id=o cause=server-vanished .*oom=yes' "$(life_log)"
	grep -Eq '^[0-9]+ server-vanished signal=SIGKILL oom=yes$' "$(state_of o).deaths"
}

@test "the OOM killer kills the program in its pane: ev=session-exit signal=SIGKILL oom=yes, with a snapshot" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	cat >"$T/prog/hog" <<'EOF'
#!/bin/sh
echo 1000 >/proc/self/oom_score_adj
exec python3 -c 'import time
x = bytearray(300 * 1024 * 1024)
time.sleep(30)'
EOF
	chmod +x "$T/prog/hog"
	roost add h --restart never -- "$T/prog/hog" >/dev/null
	start_in_cg h
	wait_for 15 has_line "$(exits_log)" "ev=session-exit id=h "
	local line fx
	line=$(grep 'ev=session-exit id=h ' "$(exits_log)")
	[[ $line == *" status= signal=SIGKILL oom=yes "* ]] || { echo "$line" >&2; false; }
	fx=$(field "$line" forensics)
	wait_for 10 test -s "$fx"
	wait_for 10 grep -q '^== last 50 lines' "$fx"
	grep -q "# roost forensics: SIGKILL of the program of identity h" "$fx"
	[ "$(count_lines "$(exits_log)" 'ev=server-exit')" -eq 0 ]
}

@test "a plain kill -9 of the server in the same cgroup is oom=no" {
	roost add k --restart never -- "$T/prog/forever" >/dev/null
	start_in_cg k
	local sp
	sp=$(server_pid k)
	kill -KILL "$sp"
	wait_for 10 has_line "$(exits_log)" "ev=server-exit id=k "
	has_line "$(exits_log)" "ev=server-exit id=k cause=server-vanished signal=SIGKILL status= exact=yes oom=no server_pid=$sp "
}
