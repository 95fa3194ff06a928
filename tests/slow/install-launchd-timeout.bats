#!/usr/bin/env bats
# slow/install-launchd-timeout.bats - the poll of `launchctl print` after
# bootout is bounded (~10 s): a job that never goes away is an error,
# and nothing is bootstrapped over it.

load ../helpers
load ../install-helpers

setup() {
	common_setup
	stand_ins
}

teardown() {
	common_teardown
}

@test "a job still loaded 10 s after bootout: exit 1 with a message, no bootstrap, no plist" {
	for i in $(seq 1 400); do echo 0; done >"$T/launchctl.print.rc"
	start=$(date +%s)
	run roost install --scheduler launchd
	took=$(($(date +%s) - start))
	assert_status 1
	assert_output_has "roost: install: launchctl: gui/$(id -u)/org.roost.tick is still loaded after bootout"
	# It gave up only once its bound had passed, having asked again and
	# again.  How long past the bound depends on the machine: no upper
	# limit is asserted.
	[ "$took" -ge 9 ]
	[ "$(lctl_calls | grep -c '^print ')" -ge 10 ]
	[ "$(lctl_calls | grep -c -e '^enable ' -e '^bootstrap ')" -eq 0 ]
	[ ! -e "$T/agents/org.roost.tick.plist" ]
}
