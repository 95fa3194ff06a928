#!/usr/bin/env bats
# The command line: help, --version, usage errors and the error format
# "roost: <command>: <what>: <why>" on stderr (roost(1), EXIT STATUS).

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

@test "roost help lists every command on stdout and exits 0" {
	run --separate-stderr roost help
	assert_status 0
	[ -z "$stderr" ]
	case $output in "usage: roost "*) ;; *) false ;; esac
	for c in install uninstall add rm start stop wake restart tick status \
	    render attach log canary help; do
		grep -q -E "^  $c " <<<"$output" || {
			echo "help does not list $c" >&2
			false
		}
	done
}

@test "roost help add prints the add usage line on stdout and exits 0" {
	run --separate-stderr roost help add
	assert_status 0
	[ -z "$stderr" ]
	[ "${lines[0]%% <id>*}" = "usage: roost add" ]
	assert_output_has "--replace"
	assert_output_has "-- CMD"
}

@test "roost add --help prints the same help as roost help add" {
	run --separate-stderr roost add --help
	assert_status 0
	[ -z "$stderr" ]
	[ "$output" = "$(roost help add)" ]
}

@test "every command has --help with a usage line, exit 0, and writes nothing" {
	for c in install uninstall add rm start stop wake restart tick status \
	    render attach log canary help; do
		run --separate-stderr roost "$c" --help
		assert_status 0
		case ${lines[0]} in
		"usage: roost $c"*) ;;
		*) echo "$c --help: ${lines[0]}" >&2; false ;;
		esac
	done
	[ ! -e "$ROOST_HOME" ]
}

@test "roost --version prints 'roost <version>' and exits 0" {
	run --separate-stderr roost --version
	assert_status 0
	[[ $output =~ ^roost\ [0-9]+\.[0-9]+(\.[0-9]+)?$ ]]
	[ -z "$stderr" ]
}

@test "roost with no command prints usage on stderr and exits 2" {
	run --separate-stderr roost
	assert_status 2
	[ -z "$output" ]
	case $stderr in "usage: roost "*) ;; *) false ;; esac
}

@test "an unknown command exits 2 with 'roost: unknown command: <cmd>' on stderr" {
	run --separate-stderr roost frobnicate
	assert_status 2
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "roost: unknown command: frobnicate" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ ! -e "$ROOST_HOME" ]
}

@test "roost help of an unknown command exits 2 and names it" {
	run --separate-stderr roost help frobnicate
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: help: unknown command: frobnicate" ]
}

@test "an unknown command option exits 2 and the message names the option" {
	run --separate-stderr roost add bob --frob -- true
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: add: unknown option: --frob" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ ! -e "$ROOST_HOME/conf/bob.conf" ]
}

@test "an unknown short option exits 2 and names it" {
	run --separate-stderr roost status -z
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: status: unknown option: -z" ]
}

@test "an unknown global option exits 2 and names it" {
	run --separate-stderr roost --frob status
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: unknown option: --frob" ]
}

@test "a flag given a value exits 2 and says it takes none" {
	run --separate-stderr roost rm bob --force=yes
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: rm: option --force takes no value" ]
}

@test "an option missing its value exits 2 and names the option" {
	run --separate-stderr roost add bob --idle
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: add: option --idle needs a value" ]
}

@test "a missing id exits 2 with 'missing argument', one line" {
	for c in add rm start stop wake restart attach canary render; do
		run --separate-stderr roost "$c"
		assert_status 2
		[ "${stderr_lines[0]}" = "roost: $c: missing argument" ] || {
			echo "$c: ${stderr_lines[0]}" >&2
			false
		}
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
}

@test "add without a command after -- exits 2 and writes no conf" {
	run --separate-stderr roost add bob --
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: add: missing the command after --: roost add bob [OPTIONS] -- CMD [ARG...]" ]
	run --separate-stderr roost add bob
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: add: missing the command after --: roost add bob [OPTIONS] -- CMD [ARG...]" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ ! -e "$ROOST_HOME" ]
	run --separate-stderr roost add bob -- "  "
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: add: missing command after --" ]
	[ ! -e "$ROOST_HOME/conf/bob.conf" ]
}

@test "extra positional words exit 2 and name the first one" {
	run --separate-stderr roost rm bob alice
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: rm: unexpected argument: alice" ]
}

@test "-H beats ROOST_HOME" {
	run roost -H "$T/other" add bob -- true
	assert_status 0
	[ -f "$T/other/conf/bob.conf" ]
	[ ! -e "$ROOST_HOME" ]
	run roost -H "$T/other" status bob
	assert_status 3
	run --separate-stderr roost status bob
	assert_status 4
}

@test "-HDIR (attached) is the same as -H DIR" {
	run roost "-H$T/other" add bob -- true
	assert_status 0
	[ -f "$T/other/conf/bob.conf" ]
	[ ! -e "$ROOST_HOME" ]
}

@test "ROOST_HOME is used when -H is absent; else \$HOME/.roost" {
	run roost add bob -- true
	assert_status 0
	[ -f "$ROOST_HOME/conf/bob.conf" ]
	mkdir "$T/h"
	(
		unset ROOST_HOME
		HOME=$T/h roost add carol -- true
	)
	[ -f "$T/h/.roost/conf/carol.conf" ]
}

@test "errors are one line 'roost: <command>: <what>: <why>' on stderr, nothing on stdout" {
	run --separate-stderr roost status nosuch
	assert_status 4
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "roost: status: nosuch: unknown identity" ]

	run --separate-stderr roost add bob --cwd "$T/none" -- true
	assert_status 2
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "roost: add: --cwd $T/none: no such directory: create it first (mkdir -p '$T/none') or give one that exists" ]
}

@test "-q silences success output but not errors" {
	run --separate-stderr roost -q add bob -- true
	assert_status 0
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr roost -q add bob -- true
	assert_status 2
	[ -z "$output" ]
	case $stderr in "roost: add: bob: already defined"*) ;; *) false ;; esac
}

@test "a write error on stdout is an error (exit 1), not a silent success" {
	run --separate-stderr sh -c '"$1" --version >/dev/full' sh "$ROOST_BIN"
	assert_status 1
	case $stderr in "roost: "*"stdout: No space left on device") ;; *) false ;; esac
}

@test "-q, -v and -H work after the command too" {
	run --separate-stderr roost add bob -q -- true
	assert_status 0
	[ -z "$output" ]
	run --separate-stderr roost tick -v
	assert_status 0
	[[ $output == "tick ids=1 "* ]]
	run --separate-stderr roost status -H "$T/other"
	assert_status 0
	[[ $output != *bob* ]]
	run --separate-stderr "$ROOST_BIN" add alice -H"$T/other" -- true
	assert_status 0
	[ -f "$T/other/conf/alice.conf" ]
	[ ! -e "$ROOST_HOME/conf/alice.conf" ]
	# -H beats ROOST_HOME wherever it stands; a word after -- is the command's.
	run --separate-stderr roost add carol -- echo -H -v
	assert_status 0
	[ "$(. "$ROOST_HOME/conf/carol.conf" && printf %s "$command")" = "'echo' '-H' '-v'" ]
	run --separate-stderr roost status -H
	assert_status 2
	[ "$stderr" = "roost: status: option -H needs a directory" ]
}
