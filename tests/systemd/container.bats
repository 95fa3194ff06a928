#!/usr/bin/env bats
# roost against a real systemd 252 (Debian 12 booted with systemd-nspawn
# -b by scripts/systemd-ct.sh, which sets ROOST_CT_LEADER): each identity
# in its own roost-<id>.scope whoever launches it (the timer, cron, a
# login shell), a quiet journal, a tick service whose end or kill touches
# no session, a stopped scope recorded as a death, sessions that outlive
# a logout with KillUserProcesses=yes, memory limits, a clean uninstall.
# The tests run in order and share the container.

bats_require_minimum_version 1.5.0
# shellcheck source=tests/lib.sh
. "$BATS_TEST_DIRNAME/../lib.sh"

UPATH=/usr/local/bin:/usr/bin:/bin
UHOME=/home/u
STATE=$UHOME/.roost/state
ULIFE=$UHOME/.roost/log/lifecycle.log

ct() { nsenter -t "$ROOST_CT_LEADER" -a -- "$@"; }
# As u the way cron runs it: no login, no XDG_RUNTIME_DIR.
ct_u() {
	ct runuser -u u -- env -i HOME=$UHOME PATH=$UPATH LANG=C.UTF-8 "$@"
}
# As u through a real PAM login (its own session-N.scope).
ct_login() { ct su -l u -c "$1"; }
uroost() { ct_u /usr/local/bin/roost "$@"; }
# systemctl --user as u (the manager found the way roost finds it).
usctl() { ct_u XDG_RUNTIME_DIR=/run/user/1000 systemctl --user "$@"; }
# The cgroup of an identity's server and canary.
cg_of() { ct sh -c "cut -d: -f3 /proc/$1/cgroup | tail -n 1"; }
session_field() {
	ct sh -c "tr ' ' '\n' <$STATE/$1.session | sed -n 's/^$2=//p'"
}
has_session() { ct test -f "$STATE/$1.session"; }
SCOPES=/user.slice/user-1000.slice/user@1000.service/roost.slice

setup_file() {
	[ -n "${ROOST_CT_LEADER:-}" ] || return 0
	# Install from cron's environment; ticks every 2 s for a quick dozen.
	uroost install --interval 2 >"$BATS_FILE_TMPDIR/install.out" 2>&1
	echo "rc=$?" >>"$BATS_FILE_TMPDIR/install.out"
	uroost add tim -- sleep 100000 >/dev/null
	uroost add crn -- sleep 100000 >/dev/null
	uroost add lgn -- sleep 100000 >/dev/null
	# A cron job that starts crn (cron's environment, cron.service's cgroup).
	echo "* * * * * /usr/local/bin/roost start crn >/tmp/crn.out 2>&1" |
	    ct_u crontab -
}

setup() {
	[ -n "${ROOST_CT_LEADER:-}" ] ||
	    skip "needs the container: run make check-systemd (as root)"
}

@test "roost install from cron's environment (no XDG_RUNTIME_DIR) picks systemd and enables the timer" {
	cat "$BATS_FILE_TMPDIR/install.out"
	grep -q -x 'rc=0' "$BATS_FILE_TMPDIR/install.out"
	grep -q -x "created systemd service $UHOME/.config/systemd/user/roost-tick.service" "$BATS_FILE_TMPDIR/install.out"
	! grep -q 'warning' "$BATS_FILE_TMPDIR/install.out" || false
	[ "$(ct cat $STATE/.scheduler)" = "scheduler=systemd interval=2" ]
	[ "$(usctl is-active roost-tick.timer)" = active ]
	! ct grep -q '^KillMode=' $UHOME/.config/systemd/user/roost-tick.service || false
}

@test "the timer runs the tick" {
	wait_for 30 ct test -f $STATE/.tick.last
	ct grep -q 'ev=tick .*origin=schedule' $STATE/.tick.last
}

@test "a session the timer started sits in its own roost-tim.scope, canary and server" {
	ct_u touch $STATE/tim.wake
	wait_for 30 has_session tim
	[ "$(session_field tim scope)" = roost-tim.scope ]
	[ "$(cg_of "$(session_field tim server_pid)")" = "$SCOPES/roost-tim.scope" ]
	read -r cpid _ < <(ct cat $STATE/tim.canary)
	[ "$(cg_of "$cpid")" = "$SCOPES/roost-tim.scope" ]
	usctl status roost-tim.scope --no-pager | grep -q 'tmux'
	# make install put the utmp shim beside the binary (Debian's tmux
	# has utempter): the server in its scope runs with it, and the
	# program does not inherit it.
	ct test -f /usr/local/lib/roost/noutmp.so
	ct grep -q /usr/local/lib/roost/noutmp.so "/proc/$(session_field tim server_pid)/maps"
	local pp
	pp=$(session_field tim pane_pid)
	[ -n "$pp" ]
	ct sh -c "tr '\\0' '\\n' </proc/$pp/environ" >"$BATS_TEST_TMPDIR/env"
	grep -q '^ROOST_ID=tim$' "$BATS_TEST_TMPDIR/env"
	! grep -q '^LD_PRELOAD=' "$BATS_TEST_TMPDIR/env" || false
	ct grep -q 'ev=scope id=tim result=ok unit=roost-tim.scope' $ULIFE
	# From cron's environment too, status names the mode and the manager.
	uroost status --verbose | grep -q -x 'mode: scope (each identity in roost-<id>.scope under roost.slice, user manager at /run/user/1000)'
}

@test "a session started from a login shell sits in roost-lgn.scope, not the login's session scope" {
	run ct_login '/usr/local/bin/roost start lgn'
	[ "$status" -eq 0 ]
	[ "$output" = "started lgn (fresh)" ]
	[ "$(cg_of "$(session_field lgn server_pid)")" = "$SCOPES/roost-lgn.scope" ]
}

@test "a session cron started sits in roost-crn.scope" {
	wait_for 75 has_session crn
	[ "$(cg_of "$(session_field crn server_pid)")" = "$SCOPES/roost-crn.scope" ]
	ct_u crontab -r
}

@test "a dozen ticks leave the journal without one left-over-process or remains-running line" {
	ticks() {
		[ "$(ct journalctl --no-pager -o cat _UID=1000 USER_UNIT=roost-tick.service |
		    grep -c 'Finished roost-tick.service')" -ge 12 ]
	}
	wait_for 90 ticks
	run ct sh -c "journalctl --no-pager -o cat | grep -c -i -e 'left-over process' -e 'remains running'"
	[ "$output" = 0 ]
}

@test "systemctl --user kill roost-tick.service and restart roost-tick.timer touch no session" {
	local t l n
	t=$(session_field tim server_pid)
	l=$(session_field lgn server_pid)
	n=$(ct grep -c 'ev=death' $ULIFE || true)
	usctl kill roost-tick.service || true
	usctl restart roost-tick.timer
	last() { ct stat -c %Y $STATE/.tick.last; }
	before=$(last)
	later() { [ "$(last)" -gt "$before" ]; }
	wait_for 20 later
	ct kill -0 "$t"
	ct kill -0 "$l"
	[ "$(ct grep -c 'ev=death' $ULIFE || true)" = "$n" ]
}

@test "systemctl --user stop roost-tim.scope is recorded as tim's death, with its signal" {
	usctl stop roost-tim.scope
	died() { ct grep -q 'ev=death id=tim' $ULIFE; }
	wait_for 20 died
	ct grep 'ev=death id=tim' $ULIFE | tail -n 1
	ct grep 'ev=death id=tim' $ULIFE | tail -n 1 | grep -q 'signal=SIGTERM'
}

@test "an orphan left in a dead session's scope: the relaunch stops the stale scope and takes its name" {
	uroost add orf -- sh -c 'setsid sleep 7777 </dev/null >/dev/null 2>&1 & exec sleep 100000' >/dev/null
	uroost start orf >/dev/null
	local sp
	sp=$(session_field orf server_pid)
	orphan() { ct pgrep -u u -f '^sleep 7777' >/dev/null; }
	wait_for 10 orphan
	ct kill -KILL "$sp"
	stale() { ct grep -q 'ev=scope id=orf stale=stopped unit=roost-orf.scope' $ULIFE; }
	wait_for 30 stale
	relaunched() { has_session orf && [ "$(session_field orf server_pid)" != "$sp" ]; }
	wait_for 20 relaunched
	[ "$(cg_of "$(session_field orf server_pid)")" = "$SCOPES/roost-orf.scope" ]
	# A stop takes the whole scope with it: the new session's orphan too.
	wait_for 10 orphan
	uroost stop orf >/dev/null
	ended() { ! usctl is-active --quiet roost-orf.scope; }
	wait_for 10 ended
	! orphan || false
}

@test "a logout with KillUserProcesses=yes and lingering keeps every session" {
	ct mkdir -p /etc/systemd/logind.conf.d
	printf '[Login]\nKillUserProcesses=yes\n' | ct sh -c 'cat >/etc/systemd/logind.conf.d/kill.conf'
	ct systemctl restart systemd-logind
	uroost add klp -- sleep 100000 >/dev/null
	# A process of the login's own, to show the setting took effect.
	run ct_login '/usr/local/bin/roost start klp; (setsid sleep 4242 </dev/null >/dev/null 2>&1 &); echo $XDG_SESSION_ID'
	[ "$status" -eq 0 ]
	sid=${lines[1]}
	gone() { ! ct loginctl show-session "$sid" -p State 2>/dev/null | grep -q active; }
	wait_for 20 gone
	killed() { ! ct pgrep -u u -f 'sleep 4242' >/dev/null; }
	wait_for 20 killed
	for id in klp lgn crn; do
		ct kill -0 "$(session_field $id server_pid)"
	done
}

@test "memory_max: enforced and OOM-killed alone where the unified hierarchy has memory, refused with the reason where not" {
	if ct grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
	    ct grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
		uroost add hog --memory-max 64M -- sh -c 'x=aaaaaaaa; while :; do x=$x$x; done'
		uroost add calm -- sleep 100000 >/dev/null
		uroost start calm >/dev/null
		uroost start hog >/dev/null
		oom() { ct grep -q 'ev=death id=hog.*oom=yes' $ULIFE; }
		wait_for 60 oom
		ct kill -0 "$(session_field calm server_pid)"
		relaunched() { [ "$(ct grep -c 'ev=launch id=hog' $ULIFE)" -ge 2 ]; }
		wait_for 30 relaunched
	else
		run uroost add hog --memory-max 64M -- sleep 1
		[ "$status" -eq 2 ]
		[ "$output" = "roost: add: memory_max: cannot be enforced here: no memory controller on the unified cgroup hierarchy (cgroup v1 memory is not delegated to a user manager)" ]
		echo "# memory: no memory controller on cgroup v2 in this container: refusal checked, OOM not run" >&3
	fi
}

@test "uninstall --purge leaves nothing: no unit, stamp, scope, unit directory or home" {
	run uroost uninstall --purge --yes
	[ "$status" -eq 0 ]
	! ct test -e $UHOME/.config || false
	! ct test -e $UHOME/.local/share/systemd/timers/stamp-roost-tick.timer || false
	! ct test -e $UHOME/.roost || false
	gone() { [ -z "$(usctl list-units --no-legend 'roost-*')" ]; }
	wait_for 20 gone || { usctl list-units --all --no-legend 'roost*'; false; }
}
