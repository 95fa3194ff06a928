#!/usr/bin/env bats
# completions.bats - the bash, zsh and fish completions complete the
# commands and options roost's help lists, identity names from the
# home's conf/ (also with -H), and the values of --scheduler, --format
# and --restart.  (make install puts them in place: install-prefix.bats.)

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	C=$BATS_TEST_DIRNAME/../completions
	mkdir -p "$T/pbin"
	ln -s "$ROOST_BIN" "$T/pbin/roost"
	export PATH="$T/pbin:$PATH"
	roost add bob -- true >/dev/null
	roost add alice -- true >/dev/null
	roost -H "$T/other" add carol -- true >/dev/null
}

teardown() { common_teardown; }

# bcomp WORD...: what bash completes for the last word.
bcomp() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMPREPLY=(); _roost; printf "%s\n" "${COMPREPLY[@]}"' sh "$C/roost.bash" "$@" |
	    sort | tr '\n' ' '
}

@test "the three files parse: bash -n, zsh -n, fish -n" {
	need_tool zsh "its syntax is not checked"
	need_tool fish "its syntax is not checked"
	bash -n "$C/roost.bash"
	zsh -n "$C/_roost"
	fish -n "$C/roost.fish"
}

@test "bash: commands, options from each command's help, ids, option values" {
	[ "$(bcomp roost st)" = "start status stop " ]
	local c
	for c in $("$ROOST_BIN" help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'); do
		[[ " $(bcomp roost '') " == *" $c "* ]] || { echo "no $c" >&2; false; }
	done
	[ "$(bcomp roost start '')" = "alice bob " ]
	[ "$(bcomp roost -H "$T/other" stop '')" = "carol " ]
	[ "$(bcomp roost install --sch)" = "--scheduler " ]
	[ "$(bcomp roost install --scheduler '')" = "auto cron launchd none systemd " ]
	[ "$(bcomp roost status --format '')" = "json logfmt table " ]
	[ "$(bcomp roost log --format '')" = "json logfmt " ]
	[ "$(bcomp roost add x --restart '')" = "always never on-failure " ]
	[ "$(bcomp roost output bob --)" = "--follow --help --lines --raw " ]
	[[ $(bcomp roost render '') == *"roost-tick.timer"* ]]
	[ "$(bcomp roost render canary '')" = "alice bob " ]
	# send takes the id, then free text; help also knows conf.
	[ "$(bcomp roost send '')" = "alice bob " ]
	[ -z "$(bcomp roost send bob '' | tr -d ' ')" ]
	[[ " $(bcomp roost help co) " == *" conf "* ]]
	# Every long option of every command's help is offered.
	local o offered
	for c in install uninstall add rm restart tick status render output log; do
		offered=" $(bcomp roost "$c" --) "
		for o in $("$ROOST_BIN" "$c" --help | grep -oE -- '^  (-[a-zA-Z][^,]*, )?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*'); do
			[[ $offered == *" $o "* ]] || { echo "$c: no $o" >&2; false; }
		done
	done
}

@test "fish: commands, ids and option values" {
	need_tool fish
	run fish -c "source '$C/roost.fish'; complete -C'roost sta'"
	[[ $output == *start* && $output == *status* ]]
	run fish -c "source '$C/roost.fish'; complete -C'roost start '"
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = "alice bob " ]
	run fish -c "source '$C/roost.fish'; complete -C'roost install --scheduler '"
	[[ $output == *systemd* ]]
	run fish -c "source '$C/roost.fish'; complete -C'roost send '"
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = "alice bob " ]
	run fish -c "source '$C/roost.fish'; complete -C'roost help con'"
	[[ $output == *conf* ]]
}

@test "zsh: commands, ids and option values (compadd recorded)" {
	need_tool zsh
	run zsh -c '
		compadd() { print -r -- "compadd $*"; }
		_describe() { print -r -- "describe ${(P)4}"; }
		source "$1" 2>/dev/null
		t() { words=("$@"); CURRENT=$#; _roost; }
		t roost ""
		t roost start ""
		t roost install --scheduler ""
		t roost log -
		t roost help ""' zsh "$C/_roost"
	assert_output_has "describe install:set up the home"
	assert_output_has "compadd auto cron systemd launchd none"
	assert_output_has "compadd -- --lines --follow --format"
	assert_output_has "compadd conf"
	# ids: compadd -a ids, with the array holding both.
	run zsh -c '
		compadd() { print -r -- "${(@P)2}"; }
		source "$1" 2>/dev/null
		words=(roost start ""); CURRENT=3; _roost
		words=(roost send ""); CURRENT=3; _roost' zsh "$C/_roost"
	assert_output_has "alice bob"
	[ "$(printf '%s\n' "$output" | grep -c 'alice bob')" -eq 2 ]
}
