#!/usr/bin/env bats
# send.bats - roost send as a command: what it refuses (exit code and
# message, nothing kept), what it writes into state/<id>.queue/ (0600,
# atomic, arrival order, byte for byte), and how rm and the tick treat a
# queue.  Delivery into a program is send-deliver.bats.

load helpers
load send-lib
bats_require_minimum_version 1.5.0

MNT=

setup() { common_setup; }
teardown() {
	if [ -n "$MNT" ] && mountpoint -q "$MNT" 2>/dev/null; then
		umount -l "$MNT"
	fi
	common_teardown
}

# not_running ID: no server answers on ID's socket.
not_running() {
	if is_running "$1"; then
		echo "$1 is running" >&2
		return 1
	fi
}

# down ID: defined, never started.
down() {
	roost add "$1" --restart never -- "$T/prog/forever" >/dev/null
}

# the_item ID: the single message in ID's queue.
the_item() {
	local f
	for f in "$(queue_of "$1")"/*.msg; do
		echo "$f"
	done
}

@test "send to an unknown identity exits 4 and writes nothing" {
	run --separate-stderr roost send nobody hello
	assert_status 4
	[ "$stderr" = "roost: send: nobody: unknown identity" ]
	[ ! -e "$ROOST_HOME/state/nobody.queue" ]
}

@test "send with a bad identity exits 2 before the home is touched" {
	run --separate-stderr roost send 'a/b' hello
	assert_status 2
	[[ $stderr == "roost: send: "*"a/b"* ]]
	[ ! -e "$ROOST_HOME/state" ]
}

@test "send to a stopped identity exits 3, logs the refusal and keeps nothing" {
	down a
	roost stop a >/dev/null
	run --separate-stderr roost send a hello
	assert_status 3
	[ "$stderr" = "roost: send: refused a: stopped (roost start a clears it)" ]
	[ "$(queued a)" -eq 0 ]
	grep -q 'ev=refused id=a cause=stopped by=send' "$(life_log)"
}

@test "send to a crash-looped identity exits 3 and keeps nothing" {
	down a
	echo 'deaths=3 window=300' >"$ROOST_HOME/state/a.crash-loop"
	run --separate-stderr roost send a hello
	assert_status 3
	[ "$stderr" = "roost: send: refused a: crash-loop (roost start a clears it)" ]
	[ "$(queued a)" -eq 0 ]
}

@test "an empty message is refused with exit 2, from words and from stdin" {
	down a
	run --separate-stderr roost send a ''
	assert_status 2
	[ "$stderr" = "roost: send: empty message" ]
	run --separate-stderr roost send a - </dev/null
	assert_status 2
	[ "$stderr" = "roost: send: empty message" ]
	run --separate-stderr roost send a
	assert_status 2
	[ "$stderr" = "roost: send: missing message (words, - for stdin, or --file F)" ]
	[ "$(queued a)" -eq 0 ]
}

@test "a message with a NUL byte is refused with exit 2 and nothing is queued" {
	down a
	printf 'a\000b' >"$T/nul"
	run --separate-stderr roost send a --file "$T/nul"
	assert_status 2
	[ "$stderr" = "roost: send: message contains a NUL byte (refused: a program reads text)" ]
	run --separate-stderr roost send a - <"$T/nul"
	assert_status 2
	[ "$(queued a)" -eq 0 ]
	[ -z "$(find "$ROOST_HOME/state" -name '*.tmp.*')" ]
}

@test "1 MiB is queued byte for byte; one byte more is refused with exit 2" {
	down a
	head -c 1048576 /dev/urandom | tr '\000' x >"$T/big"
	run --separate-stderr roost send a --no-wake --file "$T/big"
	assert_status 0
	cmp "$T/big" "$(the_item a)"
	printf y >>"$T/big"
	run --separate-stderr roost send a --no-wake - <"$T/big"
	assert_status 2
	[ "$stderr" = "roost: send: stdin: message larger than 1048576 bytes (1 MiB)" ]
	[ "$(queued a)" -eq 1 ]
}

@test "send --no-wake queues the words joined by blanks, 0600, named in arrival order, and launches nothing" {
	down a
	run --separate-stderr roost send a --no-wake -- one 'two  three' -x
	assert_status 0
	[[ $output =~ ^queued\ a\ [0-9]{19}-[0-9]+-[0-9]+\.msg$ ]]
	f=$(the_item a)
	[ "$output" = "queued a ${f##*/}" ]
	[ "$(cat "$f")" = "one two  three -x" ]
	[ "$(file_stat mode "$f")" = 600 ]
	[ "$(file_stat mode "$(queue_of a)")" = 700 ]
	not_running a
	[ -z "$(find "$(queue_of a)" -name '.*')" ]
}

@test "a message from stdin or a file keeps newlines, tabs and escapes byte for byte" {
	down a
	printf 'line 1\n\tline 2\r\n\033[201~ and \033]0;title\007\n' >"$T/m"
	roost send a --no-wake - <"$T/m" >/dev/null
	cmp "$T/m" "$(the_item a)"
	rm -f "$(queue_of a)"/*
	roost send a --no-wake --file "$T/m" >/dev/null
	cmp "$T/m" "$(the_item a)"
}

@test "send -q prints nothing on success; a failure is still one line" {
	down a
	run --separate-stderr roost -q send a --no-wake hi
	assert_status 0
	[ -z "$output" ] && [ -z "$stderr" ]
	run --separate-stderr roost send -q nobody hi
	assert_status 4
	[ "$stderr" = "roost: send: nobody: unknown identity" ]
}

@test "send --now to a program that is not running exits 3 and keeps nothing" {
	down a
	run --separate-stderr roost send a --now y
	assert_status 3
	[ "$stderr" = "roost: send: a: not running (--now answers a running program)" ]
	[ "$(queued a)" -eq 0 ]
}

@test "bad option values are usage errors (exit 2)" {
	down a
	run --separate-stderr roost send a --wait=0 hi
	assert_status 2
	[ "$stderr" = "roost: send: --wait: not a number of seconds (1 to 86400): 0" ]
	run --separate-stderr roost send a --wait=soon hi
	assert_status 2
	run --separate-stderr roost send a --file "$T/missing"
	assert_status 2
	[ "$stderr" = "roost: send: $T/missing: No such file or directory" ]
	run --separate-stderr roost send a --file "$T/missing" more words
	assert_status 2
	run --separate-stderr roost start a --wait=x
	assert_status 2
	[ "$stderr" = "roost: start: --wait: not a number of seconds (1 to 86400): x" ]
	[ "$(queued a)" -eq 0 ]
}

@test "a queue directory that is a symlink is refused (exit 1), and its target is not written" {
	down a
	mkdir -p "$T/elsewhere"
	ln -s "$T/elsewhere" "$(queue_of a)"
	run --separate-stderr roost send a --no-wake hi
	assert_status 1
	[ "$stderr" = "roost: send: $(queue_of a): unsafe: is a symlink" ]
	[ -z "$(ls -A "$T/elsewhere")" ]
	# Nor is it a wake request.
	run roost tick
	assert_status 0
	not_running a
}

@test "failed/, a FIFO and a directory in the queue are not messages: no wake, no hang" {
	need_tool mkfifo
	down a
	mkdir -p "$(queue_of a)/failed" "$(queue_of a)/adir"
	chmod 700 "$(queue_of a)"
	echo old >"$(queue_of a)/failed/1-1-1.msg"
	mkfifo "$(queue_of a)/0-fifo.msg"
	run roost tick
	assert_status 0
	not_running a
	[ ! -e "$ROOST_HOME/state/a.session" ]
}

@test "rm reports the messages it deletes" {
	down a
	roost send a --no-wake one >/dev/null
	roost send a --no-wake two >/dev/null
	names=$(cd "$(queue_of a)" && echo *.msg)
	run --separate-stderr roost rm a
	assert_status 0
	assert_output_has "deleted: 2 queued messages: $names"
	[ ! -e "$(queue_of a)" ]
	grep -q 'ev=purge id=a .*messages=2' "$(life_log)"
}

@test "1,000 queued messages keep their arrival order" {
	down a
	for i in $(seq 1 1000); do
		echo "$i"
	done | while read -r i; do
		"$ROOST_BIN" send a --no-wake -q "m$i" || exit 1
	done
	[ "$(queued a)" -eq 1000 ]
	(cd "$(queue_of a)" && for f in *.msg; do cat "$f"; echo; done) >"$T/order"
	seq 1 1000 | sed 's/^/m/' | diff -u - "$T/order"
}

@test "two sends racing each other and a tick lose nothing and leave no temp" {
	# The queue wakes it, but it is never ready, so nothing is delivered
	# while the messages are counted.
	roost add a --restart never --ready-quiet 3600 -- "$T/prog/forever" >/dev/null
	(for i in $(seq 1 40); do "$ROOST_BIN" send a --no-wake -q "x$i"; done) &
	p1=$!
	(for i in $(seq 1 40); do "$ROOST_BIN" send a --no-wake -q "y$i"; done) &
	p2=$!
	(for i in $(seq 1 10); do "$ROOST_BIN" tick; done) >/dev/null 2>&1 &
	p3=$!
	wait "$p1"
	wait "$p2"
	wait "$p3"
	[ "$(queued a)" -eq 80 ]
	# Each sender's own messages in its own order.
	(cd "$(queue_of a)" && for f in *.msg; do cat "$f"; echo; done) >"$T/all"
	grep '^x' "$T/all" | diff -u <(seq 1 40 | sed 's/^/x/') -
	grep '^y' "$T/all" | diff -u <(seq 1 40 | sed 's/^/y/') -
	[ -z "$(find "$(queue_of a)" -name '.*')" ]
}

@test "a full home: send exits 1 naming the full disk and leaves no message or temp" {
	need_root "it mounts a tmpfs"
	[ "$(uname -s)" = Linux ] || skip "mount -t tmpfs -o size= is Linux's"
	mkdir -p "$ROOST_HOME"
	mount -t tmpfs -o size=64k,mode=0700 tmpfs "$ROOST_HOME"
	MNT=$ROOST_HOME
	down a
	roost send a --no-wake first >/dev/null
	dd if=/dev/zero of="$ROOST_HOME/filler" bs=4096 2>/dev/null || true
	run --separate-stderr roost send a --no-wake "$(head -c 8192 /dev/zero | tr '\0' z)"
	assert_status 1
	[[ $stderr == "roost: send: "*"No space left on device"* ]]
	[ "$(queued a)" -eq 1 ]
	[ -z "$(find "$(queue_of a)" -name '.*')" ]
}
