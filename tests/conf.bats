#!/usr/bin/env bats
# conf/<id>.conf: sh-sourceable, gives back exactly what add wrote, and a
# strict reader that refuses bad lines naming file, line and key (exit 2)
# (roost(1): CONFIGURATION).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	CONF=$ROOST_HOME/conf/x.conf
}
teardown() { common_teardown; }

# sourced KEY FILE: KEY's value after `. FILE` under /bin/sh, byte for byte.
sourced() {
	/bin/sh -c '. "$2"; eval "printf %s \"\${$1}\""' sh "$1" "$2"
}

# roost_reads KEY ID: KEY's value as roost's own conf reader sees it,
# rendered through the sh escaper and evaluated by /bin/sh.
roost_reads() {
	mkdir -p "$T/tpl"
	printf 'v=@{%s|sh}\n' "$1" >"$T/tpl/probe.in"
	ROOST_TEMPLATES=$T/tpl roost render probe "$2" >"$T/probe.sh" || return 1
	/bin/sh -c '. "$1"; printf %s "$v"' sh "$T/probe.sh"
}

# write_conf TEXT: the conf of x, written by hand (printf %b escapes).
write_conf() {
	printf '%b' "$1" >"$CONF"
}

# refused LINE KEY WHY: status and start of x exit 2 with
# "<file>: line LINE: key 'KEY': WHY", and nothing is launched.
refused() {
	local want="$CONF: line $1: key '$2': $3" c
	[ -n "$2" ] || want="$CONF: line $1: $3"
	[ -n "$1" ] || want="$CONF: key '$2': $3"
	# stop is left out on purpose: a broken conf never keeps anyone
	# from stopping a session (see "stop works whatever the conf").
	for c in status start wake restart render; do
		if [ "$c" = render ]; then
			run --separate-stderr roost render launch x
		else
			run --separate-stderr roost "$c" x
		fi
		assert_status 2
		[ "${stderr_lines[0]}" = "roost: $c: $want" ] || {
			echo "want: roost: $c: $want" >&2
			echo "got:  ${stderr_lines[0]}" >&2
			return 1
		}
	done
	[ -z "$(ls -A "$ROOST_HOME/sock")" ]
	[ ! -e "$ROOST_HOME/state/x.session" ]
	[ ! -e "$ROOST_HOME/state/x.stopped" ]
	assert_no_processes
}

@test "stop works whatever the conf: a typo never keeps a session running" {
	roost add x -- "$T/prog/forever"
	roost start x
	printf 'bogus=1\n' >>"$ROOST_HOME/conf/x.conf"
	run roost stop x
	assert_status 0
	assert_output_has "stopped x"
	! is_running x || false
	assert_no_processes
	run --separate-stderr roost stop nosuch
	assert_status 4
	[ "$stderr" = "roost: stop: nosuch: unknown identity" ]
}

@test "a # right after a quoted value is part of the word, as in sh: refused" {
	roost add x -- true
	printf "command='echo a'#b\n" >"$ROOST_HOME/conf/x.conf"
	run --separate-stderr roost status x
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: status: $ROOST_HOME/conf/x.conf: line 1: key 'command': malformed value (values are single-quoted sh words)" ]
	printf "command='echo a' #b\n" >"$ROOST_HOME/conf/x.conf"
	run roost status x
	assert_status 3
}

@test "a command with spaces, quotes, \$HOME, backticks, a backslash and a newline sources back exactly" {
	local cmd
	cmd=$'echo "it\'s" \'single\' $HOME `id -u` back\\slash \'\'\\\'\'\nsecond line\t%#;&|*?~!'
	run roost add x -- "$cmd"
	assert_status 0
	printf %s "$cmd" >"$T/want"
	sourced command "$CONF" >"$T/got"
	cmp "$T/want" "$T/got"
	roost_reads command x >"$T/got2"
	cmp "$T/want" "$T/got2"
}

@test "every byte from 0x01 to 0xff round-trips through the conf" {
	local v
	v=$(printf '%b' "$(printf '\\%03o' $(seq 1 255))")
	# $() drops a trailing newline; none in the middle is lost.
	run roost add x --resume "$v" -- "$v"
	assert_status 0
	printf %s "$v" >"$T/want"
	sourced command "$CONF" >"$T/got"
	cmp "$T/want" "$T/got"
	sourced resume "$CONF" >"$T/got"
	cmp "$T/want" "$T/got"
	roost_reads resume x >"$T/got2"
	cmp "$T/want" "$T/got2"
}

@test "a hostile cwd and resume round-trip and the conf still parses" {
	local d="$T/dir with 'q' \"dq\" \$x \`bt\` \\"
	mkdir -p "$d"
	run roost add x --cwd "$d" --resume "it's \$RESUME" -- true
	assert_status 0
	[ "$(sourced cwd "$CONF")" = "$d" ]
	[ "$(sourced resume "$CONF")" = "it's \$RESUME" ]
	[ "$(roost_reads cwd x)" = "$d" ]
	run roost status x
	assert_status 3
	run roost render launch x
	assert_status 0
	run roost render canary x
	assert_status 0
}

@test "roost render launch x works for a hostile command and its script passes sh -n" {
	roost add x -- $'printf \'%s\\n\' "a b" \'c\'"\'"\'d\' `echo e` $HOME\necho done'
	run roost render launch x
	assert_status 0
	printf '%s\n' "$output" >"$T/launch"
	/bin/sh -n "$T/launch"
}

@test "the conf add writes is what roost's reader and . agree on for every key" {
	mkdir "$T/w"
	roost add x --cwd "$T/w" --idle 7 --restart never --crashloop 2/9 \
	    --activity "$T/w" -- true
	[ "$(sourced idle "$CONF")" = 7 ]
	[ "$(sourced restart "$CONF")" = never ]
	[ "$(sourced crashloop "$CONF")" = 2/9 ]
	[ "$(sourced activity "$CONF")" = "$T/w" ]
}

@test "hand-written comments, blank lines and indentation are accepted" {
	roost add x -- true
	write_conf "# my notes\n\n   \n\t# indented comment\ncommand='echo hi'   # trailing comment\n  idle=60\n\nrestart=always\t\n# end"
	run roost status x
	assert_status 3
	run roost render launch x
	assert_status 0
	[ "$(roost_reads command x)" = "echo hi" ]
}

@test "a conf without a final newline and with only command is accepted" {
	roost add x -- true
	write_conf "command='true'"
	run roost status x
	assert_status 3
	write_conf "command=true"
	run roost status x
	assert_status 3
}

@test "an unknown key is refused (exit 2) naming file, line and key" {
	roost add x -- true
	write_conf "command='true'\ncolor='red'\n"
	refused 2 color "unknown key"
}

@test "a duplicate key is refused (exit 2) naming file, line and key" {
	roost add x -- true
	write_conf "command='a'\nidle=5\ncommand='b'\n"
	refused 3 command "given twice"
}

@test "a line without = is refused (exit 2) naming file, line and key" {
	roost add x -- true
	write_conf "command='a'\n\nidle 5\n"
	refused 3 idle "malformed line (expected key=value)"
}

@test "a line that is not key=value at all is refused (exit 2) naming file and line" {
	roost add x -- true
	write_conf "command='a'\n'oops'\n"
	refused 2 "" "malformed line (expected key=value)"
}

@test "an unterminated quote is refused (exit 2) naming file, line and key" {
	roost add x -- true
	write_conf "# c\ncommand='a\nidle=5\n"
	refused 2 command "unterminated quote"
}

@test "a double-quoted or trailing-garbage value is refused (exit 2) naming the key" {
	roost add x -- true
	write_conf "command=\"a\"\n"
	refused 1 command "malformed value (values are single-quoted sh words)"
	write_conf "command='a' b\n"
	refused 1 command "malformed value (values are single-quoted sh words)"
	write_conf "command='a';rm\n"
	refused 1 command "malformed value (values are single-quoted sh words)"
}

@test "a bad idle is refused (exit 2) naming file, line and key" {
	roost add x -- true
	for v in abc -1 1.5 "''" 99999999999; do
		write_conf "command='a'\nidle=$v\n"
		refused 2 idle "not a number of seconds (0 = never)"
	done
}

@test "a bad restart is refused (exit 2) naming file, line and key" {
	roost add x -- true
	write_conf "command='a'\nrestart=maybe\n"
	refused 2 restart "must be always, on-failure or never"
}

@test "a bad crashloop is refused (exit 2) naming file, line and key" {
	roost add x -- true
	for v in 3 0/300 3/0 x/y 17/300; do
		write_conf "command='a'\ncrashloop=$v\n"
		refused 2 crashloop "must be N/SECS with N from 1 to 16, e.g. 3/300"
	done
}

@test "a relative cwd or activity is refused (exit 2) naming file, line and key" {
	roost add x -- true
	write_conf "command='a'\ncwd='rel/dir'\n"
	refused 2 cwd "not an absolute path"
	write_conf "command='a'\nactivity='x.log'\n"
	refused 2 activity "not an absolute path"
}

@test "a missing or empty command is refused (exit 2) naming file and key" {
	roost add x -- true
	write_conf "idle=5\nrestart=never\n"
	refused "" command "missing"
	write_conf "command=''\n"
	refused 1 command "empty command"
}

@test "a NUL byte is refused (exit 2) naming file and line" {
	roost add x -- true
	write_conf "command='a'\nidle=5\0\n"
	refused 2 "" "contains a NUL byte"
}

@test "status of every identity exits 2 when one conf is bad, and still lists the others" {
	roost add good -- true
	roost add x -- true
	write_conf "command='a'\nbogus=1\n"
	run --separate-stderr roost status
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: status: $CONF: line 2: key 'bogus': unknown key" ]
	grep -q '^good ' <<<"$output"
}

@test "a conf that is a symlink is never read" {
	roost add x -- true
	printf "command='from the link'\n" >"$T/elsewhere.conf"
	rm "$CONF"
	ln -s "$T/elsewhere.conf" "$CONF"
	run --separate-stderr roost render launch x
	assert_status 1
	[ "$stderr" = "roost: render: $CONF: refusing to open a symlink" ]
}
