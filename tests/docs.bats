#!/usr/bin/env bats
# roost.1 is the reference: every command, option and conf key the binary
# knows is described there, the names taken from the binary's own tables
# (`roost help`, each command's --help, `roost help conf`), and the check
# itself (scripts/doc-check.sh, also run by make lint) catches one left
# out.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
}
teardown() { common_teardown; }

@test "roost help conf lists the conf keys one a line, on stdout, and exits 0" {
	run --separate-stderr roost help conf
	assert_status 0
	[ -z "$stderr" ]
	[ "${lines[0]}" = "Keys of conf/<id>.conf (roost(1), CONFIGURATION):" ]
	for k in command resume cwd idle restart restart_delay crashloop \
	    activity stop_keys stop_signal stop_timeout; do
		grep -qx "  $k" <<<"$output" || {
			echo "help conf does not list $k" >&2
			false
		}
	done
	[ ! -e "$ROOST_HOME" ]
}

@test "every key roost help conf lists is one the conf reader accepts" {
	roost add bob -- true >/dev/null
	roost help conf | sed -n 's/^  //p' >"$T/keys"
	[ -s "$T/keys" ]
	while read -r k; do
		grep -q "^$k=" "$ROOST_HOME/conf/bob.conf" && continue
		printf "%s=''\n" "$k" >>"$ROOST_HOME/conf/bob.conf"
		run --separate-stderr roost status bob
		# Empty may be a bad value (exit 2 naming the key), never an
		# unknown key.
		if grep -q "unknown key" <<<"$stderr"; then
			echo "$k: $stderr" >&2
			false
		fi
		sed -i.bak "/^$k=/d" "$ROOST_HOME/conf/bob.conf"
	done <"$T/keys"
}

@test "roost.1 describes every command, option and conf key the binary knows" {
	run --separate-stderr sh "$SRC/scripts/doc-check.sh" "$ROOST_BIN" \
	    "$SRC/roost.1"
	[ -z "$output" ] || echo "$output" >&2
	assert_status 0
}

@test "a man page missing a command or a conf key fails the check, naming each" {
	sed -e 's/^\.It Cm rm Ar id/.It Cm remove Ar id/' \
	    -e 's/^\.It Cm stop_timeout Ns/.It Cm stop_time Ns/' \
	    "$SRC/roost.1" >"$T/roost.1"
	run --separate-stderr sh "$SRC/scripts/doc-check.sh" "$ROOST_BIN" \
	    "$T/roost.1"
	assert_status 1
	[ "${lines[0]}" = "$T/roost.1: command rm is not described under COMMANDS" ]
	[ "${lines[1]}" = "$T/roost.1: conf key stop_timeout is not described under CONFIGURATION" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "a man page missing an option of a command fails the check, naming it" {
	sed -e 's/^\.Op Fl -raw$/.Op Fl -rawer/' -e 's/^\.Fl -raw$/.Fl -rawer/' \
	    "$SRC/roost.1" >"$T/roost.1"
	run --separate-stderr sh "$SRC/scripts/doc-check.sh" "$ROOST_BIN" \
	    "$T/roost.1"
	assert_status 1
	[ "$output" = "$T/roost.1: option --raw of output is not described under COMMANDS" ]
}

@test "a command described only outside COMMANDS does not count" {
	# COMMANDS now begins at rm: install, uninstall and add stand before it.
	awk '/^\.Sh COMMANDS$/ { print ".Sh OTHER"; next }
	    /^\.It Cm rm / { print ".Sh COMMANDS" }
	    { print }' "$SRC/roost.1" >"$T/roost.1"
	run --separate-stderr sh "$SRC/scripts/doc-check.sh" "$ROOST_BIN" \
	    "$T/roost.1"
	assert_status 1
	# Their options are left outside too, and named on lines of their own.
	[ "$(grep ': command ' <<<"$output")" = "$(printf '%s\n' \
	    "$T/roost.1: command install is not described under COMMANDS" \
	    "$T/roost.1: command uninstall is not described under COMMANDS" \
	    "$T/roost.1: command add is not described under COMMANDS")" ]
	grep -qx "$T/roost.1: option --scheduler of install is not described under COMMANDS" <<<"$output"
}

@test "every command's --help names the man page" {
	for c in $(roost help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'); do
		run --separate-stderr roost "$c" --help
		assert_status 0
		grep -q 'See roost(1)\.' <<<"$output" || {
			echo "$c --help does not name roost(1)" >&2
			false
		}
	done
}
