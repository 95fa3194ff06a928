#!/usr/bin/env bats
# The home: created 0700 on first need; refused (exit 1, clear message)
# when it or a directory in it is a symlink, group/world-writable or not
# ours; markers are never followed through a symlink; over-long socket
# paths are refused naming ROOST_SOCK_DIR (roost(1): FILES).

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

DIRS="conf bin state log log/server-deaths sock"

mode_of() { file_stat mode "$1"; }

# refused_unsafe WHAT WHY: status, add, tick and start all exit 1 with
# "roost: <cmd>: WHAT: unsafe: WHY".
refused_unsafe() {
	local c
	for c in status add tick start rm; do
		case $c in
		add) run --separate-stderr roost add bob -- true ;;
		status | tick) run --separate-stderr roost "$c" ;;
		*) run --separate-stderr roost "$c" bob ;;
		esac
		assert_status 1
		[ "$stderr" = "roost: $c: $1: unsafe: $2" ] || {
			echo "want: roost: $c: $1: unsafe: $2" >&2
			echo "got:  $stderr" >&2
			return 1
		}
		[ -z "$output" ]
	done
}

@test "the home and every directory in it are created 0700, whatever the umask" {
	umask 000
	run roost add bob -- true
	assert_status 0
	[ "$(mode_of "$ROOST_HOME")" = 700 ]
	local d
	for d in $DIRS; do
		[ -d "$ROOST_HOME/$d" ] && [ ! -L "$ROOST_HOME/$d" ]
		[ "$(mode_of "$ROOST_HOME/$d")" = 700 ] || {
			echo "$d: $(mode_of "$ROOST_HOME/$d")" >&2
			false
		}
	done
	[ "$(file_stat owner "$ROOST_HOME")" = "$(id -u)" ]
	[ "$(mode_of "$ROOST_HOME/conf/bob.conf")" = 600 ]
	[ "$(mode_of "$ROOST_HOME/log/lifecycle.log")" = 600 ]
}

@test "read-only commands on a missing home create nothing" {
	run roost status
	assert_status 0
	run roost tick
	assert_status 0
	run roost log
	assert_status 0
	[ ! -e "$ROOST_HOME" ]
}

@test "a home that is a symlink is refused with exit 1" {
	mkdir -p "$T/real"
	roost -H "$T/real" add bob -- true
	ln -s "$T/real" "$ROOST_HOME"
	refused_unsafe "$ROOST_HOME" "is a symlink"
	# Nothing was written through the link.
	[ "$(ls "$T/real/conf")" = bob.conf ]
	[ ! -e "$T/real/state/bob.session" ]
}

@test "a world-writable home (0777) is refused with exit 1" {
	roost add bob -- true
	chmod 0777 "$ROOST_HOME"
	refused_unsafe "$ROOST_HOME" "group or world writable (mode 0777)"
}

@test "a group-writable home (0770) is refused with exit 1" {
	roost add bob -- true
	chmod 0770 "$ROOST_HOME"
	refused_unsafe "$ROOST_HOME" "group or world writable (mode 0770)"
}

@test "a group-writable subdirectory (log/) is refused with exit 1" {
	roost add bob -- true
	chmod 0720 "$ROOST_HOME/log"
	refused_unsafe "$ROOST_HOME/log" "group or world writable (mode 0720)"
}

@test "a subdirectory that is a symlink (state/) is refused with exit 1" {
	roost add bob -- true
	mkdir "$T/elsewhere"
	chmod 700 "$T/elsewhere"
	rm -rf "$ROOST_HOME/state"
	ln -s "$T/elsewhere" "$ROOST_HOME/state"
	refused_unsafe "$ROOST_HOME/state" "is a symlink"
	[ -z "$(ls -A "$T/elsewhere")" ]
}

@test "a home owned by another user is refused with exit 1" {
	need_root "it gives the home to nobody"
	roost add bob -- true
	chown nobody "$ROOST_HOME"
	local uid
	uid=$(id -u nobody)
	refused_unsafe "$ROOST_HOME" "owned by uid $uid, not by you (uid $(id -u))"
}

@test "a subdirectory owned by another user is refused with exit 1" {
	need_root "it gives conf/ to nobody"
	roost add bob -- true
	chown nobody "$ROOST_HOME/conf"
	refused_unsafe "$ROOST_HOME/conf" "owned by uid $(id -u nobody), not by you (uid $(id -u))"
}

@test "a home that is a plain file is refused with exit 1" {
	echo x >"$ROOST_HOME"
	run --separate-stderr roost add bob -- true
	assert_status 1
	[ "$stderr" = "roost: add: $ROOST_HOME: unsafe: not a directory" ]
}

# A marker that is a symlink is never written, read or removed through.
precious_links() {
	mkdir -p "$T/target"
	local m
	for m in session canary deaths stopped idle-reaped last-exit \
	    crash-loop wake; do
		echo "precious $m" >"$T/target/$m"
		ln -s "$T/target/$m" "$ROOST_HOME/state/bob.$m"
	done
	mkdir "$T/target/queue"
	echo "precious item" >"$T/target/queue/item"
	ln -s "$T/target/queue" "$ROOST_HOME/state/bob.queue"
	(cd "$T/target" && find . -type f -exec cksum {} + | sort) >"$T/sums"
}

targets_untouched() {
	(cd "$T/target" && find . -type f -exec cksum {} + | sort) >"$T/sums.after"
	diff -u "$T/sums" "$T/sums.after"
	local m
	for m in session canary deaths stopped idle-reaped last-exit \
	    crash-loop wake; do
		[ "$(cat "$T/target/$m")" = "precious $m" ]
	done
}

@test "a symlinked marker (state/bob.wake and friends) is never followed by tick" {
	roost add bob -- "$T/prog/forever"
	precious_links
	run roost tick
	assert_status 0
	targets_untouched
	# A symlink is not a wake request nor a queue.
	[ -z "$(ls -A "$ROOST_HOME/sock")" ]
	run roost status bob
	targets_untouched
}

@test "wake and start never write through symlinked markers" {
	roost add bob -- "$T/prog/forever"
	precious_links
	run roost wake bob
	targets_untouched
	roost stop bob || true
	run roost start bob
	assert_status 0
	wait_for 5 is_running bob
	targets_untouched
	run roost tick
	targets_untouched
	run roost stop bob
	assert_status 0
	targets_untouched
	run roost rm bob
	assert_status 0
	targets_untouched
	[ -f "$T/target/queue/item" ]
	assert_no_processes
}

@test "the pane-died hook never writes .last-exit or exits.log through a symlink" {
	roost add x -- true
	mkdir -p "$T/target"
	echo precious >"$T/target/last-exit"
	echo precious >"$T/target/exits"
	ln -s "$T/target/last-exit" "$ROOST_HOME/state/x.last-exit"
	ln -s "$T/target/exits" "$ROOST_HOME/log/exits.log"
	run "$ROOST_HOME/bin/pane-died" id=x pane_pid=1 status=3 signal= server_pid=2
	assert_status 0
	[ "$(cat "$T/target/last-exit")" = precious ]
	[ "$(cat "$T/target/exits")" = precious ]
	[ -z "$(find "$ROOST_HOME/state" -name '.x.last-exit.tmp*')" ]
}

@test "a symlinked lock marker is refused with exit 1, never opened" {
	roost add bob -- "$T/prog/forever"
	mkdir -p "$T/target"
	echo precious >"$T/target/lock"
	rm -f "$ROOST_HOME/lock/bob"
	ln -s "$T/target/lock" "$ROOST_HOME/lock/bob"
	run --separate-stderr roost start bob
	assert_status 1
	[ "$stderr" = "roost: start: $ROOST_HOME/lock/bob: refusing to open a symlink" ]
	[ "$(cat "$T/target/lock")" = precious ]
	[ -z "$(ls -A "$ROOST_HOME/sock")" ]
}

@test "a symlinked lifecycle.log is never appended to" {
	mkdir -p "$ROOST_HOME" "$T/target"
	roost add a -- true
	echo precious >"$T/target/log"
	rm "$ROOST_HOME/log/lifecycle.log"
	ln -s "$T/target/log" "$ROOST_HOME/log/lifecycle.log"
	run --separate-stderr roost add bob -- true
	assert_status 0
	[ "$(cat "$T/target/log")" = precious ]
	[[ $stderr == *"lifecycle.log"*"refusing to open a symlink"* ]]
}

# long_home: $LONG is MAX - 8 bytes (MAX = sock_max: 107 usable bytes on
# Linux, 103 on macOS), so $LONG/sock/bob is one byte over the limit and
# $LONG/sock/bo exactly at it.
long_home() {
	MAX=$(sock_max)
	local pad=$((MAX - 8 - ${#T} - 1))
	[ "$pad" -gt 0 ]
	LONG=$T/$(printf 'h%.0s' $(seq "$pad"))
	[ "${#LONG}" -eq $((MAX - 8)) ]
}

@test "a socket path over the platform limit is refused (exit 1) naming ROOST_SOCK_DIR" {
	long_home
	run --separate-stderr roost -H "$LONG" add bob -- "$T/prog/forever"
	assert_status 1
	[[ $stderr == "roost: add: socket path $LONG/sock/bob is $((MAX + 1)) bytes, over the platform limit of $MAX: set ROOST_SOCK_DIR to a shorter directory" ]]
	[ ! -e "$LONG/conf/bob.conf" ]
	run --separate-stderr roost -H "$LONG" start bob
	[ "$status" -ne 0 ]
}

@test "a socket path of exactly the platform's limit is accepted" {
	long_home
	run roost -H "$LONG" add bo -- true
	assert_status 0
}

@test "ROOST_SOCK_DIR relocates sock/ so a long home can start and stop" {
	long_home
	export ROOST_SOCK_DIR=$T/sockd
	run roost -H "$LONG" add bob -- "$T/prog/forever"
	assert_status 0
	[ "$(mode_of "$T/sockd")" = 700 ]
	run roost -H "$LONG" start bob
	assert_status 0
	[ "$output" = "started bob (fresh)" ]
	[ -S "$T/sockd/bob" ]
	wait_for 5 "$TMUX_BIN" -S "$T/sockd/bob" has-session
	run roost -H "$LONG" status bob
	assert_status 0
	run roost -H "$LONG" stop bob
	assert_status 0
	[ ! -e "$T/sockd/bob" ]
	run "$TMUX_BIN" -S "$T/sockd/bob" has-session
	[ "$status" -ne 0 ]
	assert_no_processes
}

@test "an unsafe ROOST_SOCK_DIR is refused with exit 1" {
	mkdir "$T/sockd"
	chmod 0777 "$T/sockd"
	export ROOST_SOCK_DIR=$T/sockd
	run --separate-stderr roost add bob -- true
	assert_status 1
	[ "$stderr" = "roost: add: $T/sockd: unsafe: group or world writable (mode 0777)" ]
}

@test "a home whose path holds what tmux reads specially (a final ;, %, #( ) starts, talks, logs and stops" {
	local h
	for h in "$T/semi;" "$T/pct%Y%n" "$T/hash#(true)#{pid}"; do
		export ROOST_HOME=$h
		roost add x -- sh -c 'echo OUT; exec cat' >/dev/null
		roost start x --wait=10 >/dev/null
		wait_for 10 grep -q OUT "$h/log/x.log"
		run --separate-stderr roost send x --wait=10 hello
		assert_status 0
		wait_for 10 grep -q hello "$h/log/x.log"
		run --separate-stderr roost stop x
		assert_status 0
		[ "$output" = "stopped x" ]
		if is_running x || grep 'ev=error' "$h/log/lifecycle.log"; then
			false
		fi
	done
}
