#!/usr/bin/env bats
# Each identity in its own systemd scope (contract section 15), against a
# stand-in user manager: a socket at $XDG_RUNTIME_DIR/systemd/private and
# a systemd-run that logs its arguments and execs the command after --,
# as the real one does once the scope is made.  What only a real systemd
# can show is in tests/systemd/ (make check-systemd).

load helpers
load install-helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	mkdir -p "$T/bin" "$T/run/systemd"
	export XDG_RUNTIME_DIR="$T/run"
	python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/run/systemd/private"
	cat >"$T/bin/systemd-run" <<EOF
#!/bin/sh
t='$T'
printf '%s\n' "\$*" >>"\$t/run.calls"
if [ -f "\$t/scope-fail" ]; then
	printf 'Failed to start transient scope unit: %s\n' "\$(cat "\$t/scope-fail")" >&2
	exit 1
fi
while [ "\$#" -gt 0 ] && [ "\$1" != -- ]; do shift; done
shift
exec "\$@"
EOF
	cat >"$T/bin/systemctl" <<EOF
#!/bin/sh
t='$T'
printf '%s XDG_RUNTIME_DIR=%s\n' "\$*" "\${XDG_RUNTIME_DIR:-}" >>"\$t/systemctl.calls"
# A stale scope stopped gives its name back.
case \$* in *'stop roost-'*) grep -q 'already exists' "\$t/scope-fail" 2>/dev/null && rm -f "\$t/scope-fail" ;; esac
exit 0
EOF
	chmod +x "$T/bin/systemd-run" "$T/bin/systemctl"
	export ROOST_SYSTEMD_RUN="$T/bin/systemd-run"
	export ROOST_SYSTEMCTL="$T/bin/systemctl"
}
teardown() { common_teardown; }

lifecycle() { cat "$ROOST_HOME/log/lifecycle.log"; }

@test "with a user manager the canary, its server and the program start in roost-<id>.scope under roost.slice" {
	roost add bob -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost start bob
	assert_status 0
	[ "$output" = "started bob (fresh)" ]
	is_running bob
	grep -q -x -e "--user --scope --unit=roost-bob.scope --slice=roost.slice --collect --quiet -- /bin/sh $ROOST_HOME/bin/bob.canary serve scope" "$T/run.calls"
	[ "$(count_lines "$T/run.calls")" = 1 ]
	lifecycle | grep -q 'ev=scope id=bob result=ok unit=roost-bob.scope$'
	grep -q ' scope=roost-bob.scope$' "$(state_of bob).session"
	# The canary is the process systemd-run became: its pidfile still
	# names it, and it is the server's parent.
	[ "$(ps -o ppid= -p "$(server_pid bob)" | tr -d ' ')" = "$(canary_pid bob)" ]
}

@test "status --verbose names the mode: scope where a manager answers, plain and why where none does" {
	run --separate-stderr roost status --verbose
	assert_status 0
	assert_output_has "mode: scope (each identity in roost-<id>.scope under roost.slice, user manager at $T/run)"
	rm "$T/run/systemd/private"
	run --separate-stderr roost status --verbose
	assert_status 0
	assert_output_has "mode: plain (no user manager ($T/run/systemd/private))"
	run --separate-stderr roost status
	[[ "$output" != *"mode:"* ]]
}

@test "without a user manager the launch is plain: systemd-run is never run, .session has no scope" {
	rm "$T/run/systemd/private"
	roost add bob -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost start bob
	assert_status 0
	is_running bob
	[ ! -e "$T/run.calls" ]
	! grep -q 'scope=' "$(state_of bob).session" || false
	! lifecycle | grep -q 'ev=scope' || false
}

@test "a scope the manager refuses falls back to the plain launch, said once with systemd-run's reason" {
	echo 'Access denied' >"$T/scope-fail"
	roost add bob -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost start bob
	assert_status 0
	[ "$output" = "started bob (fresh)" ]
	is_running bob
	[ "$(lifecycle | grep -c 'ev=scope')" = 1 ]
	lifecycle | grep -q 'ev=scope id=bob result=failed unit=roost-bob.scope why="Failed to start transient scope unit: Access denied"'
	[[ "$stderr" == *"bob: no scope (Failed to start transient scope unit: Access denied): launched without one"* ]]
	! grep -q 'scope=' "$(state_of bob).session" || false
	# Tried, a stale unit stopped (there was none), tried again, asked why.
	[ "$(count_lines "$T/run.calls")" = 3 ]
	grep -q -x -e "--user stop roost-bob.scope XDG_RUNTIME_DIR=$T/run" "$T/systemctl.calls"
}

@test "a stale scope of the same name is stopped, then the launch takes the name" {
	echo 'Unit roost-bob.scope already exists.' >"$T/scope-fail"
	roost add bob -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost start bob
	assert_status 0
	is_running bob
	grep -q -x -e "--user stop roost-bob.scope XDG_RUNTIME_DIR=$T/run" "$T/systemctl.calls"
	lifecycle | grep -q 'ev=scope id=bob stale=stopped unit=roost-bob.scope'
	lifecycle | grep -q 'ev=scope id=bob result=ok unit=roost-bob.scope'
	grep -q ' scope=roost-bob.scope$' "$(state_of bob).session"
}

@test "memory_max and memory_high become MemoryMax= and MemoryHigh= of the scope, in bytes" {
	ROOST_SCOPE_MEMORY=1 roost add bob --memory-max 64M --memory-high 48M \
	    -- "$T/prog/forever" >/dev/null
	grep -q -x 'memory_max=67108864' "$ROOST_HOME/conf/bob.conf"
	grep -q -x 'memory_high=50331648' "$ROOST_HOME/conf/bob.conf"
	roost start bob >/dev/null
	grep -q -- "--collect --quiet -p MemoryMax=67108864 -p MemoryHigh=50331648 -- /bin/sh " "$T/run.calls"
}

@test "add refuses memory_max where no user manager answers: exit 2, the key and the reason, nothing written" {
	rm "$T/run/systemd/private"
	run --separate-stderr roost add bob --memory-max 1G -- "$T/prog/forever"
	assert_status 2
	[ "$stderr" = "roost: add: memory_max: cannot be enforced here: no user manager ($T/run/systemd/private)" ]
	[ ! -e "$ROOST_HOME/conf/bob.conf" ]
	run --separate-stderr roost add bob --memory-high 1G -- "$T/prog/forever"
	assert_status 2
	[[ "$stderr" == "roost: add: memory_high: cannot be enforced here: "* ]]
}

@test "a memory size that is not bytes or K/M/G is refused by add and in a conf, naming the key" {
	for bad in 12X 0 -1 1.5G M 2097152G 99999999999999999999; do
		run --separate-stderr roost add bob --memory-max "$bad" -- "$T/prog/forever"
		assert_status 2
		[ "$stderr" = "roost: add: --memory-max $bad: not a size (bytes, or with a K, M or G suffix)" ]
	done
	[ ! -e "$ROOST_HOME/conf/bob.conf" ]
	ROOST_SCOPE_MEMORY=1 roost add bob -- "$T/prog/forever" >/dev/null
	echo "memory_high=lots" >>"$ROOST_HOME/conf/bob.conf"
	run --separate-stderr roost status bob
	assert_status 2
	[[ "$stderr" == *"memory_high"*"not a size (bytes, or with a K, M or G suffix; empty = none)"* ]]
}

@test "a death's pass leaves the dead session's scope for one of its own before it relaunches" {
	roost add bob --restart always --restart-delay 0 -- "$T/prog/exitwith" 3 0.3 >/dev/null
	roost start bob >/dev/null
	launches() { [ "$(grep -c "ev=launch id=bob" "$ROOST_HOME/log/lifecycle.log")" -ge 2 ]; }
	wait_for 10 grep -q "unit=roost-pass-bob-" "$T/run.calls"
	wait_for 10 launches
	grep -q -- "--unit=roost-pass-bob-[0-9]*.scope --slice=roost.slice --collect --quiet -- $ROOST_BIN -H $ROOST_HOME tick --origin death bob" "$T/run.calls"
	# Once: the pass run in its scope does not ask again.
	[ "$(grep -c 'tick --origin death bob$' "$T/run.calls")" -ge 1 ]
	! grep 'unit=roost-pass-' "$T/run.calls" | sort | uniq -d | grep -q . || false
	roost stop bob >/dev/null
}

@test "install from cron's environment (no XDG_RUNTIME_DIR) reaches the manager at /run/user/<uid>" {
	mkdir -p "$T/rbase/$(id -u)"
	run --separate-stderr env -u XDG_RUNTIME_DIR ROOST_RUNTIME_BASE="$T/rbase" \
	    ROOST_LOGINCTL=/bin/true "$ROOST_BIN" install --scheduler systemd
	assert_status 0
	grep -q -x -e "--user daemon-reload XDG_RUNTIME_DIR=$T/rbase/$(id -u)" "$T/systemctl.calls"
	grep -q -x -e "--user enable --now roost-tick.timer XDG_RUNTIME_DIR=$T/rbase/$(id -u)" "$T/systemctl.calls"
}

@test "uninstall removes the stamp an old Persistent= timer left and the unit directory install created, once empty" {
	stand_ins	# crontab, systemctl and loginctl of tests/install-helpers.bash
	touch "$T/systemctl.up"
	export ROOST_SYSTEMD_UNITS="$T/cfg/systemd/user" XDG_DATA_HOME="$T/data"
	roost install --scheduler systemd >/dev/null 2>&1
	[ -d "$T/cfg/systemd/user" ]
	mkdir -p "$T/data/systemd/timers"
	: >"$T/data/systemd/timers/stamp-roost-tick.timer"
	run --separate-stderr roost uninstall
	assert_status 0
	assert_output_has "removed systemd timer stamp $T/data/systemd/timers/stamp-roost-tick.timer"
	assert_output_has "removed directory $T/cfg/systemd/user"
	assert_output_has "removed directory $T/cfg"
	[ ! -e "$T/cfg" ]
	[ -d "$T/data/systemd/timers" ]
}

@test "uninstall keeps a unit directory that was there before install, or holds other units" {
	stand_ins
	touch "$T/systemctl.up"
	mkdir -p "$T/units"
	export ROOST_SYSTEMD_UNITS="$T/units"
	roost install --scheduler systemd >/dev/null 2>&1
	roost uninstall >/dev/null
	[ -d "$T/units" ]
	export ROOST_SYSTEMD_UNITS="$T/made/user"
	roost install --scheduler systemd >/dev/null 2>&1
	: >"$T/made/user/other.service"
	run --separate-stderr roost uninstall
	assert_status 0
	[[ "$output" != *"removed directory"* ]]
	[ -f "$T/made/user/other.service" ]
}

@test "a hook started outside roost.slice runs in a scope of its own, and still reports its result" {
	mkdir -p "$ROOST_HOME/hooks"
	printf '#!/bin/sh\necho "$ROOST_EVENT $ROOST_ID" >"%s/hook.ran"\n' "$T" \
	    >"$ROOST_HOME/hooks/launch"
	chmod 0700 "$ROOST_HOME/hooks/launch"
	roost add bob -- "$T/prog/forever" >/dev/null
	roost start bob >/dev/null
	wait_for 10 test -s "$T/hook.ran"
	[ "$(cat "$T/hook.ran")" = "launch bob" ]
	grep -q -e "--user --scope --unit=roost-hook-launch-[0-9]*.scope --slice=roost.slice --collect --quiet -- $ROOST_HOME/hooks/launch\$" "$T/run.calls"
	hooked() { grep -q 'ev=hook id=bob event=launch rc=0 ' "$ROOST_HOME/log/lifecycle.log"; }
	wait_for 10 hooked
}

@test "a canary the tick respawns runs in roost-<id>-canary.scope" {
	roost add bob -- "$T/prog/forever" >/dev/null
	roost start bob >/dev/null
	c=$(canary_pid bob)
	kill -KILL "$c"
	wait_for 5 pid_gone "$c"
	roost tick
	respawned() { [ -f "$(state_of bob).canary" ] && [ "$(canary_pid bob)" != "$c" ]; }
	wait_for 10 respawned
	grep -q -x -e "--user --scope --unit=roost-bob-canary.scope --slice=roost.slice --collect --quiet -- /bin/sh $ROOST_HOME/bin/bob.canary watch $(server_pid bob)" "$T/run.calls"
}

@test "SIGTERM to the canary and its server together (a scope stopped) is recorded as a death with signal=SIGTERM" {
	roost add bob --restart never -- "$T/prog/forever" >/dev/null
	roost start bob >/dev/null
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	# What systemctl --user stop roost-bob.scope does: TERM to every
	# process in the scope at once.
	kill -TERM "$cp" "$sp"
	recorded() { grep -q "ev=server-exit id=bob " "$ROOST_HOME/log/exits.log"; }
	wait_for 10 recorded
	grep -q "ev=server-exit id=bob cause=server-shutdown signal=SIGTERM status=0 exact=yes .*server_pid=$sp " "$ROOST_HOME/log/exits.log"
	died() { grep -q 'ev=death id=bob .*signal=SIGTERM' "$ROOST_HOME/log/lifecycle.log"; }
	wait_for 10 died
	wait_for 5 pid_gone "$cp"
}

@test "SIGTERM to the canary alone still ends it silently (in a scope within 5 s): no record, the server keeps running" {
	roost add bob -- "$T/prog/forever" >/dev/null
	roost start bob >/dev/null
	local sp cp
	sp=$(server_pid bob)
	cp=$(canary_pid bob)
	kill -TERM "$cp"
	# In a scope it first gives the server up to 5 s to end with it.
	wait_for 10 pid_gone "$cp"
	pid_alive "$sp"
	is_running bob
	[ ! -s "$ROOST_HOME/log/exits.log" ] || ! grep -q 'ev=server-exit' "$ROOST_HOME/log/exits.log" || false
	[ ! -e "$(state_of bob).canary" ]
}

@test "a teardown kills what is left in the identity's scope, and never the scope it runs in" {
	roost add bob -- "$T/prog/forever" >/dev/null
	roost start bob >/dev/null
	roost stop bob >/dev/null
	grep -q -x -e "--user kill --signal=SIGKILL roost-bob.scope XDG_RUNTIME_DIR=$T/run" "$T/systemctl.calls"
	# Plain sessions have no scope to kill.
	rm "$T/run/systemd/private" "$T/systemctl.calls"
	roost start bob >/dev/null
	roost stop bob >/dev/null
	[ ! -e "$T/systemctl.calls" ]
}
