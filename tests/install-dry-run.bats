#!/usr/bin/env bats
# install-dry-run.bats - `install --dry-run` prints the full block or
# plist it would write and touches nothing: not the crontab, not the
# LaunchAgents dir, not even the home.

load helpers
load install-helpers

setup() {
	common_setup
	stand_ins
}

teardown() {
	common_teardown
}

@test "dry-run on a fresh home: prints the whole cron block, creates nothing, calls no crontab" {
	printf '# mine\nMAILTO=x\n' >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	run roost install --scheduler cron --dry-run
	assert_status 0
	assert_output_has "would create home $ROOST_HOME"
	assert_output_has "would write cron entry:"
	[ ! -e "$ROOST_HOME" ]
	cmp "$T/orig" "$T/crontab"
	[ ! -e "$T/crontab.calls" ]
	# What it printed is exactly what a real install writes.
	printf '%s\n' "$output" | sed '1,/^would write cron entry:$/d' >"$T/block"
	[ "$(head -n 1 "$T/block")" = "# BEGIN roost $ROOST_HOME" ]
	[ "$(tail -n 1 "$T/block")" = "# END roost $ROOST_HOME" ]
	roost install --scheduler cron
	cron_block "$ROOST_HOME" >"$T/written"
	cmp "$T/block" "$T/written"
}

@test "dry-run over an installed home changes nothing and leaves the crontab byte-identical" {
	printf '# mine\n*/5 * * * * true\n' >"$T/crontab"
	roost install --scheduler cron
	cp "$T/crontab" "$T/installed"
	(cd "$ROOST_HOME" && find . | sort) >"$T/tree1"
	sleep 0.05
	touch "$T/stamp"
	: >"$T/crontab.calls"
	run roost install --scheduler cron --interval 300 --dry-run
	assert_status 0
	assert_output_has "unchanged $ROOST_HOME/bin/pane-died"
	assert_output_has "*/5 * * * * HOME="
	cmp "$T/installed" "$T/crontab"
	[ "$(cron_writes)" -eq 0 ]
	(cd "$ROOST_HOME" && find . | sort) >"$T/tree2"
	diff -u "$T/tree1" "$T/tree2"
	[ -z "$(find "$ROOST_HOME" -newer "$T/stamp")" ]
}

@test "dry-run for launchd: prints the plist, creates neither LaunchAgents nor the home, calls no launchctl" {
	run roost install --scheduler launchd --label org.example.dry --dry-run
	assert_status 0
	assert_output_has "would create home $ROOST_HOME"
	assert_output_has "would write launchd agent $T/agents/org.example.dry.plist:"
	[ ! -e "$T/agents" ]
	[ ! -e "$ROOST_HOME" ]
	[ -z "$(lctl_calls)" ]
	printf '%s\n' "$output" | sed '1,/^would write launchd agent /d' >"$T/plist"
	need_tool xmllint
	xmllint --noout "$T/plist"
	roost install --scheduler launchd --label org.example.dry
	cmp "$T/plist" "$T/agents/org.example.dry.plist"
}

@test "dry-run leaves an existing LaunchAgents dir untouched" {
	mkdir -p "$T/agents"
	echo keep >"$T/agents/other.plist"
	run roost install --scheduler launchd --dry-run
	assert_status 0
	[ "$(ls -A "$T/agents")" = other.plist ]
	[ -z "$(lctl_calls)" ]
}

@test "uninstall --dry-run says what it would remove and removes nothing" {
	printf '# mine\n' >"$T/crontab"
	roost install --scheduler cron
	cp "$T/crontab" "$T/installed"
	: >"$T/crontab.calls"
	run roost uninstall --purge --dry-run
	assert_status 0
	assert_output_has "would remove cron entry"
	assert_output_has "would stop every session and remove home $ROOST_HOME"
	cmp "$T/installed" "$T/crontab"
	[ "$(cron_writes)" -eq 0 ]
	[ -d "$ROOST_HOME" ]
}
