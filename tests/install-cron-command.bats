#!/usr/bin/env bats
# install-cron-command.bats - the command inside the cron block, taken
# exactly as cron would run it (schedule fields dropped, cron's % escapes
# undone, run by sh under a bare environment), performs a real tick.

load helpers
load install-helpers

setup() {
	common_setup
	stand_ins
}

teardown() {
	common_teardown
}

# run_cron_line: run the block's command the way cron does: sh -c under
# an environment holding nothing but HOME and cron's PATH.
run_cron_line() {
	local line cmd
	line=$(cron_entry)
	[ -n "$line" ]
	cmd=$(printf '%s\n' "$line" | cron_command)
	run env -i HOME="$HOME" PATH=/usr/bin:/bin sh -c "$cmd"
}

@test "the cron command ticks under env -i for a home with a space, a quote and %" {
	export ROOST_HOME="$T/my h'o%me"
	roost add bob -- "$T/prog/forever"
	run roost install --scheduler cron
	assert_status 0
	# cron would cut the line at a bare %: every % must be escaped.
	cron_entry | grep -q -F "o\\%me"
	touch "$ROOST_HOME/state/bob.wake"
	run_cron_line
	assert_status 0
	[ -f "$ROOST_HOME/log/tick.out" ]
	wait_for 5 is_running bob
	[ ! -e "$ROOST_HOME/state/bob.wake" ]
	[ -f "$ROOST_HOME/state/bob.session" ]
	grep -q 'ev=launch id=bob mode=fresh cause=wake' "$ROOST_HOME/log/lifecycle.log"
	grep -q 'ev=tick ' "$ROOST_HOME/log/lifecycle.log"
	# A second run of the entry finds it healthy and launches nothing.
	run_cron_line
	assert_status 0
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" 'ev=launch ')" -eq 1 ]
	roost stop bob
	assert_no_processes
}

@test "the baked PATH is the one the session sees, not cron's" {
	mkdir -p "$T/mybin"
	printf '#!/bin/sh\necho "$PATH" >"%s/seen-path"\nexec sleep 600\n' "$T" \
	    >"$T/mybin/only-here"
	chmod +x "$T/mybin/only-here"
	export PATH="$T/mybin:$PATH"
	roost add bob -- only-here
	roost install --scheduler cron
	touch "$ROOST_HOME/state/bob.wake"
	run_cron_line
	assert_status 0
	wait_for 5 test -s "$T/seen-path"
	case $(cat "$T/seen-path") in "$T/mybin:"*) ;; *) false ;; esac
	roost stop bob
}

@test "hostile values in the cron line come out of cron and sh exactly" {
	# Stand-in "roost" that reports the environment it was given.
	printf '#!/bin/sh\nprintf "%%s\\n" "$ROOST_HOME" "$PATH" "$1" >"%s/seen"\n' \
	    "$T" >"$T/prog/show env"
	chmod +x "$T/prog/show env"
	mkdir -p "$ROOST_HOME/log"
	for v in "a b" "it's" '50%' 'back\%slash' 'two\\%%' '$HOME `id` "q"' \
	    'end\'; do
		run "$ROOST_BIN" render crontab --set "home=/h/$v" \
		    --set "env=ROOST_HOME=/h/$v"$'\n'"PATH=/p/$v:/usr/bin:/bin" \
		    --set "roost=$T/prog/show env"
		assert_status 0
		line=$(printf '%s\n' "$output" | grep -v '^#')
		cmd=$(printf '%s\n' "$line" | cron_command)
		rm -f "$T/seen"
		env -i HOME="$HOME" PATH=/usr/bin:/bin sh -c "$cmd"
		printf '%s\n' "/h/$v" "/p/$v:/usr/bin:/bin" tick >"$T/want"
		diff -u "$T/want" "$T/seen"
	done
}

@test "the installed cron command under env -i runs the tick with the HOME, PATH and locale of the install" {
	mkdir -p "$T/mybin" "$T/inst-home"
	printf '#!/bin/sh\nenv >"%s/seen-env"\nexec sleep 600\n' "$T" >"$T/mybin/show-env"
	chmod +x "$T/mybin/show-env"
	roost add bob -- show-env
	env -i HOME="$T/inst-home" PATH="$T/mybin:/usr/bin:/bin" LANG=C.UTF-8 \
	    LC_TIME=POSIX ROOST_HOME="$ROOST_HOME" ROOST_CRONTAB="$ROOST_CRONTAB" \
	    ROOST_TMUX_CONF=/dev/null "$ROOST_BIN" install --scheduler cron
	touch "$ROOST_HOME/state/bob.wake"
	line=$(cron_entry)
	cmd=$(printf '%s\n' "$line" | cron_command)
	run env -i HOME=/elsewhere PATH=/usr/bin:/bin sh -c "$cmd"
	assert_status 0
	wait_for 5 test -s "$T/seen-env"
	grep -q -x "HOME=$T/inst-home" "$T/seen-env"
	grep -q -x "PATH=$T/mybin:/usr/bin:/bin" "$T/seen-env"
	grep -q -x "LANG=C.UTF-8" "$T/seen-env"
	grep -q -x "LC_TIME=POSIX" "$T/seen-env"
	grep -q -x "ROOST_HOME=$ROOST_HOME" "$T/seen-env"
	roost stop bob
}
