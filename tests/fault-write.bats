#!/usr/bin/env bats
# Writes under abuse: roost SIGKILLed between write and rename (the
# ROOST_TEST_RENAME_PAUSE_MS knob holds it there) leaves the old file or
# the new one, never a torn one, and the next run sweeps the temp; a full
# or read-only home (a small tmpfs) gives exit 1, a message naming the
# cause, and no partial files.

load helpers
bats_require_minimum_version 1.5.0

MNT=

setup() { common_setup; }

teardown() {
	# Lazily: a tmux server may still hold its socket there; the common
	# teardown ends it by its command line.
	if [ -n "$MNT" ] && mountpoint -q "$MNT" 2>/dev/null; then
		umount -l "$MNT"
	fi
	common_teardown
}

# temps DIR...: the temp files of atomic writers in DIR (none: empty).
temps() {
	find "$@" -maxdepth 1 -name '.*.tmp.*' 2>/dev/null
}

has_temp() {
	[ -n "$(find "$1" -maxdepth 1 -name "$2" 2>/dev/null)" ]
}

# kill_mid_write DIR GLOB CMD...: run CMD paused before every rename, wait
# for the temp file GLOB in DIR, SIGKILL it there.
kill_mid_write() {
	local dir=$1 glob=$2 pid
	shift 2
	ROOST_TEST_RENAME_PAUSE_MS=20000 "$@" >/dev/null 2>&1 &
	pid=$!
	if ! wait_for 10 has_temp "$dir" "$glob"; then
		kill -9 "$pid" 2>/dev/null
		echo "no temp $glob appeared in $dir" >&2
		return 1
	fi
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid_gone "$pid"
}

# The home on a 64 KiB tmpfs of its own (mode 0700: roost refuses a
# world-writable home).  Skipped for a normal user and where there is no
# Linux tmpfs; as root on Linux, no tmpfs is a failure, not a skip.
small_home() {
	need_root "it mounts a tmpfs"
	[ "$(uname -s)" = Linux ] || skip "mount -t tmpfs -o size= is Linux's"
	MNT=$ROOST_HOME
	mkdir -p "$MNT"
	if ! mount -t tmpfs -o size=512k,mode=0700 tmpfs "$MNT"; then
		MNT=
		echo "cannot mount a tmpfs on $ROOST_HOME: this test needs root and tmpfs" >&2
		return 1
	fi
}

# Fill the home's file system to the last block.
fill_home() {
	dd if=/dev/zero of="$MNT/filler" bs=4096 2>/dev/null || true
	if printf x 2>/dev/null >"$MNT/probe"; then
		rm -f "$MNT/probe"
		echo "the home did not fill up" >&2
		return 1
	fi
	rm -f "$MNT/probe"
}

# refute CMD...: CMD must fail (a bare "! CMD" never fails a bats test).
refute() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

listing() {
	(cd "$ROOST_HOME" && find . -path ./filler -prune -o -print | sort)
}

@test "SIGKILL while add --replace renames the conf: the old conf stays whole, the next tick sweeps the temp" {
	roost add a --idle 11 -- "$T/prog/forever" old
	cp "$ROOST_HOME/conf/a.conf" "$T/old.conf"

	kill_mid_write "$ROOST_HOME/conf" '.a.conf.tmp.*' \
	    "$ROOST_BIN" add a --replace --idle 22 -- "$T/prog/forever" new
	cmp "$ROOST_HOME/conf/a.conf" "$T/old.conf"
	run --separate-stderr roost render launch a
	assert_status 0
	[ -n "$(temps "$ROOST_HOME/conf")" ]

	run roost tick
	assert_status 0
	[ -z "$(temps "$ROOST_HOME/conf" "$ROOST_HOME/state" "$ROOST_HOME/bin")" ]

	# Run to completion, it writes the new one, whole.
	roost add a --replace --idle 22 -- "$T/prog/forever" new
	grep -qx 'idle=22' "$ROOST_HOME/conf/a.conf"
	(. "$ROOST_HOME/conf/a.conf" && [ "$command" = "'$T/prog/forever' 'new'" ])
	[ -z "$(temps "$ROOST_HOME/conf" "$ROOST_HOME/bin")" ]
}

@test "SIGKILL while the tick rewrites .deaths: the old lines stay whole, the next tick records the death once and sweeps the temp" {
	roost add d --restart never -- "$T/prog/forever"
	local s=$ROOST_HOME/state now dead
	now=$(date +%s)
	printf '%s status=1\n%s SIGSEGV\n' $((now - 20)) $((now - 10)) >"$s/d.deaths"
	cp "$s/d.deaths" "$T/old.deaths"
	# A session whose server is gone: the tick must record a death.
	sh -c 'exit 0' &
	dead=$!
	wait "$dead" || true
	printf 'woke=%s mode=fresh server_pid=%s\n' $((now - 5)) "$dead" >"$s/d.session"

	kill_mid_write "$s" '.d.deaths.tmp.*' "$ROOST_BIN" tick
	cmp "$s/d.deaths" "$T/old.deaths"
	[ -n "$(temps "$s")" ]

	run --separate-stderr roost tick
	assert_status 0
	[ -z "$(temps "$ROOST_HOME/conf" "$s" "$ROOST_HOME/bin")" ]
	[ "$(wc -l <"$s/d.deaths")" -eq 3 ]
	head -n 2 "$s/d.deaths" | cmp - "$T/old.deaths"
	grep -Eq '^[0-9]+ server-dead reason=socket-missing$' <(tail -n 1 "$s/d.deaths")
	refute grep -Ev '^[0-9]+ .+$' "$s/d.deaths"
	[ ! -e "$s/d.session" ]
}

@test "SIGKILL while install renames the launchd plist: the old plist stays whole, the next install sweeps the temp" {
	export ROOST_LAUNCH_AGENTS=$T/agents ROOST_LAUNCHCTL=$T/prog/launchctl
	# A launchctl that knows no job (print fails) and accepts the rest.
	printf '#!/bin/sh\n[ "$1" = print ] && exit 1\nexit 0\n' >"$T/prog/launchctl"
	chmod +x "$T/prog/launchctl"
	local plist=$T/agents/org.roost.tick.plist
	roost install --scheduler launchd --interval 60 >/dev/null 2>&1
	grep -q '<integer>60</integer>' "$plist"
	cp "$plist" "$T/old.plist"

	kill_mid_write "$T/agents" '.org.roost.tick.plist.tmp.*' \
	    "$ROOST_BIN" install --scheduler launchd --interval 120
	cmp "$plist" "$T/old.plist"
	[ -n "$(temps "$T/agents")" ]
	# LaunchAgents is shared: another program's temp, even of a dead
	# writer, is not roost's to remove.
	local dead
	sh -c 'exit 0' &
	dead=$!
	wait "$dead" || true
	: >"$T/agents/.com.example.other.plist.tmp.$dead.abcdef"

	run --separate-stderr roost install --scheduler launchd --interval 120
	assert_status 0
	assert_output_has "updated launchd agent $plist"
	grep -q '<integer>120</integer>' "$plist"
	[ "$(temps "$T/agents")" = "$T/agents/.com.example.other.plist.tmp.$dead.abcdef" ]
}

@test "the tick sweeps the temp of a dead writer, never of a live one" {
	# install writes bin/pane-died holding no identity lock, so a tick
	# runs its sweep while the writer waits before its rename.
	ROOST_TEST_RENAME_PAUSE_MS=20000 "$ROOST_BIN" install --scheduler none \
	    >/dev/null 2>&1 &
	local pid=$!
	wait_for 10 has_temp "$ROOST_HOME/bin" ".pane-died.tmp.$pid.*"
	run roost tick
	assert_status 0
	has_temp "$ROOST_HOME/bin" ".pane-died.tmp.$pid.*"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid_gone "$pid"
	run roost tick
	assert_status 0
	[ -z "$(temps "$ROOST_HOME/bin")" ]
	[ ! -e "$ROOST_HOME/bin/pane-died" ]
}

@test "a full home: add exits 1 naming the full disk and leaves no conf, script or temp" {
	small_home
	roost add a -- "$T/prog/forever"
	fill_home
	listing >"$T/before"

	run --separate-stderr roost add b -- "$T/prog/forever"
	assert_status 1
	[[ $stderr == "roost: add: "*"No space left on device"* ]]
	[ ! -e "$ROOST_HOME/conf/b.conf" ]
	[ ! -e "$ROOST_HOME/bin/b.launch" ]
	[ ! -e "$ROOST_HOME/bin/b.canary" ]
	[ -z "$(temps "$ROOST_HOME/conf" "$ROOST_HOME/bin" "$ROOST_HOME/state")" ]
	# Nothing new but b's (empty) lock file.
	listing | grep -v '^\./lock/b$' | diff -u "$T/before" -
}

@test "a full home: start exits 1 naming the full disk and leaves no server, .session or temp" {
	small_home
	roost add a -- "$T/prog/forever"
	fill_home

	run --separate-stderr roost start a
	assert_status 1
	[[ $stderr == *"roost: start: "*"No space left on device"* ]]
	[ ! -e "$ROOST_HOME/state/a.session" ]
	[ ! -e "$ROOST_HOME/state/a.canary" ]
	refute is_running a
	wait_for 10 assert_no_processes
	[ -z "$(temps "$ROOST_HOME/state" "$ROOST_HOME/conf" "$ROOST_HOME/bin")" ]

	# Room again: it starts.
	rm -f "$MNT"/filler*
	run roost start a
	assert_status 0
	is_running a
}

@test "a read-only home: add, start, stop and tick exit 1 naming it, and nothing changes" {
	small_home
	roost add a -- "$T/prog/forever"
	listing >"$T/before"
	mount -o remount,ro "$MNT"
	refute touch "$ROOST_HOME/probe" 2>/dev/null

	run --separate-stderr roost add b -- "$T/prog/forever"
	assert_status 1
	[[ $stderr == "roost: add: "*"Read-only file system"* ]]

	run --separate-stderr roost start a
	assert_status 1
	[[ $stderr == "roost: start: "*"Read-only file system"* ]]
	refute is_running a

	run --separate-stderr roost stop a
	assert_status 1
	[[ $stderr == "roost: stop: "*"Read-only file system"* ]]

	run --separate-stderr roost tick
	assert_status 1
	[[ $stderr == "roost: tick: "*"Read-only file system"* ]]

	# Reading still works.
	run --separate-stderr roost status a
	assert_status 3
	[[ $output == *"a "*down* ]]

	listing | diff -u "$T/before" -
	assert_no_processes
}

@test "a server killed on a full home: .session stays until the death is written, then it is recorded once and restarted" {
	small_home
	roost add a --restart always --restart-delay 0 -- "$T/prog/forever"
	roost start a >/dev/null
	local spid cpid
	spid=$(server_pid a)
	cpid=$(canary_pid a)
	# Its canary gone first and the pane-log writer's record (each would
	# free a block as it ends): the tick finds the death on a home with no
	# room at all.
	kill -KILL "$cpid"
	wait_for 10 pid_gone "$cpid"
	rm -f "$ROOST_HOME/state/a.pipe"
	fill_home
	kill -KILL "$spid"
	wait_for 10 pid_gone "$spid"
	run --separate-stderr roost tick
	assert_status 0
	[[ $stderr == *"a: its death is not recorded yet: "*"No space left on device"* ]]
	[ -e "$ROOST_HOME/state/a.session" ]
	[ ! -e "$ROOST_HOME/state/a.deaths" ]
	refute is_running a

	# Room again: the death is recorded, once, and acted on.
	rm -f "$MNT"/filler*
	run roost tick
	assert_status 0
	[ "$(wc -l <"$ROOST_HOME/state/a.deaths")" -eq 1 ]
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=death id=a ')" -eq 1 ]
	wait_for 10 is_running a
	[ "$(server_pid a)" != "$spid" ]
}

@test "a tick killed between writing .deaths and removing .session: the next pass does not count the death again" {
	roost add d --restart never -- "$T/prog/forever"
	roost start d >/dev/null
	local s=$ROOST_HOME/state spid
	spid=$(server_pid d)
	# .session as that pass left it: as written at launch (mtime too).
	cp -p "$s/d.session" "$T/d.session"
	kill -KILL "$spid"
	wait_for 10 pid_gone "$spid"
	wait_for 10 test ! -e "$s/d.session"
	[ "$(wc -l <"$s/d.deaths")" -eq 1 ]
	cp -p "$T/d.session" "$s/d.session"

	run roost tick
	assert_status 0
	[ ! -e "$s/d.session" ]
	[ "$(wc -l <"$s/d.deaths")" -eq 1 ]
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=death id=d ')" -eq 1 ]

	# The next session's death still counts.
	roost start d >/dev/null
	spid=$(server_pid d)
	kill -KILL "$spid"
	wait_for 10 pid_gone "$spid"
	wait_for 10 test ! -e "$s/d.session"
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=death id=d ')" -eq 2 ]
}

@test "a full home: a lifecycle line that does not fit is not written at all, never torn" {
	small_home
	roost add a -- "$T/prog/forever"
	local log=$ROOST_HOME/log/lifecycle.log size pad
	# Whole lines up to 12 bytes short of a page: the next line can only
	# partly fit in the page the file already has.
	local pre='ts=2026-01-01T00:00:00Z ev=pad x='
	size=$(wc -c <"$log")
	pad=$((4096 - 12 - size - ${#pre} - 1))
	printf '%s%s\n' "$pre" "$(head -c "$pad" /dev/zero | tr '\0' x)" >>"$log"
	[ "$(wc -c <"$log")" -eq $((4096 - 12)) ]
	fill_home
	cp "$log" "$T/before"
	run --separate-stderr roost stop a
	# Whatever the command says, the log holds whole lines only.
	[ "$(tail -c 1 "$log" | od -An -c | tr -d ' ')" = '\n' ]
	cmp "$log" "$T/before"
}
