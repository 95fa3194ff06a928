#!/usr/bin/env bats
# Identities are [A-Za-z0-9][A-Za-z0-9_-]{0,63}; anything else is refused
# by every command with exit 2, the message, and nothing written
# (roost(1): DESCRIPTION).

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# nothing_written: the home holds no file, symlink or socket at all
# (empty directories may exist: add creates the tree before it validates).
nothing_written() {
	[ -d "$ROOST_HOME" ] || return 0
	local left
	left=$(find "$ROOST_HOME" ! -type d)
	if [ -n "$left" ]; then
		echo "written under the home:" >&2
		echo "$left" >&2
		return 1
	fi
	local d
	for d in conf bin state; do
		[ ! -d "$ROOST_HOME/$d" ] || [ -z "$(ls -A "$ROOST_HOME/$d")" ] || return 1
	done
}

# refused_everywhere ID: add, rm, start and status all exit 2 with the
# invalid-identity message on one stderr line, and write nothing.
refused_everywhere() {
	local id=$1 c
	run --separate-stderr roost add -- "$id" -- true
	assert_status 2
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	case $stderr in
	"roost: add: invalid identity "*": must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}") ;;
	*) echo "add: unexpected message: $stderr" >&2; return 1 ;;
	esac
	nothing_written
	for c in rm start status stop wake restart canary attach; do
		run --separate-stderr roost "$c" -- "$id"
		assert_status 2
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		case $stderr in
		"roost: $c: invalid identity "*": must match "*) ;;
		*) echo "$c: unexpected message: $stderr" >&2; return 1 ;;
		esac
		nothing_written
	done
	# The id after a -- (as a careful script writes it), with what each
	# command takes after it.
	for c in log output tick pane-log "send hi" "mark busy"; do
		# shellcheck disable=SC2086
		set -- $c
		run --separate-stderr roost "$1" -- "$id" "${@:2}" </dev/null
		assert_status 2
		[ -z "$output" ]
		case $stderr in
		"roost: $1: invalid identity "*": must match "*) ;;
		*) echo "$c: unexpected message: $stderr" >&2; return 1 ;;
		esac
		nothing_written
	done
	run --separate-stderr roost render launch -- "$id"
	assert_status 2
	case $stderr in "roost: render: invalid identity "*) ;; *) return 1 ;; esac
	nothing_written
}

@test "an identity with a space is refused with exit 2 and nothing written" {
	refused_everywhere "a b"
	[ "${stderr_lines[0]%%:*}" = roost ]
	run --separate-stderr roost status "a b"
	[ "$stderr" = 'roost: status: invalid identity "a b": must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}' ]
}

@test "an identity with a dot is refused with exit 2 and nothing written" {
	refused_everywhere "bob.x"
	run --separate-stderr roost status bob.x
	[ "$stderr" = 'roost: status: invalid identity bob.x: must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}' ]
}

@test "an identity that is only dots is refused with exit 2 and nothing written" {
	refused_everywhere ".."
}

@test "an identity with a slash is refused with exit 2 and nothing written" {
	refused_everywhere "a/b"
	refused_everywhere "../x"
}

@test "an identity with a colon is refused with exit 2 and nothing written" {
	refused_everywhere "a:b"
}

@test "an identity with a quote is refused with exit 2 and nothing written" {
	refused_everywhere "a'b"
	refused_everywhere 'a"b'
}

@test "an identity with a newline is refused on one stderr line, nothing written" {
	refused_everywhere $'a\nb'
	run --separate-stderr roost status $'a\nb'
	[ "$stderr" = 'roost: status: invalid identity "a\nb": must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}' ]
}

@test "an empty identity is refused with exit 2 and nothing written" {
	refused_everywhere ""
	run --separate-stderr roost status ""
	[ "$stderr" = 'roost: status: invalid identity "": must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}' ]
}

@test "an identity with a leading dash is refused with exit 2 and nothing written" {
	refused_everywhere "-bob"
}

@test "an identity with a leading underscore is refused with exit 2 and nothing written" {
	refused_everywhere "_bob"
}

@test "an identity with glob or shell characters is refused with exit 2" {
	refused_everywhere "bob*"
	refused_everywhere 'bob$x'
	refused_everywhere 'b`x`'
	refused_everywhere $'bob\t'
	refused_everywhere "bøb"
}

@test "a 65-character identity is refused with exit 2 and nothing written" {
	local id
	id=$(printf 'a%.0s' $(seq 65))
	[ "${#id}" -eq 65 ]
	refused_everywhere "$id"
}

@test "a 64-character identity is accepted by add, status, start and rm" {
	local id
	id=b$(printf 'x%.0s' $(seq 62))Z
	[ "${#id}" -eq 64 ]
	run roost add "$id" -- "$T/prog/forever"
	assert_status 0
	[ "$output" = "added $id" ]
	[ -f "$ROOST_HOME/conf/$id.conf" ]
	run roost status "$id"
	assert_status 3
	run roost start "$id"
	assert_status 0
	[ "$output" = "started $id (fresh)" ]
	run roost status "$id"
	assert_status 0
	run roost rm --force "$id"
	assert_status 0
	[ "${lines[0]}" = "removed $id" ]
	assert_no_processes
}

@test "identities with inner dashes, underscores, digits and capitals are valid" {
	local id
	for id in a 9 A-b_C b-- 0_-_0; do
		run roost add "$id" -- true
		assert_status 0
		[ "$output" = "added $id" ]
	done
}

# A case-insensitive file system (macOS's default) would give Bob and bob
# one conf, one socket and the same markers: add refuses the second name.
@test "add refuses an identity that differs from a defined one only in case" {
	run roost add bob -- true
	assert_status 0
	local before id
	before=$(cd "$ROOST_HOME" && find . | LC_ALL=C sort)
	for id in Bob BOB bOb; do
		run --separate-stderr roost add "$id" -- true
		assert_status 2
		[ -z "$output" ]
		[ "$stderr" = "roost: add: $id: differs from the identity bob only in case (a case-insensitive file system would give both the same files)" ]
		run --separate-stderr roost add "$id" --replace -- true
		assert_status 2
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	# Nothing written: no conf, script, lock or log line for any of them.
	[ "$(cd "$ROOST_HOME" && find . | LC_ALL=C sort)" = "$before" ]
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" 'ev=(add|replace)')" -eq 1 ]
	grep -q "^command='true'$" "$ROOST_HOME/conf/bob.conf"
}

@test "the case rule leaves the same name and names that differ otherwise alone" {
	run roost add bob -- true
	assert_status 0
	run roost add bob --replace -- "$T/prog/forever"
	assert_status 0
	[ "$output" = "added bob" ]
	for id in bob2 bo-b Bobby b_ob; do
		run roost add "$id" -- true
		assert_status 0
	done
	# A file in conf/ that is not a definition does not count.
	: >"$ROOST_HOME/conf/ALICE.txt"
	run roost add alice -- true
	assert_status 0
}
