#!/usr/bin/env bats
# Hostile input: C1 control sequences in a program's output (8-bit bytes
# and their UTF-8 characters) never reach the terminal through `roost
# output`; a definition too large for any reader is refused by add, with
# the readers' own limit and message, and nothing written.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

plog() { echo "$ROOST_HOME/log/$1.log"; }

# out_of BYTES: roost output's text of a pane log holding BYTES.
out_of() {
	mkdir -p "$ROOST_HOME/log"
	printf "$1" >"$(plog c)"
	run --separate-stderr roost output c -n 10
	assert_status 0
}

# No C1 CSI, OSC or DCS, as a byte or as a UTF-8 character, and no ESC.
no_controls() {
	case $output in
	*$'\302\233'* | *$'\302\235'* | *$'\302\220'* | *$'\233'* | *$'\235'* | *$'\220'* | *$'\033'*)
		echo "a control in: $(od -c <<<"$output")" >&2
		return 1 ;;
	esac
}

@test "output strips 8-bit C1 CSI and OSC (bytes 0x9b, 0x9d) like their ESC forms" {
	roost add c -- "$T/prog/forever" >/dev/null
	out_of 'a\2331;31mred\2330m b\n\235title\007after\n\2202qdcs\033\\ok\n'
	no_controls
	[ "${lines[0]}" = "ared b" ]
	[ "${lines[1]}" = "after" ]
	[ "${lines[2]}" = "ok" ]
}

@test "output strips C1 CSI and OSC written as UTF-8 characters (U+009B, U+009D), keeps other UTF-8" {
	roost add c -- "$T/prog/forever" >/dev/null
	out_of 'caf\303\251 \302\2331;31mred\302\2330m\n\302\235evil title\007after \342\202\254\n'
	no_controls
	[ "${lines[0]}" = "café red" ]
	[ "${lines[1]}" = "after €" ]
}

@test "add refuses a conf larger than every reader takes: exit 2, the readers' message, nothing written" {
	local big
	# Three words of 100 000 bytes (one argument may not pass 128 KiB).
	big=$(head -c 100000 /dev/zero | tr '\0' x)
	run --separate-stderr roost add big -- echo "$big" "$big" "$big"
	assert_status 2
	[ -z "$output" ]
	[ "$stderr" = "roost: add: $ROOST_HOME/conf/big.conf: larger than 262144 bytes" ]
	[ ! -e "$ROOST_HOME/conf/big.conf" ]
	[ ! -e "$ROOST_HOME/bin/big.launch" ]
	run roost status big
	assert_status 4
	# Just under the limit: added, and every reader takes it.
	run roost add big -- echo "$big" "$big"
	assert_status 0
	run roost render launch big
	assert_status 0
}
