#!/usr/bin/env bats
# What roost runs comes only from directories nobody else can write:
# ROOST_TEMPLATES is held to the home's own rule, and so is every
# directory above the home, the socket directory and the templates.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

@test "a group- or world-writable ROOST_TEMPLATES is refused before a template is read" {
	mkdir -m 0775 "$T/tpl"
	printf 'evil\n' >"$T/tpl/launch.in"
	export ROOST_TEMPLATES=$T/tpl
	run --separate-stderr roost add x -- true
	assert_status 1
	[[ $stderr == "roost: add: ROOST_TEMPLATES: $T/tpl: unsafe: group or world writable (mode 0775)" ]]
	[ ! -e "$ROOST_HOME/conf/x.conf" ]
	chmod 0777 "$T/tpl"
	run --separate-stderr roost render launch
	assert_status 1
	[[ $stderr == *"unsafe"* ]]
}

@test "a ROOST_TEMPLATES owned by another user is refused" {
	[ "$(id -u)" -eq 0 ] || { [ "${CI:-}" != true ] || false; skip "needs root to chown"; }
	mkdir -m 0755 "$T/tpl"
	printf 'evil\n' >"$T/tpl/canary.in"
	chown nobody "$T/tpl"
	export ROOST_TEMPLATES=$T/tpl
	run --separate-stderr roost render canary
	assert_status 1
	[[ $stderr == *"$T/tpl: unsafe: owned by uid"* ]]
}

@test "a ROOST_TEMPLATES below a directory others can write is refused" {
	mkdir -m 0777 "$T/open"
	mkdir -m 0700 "$T/open/tpl"
	export ROOST_TEMPLATES=$T/open/tpl
	run --separate-stderr roost render launch
	assert_status 1
	[[ $stderr == *"$T/open above it is writable by others (mode 0777)"* ]]
}

@test "a relative ROOST_TEMPLATES is refused" {
	export ROOST_TEMPLATES=tpl
	run --separate-stderr roost render launch
	assert_status 2
	[[ $stderr == *"not an absolute path"* ]]
}

@test "a home below a directory others can write (and could swap the home in) is refused" {
	mkdir -m 0777 "$T/open"
	run --separate-stderr roost -H "$T/open/h" add x -- true
	assert_status 1
	[ "$stderr" = "roost: add: $T/open/h: unsafe: $T/open above it is writable by others (mode 0777)" ]
	[ ! -e "$T/open/h" ]
}

@test "a sticky world-writable directory above the home (like /tmp) is fine" {
	mkdir -m 1777 "$T/sticky"
	run roost -H "$T/sticky/h" add x -- true
	assert_status 0
}

@test "a socket directory below a directory others can write is refused" {
	mkdir -m 0777 "$T/open"
	export ROOST_SOCK_DIR=$T/open/socks
	run --separate-stderr roost add x -- true
	assert_status 1
	[[ $stderr == *"$T/open above it is writable by others"* ]]
}
