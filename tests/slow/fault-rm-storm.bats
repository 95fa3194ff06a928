#!/usr/bin/env bats
# A storm on one identity for 15 s: ticks, start + restart, rm --force +
# add, all at once.  The identity's lock outlives every rm, so at no time
# do two launches or teardowns run together: no duplicate session, no
# false death or server-exit record, and no server left that roost cannot
# see once the storm is over.

load ../helpers
load ../session-lib

setup() { common_setup; }
teardown() { common_teardown; }

SECS=15

# launched_enough: the storm has launched a few sessions (a loaded
# machine launches fewer in the same time), or its hard bound is past.
launched_enough() {
	[ "$(count_lines "$(life_log)" 'ev=launch ')" -ge 5 ] ||
	    [ "$SECONDS" -ge "$hard" ]
}

storm() {
	local end=$1 what=$2
	while [ "$SECONDS" -lt "$end" ] || ! launched_enough; do
		case $what in
		tick) "$ROOST_BIN" tick ;;
		start) "$ROOST_BIN" start s; "$ROOST_BIN" restart s ;;
		rm) "$ROOST_BIN" rm --force s
		    "$ROOST_BIN" add s --restart never -- "$T/prog/forever" ;;
		esac >/dev/null 2>>"$T/errors.$what"
	done
}

@test "rm --force + add racing start, restart and ticks: no duplicate session, no false record, nothing left unseen" {
	local end hard pids=() p
	roost add s --restart never -- "$T/prog/forever" >/dev/null
	end=$((SECONDS + SECS))
	hard=$((SECONDS + 4 * SECS))
	for what in tick tick start start rm rm; do
		(set +e; storm "$end" "$what") 3>&- &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || true
	done
	# Duplicate sessions would say so.
	! grep -h 'duplicate session' "$T"/errors.* >&2 || false
	# Nothing died: every end was a clean teardown.
	[ "$(count_lines "$(life_log)" 'ev=death ')" -eq 0 ] || {
		grep 'ev=death ' "$(life_log)" >&2
		false
	}
	[ ! -e "$(exits_log)" ] || [ "$(count_lines "$(exits_log)" 'ev=server-exit')" -eq 0 ] || {
		cat "$(exits_log)" >&2
		false
	}
	[ "$(count_lines "$(life_log)" 'ev=launch ')" -ge 5 ]
	# Whatever runs now is what the markers say; one more rm leaves nothing.
	roost add s --replace --restart never -- "$T/prog/forever" >/dev/null 2>&1 || true
	roost rm --force s >/dev/null 2>&1 || true
	wait_for 10 assert_no_processes
	[ -z "$(ls -A "$ROOST_HOME/sock")" ]
}
