#!/usr/bin/env bats
# install-real-cron.bats - a round trip through the real crontab(1) for
# the current user: install, the block is in `crontab -l`, a second
# install changes nothing, uninstall gives back the crontab byte for byte.
#
# It touches your real crontab, so it runs only in CI (CI=true) or when
# asked (ROOST_TEST_REAL=1); elsewhere it is skipped.  Runs are one at a
# time (a lock on the crontab program itself, so no file is made for
# it), and teardown takes out only this test's own block, never
# restoring an old copy over what someone else changed meanwhile.

load helpers
load install-helpers

setup() {
	common_setup
	SEEDED=
	if [ "${CI:-}" != true ] && [ "${ROOST_TEST_REAL:-}" != 1 ]; then
		skip "would use your real crontab: set ROOST_TEST_REAL=1 (CI runs it)"
	fi
	if ! command -v crontab >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			echo "crontab(1) is missing in CI: .ci/run must install the cron package" >&2
			return 1
		fi
		skip "no crontab(1) here (CI installs cron)"
	fi
	# Never let an override send this test anywhere but the real crontab,
	# and never let it touch launchd or systemd.
	unset ROOST_CRONTAB
	export ROOST_LAUNCH_AGENTS="$T/agents" ROOST_LAUNCHCTL=/nonexistent
	need_tool flock "runs of this test take turns with flock(1)"
	exec 9<"$(command -v crontab)"
	flock -w 600 9
	if crontab -l >"$T/saved" 2>"$T/saved.err"; then
		:
	elif grep -qi 'no crontab' "$T/saved.err"; then
		rm -f "$T/saved"
	else
		echo "crontab -l failed: $(cat "$T/saved.err")" >&2
		return 1
	fi
}

# Only this home's block goes; the seed comments go when this test put
# them into a crontab that did not exist.
teardown() {
	if [ -n "${T:-}" ] && command -v crontab >/dev/null 2>&1 &&
	    crontab -l >"$T/now" 2>/dev/null; then
		cron_block "$ROOST_HOME" "$T/now" >"$T/ours"
		if [ -s "$T/ours" ]; then
			sed "/^# BEGIN roost $(printf '%s' "$ROOST_HOME" | sed 's|[/.]|\\&|g')\$/,/^# END roost /d" \
			    "$T/now" >"$T/rest"
			crontab "$T/rest" || echo "COULD NOT REMOVE the block of $ROOST_HOME from the crontab" >&2
			cp "$T/rest" "$T/now"
		fi
		if [ -n "$SEEDED" ] && cmp -s "$T/now" "$T/seed"; then
			crontab -r
		fi
	fi
	exec 9<&- 2>/dev/null
	common_teardown
}

@test "real crontab: install adds the block, re-install is unchanged, uninstall restores byte for byte" {
	# Give the round trip foreign lines to keep: the user's own crontab
	# when there is one, else a few comments (no jobs).
	if [ -s "$T/saved" ]; then
		cp "$T/saved" "$T/seed"
	else
		printf '# roost real-cron test: a foreign comment\n#   odd   spacing\there\n\n# MAILTO=nobody\n' >"$T/seed"
		[ -f "$T/saved" ] || SEEDED=1
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
