#!/usr/bin/env bats
# Seams of the lifecycle: a launch killed half-way, a program that stops
# or restarts itself, a conf deleted under a running session, an exits.log
# that is a FIFO, a home out of inodes, a canary whose program ended at
# once.  Each ends with every session visible to roost and nothing
# recorded falsely.

load helpers
load session-lib
load install-helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	stand_ins
}
teardown() {
	[ -n "${MNT:-}" ] && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
	common_teardown
}

@test "a start killed just before it writes .session: the tick adopts the server, writes .session, and its later death counts" {
	roost add ad --restart always --restart-delay 0 -- "$T/prog/forever" >/dev/null
	ROOST_TEST_RENAME_PAUSE_MS=20000 ROOST_TEST_RENAME_PAUSE_AT=/ad.session \
	    "$ROOST_BIN" start ad >/dev/null 2>&1 &
	local st=$!
	wait_for 10 is_running ad
	wait_for 10 eval 'ls "$ROOST_HOME"/state/.ad.session.tmp.* >/dev/null 2>&1'
	kill -KILL "$st"
	wait "$st" 2>/dev/null || true
	[ ! -e "$(state_of ad).session" ]
	run roost tick
	assert_status 0
	grep -q 'ev=adopt id=ad server_pid=' "$(life_log)"
	[ -f "$(state_of ad).session" ]
	wait_for 5 canary_waiting ad
	local sp
	sp=$(server_pid ad)
	kill -KILL "$sp"
	wait_for 10 eval '[ "$(count_lines "$(life_log)" "ev=death id=ad ")" -eq 1 ]'
	wait_for 10 eval '[ "$(count_lines "$(life_log)" "ev=launch id=ad .*cause=restart")" -eq 1 ]'
}

@test "a launch killed before its canary ran leaves nothing behind" {
	roost add k -- "$T/prog/forever" >/dev/null
	ROOST_TEST_RENAME_PAUSE_MS=20000 ROOST_TEST_RENAME_PAUSE_AT=/k.canary \
	    "$ROOST_BIN" start k >/dev/null 2>&1 &
	local st=$!
	wait_for 10 eval 'ls "$ROOST_HOME"/state/.k.canary.tmp.* >/dev/null 2>&1'
	kill -KILL "$st"
	wait "$st" 2>/dev/null || true
	! is_running k || false
	run roost tick
	assert_status 0
	wait_for 5 assert_no_processes
}

# selfprog ID CMD: a program that runs "roost CMD ID" from inside its own
# session once, then lasts.
selfprog() {
	cat >"$T/prog/self-$1" <<EOF
#!/bin/sh
if [ ! -e "$T/$1.done" ]; then
	: >"$T/$1.done"
	"$ROOST_BIN" $2 $1 >"$T/$1.out" 2>&1
	echo "rc=\$?" >>"$T/$1.out"
fi
while :; do sleep 1; done
EOF
	chmod +x "$T/prog/self-$1"
	roost add "$1" -- "$T/prog/self-$1" >/dev/null
}

@test "roost restart run by the program itself: it survives its own teardown and relaunches" {
	selfprog me restart
	roost start me >/dev/null
	local sp
	sp=$(server_pid me)
	wait_for 15 grep -q 'ev=launch id=me mode=resume cause=restart' "$(life_log)"
	grep -q 'ev=teardown id=me reason=restart graceful=yes' "$(life_log)"
	wait_for 5 is_running me
	[ "$(server_pid me)" != "$sp" ]
	roost tick
	[ "$(count_lines "$(life_log)" 'ev=death ')" -eq 0 ]
	[ ! -e "$(exits_log)" ] || [ "$(count_lines "$(exits_log)" 'ev=server-exit')" -eq 0 ]
}

@test "roost stop run by the program itself: it is stopped, markers written, nothing left" {
	selfprog st stop
	roost start st >/dev/null
	wait_for 15 test -f "$(state_of st).stopped"
	wait_for 10 eval '! is_running st'
	wait_for 10 grep -q 'ev=teardown id=st reason=stop' "$(life_log)"
	[ "$(count_lines "$(life_log)" 'ev=death ')" -eq 0 ]
	wait_for 10 assert_no_processes
}

@test "a conf deleted under a running session: status lists it, stop stops it, and a purge leaves nothing running" {
	roost add gone -- "$T/prog/forever" >/dev/null
	roost add kept -- "$T/prog/forever" >/dev/null
	start_id gone
	start_id kept
	rm "$ROOST_HOME/conf/gone.conf"
	run roost status
	assert_status 0
	[[ $output == *"gone "*running* ]]
	run roost tick
	assert_status 0
	is_running gone
	run roost stop gone
	assert_status 0
	[ "$output" = "stopped gone" ]
	! is_running gone || false
	roost start kept >/dev/null
	rm "$ROOST_HOME/conf/kept.conf"
	run roost uninstall --purge --yes
	assert_status 0
	[ ! -e "$ROOST_HOME" ]
	wait_for 10 assert_no_processes
}

@test "a FIFO at log/exits.log never blocks the pane-died hook: the exit is still recorded and acted on" {
	roost add f --restart never -- "$T/prog/exitwith" 4 >/dev/null
	rm -f "$ROOST_HOME/log/exits.log"
	mkfifo "$ROOST_HOME/log/exits.log"
	roost start f >/dev/null
	wait_for 10 test -f "$(state_of f).last-exit"
	grep -q 'ev=session-exit id=f status=4 ' "$(state_of f).last-exit"
	wait_for 10 eval '! is_running f'
	wait_for 10 grep -q 'ev=death id=f cause="status=4"' "$(life_log)"
	[ -p "$ROOST_HOME/log/exits.log" ]
}

@test "symlinks at the hook's and the canary's write paths are never followed" {
	roost add l --restart never -- "$T/prog/forever" >/dev/null
	start_id l
	echo precious >"$T/target"
	ln -s "$T/target" "$(state_of l).last-exit"
	local now i sp cp
	sp=$(server_pid l)
	cp=$(canary_pid l)
	now=$(date +%s)
	for i in $(seq 0 20); do
		ln -s "$T/target" "$ROOST_HOME/log/server-deaths/l-$((now + i))-$sp.txt"
	done
	kill -KILL "$sp"
	wait_for 10 grep -q 'ev=server-exit id=l ' "$(exits_log)"
	wait_for 10 grep -q 'ev=death id=l ' "$(life_log)"
	# The canary's snapshot is its last act.
	wait_for 10 pid_gone "$cp"
	[ "$(cat "$T/target")" = precious ]
}

@test "a program that ends at once: the canary's every exit takes its pidfile with it" {
	roost add q --restart never -- true >/dev/null
	local i
	for i in 1 2 3 4 5; do
		roost start q >/dev/null
		wait_for 10 eval '! is_running q'
		wait_for 10 eval '[ ! -e "$(state_of q).canary" ]'
		wait_for 10 eval '[ ! -e "$(state_of q).session" ]'
	done
	[ "$(count_lines "$(exits_log)" 'ev=server-exit')" -eq 0 ]
}

@test "a home out of inodes: stop still stops the program, then reports the marker it could not write" {
	[ "$(id -u)" -eq 0 ] || { [ "${CI:-}" != true ] || false; skip "needs root to mount a tmpfs"; }
	MNT=$T/small
	mkdir -p "$MNT" "$T/socks"
	chmod 0700 "$T/socks"
	mount -t tmpfs -o size=4m,nr_inodes=200,mode=0700 tmpfs "$MNT"
	export ROOST_HOME=$MNT/h ROOST_SOCK_DIR=$T/socks
	roost add full --restart never -- "$T/prog/forever" >/dev/null
	start_id full
	local sp cp i=0
	sp=$(server_pid full)
	# No canary (its pidfile goes with it) and no pane-log writer's
	# record, then not one inode left: the teardown frees only .session's,
	# and the stop needs two.
	cp=$(canary_pid full)
	kill -TERM "$cp"
	wait_for 5 pid_gone "$cp"
	rm -f "$ROOST_HOME/state/full.pipe"
	mkdir "$MNT/fill"
	while : 2>/dev/null >"$MNT/fill/$i"; do i=$((i + 1)); done
	# What roost saw of the program goes too (the teardown would free
	# those), and the fill takes their inodes.
	rm -f "$ROOST_HOME/state/full.ready" "$ROOST_HOME/state/full.seen" \
	    "$ROOST_HOME/state/full.busy" "$ROOST_HOME/state/full.waiting"
	while : 2>/dev/null >"$MNT/fill/$i"; do i=$((i + 1)); done
	run --separate-stderr roost stop full
	assert_status 1
	[[ $stderr == "roost: stop: stopped full, but "*"No space left on device"* ]]
	wait_for 5 pid_gone "$sp"
	! is_running full || false
}
