#!/usr/bin/env bats
# install-systemd.bats - `roost install --scheduler systemd` and its
# uninstall: the two units (what they say, systemd-analyze verify), the
# systemctl --user sequence, idempotence, lingering, auto's choice, and
# units that belong to another home, against recording systemctl and
# loginctl stand-ins and a private unit directory.

load helpers
load install-helpers

bats_require_minimum_version 1.5.0

setup() {
	common_setup
	stand_ins
	touch "$T/systemctl.up"
	UID_=$(id -u)
	SELF=$(cd "$(dirname "$ROOST_BIN")" && pwd -P)/$(basename "$ROOST_BIN")
}

teardown() {
	common_teardown
}

svc() { echo "$T/units/${1:-roost-tick}.service"; }
tmr() { echo "$T/units/${1:-roost-tick}.timer"; }

# verify_units [NAME]: systemd-analyze verify accepts both units.
verify_units() {
	need_tool systemd-analyze
	mkdir -p "$T/run"
	chmod 700 "$T/run"
	XDG_RUNTIME_DIR=$T/run systemd-analyze verify --user "$(svc "$@")" \
	    "$(tmr "$@")"
}

@test "install: both units written, verified, daemon-reload and enable --now, recorded as systemd" {
	run --separate-stderr roost install --scheduler systemd
	assert_status 0
	assert_output_has "created systemd service $(svc)"
	assert_output_has "created systemd timer $(tmr)"
	# Asked first: a manager that does not answer would never run them.
	printf '%s\n' "--user show-environment" "--user daemon-reload" \
	    "--user enable --now roost-tick.timer" >"$T/want"
	sctl_calls | diff -u "$T/want" -
	grep -q -x 'Type=oneshot' "$(svc)"
	grep -q -x "ExecStart=\"$SELF\" tick" "$(svc)"
	# The default KillMode: nothing the tick starts stays in the service.
	! grep -q '^KillMode=' "$(svc)" || false
	grep -q -x "Environment=\"ROOST_HOME=$ROOST_HOME\"" "$(svc)"
	grep -q -x "Environment=\"ROOST_SOCK_DIR=$ROOST_HOME/sock\"" "$(svc)"
	grep -q -x "Environment=\"PATH=$PATH\"" "$(svc)"
	grep -q -x "Environment=\"HOME=$HOME\"" "$(svc)"
	grep -q -x "StandardOutput=append:$ROOST_HOME/log/tick.out" "$(svc)"
	grep -q -x 'OnUnitActiveSec=60s' "$(tmr)"
	grep -q -x 'AccuracySec=1s' "$(tmr)"
	# Persistent= is for OnCalendar= timers; it only left a stamp file.
	! grep -q '^Persistent=' "$(tmr)" || false
	grep -q -x 'WantedBy=timers.target' "$(tmr)"
	grep -q '^OnBootSec=' "$(tmr)"
	[ "$(file_stat mode "$(svc)")" = 644 ]
	verify_units
	[ "$(cat "$ROOST_HOME/state/.scheduler")" = "scheduler=systemd interval=60" ]
	[ "$(file_stat mode "$ROOST_HOME/log/tick.out")" = 600 ]
	grep -q 'ev=install scheduler=systemd' "$ROOST_HOME/log/lifecycle.log"
}

@test "a second install says unchanged and reloads nothing" {
	roost install --scheduler systemd
	cp "$(svc)" "$T/svc1"
	: >"$T/systemctl.calls"
	run --separate-stderr roost install --scheduler systemd
	assert_status 0
	assert_output_has "unchanged systemd service $(svc)"
	assert_output_has "unchanged systemd timer $(tmr)"
	case $output in *created* | *updated* | *enabled*) false ;; esac
	# Asked only whether it is enabled and active (is-enabled is no
	# enable).
	! sctl_calls | grep -q -E '(^| )(daemon-reload|enable|restart)( |$)' || false
	sctl_calls | grep -q -x -e '--user is-enabled --quiet roost-tick.timer'
	cmp "$T/svc1" "$(svc)"
}

@test "a changed interval updates the timer, reloads and restarts it" {
	roost install --scheduler systemd
	: >"$T/systemctl.calls"
	run --separate-stderr roost install --scheduler systemd --interval 300
	assert_status 0
	assert_output_has "unchanged systemd service $(svc)"
	assert_output_has "updated systemd timer $(tmr)"
	grep -q -x 'OnUnitActiveSec=300s' "$(tmr)"
	printf '%s\n' "--user show-environment" "--user daemon-reload" \
	    "--user enable --now roost-tick.timer" \
	    "--user restart roost-tick.timer" >"$T/want"
	sctl_calls | diff -u "$T/want" -
	[ "$(cat "$ROOST_HOME/state/.scheduler")" = "scheduler=systemd interval=300" ]
	verify_units
}

@test "unchanged units whose timer was stopped behind roost's back: enabled and started again" {
	roost install --scheduler systemd
	"$T/bin/systemctl" --user disable --now roost-tick.timer
	: >"$T/systemctl.calls"
	run --separate-stderr roost install --scheduler systemd
	assert_status 0
	assert_output_has "enabled systemd timer roost-tick.timer (it was not active)"
	sctl_calls | grep -q -x -e "--user enable --now roost-tick.timer"
}

@test "--dry-run prints both units and touches nothing" {
	run --separate-stderr roost install --scheduler systemd --dry-run
	assert_status 0
	assert_output_has "would write systemd service $(svc):"
	assert_output_has "would write systemd timer $(tmr):"
	assert_output_has "ExecStart=\"$SELF\" tick"
	assert_output_has "OnUnitActiveSec=60s"
	[ ! -e "$T/units" ]
	[ ! -e "$ROOST_HOME" ]
	[ -z "$(sctl_calls)" ]
	# What it printed is what an install writes.
	printf '%s\n' "$output" | sed -n "/^would write systemd service /,/^would write systemd timer /p" |
	    sed '1d;$d' >"$T/printed"
	roost install --scheduler systemd >/dev/null
	cmp "$T/printed" "$(svc)"
}

@test "uninstall disables the timer, removes both units and the record" {
	not_on_darwin "roost neither picks nor removes systemd units there"
	roost install --scheduler systemd
	: >"$T/systemctl.calls"
	run --separate-stderr roost uninstall
	assert_status 0
	assert_output_has "removed systemd timer $(tmr)"
	assert_output_has "removed systemd service $(svc)"
	printf '%s\n' "--user disable --now roost-tick.timer" "--user daemon-reload" \
	    >"$T/want"
	sctl_calls | diff -u "$T/want" -
	[ ! -e "$(svc)" ]
	[ ! -e "$(tmr)" ]
	[ ! -e "$ROOST_HOME/state/.scheduler" ]
	run --separate-stderr roost uninstall
	assert_status 0
	assert_output_has "unchanged systemd timer (none installed)"
}

@test "lingering off is warned about with what to do; on, nothing is said" {
	echo no >"$T/linger"
	run --separate-stderr roost install --scheduler systemd
	assert_status 0
	[[ $stderr == *"roost: install: warning: lingering is off for uid $UID_: the systemd user manager stops when you log out, and with it the timer and every session it started; loginctl enable-linger keeps them running"* ]]
	grep -q -x "show-user $UID_ --property=Linger" "$T/loginctl.calls"
	echo yes >"$T/linger"
	run --separate-stderr roost install --scheduler systemd
	assert_status 0
	[[ $stderr != *linger* ]]
}

@test "auto: systemd when the user manager answers, else cron, else an error that says what to install" {
	not_on_darwin "roost neither picks nor removes systemd units there"
	run --separate-stderr roost install
	assert_status 0
	assert_output_has "created systemd timer $(tmr)"
	roost uninstall >/dev/null
	rm -f "$T/systemctl.up"
	run --separate-stderr roost install
	assert_status 0
	assert_output_has "created cron entry"
	[ "$(cat "$ROOST_HOME/state/.scheduler")" = "scheduler=cron interval=60" ]
	roost uninstall >/dev/null
	# Neither: the home is made, and the error names what to install.
	rm -rf "$ROOST_HOME"
	run --separate-stderr env -u ROOST_CRONTAB PATH=/nonexistent \
	    "$ROOST_BIN" install
	assert_status 1
	assert_output_has "created home $ROOST_HOME"
	[ "${stderr_lines[${#stderr_lines[@]}-1]}" = "roost: install: no scheduler to run the tick: no systemd user manager answers (systemctl --user) and there is no crontab(1); install cron (Debian, Ubuntu: apt-get install cron; Fedora: dnf install cronie) and run roost install again; where nothing would start one (a container, WSL without systemd): roost install --scheduler none, then keep roost tick --every 60 running (the container's entrypoint, a terminal)" ]
	[ -x "$ROOST_HOME/bin/pane-died" ]
	[ ! -e "$ROOST_HOME/state/.scheduler" ]
}

@test "switching scheduler removes this home's entry of the old one" {
	not_on_darwin "roost neither picks nor removes systemd units there"
	printf '# mine\n' >"$T/crontab"
	roost install --scheduler cron
	run --separate-stderr roost install --scheduler systemd
	assert_status 0
	assert_output_has "created systemd timer $(tmr)"
	assert_output_has "removed cron entry"
	[ "$(cat "$T/crontab")" = "# mine" ]
	run --separate-stderr roost install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	assert_output_has "removed systemd timer $(tmr)"
	[ ! -e "$(svc)" ]
}

@test "another home's units are never taken over or removed; --label gives a home its own" {
	not_on_darwin "roost neither picks nor removes systemd units there"
	roost install --scheduler systemd
	cp "$(svc)" "$T/svc1"
	run --separate-stderr env ROOST_HOME="$T/home2" "$ROOST_BIN" install --scheduler systemd
	assert_status 1
	[[ $stderr == *"roost: install: $(svc) is not this home's (its first line: \"# roost tick for home $ROOST_HOME; "*"): give this home its own units with --label" ]]
	cmp "$T/svc1" "$(svc)"
	run --separate-stderr env ROOST_HOME="$T/home2" "$ROOST_BIN" uninstall
	assert_status 0
	assert_output_has "unchanged systemd timer $(tmr) (another home's)"
	[ -f "$(svc)" ]
	run --separate-stderr env ROOST_HOME="$T/home2" "$ROOST_BIN" install \
	    --scheduler systemd --label roost-tick-two
	assert_status 0
	assert_output_has "created systemd timer $(tmr roost-tick-two)"
	grep -q -x 'Unit=roost-tick-two.service' "$(tmr roost-tick-two)"
	grep -q -x "Environment=\"ROOST_HOME=$T/home2\"" "$(svc roost-tick-two)"
	verify_units roost-tick-two
	sctl_calls | grep -q -x -e "--user enable --now roost-tick-two.timer"
	run --separate-stderr env ROOST_HOME="$T/home2" "$ROOST_BIN" uninstall \
	    --label roost-tick-two
	assert_status 0
	assert_output_has "removed systemd timer $(tmr roost-tick-two)"
	[ -f "$(svc)" ]
	run roost install --scheduler systemd --label 'bad name'
	assert_status 2
	assert_output_has "roost: install: --label bad name: a systemd unit name takes only letters, digits, '_', '.' and '-'"
}

@test "a home with a space, quotes, \$ and % gives units systemd accepts, every value escaped for it" {
	export ROOST_HOME="$T/my h'o\"m%e\$x"
	run --separate-stderr roost install --scheduler systemd
	assert_status 0
	verify_units
	grep -q -x -F "Description=roost tick for $T/my h'o\"m%%e\$x" "$(svc)"
	grep -q -x -F "Environment=\"ROOST_HOME=$T/my h'o\\\"m%%e\$x\"" "$(svc)"
	grep -q -x -F "StandardOutput=append:$T/my h'o\"m%%e\$x/log/tick.out" "$(svc)"
}

@test "an ExecStart path with a blank, \$ and % is one quoted word systemd accepts; one systemd refuses is refused first" {
	local exe="$T/r o\$o%t/roost"
	mkdir -p "${exe%/*}"
	cp "$ROOST_BIN" "$exe"
	run --separate-stderr "$exe" install --scheduler systemd
	assert_status 0
	grep -q -x -F "ExecStart=\"$T/r o\$o%%t/roost\" tick" "$(svc)"
	verify_units
	run --separate-stderr "$ROOST_BIN" render roost-tick.service --set roost="/opt/it's/roost"
	assert_status 2
	[ "$stderr" = "roost: render: template roost-tick.service, line 7: @{roost|unitexec}: systemd refuses an executable path holding a quote, a backslash or '=' (/opt/it's/roost): install roost where its path has none" ]
	run --separate-stderr env LANG=$'\xe9t\xe9' "$ROOST_BIN" render roost-tick.service
	assert_status 2
	[[ $stderr == *"byte 0xe9 is not UTF-8, which a systemd unit file must be" ]]
}

@test "systemctl failing: exit 1 naming it, the units kept, and what to run once a manager runs" {
	echo 1 >"$T/systemctl.daemon-reload.rc"
	run --separate-stderr roost install --scheduler systemd
	assert_status 1
	[[ $stderr == *"roost: install: systemctl --user daemon-reload failed (no message): the units are in $T/units; once a user manager runs: systemctl --user daemon-reload && systemctl --user enable --now roost-tick.timer"* ]]
	[ -f "$(svc)" ]
	[ -f "$(tmr)" ]
	[ ! -e "$ROOST_HOME/state/.scheduler" ]
	# The next install finds the units unchanged and the timer inactive.
	run --separate-stderr roost install --scheduler systemd
	assert_status 0
	assert_output_has "enabled systemd timer roost-tick.timer (it was not active)"
}

@test "no user manager: --scheduler systemd writes nothing, not even the home, and says what to do" {
	rm -f "$T/systemctl.up"
	run --separate-stderr roost install --scheduler systemd
	assert_status 1
	[ "${stderr_lines[${#stderr_lines[@]}-1]}" = "roost: install: no systemd user manager answers (systemctl --user show-environment failed), so a timer would never run; nothing was written: log in through a session that starts one, or have it run without a login (loginctl enable-linger), or use --scheduler cron; where nothing would start one (a container, WSL without systemd): roost install --scheduler none, then keep roost tick --every 60 running (the container's entrypoint, a terminal)" ]
	[ -z "$output" ]
	[ ! -e "$ROOST_HOME" ]
	[ ! -e "$T/units" ]
	[ "$(sctl_calls)" = "--user show-environment" ]
	# Advice for users, not the suite's overrides.
	[[ $stderr != *ROOST_* ]]
	# --dry-run still shows the units it would write.
	run --separate-stderr roost install --scheduler systemd --dry-run
	assert_status 0
	assert_output_has "would write systemd timer $(tmr)"
	[ ! -e "$ROOST_HOME" ]
	[ ! -e "$T/units" ]
}
