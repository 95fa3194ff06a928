#!/usr/bin/env bats
# output.bats - `roost output`: the pane log as a terminal shows it
# (colours and other control sequences dropped, \r and backspace
# replayed), a separator per launch, -n, --raw, and -f following across
# relaunches and a cut in place; the pane-log trim keeps what is
# appended while it runs.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }

teardown() {
	[ -z "${FOLLOWER:-}" ] || kill "$FOLLOWER" 2>/dev/null || true
	common_teardown
}

plog() { echo "$ROOST_HOME/log/$1.log"; }

# A program printing what terminals are fed: colours, a title (OSC), a
# progress line redrawn with \r, a backspace, an erase, then waits.
painter() {
	cat >"$T/prog/paint" <<'EOF'
#!/bin/sh
printf '\033[1;31mred\033[0m and \033[38;5;208mplain\033[m\n'
printf '\033]0;a window title\007after the title\n'
printf 'progress  10%%\rprogress  55%%\rprogress 100%%\n'
printf 'typo\b\bpo\n'
printf 'old text here\r\033[Knew\n'
printf '\033[?25l\033(Bcursor hidden\033[?25h\n'
printf 'no newline yet'
exec sleep 600
EOF
	chmod +x "$T/prog/paint"
}

has_line() { grep -q -x -F -- "$2" "$1"; }

@test "output: control sequences dropped, \\r and backspace replayed, a separator per launch" {
	painter
	roost add bob -- "$T/prog/paint" >/dev/null
	roost start bob >/dev/null
	wait_for 10 grep -q 'no newline yet' "$(plog bob)"
	run --separate-stderr roost output bob
	assert_status 0
	[[ ${lines[0]} =~ ^---\ roost:\ [0-9T:-]+Z\ launch\ fresh\ ---$ ]]
	[ "${lines[1]}" = "red and plain" ]
	[ "${lines[2]}" = "after the title" ]
	[ "${lines[3]}" = "progress 100%" ]
	[ "${lines[4]}" = "typo" ]
	[ "${lines[5]}" = "new" ]
	[ "${lines[6]}" = "cursor hidden" ]
	[ "${lines[7]}" = "no newline yet" ]
	[ "${#lines[@]}" -eq 8 ]
	[[ $output != *$'\033'* && $output != *$'\r'* ]]
	# A second launch: its own separator, on a line of its own although
	# the first run ended mid-line.
	roost restart bob --fresh >/dev/null
	# The count is taken at each look (eval), not once before the wait:
	# restart returns before the new run has printed anything.
	wait_for 10 eval '[ "$(count_lines "$(plog bob)" "no newline yet")" -eq 2 ]'
	run --separate-stderr roost output bob -n 100
	assert_status 0
	[ "$(printf '%s\n' "$output" | grep -c -E '^--- roost: .* launch fresh ---$')" -eq 2 ]
	printf '%s\n' "$output" | grep -q -x 'no newline yet'
	# -n counts lines from the end.
	run --separate-stderr roost output bob -n 2
	[ "${lines[0]}" = "cursor hidden" ]
	[ "${lines[1]}" = "no newline yet" ]
	[ "${#lines[@]}" -eq 2 ]
	roost stop bob >/dev/null
}

@test "output: a string sequence ends at its terminators, and a run that left one open does not hide the next" {
	# The first run dies inside a window title; the second one's output
	# and its separator must show.
	cat >"$T/prog/cut" <<EOF
#!/bin/sh
if [ -e "$T/second" ]; then
	echo second run
	exec sleep 600
fi
: >"$T/second"
printf 'first\033]0;title cut short'
# Ended once its last bytes are in the log, before the next launch line.
n=0
while ! grep -q 'title cut short' "$ROOST_HOME/log/bob.log" && [ \$n -lt 200 ]; do
	sleep 0.05
	n=\$((n + 1))
done
exit 3
EOF
	chmod +x "$T/prog/cut"
	roost add bob --restart always --restart-delay 0 -- "$T/prog/cut" >/dev/null
	roost start bob >/dev/null
	wait_for 10 grep -q 'second run' "$(plog bob)"
	run --separate-stderr roost output bob
	assert_status 0
	[ "${lines[1]}" = "first" ]
	[[ ${lines[2]} =~ ^---\ roost:\ .*\ launch\ [a-z]+\ ---$ ]]
	[ "${lines[3]}" = "second run" ]
	[ "${#lines[@]}" -eq 4 ]
	roost stop bob >/dev/null
	# ST as 7 and 8 bits and as a character, CAN, SUB, an ESC that
	# begins another sequence; a UTF-8 character whose last byte is 0x9c
	# inside the title is no ST; a newline after a lone ESC still ends
	# its line.
	printf 'a\033]0;t\x9cb\nc\033]0;t\xc2\x9cd\ne\033]0;t\030f\ng\033]0;t\032h\ni\033]0;t\033[1mj\nk\033]0;\xd1\x9c\033\\l\nm\033\nn\n' \
	    >"$(plog bob)"
	run --separate-stderr roost output bob
	assert_status 0
	[ "$output" = $'ab\ncd\nef\ngh\nij\nkl\nm\nn' ]
}

@test "output --raw gives the bytes as written" {
	roost add bob -- "$T/prog/forever" >/dev/null
	mkdir -p "$ROOST_HOME/log"
	printf 'a\033[31mb\r\nc\n' >"$(plog bob)"
	roost output bob --raw >"$T/raw"
	printf 'a\033[31mb\r\nc\n' | cmp - "$T/raw"
	run roost output bob
	[ "$output" = $'ab\nc' ]
}

@test "output: unknown id exits 4, a bad count 2, no log yet prints nothing" {
	run --separate-stderr roost output nosuch
	assert_status 4
	[ "$stderr" = "roost: output: nosuch: unknown identity" ]
	roost add bob -- "$T/prog/forever" >/dev/null
	run --separate-stderr roost output bob -n x
	assert_status 2
	[ "$stderr" = "roost: output: -n x: not a count" ]
	run --separate-stderr roost output bob
	assert_status 0
	[ -z "$output" ]
	run --separate-stderr roost output 'bad.id'
	assert_status 2
}

@test "output -f follows new output, a relaunch, and the log cut in place" {
	roost add bob -- "$T/prog/forever" >/dev/null
	mkdir -p "$ROOST_HOME/log"
	printf 'first\n' >"$(plog bob)"
	"$ROOST_BIN" output bob -f >"$T/follow" 2>"$T/follow.err" &
	FOLLOWER=$!
	wait_for 5 has_line "$T/follow" first
	printf 'second \033[1mbold\033[0m\n' >>"$(plog bob)"
	wait_for 5 has_line "$T/follow" "second bold"
	# A launch appends its separator and the program's output.
	roost start bob >/dev/null
	wait_for 5 grep -q -E '^--- roost: .* launch fresh ---$' "$T/follow"
	roost stop bob >/dev/null
	# The log cut in place to its newest part, as the trim does, while
	# more is appended: nothing repeated, nothing lost.
	printf 'before the cut\n' >>"$(plog bob)"
	wait_for 5 has_line "$T/follow" "before the cut"
	# In place, as the trim does: the kept tail written over the front,
	# then the file truncated behind it (same inode, never empty).
	python3 -c '
import sys
with open(sys.argv[1], "r+b") as f:
    keep = b"".join(f.readlines()[-2:])
    f.seek(0)
    f.write(keep)
    f.truncate(len(keep))' "$(plog bob)"
	printf 'after the cut\n' >>"$(plog bob)"
	wait_for 5 has_line "$T/follow" "after the cut"
	[ "$(grep -c -x 'before the cut' "$T/follow")" -eq 1 ]
	[ "$(grep -c -x 'first' "$T/follow")" -eq 1 ]
	pid_alive "$FOLLOWER"
	kill "$FOLLOWER"
	FOLLOWER=
	[ ! -s "$T/follow.err" ]
}

@test "the pane-log trim keeps its newest part from a line boundary and what was appended while it ran" {
	roost add bob -- "$T/prog/forever" >/dev/null
	roost start bob >/dev/null
	local log
	log=$(plog bob)
	# 33 MiB of numbered lines, over the 32 MiB cap.
	python3 -c '
import sys
with open(sys.argv[1], "a") as f:
    for i in range(33 * 1024 * 1024 // 32):
        f.write("line %026d\n" % i)' "$log"
	tail -n 1 "$log" >"$T/last-before"
	ROOST_TEST_TRIM_PAUSE_MS=3000 "$ROOST_BIN" tick &
	local tick=$!
	# The kept part is copied to the front first; then the trim pauses.
	wait_for 10 sh -c "! head -c 5 '$log' | grep -q '^---'"
	wait_for 10 sh -c "head -n 1 '$log' | grep -q -v 'line 0000000000000000000000000'"
	local i
	for i in $(seq 1 50); do
		printf 'during the trim %d\n' "$i" >>"$log"
	done
	wait "$tick"
	# At most the kept 8 MiB and what came during the trim.
	[ "$(file_stat size "$log")" -le $((8 * 1024 * 1024 + 1024)) ]
	# Whole lines from the first to the last.
	head -n 1 "$log" | grep -q -x -E 'line [0-9]{26}'
	grep -n -x -F -f "$T/last-before" "$log" >/dev/null
	for i in $(seq 1 50); do
		[ "$(grep -c -x "during the trim $i" "$log")" -eq 1 ]
	done
	[ "$(tail -n 1 "$log")" = "during the trim 50" ]
	roost stop bob >/dev/null
}
