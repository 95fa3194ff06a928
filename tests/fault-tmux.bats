#!/usr/bin/env bats
# No usable tmux: a missing or non-executable tmux path (ROOST_TMUX, or
# configure --with-tmux) is a clear error naming tmux, exit 1, and nothing
# half-launched.  tmux missing from PATH does not matter to a built roost:
# the path configure found is baked in.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	roost add a -- "$T/prog/forever"
}

teardown() { common_teardown; }

refute() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

# Nothing of a launch: no .session, no canary, no socket, no process.
nothing_launched() {
	[ ! -e "$ROOST_HOME/state/$1.session" ]
	[ ! -e "$ROOST_HOME/state/$1.canary" ]
	[ ! -e "$ROOST_HOME/sock/$1" ]
	assert_no_processes
}

# start_fails TMUX_PATH: roost start with that tmux exits 1 naming it.
start_fails() {
	ROOST_TMUX=$1 run --separate-stderr roost start a
	assert_status 1
	[ -z "$output" ]
	[[ $stderr == "roost: start: "*tmux* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	nothing_launched a
}

assert_stderr_has() {
	case $stderr in
	*"$1"*) return 0 ;;
	esac
	echo "expected stderr to contain: $1" >&2
	echo "actual stderr: $stderr" >&2
	return 1
}

@test "ROOST_TMUX=/nonexistent: start exits 1 naming tmux and the path, nothing launched" {
	start_fails /nonexistent/tmux
	assert_stderr_has "/nonexistent/tmux: No such file or directory"
}

@test "a tmux path that is not executable: start exits 1 naming tmux, nothing launched" {
	printf '#!/bin/sh\nexec %s "$@"\n' "$TMUX_BIN" >"$T/tmux-noexec"
	chmod 0644 "$T/tmux-noexec"
	start_fails "$T/tmux-noexec"
	assert_stderr_has "$T/tmux-noexec: Permission denied"
}

@test "a tmux path that is a directory: start exits 1 naming tmux, nothing launched" {
	mkdir "$T/tmuxdir"
	start_fails "$T/tmuxdir"
	assert_stderr_has "$T/tmuxdir"
}

@test "a relative tmux path: start exits 1 asking for an absolute one" {
	start_fails tmux
	assert_stderr_has "absolute"
}

@test "a relative tmux configuration: start exits 1 asking for an absolute one, nothing launched" {
	printf 'set-option -g @from-conf yes\n' >"$T/my.conf"
	cd "$T"
	ROOST_TMUX_CONF=my.conf run --separate-stderr roost start a
	assert_status 1
	[ -z "$output" ]
	[ "$stderr" = "roost: start: tmux: ROOST_TMUX_CONF=my.conf: not an absolute path" ]
	nothing_launched a
}

@test "relative tmux paths: add exits 1 asking for an absolute one and writes nothing" {
	cd "$T"
	ROOST_TMUX=tmux run --separate-stderr roost add rel -- sleep 1000
	assert_status 1
	[ "$stderr" = "roost: add: tmux: tmux: not an absolute path (set ROOST_TMUX to tmux's absolute path)" ]
	ROOST_TMUX_CONF=my.conf run --separate-stderr roost add rel -- sleep 1000
	assert_status 1
	[ "$stderr" = "roost: add: tmux: ROOST_TMUX_CONF=my.conf: not an absolute path" ]
	[ ! -e "$ROOST_HOME/conf/rel.conf" ]
	[ ! -e "$ROOST_HOME/bin/rel.canary" ]
	[ ! -e "$ROOST_HOME/bin/rel.launch" ]
}

@test "a tmux that fails: start exits 1 with its message, nothing launched" {
	printf '#!/bin/sh\necho "tmux: broken on purpose" >&2\nexit 1\n' >"$T/tmux-broken"
	chmod 0755 "$T/tmux-broken"
	start_fails "$T/tmux-broken"
	assert_stderr_has "broken on purpose"
}

@test "wake and restart with a missing tmux exit 1 naming tmux, nothing launched" {
	ROOST_TMUX=/nonexistent/tmux run --separate-stderr roost wake a
	assert_status 1
	[[ $stderr == "roost: wake: "*"tmux"*"/nonexistent/tmux"* ]]
	ROOST_TMUX=/nonexistent/tmux run --separate-stderr roost restart a
	assert_status 1
	[[ $stderr == "roost: restart: "*"tmux"*"/nonexistent/tmux"* ]]
	nothing_launched a
}

@test "a tick with a missing tmux logs the error naming tmux, keeps the wake request, launches nothing" {
	touch "$ROOST_HOME/state/a.wake"
	ROOST_TMUX=/nonexistent/tmux run --separate-stderr roost tick
	assert_status 0
	[ -z "$output" ]
	[[ $stderr == "roost: tick: a: "*"tmux"*"/nonexistent/tmux"* ]]
	grep -q 'ev=error id=a op=launch error=".*tmux.*/nonexistent/tmux' \
	    "$ROOST_HOME/log/lifecycle.log"
	[ -e "$ROOST_HOME/state/a.wake" ]
	nothing_launched a
	# With tmux back, the next tick honours the request.
	run roost tick
	assert_status 0
	is_running a
	[ ! -e "$ROOST_HOME/state/a.wake" ]
}

@test "tmux missing from PATH does not matter: the configured absolute path is used" {
	mkdir "$T/emptybin"
	run --separate-stderr env PATH="$T/emptybin" "$ROOST_BIN" start a
	assert_status 0
	[ "$output" = "started a (fresh)" ]
	is_running a
	wait_for 10 pid_alive "$(canary_pid a)"
	run env PATH="$T/emptybin" "$ROOST_BIN" stop a
	assert_status 0
	refute is_running a
}

# configure: a copy of the tree's configure in $T (it writes Makefile and
# config.h where it runs; never in the shared tree).
configure_copy() {
	mkdir -p "$T/cfg"
	cp "$BATS_TEST_DIRNAME/../configure" "$BATS_TEST_DIRNAME/../Makefile.in" \
	    "$T/cfg/"
}

@test "configure --with-tmux=/nonexistent fails naming tmux, writes no Makefile" {
	configure_copy
	cd "$T/cfg"
	run ./configure --with-tmux=/nonexistent/tmux
	[ "$status" -ne 0 ]
	assert_output_has "--with-tmux=/nonexistent/tmux: no executable file at that path"
	[ ! -e Makefile ]
	[ ! -e config.h ]
}

@test "configure --with-tmux=<a non-executable file> fails naming tmux" {
	configure_copy
	: >"$T/tmux-plain"
	chmod 0644 "$T/tmux-plain"
	cd "$T/cfg"
	run ./configure --with-tmux="$T/tmux-plain"
	[ "$status" -ne 0 ]
	assert_output_has "--with-tmux=$T/tmux-plain: no executable file at that path"
	[ ! -e Makefile ]
}

@test "configure with no tmux on PATH fails naming tmux" {
	configure_copy
	# Every tool configure may use, except tmux.
	mkdir "$T/path"
	local d
	for d in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
		[ -d "$d" ] && ln -s "$d"/* "$T/path/" 2>/dev/null || true
	done
	rm -f "$T/path"/tmux*
	refute env PATH="$T/path" sh -c 'command -v tmux'
	cd "$T/cfg"
	PATH=$T/path run ./configure
	[ "$status" -ne 0 ]
	assert_output_has "tmux not found: install tmux 3.3 or newer, or pass --with-tmux=PATH"
	[ ! -e Makefile ]
}

# fake_tmux VERSION: a tmux that says it is VERSION.
fake_tmux() {
	printf '#!/bin/sh\necho "tmux %s"\n' "$1" >"$T/tmux-$1"
	chmod 0755 "$T/tmux-$1"
}

@test "configure refuses tmux 3.2a, 3.0 and 2.9, naming what 3.3 has" {
	configure_copy
	cd "$T/cfg"
	local v
	for v in 3.2a 2.9 3.0; do
		fake_tmux "$v"
		run ./configure --with-tmux="$T/tmux-$v"
		[ "$status" -ne 0 ]
		assert_output_has "too old: roost needs tmux 3.3 or newer (#{pane_dead_signal}"
		[ ! -e Makefile ]
	done
}

@test "configure takes tmux 3.3a, 3.4, 3.10 and development builds" {
	configure_copy
	cd "$T/cfg"
	fake_tmux 3.3a
	run ./configure --with-tmux="$T/tmux-3.3a"
	assert_status 0
	grep -qF "$T/tmux-3.3a" config.h
	rm -f Makefile config.h
	# The version is checked before the compiler: with a compiler that
	# fails, getting as far as the compiler shows the version passed.
	local v
	for v in 3.4 3.10 next-3.6 master; do
		fake_tmux "$v"
		CC=false run ./configure --with-tmux="$T/tmux-$v"
		[ "$status" -ne 0 ]
		assert_output_has "checking the tmux version... "
		assert_output_has "no working C compiler (tried: false)"
		[[ $output != *"too old"* ]]
		[ ! -e Makefile ]
	done
}
