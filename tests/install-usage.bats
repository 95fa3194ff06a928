#!/usr/bin/env bats
# install-usage.bats - bad arguments to install/uninstall (exit 2) and
# a tmux path that cannot be baked (exit 1): a message naming the
# problem, and nothing written anywhere.

load helpers
load install-helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	stand_ins
}

teardown() {
	common_teardown
}

# nothing_written: no home, no crontab call, no LaunchAgents, no launchctl.
nothing_written() {
	[ ! -e "$ROOST_HOME" ]
	[ ! -e "$T/crontab.calls" ]
	[ ! -e "$T/agents" ]
	[ -z "$(lctl_calls)" ]
}

@test "--scheduler bogus: exit 2, the allowed values, nothing written" {
	run roost install --scheduler bogus
	assert_status 2
	[ "$output" = "roost: install: --scheduler bogus: must be auto, cron, systemd, launchd or none" ]
	nothing_written
}

@test "a relative ROOST_TMUX_CONF or ROOST_TMUX: exit 1 naming it, nothing written" {
	ROOST_TMUX_CONF=my.conf run --separate-stderr roost install --scheduler cron
	assert_status 1
	[ "$stderr" = "roost: install: tmux: ROOST_TMUX_CONF=my.conf: not an absolute path" ]
	nothing_written
	ROOST_TMUX=tmux run --separate-stderr roost install --scheduler cron
	assert_status 1
	[ "$stderr" = "roost: install: tmux: tmux: not an absolute path (set ROOST_TMUX to tmux's absolute path)" ]
	nothing_written
	# With no scheduler too: the scripts install writes bake them.
	ROOST_TMUX=tmux run --separate-stderr roost install --scheduler none
	assert_status 1
	[ "$stderr" = "roost: install: tmux: tmux: not an absolute path (set ROOST_TMUX to tmux's absolute path)" ]
	nothing_written
}

@test "--interval 0: exit 2 with the allowed range, nothing written" {
	run roost install --scheduler cron --interval 0
	assert_status 2
	assert_output_has "roost: install: --interval 0: must be 1 to 86400 seconds"
	nothing_written
}

@test "--interval x, -5, 1.5 and 86401: exit 2, nothing written" {
	for v in x -5 1.5 86401 ''; do
		run roost install --scheduler cron --interval "$v"
		assert_status 2
		assert_output_has "roost: install: --interval $v: must be 1 to 86400 seconds"
	done
	nothing_written
}

@test "--interval without a value and an unknown option: exit 2" {
	run roost install --interval
	assert_status 2
	assert_output_has "roost: install: option --interval needs a value"
	run roost install --frobnicate
	assert_status 2
	assert_output_has "roost: install: unknown option: --frobnicate"
	run roost uninstall --purge --bogus
	assert_status 2
	assert_output_has "roost: uninstall: unknown option: --bogus"
	nothing_written
}

@test "--scheduler none sets up the home and no entry" {
	run roost install --scheduler none
	assert_status 0
	assert_output_has "created home $ROOST_HOME"
	case $output in *cron* | *launchd*) false ;; esac
	[ ! -e "$T/crontab.calls" ]
	[ -z "$(lctl_calls)" ]
	[ -x "$ROOST_HOME/bin/pane-died" ]
	grep -q 'ev=install scheduler=none' "$ROOST_HOME/log/lifecycle.log"
}
