#!/usr/bin/env bats
# install-real-cron.bats - a round trip through the real crontab(1) for
# the current user: install, the block is in `crontab -l`, a second
# install changes nothing, uninstall gives back the crontab byte for byte.
#
# The user's crontab is saved first and put back in teardown whatever
# happens.  In CI (CI=true) crontab must exist (.ci/run installs cron);
# elsewhere the test is skipped when there is none.

load helpers
load install-helpers

setup() {
	common_setup
	SAVED=none	# none | empty | file | unknown
	if ! command -v crontab >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			echo "crontab(1) is missing in CI: .ci/run must install the cron package" >&2
			return 1
		fi
		skip "no crontab(1) here (CI installs cron)"
	fi
	# Never let an override send this test anywhere but the real crontab,
	# and never let it touch launchd.
	unset ROOST_CRONTAB
	export ROOST_LAUNCH_AGENTS="$T/agents" ROOST_LAUNCHCTL=/nonexistent
	SAVED=unknown
	if crontab -l >"$T/saved" 2>"$T/saved.err"; then
		SAVED=file
	elif grep -qi 'no crontab' "$T/saved.err"; then
		SAVED=empty
	else
		echo "crontab -l failed: $(cat "$T/saved.err")" >&2
		return 1
	fi
}

teardown() {
	case ${SAVED:-none} in
	file) crontab "$T/saved" || echo "COULD NOT RESTORE the crontab saved in $T/saved" >&2 ;;
	empty) crontab -l >/dev/null 2>&1 && crontab -r ;;
	esac
	common_teardown
}

@test "real crontab: install adds the block, re-install is unchanged, uninstall restores byte for byte" {
	# Give the round trip foreign lines to keep: the user's own crontab
	# when there is one, else a few comments (no jobs).
	if [ "$SAVED" = file ] && [ -s "$T/saved" ]; then
		cp "$T/saved" "$T/seed"
	else
		printf '# roost real-cron test: a foreign comment\n#   odd   spacing\there\n\n# MAILTO=nobody\n' >"$T/seed"
		crontab "$T/seed"
	fi
	crontab -l >"$T/before"
	run roost install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	crontab -l >"$T/after"
	cron_block "$ROOST_HOME" "$T/after" >"$T/block"
	[ "$(wc -l <"$T/block")" -eq 4 ]
	grep -q -F "ROOST_HOME='$ROOST_HOME' " "$T/block"
	grep -q -F " tick >>'$ROOST_HOME/log/tick.out' 2>&1" "$T/block"
	# Everything else is the crontab as it was.
	sed "/^# BEGIN roost /,/^# END roost /d" "$T/after" >"$T/rest"
	sed "/^# BEGIN roost /,/^# END roost /d" "$T/before" >"$T/rest0"
	cmp "$T/rest0" "$T/rest"
	run roost install --scheduler cron
	assert_status 0
	assert_output_has "unchanged cron entry"
	crontab -l | cmp - "$T/after"
	run roost uninstall
	assert_status 0
	assert_output_has "removed cron entry"
	crontab -l | cmp - "$T/before"
}
