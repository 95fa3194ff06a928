#!/usr/bin/env bats
# lifecycle.log and exits.log: one event a line, ts= first then ev=, one
# write(2) per line on O_APPEND so concurrent writers never interleave;
# rotation at 5 MiB keeping .1 to .5 (roost(1): RECORDS).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	LOG=$ROOST_HOME/log/lifecycle.log
	LF="python3 $BATS_TEST_DIRNAME/logfmt.py"
}
teardown() { common_teardown; }

MIB5=$((5 * 1024 * 1024))

size_of() { file_stat size "$1"; }

# fill FILE BYTES: FILE made of well-formed logfmt lines, BYTES long.
fill() {
	python3 - "$1" "$2" <<-'EOF'
		import sys
		path, size = sys.argv[1], int(sys.argv[2])
		line = b"ts=2020-01-01T00:00:00Z ev=filler id=old pad=" + b"x" * 200 + b"\n"
		data = line * (size // len(line) + 1)
		data = data[:size - 1] + b"\n"
		open(path, "wb").write(data)
	EOF
	[ "$(size_of "$1")" -eq "$2" ]
}

@test "every event is one line: ts= (UTC ISO-8601) first, then ev=, then id=" {
	roost add bob -- true
	roost rm bob >/dev/null
	run $LF check "$LOG"
	assert_status 0
	[ "$output" -eq 2 ]
	grep -E '^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ev=add id=bob command=true$' "$LOG"
	grep -E '^ts=[^ ]+ ev=purge id=bob removed=' "$LOG"
}

@test "20 concurrent writers never interleave: every line is whole and well-formed" {
	local i big
	big=$(printf 'word%.0s ' $(seq 700))	# ~3.5 KiB a line
	roost add warm -- true
	for i in $(seq 20); do
		roost add "id$i" -- "echo $i $big \"q\" = end$i" >/dev/null 2>"$T/err.$i" &
	done
	wait
	for i in $(seq 20); do
		[ ! -s "$T/err.$i" ] || { cat "$T/err.$i" >&2; false; }
	done
	run $LF check "$LOG"
	assert_status 0
	[ "$output" -eq 21 ]
	mkdir "$T/exp"
	for i in $(seq 20); do
		printf %s "echo $i $big \"q\" = end$i" >"$T/exp/id$i"
	done
	run $LF add-commands "$LOG" "$T/exp"
	assert_status 0
}

@test "concurrent writers across a rotation lose no line and rotate once" {
	roost add warm -- true
	fill "$LOG" $((MIB5 - 100))
	local i
	for i in $(seq 20); do
		roost add "id$i" -- "echo $i" >/dev/null &
	done
	wait
	[ -f "$LOG.1" ]
	[ ! -e "$LOG.2" ]
	run $LF check "$LOG.1" "$LOG"
	assert_status 0
	[ "$(cat "$LOG.1" "$LOG" | grep -c ' ev=add id=id')" -eq 20 ]
}

@test "lifecycle.log over 5 MiB is rotated to .1 by the next event" {
	roost add warm -- true
	fill "$LOG" $((MIB5 + 10))
	cp "$LOG" "$T/old"
	run roost add bob -- true
	assert_status 0
	[ -f "$LOG.1" ]
	cmp "$T/old" "$LOG.1"
	[ "$(size_of "$LOG")" -lt 1024 ]
	[ "$(wc -l <"$LOG")" -eq 1 ]
	grep -q ' ev=add id=bob ' "$LOG"
	[ "$(file_stat mode "$LOG")" = 600 ]
}

@test "lifecycle.log under 5 MiB is not rotated" {
	roost add warm -- true
	fill "$LOG" $((MIB5 - 300))
	run roost add bob -- true
	assert_status 0
	[ ! -e "$LOG.1" ]
	[ "$(size_of "$LOG")" -gt $((MIB5 - 300)) ]
}

@test "rotation keeps at most .1 to .5, shifting each one down" {
	roost add warm -- true
	local i
	for i in 1 2 3 4 5; do
		echo "generation $i" >"$LOG.$i"
	done
	fill "$LOG" $((MIB5 + 1))
	cp "$LOG" "$T/old"
	run roost add bob -- true
	assert_status 0
	cmp "$T/old" "$LOG.1"
	for i in 2 3 4 5; do
		[ "$(cat "$LOG.$i")" = "generation $((i - 1))" ]
	done
	[ ! -e "$LOG.6" ]
	[ -z "$(grep -l 'generation 5' "$ROOST_HOME"/log/lifecycle.log*)" ]
	grep -q ' ev=add id=bob ' "$LOG"
}

@test "the tick rotates an exits.log over 5 MiB" {
	roost add warm -- true
	local ex=$ROOST_HOME/log/exits.log
	fill "$ex" $((MIB5 + 1))
	cp "$ex" "$T/old"
	run roost tick
	assert_status 0
	cmp "$T/old" "$ex.1"
	[ ! -e "$ex" ] || [ "$(size_of "$ex")" -lt 1024 ]
}

@test "a value with a raw newline never breaks a line: it is written \\n, quoted" {
	roost add bob -- $'line1\nline2\ttab "q" back\\slash'
	[ "$(wc -l <"$LOG")" -eq 1 ]
	grep -qF 'command="line1\nline2\ttab \"q\" back\\slash"' "$LOG"
	run $LF values "$LOG" add command
	assert_status 0
	[ "$output" = $'line1\nline2\ttab "q" back\\slash' ]
}

@test "lifecycle.log is created 0600 under the 0700 log directory" {
	umask 000
	roost add bob -- true
	[ "$(file_stat mode "$LOG")" = 600 ]
	[ "$(file_stat mode "$ROOST_HOME/log")" = 700 ]
}
