#!/usr/bin/env bats
# configure.bats - configure says what is wrong with the compiler: none
# at all, or one without the C library's headers (gcc without libc6-dev,
# played here by gcc -nostdinc), each exit 1 with no Makefile written;
# a re-run without directories keeps the last configure's.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	mkdir -p "$T/src"
	cp "$BATS_TEST_DIRNAME/../configure" "$BATS_TEST_DIRNAME/../Makefile.in" \
	    "$T/src/"
	cd "$T/src"
}

teardown() { common_teardown; }

@test "a compiler without the C library's headers is named as such, not as no compiler" {
	local cc
	cc=$(command -v gcc || command -v cc)
	run --separate-stderr ./configure CC="$cc -nostdinc"
	assert_status 1
	[ "$stderr" = "configure: $cc -nostdinc runs, but cannot find <stdio.h>: the C library's headers and libraries are missing (Debian, Ubuntu: apt-get install libc6-dev; Fedora: dnf install glibc-devel; Alpine: apk add musl-dev; macOS: xcode-select --install); see config.log" ]
	[ ! -e Makefile ]
	grep -q 'stdio.h' config.log
}

@test "no compiler at all says so" {
	run --separate-stderr ./configure CC="$T/no-such-cc"
	assert_status 1
	[ "$stderr" = "configure: no working C compiler (tried: $T/no-such-cc); see config.log" ]
	[ ! -e Makefile ]
}

@test "a re-run without directories keeps the last ones and says so; --prefix changes them" {
	local p="$T/my pfx"
	./configure --prefix="$p/" >/dev/null
	grep -q -x "PREFIX = $p" Makefile
	run --separate-stderr ./configure
	assert_status 0
	[ "$stderr" = "configure: keeping the directories of the last configure (prefix='$p' bindir='' datadir='' mandir=''), so that make uninstall removes what make install put there; give --prefix to change them" ]
	grep -q -x "PREFIX = $p" Makefile
	grep -q -x 'BINDIR = $(PREFIX)/bin' Makefile
	run --separate-stderr ./configure --prefix=/usr/local
	assert_status 0
	[ -z "$stderr" ]
	grep -q -x "PREFIX = /usr/local" Makefile
	# The default kept is the default: nothing to say.
	run --separate-stderr ./configure
	assert_status 0
	[ -z "$stderr" ]
	grep -q -x "PREFIX = /usr/local" Makefile
}
