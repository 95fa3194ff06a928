#!/usr/bin/env bats
# The renderer: every template against its golden file, every sh
# rendering clean under sh -n and shellcheck, scripts that still run for
# a hostile home path, and renderer errors that name template and line.
#
# Regenerate the golden files after a deliberate template change with
#   ROOST_UPDATE_GOLDEN=1 bats tests/render.bats
# and review the diff.

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# The golden files show the home as /tmp/roost-golden/home; each test
# renders in a home of its own under $T and writes that path back as
# /tmp/roost-golden, so no run shares a path with another.
GOLDEN_SHOWN=/tmp/roost-golden

# golden NAME: render NAME for identity bob in the test's own home, with
# every environment-dependent variable pinned, and diff -u it against
# tests/golden/NAME (or write it when ROOST_UPDATE_GOLDEN=1).
golden() {
	local name=$1 want=$BATS_TEST_DIRNAME/golden/$1 root=$T/g home
	home=$root/home
	mkdir -m 0700 "$root"
	(
		unset ROOST_HOME ROOST_SOCK_DIR ROOST_TEMPLATES
		export ROOST_TMUX=/usr/bin/tmux HOME=/home/user
		"$ROOST_BIN" -H "$home" add bob --cwd / -- sleep 1000 >/dev/null &&
		    "$ROOST_BIN" -H "$home" render "$name" bob \
			--set env="$(printf '%s\n' HOME=/home/user \
			    "ROOST_HOME=$home" "ROOST_SOCK_DIR=$home/sock" \
			    PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8)" \
			--set roost=/usr/local/bin/roost \
			--set utmp_shim=/usr/local/lib/roost/noutmp.so \
			--set forensics=forensics-linux
	) >"$T/$name.raw"
	[ "$?" -eq 0 ]
	ROOT=$root SHOWN=$GOLDEN_SHOWN python3 -c '
import os, sys
e = os.environ
sys.stdout.write(sys.stdin.read().replace(e["ROOT"], e["SHOWN"]))' \
	    <"$T/$name.raw" >"$T/$name.out"
	if [ "${ROOST_UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "${want%/*}"
		cp "$T/$name.out" "$want"
	fi
	diff -u "$want" "$T/$name.out"
}

@test "golden: launch" { golden launch; }
@test "golden: canary" { golden canary; }
@test "golden: pane-died" { golden pane-died; }
@test "golden: tmux-hook" { golden tmux-hook; }
@test "golden: pipe-pane" { golden pipe-pane; }
@test "golden: alert-hook" { golden alert-hook; }
@test "golden: backoff" { golden backoff; }
@test "golden: crontab" { golden crontab; }
@test "golden: launchd.plist" { golden launchd.plist; }
@test "golden: roost-tick.service" { golden roost-tick.service; }
@test "golden: roost-tick.timer" { golden roost-tick.timer; }
@test "golden: forensics-linux" { golden forensics-linux; }
@test "golden: forensics-darwin" { golden forensics-darwin; }
@test "golden: sh-lib" { golden sh-lib; }

@test "every template in templates/ has a golden file" {
	local f n
	for f in "$BATS_TEST_DIRNAME"/../templates/*.in; do
		n=${f##*/}
		n=${n%.in}
		[ -f "$BATS_TEST_DIRNAME/golden/$n" ] || {
			echo "no golden file for template $n" >&2
			false
		}
	done
}

# sh_clean FILE [SHELLCHECK-OPTION...]: sh -n and shellcheck -s sh both
# accept FILE.
sh_clean() {
	/bin/sh -n "$1"
	shellcheck -s sh "${@:2}" "$1"
}

# For a hostile home, shellcheck's hints about quotes and $ inside
# single-quoted literals (SC2016, SC2089, SC2090) are about the data, not
# the script: the run tests below show the data stays data.
HOSTILE_SC="-e SC2016,SC2089,SC2090"

@test "the rendered launch, canary and pane-died scripts pass sh -n and shellcheck -s sh" {
	roost add x -- "$T/prog/forever"
	local t
	for t in launch canary pane-died; do
		roost render "$t" x >"$T/$t.sh"
		sh_clean "$T/$t.sh"
	done
	roost render canary x --set forensics=forensics-darwin >"$T/canary-darwin.sh"
	sh_clean "$T/canary-darwin.sh"
	roost render canary x --set forensics=forensics-linux >"$T/canary-linux.sh"
	sh_clean "$T/canary-linux.sh"
	# What add wrote is what render prints.
	cmp "$T/launch.sh" "$ROOST_HOME/bin/x.launch"
	cmp "$T/canary.sh" "$ROOST_HOME/bin/x.canary"
	cmp "$T/pane-died.sh" "$ROOST_HOME/bin/pane-died"
}

# A home path holding a space, both quotes, $, a backtick, # and a backslash.
hostile_home() {
	H="$T/h o'm\"e \$x \`id\` #{p} \\b"
	DIR="$T/dir with 'q' #{x} \$y"
	mkdir -p "$DIR"
}

@test "scripts rendered for a hostile home path pass sh -n and shellcheck -s sh" {
	hostile_home
	run roost -H "$H" add x --cwd "$DIR" -- "$T/prog/forever"
	assert_status 0
	sh_clean "$H/bin/x.launch" $HOSTILE_SC
	sh_clean "$H/bin/x.canary" $HOSTILE_SC
	sh_clean "$H/bin/pane-died" $HOSTILE_SC
	roost -H "$H" render canary x --set forensics=forensics-darwin >"$T/c.sh"
	sh_clean "$T/c.sh" $HOSTILE_SC
}

@test "the launch script of a hostile home runs under /bin/sh: cwd, ROOST_ID, ROOST_HOME, command" {
	hostile_home
	roost -H "$H" add x --cwd "$DIR" \
	    --resume 'echo "resumed $1" >"$ROOST_HOME/../resumed"' \
	    -- 'printf "%s\n" "$(pwd)" "$ROOST_ID" "$ROOST_HOME" "it'\''s" >../out'
	run /bin/sh "$H/bin/x.launch" fresh
	assert_status 0
	[ "$(sed -n 1p "$T/out")" = "$DIR" ]
	[ "$(sed -n 2p "$T/out")" = x ]
	[ "$(sed -n 3p "$T/out")" = "$H" ]
	[ "$(sed -n 4p "$T/out")" = "it's" ]
	run "$H/bin/x.launch" resume
	assert_status 0
	[ "$(cat "$T/resumed")" = "resumed " ]
}

@test "the launch script refuses a bad mode and reports a missing cwd" {
	roost add x --cwd "$T/prog" -- true
	run --separate-stderr "$ROOST_HOME/bin/x.launch" bogus
	assert_status 2
	[ "$stderr" = "usage: $ROOST_HOME/bin/x.launch fresh|resume" ]
	rmdir "$T/prog" 2>/dev/null || mv "$T/prog" "$T/prog.gone"
	run --separate-stderr "$ROOST_HOME/bin/x.launch" fresh
	assert_status 111
	[[ $stderr == *"roost: x: cannot change to directory $T/prog" ]]
}

@test "a session in a hostile home runs: the hook, pipe-pane and -c all survive the path" {
	hostile_home
	roost -H "$H" add x --restart never --cwd "$DIR" \
	    -- 'echo hello-from-pane; pwd >"$ROOST_HOME/../pwd"; exit 3'
	run roost -H "$H" start x
	assert_status 0
	[ "$output" = "started x (fresh)" ]
	wait_for 5 test -s "$T/pwd"
	[ "$(cat "$T/pwd")" = "$DIR" ]
	# The pane-died hook ran from a hook string holding the hostile path.
	wait_for 10 grep -q ' ev=session-exit id=x status=3 ' "$H/log/exits.log" || {
		echo "no session-exit; lifecycle.log, exits.log and state/:" >&2
		cat "$H/log/lifecycle.log" "$H/log/exits.log" >&2
		ls -la "$H/state" >&2
		false
	}
	wait_for 5 test -f "$H/state/x.last-exit"
	# pipe-pane wrote the pane's output to log/x.log.
	wait_for 5 grep -q hello-from-pane "$H/log/x.log"
	# The session was killed, so the server exited cleanly: no death
	# reached the canary.
	wait_for 5 sh -c '! "$1" -S "$2" has-session 2>/dev/null' sh "$TMUX_BIN" "$H/sock/x"
	[ "$(count_lines "$H/log/exits.log" 'ev=server-exit')" -eq 0 ]
	run roost -H "$H" stop x
	assert_status 0
	assert_no_processes
}

# A pane-died line: exactly the documented fields, in order.
EXIT_RE='^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ev=session-exit id=x'

@test "pane-died run by hand appends one well-formed line to exits.log and writes .last-exit" {
	hostile_home
	roost -H "$H" add x -- true
	run "$H/bin/pane-died" id=x pane_pid=1 status=3 signal= server_pid=2
	assert_status 0
	[ -z "$output" ]
	[ "$(wc -l <"$H/log/exits.log")" -eq 1 ]
	grep -Eq "$EXIT_RE status=3 signal= oom= pane_pid=1 server_pid=2\$" "$H/log/exits.log"
	cmp "$H/log/exits.log" "$H/state/x.last-exit"
	run python3 "$BATS_TEST_DIRNAME/logfmt.py" check "$H/log/exits.log"
	assert_status 0
	[ "$(file_stat mode "$H/state/x.last-exit")" = 600 ]
	# A second exit appends; .last-exit holds only the newest.
	run "$H/bin/pane-died" id=x pane_pid=5 status= signal=9 server_pid=6
	assert_status 0
	[ "$(wc -l <"$H/log/exits.log")" -eq 2 ]
	# A SIGKILL says whether the OOM killer did it and has a snapshot.
	grep -Eq "$EXIT_RE status= signal=SIGKILL oom=(yes|no|unknown) pane_pid=5 server_pid=6 forensics=\".*/log/server-deaths/x-[0-9]+-5\\.txt\"\$" "$H/log/exits.log"
	[ "$(wc -l <"$H/state/x.last-exit")" -eq 1 ]
	grep -Eq "$EXIT_RE status= signal=SIGKILL oom=(yes|no|unknown) pane_pid=5 server_pid=6 " "$H/state/x.last-exit"
	# macOS tmux gives the signal as a lowercase name: the same record.
	run "$H/bin/pane-died" id=x pane_pid=7 status= signal=segv server_pid=8
	assert_status 0
	grep -Eq "$EXIT_RE status= signal=SIGSEGV oom= pane_pid=7 server_pid=8\$" "$H/log/exits.log"
	# What the launch script saw (the program's own signal) wins over a
	# status above 128.
	run "$H/bin/pane-died" id=x pane_pid=9 status=139 signal= server_pid=10 rsig=SIGSEGV
	assert_status 0
	grep -Eq "$EXIT_RE status= signal=SIGSEGV oom= pane_pid=9 server_pid=10\$" "$H/log/exits.log"
	[ -z "$(find "$H/state" -name '.*tmp*')" ]
}

@test "pane-died dismisses the canary by removing its pidfile, and signals nobody: not even a process naming the canary" {
	need_tool setsid "the stand-in canary leads its own process group"
	roost add x -- true
	# A stand-in whose command line names x's canary, as the real one's does.
	cp "$T/prog/forever" "$T/prog/x.canary"
	setsid "$T/prog/x.canary" &
	local cpid=$!
	wait_for 5 pid_alive "$cpid"
	echo "$cpid 1" >"$ROOST_HOME/state/x.canary"
	run "$ROOST_HOME/bin/pane-died" id=x pane_pid=1 status=0 signal= server_pid=2
	assert_status 0
	[ ! -e "$ROOST_HOME/state/x.canary" ]
	grep -q ' ev=session-exit id=x status=0 signal= ' "$ROOST_HOME/log/exits.log"
	sleep 0.2
	pid_alive "$cpid"
	kill -TERM -- "-$cpid"
	wait_for 5 pid_gone "$cpid"
}

@test "pane-died never signals a pid in a stale .canary that is not the canary" {
	need_tool setsid "the stand-in leads its own process group"
	roost add x -- true
	setsid "$T/prog/forever" &
	local cpid=$!
	wait_for 5 pid_alive "$cpid"
	echo "$cpid" >"$ROOST_HOME/state/x.canary"
	run "$ROOST_HOME/bin/pane-died" id=x pane_pid=1 status=0 signal= server_pid=2
	assert_status 0
	[ ! -e "$ROOST_HOME/state/x.canary" ]
	sleep 0.2
	pid_alive "$cpid"
	kill -TERM -- "-$cpid"
	wait_for 5 pid_gone "$cpid"
}

@test "pane-died refuses a bad identity (exit 2) and writes nothing" {
	roost add x -- true
	local id
	for id in "" "../x" "a b" "-x" "x.y"; do
		run --separate-stderr "$ROOST_HOME/bin/pane-died" "id=$id" pane_pid=1 status=1
		assert_status 2
		[ "${stderr% }" = "roost pane-died: bad identity:${id:+ $id}" ]
	done
	[ ! -e "$ROOST_HOME/log/exits.log" ]
	[ -z "$(ls -A "$ROOST_HOME/state" | grep -v '\.lock$')" ]
}

@test "pane-died drops non-numeric fields instead of logging them" {
	roost add x -- true
	run "$ROOST_HOME/bin/pane-died" id=x 'pane_pid=1 evil=1' 'status=$(id)' \
	    'signal=x y' server_pid=2
	assert_status 0
	grep -Eq "$EXIT_RE status= signal= oom= pane_pid= server_pid=2\$" "$ROOST_HOME/log/exits.log"
}

# A template directory for the error tests.
tpl() {
	mkdir -p "$T/tpl"
	printf '%b' "$2" >"$T/tpl/$1.in"
	export ROOST_TEMPLATES=$T/tpl
}

@test "an unknown placeholder is an error (exit 2) naming template and line" {
	tpl bad 'first\nsecond @{home|sh}\nthird @{nosuch|sh}\n'
	run --separate-stderr roost render bad
	assert_status 2
	[ -z "$output" ]
	[ "$stderr" = "roost: render: template bad, line 3: unknown placeholder 'nosuch'" ]
}

@test "an unknown escaper is an error (exit 2) naming template and line" {
	tpl bad '\n\n@{home|sh|bogus}\n'
	run --separate-stderr roost render bad
	assert_status 2
	[ "$stderr" = "roost: render: template bad, line 3: unknown escaper 'bogus' in @{home|sh|bogus}" ]
	tpl bad 'x @{home|}\n'
	run --separate-stderr roost render bad
	assert_status 2
	[ "$stderr" = "roost: render: template bad, line 1: unknown escaper '' in @{home|}" ]
}

@test "an unterminated placeholder is an error (exit 2) naming template and line" {
	tpl bad 'one\ntwo @{home|sh\nthree }\n'
	run --separate-stderr roost render bad
	assert_status 2
	[ "$stderr" = "roost: render: template bad, line 2: unterminated placeholder" ]
	tpl bad 'one\n@{home|sh'
	run --separate-stderr roost render bad
	assert_status 2
	[ "$stderr" = "roost: render: template bad, line 2: unterminated placeholder" ]
}

@test "a placeholder without an escaper is an error (exit 2) naming template and line" {
	tpl bad '# ok\nROOST_HOME=@{home}\n'
	run --separate-stderr roost render bad
	assert_status 2
	[ "$stderr" = "roost: render: template bad, line 2: @{home} names no escaper" ]
}

@test "@@ is a literal @ and a lone @ passes through" {
	tpl ok 'a@@{home|sh} b@c @ @{home|sh}\n'
	run roost render ok
	assert_status 0
	[ "$output" = "a@{home|sh} b@c @ '$ROOST_HOME'" ]
}

@test "an include that nests too deep is an error (exit 2)" {
	tpl loop 'x @{self|include}\n'
	run --separate-stderr roost render loop --set self=loop
	assert_status 2
	[[ $stderr == "roost: render: template loop, line 1: includes nested too deep" ]]
}

@test "a bad override of a template add needs makes add fail (exit 2) and write nothing" {
	tpl canary '#!/bin/sh\n@{oops|sh}\n'
	run --separate-stderr roost add x -- true
	assert_status 2
	[ "$stderr" = "roost: add: template canary, line 2: unknown placeholder 'oops'" ]
	[ -z "$(find "$ROOST_HOME" ! -type d)" ]
}

@test "ROOST_TEMPLATES overrides one template, the others stay built in" {
	tpl launch '#!/bin/sh\n# custom for @{id|raw}\n'
	roost add x -- true
	[ "$(cat "$ROOST_HOME/bin/x.launch")" = $'#!/bin/sh\n# custom for x' ]
	grep -q '^# roost canary for identity x' "$ROOST_HOME/bin/x.canary"
}

@test "\$ROOST_HOME/templates overrides a template; ROOST_TEMPLATES beats it" {
	roost add x -- true
	mkdir "$ROOST_HOME/templates"
	printf 'home %s\n' '@{id|raw}' >"$ROOST_HOME/templates/pipe-pane.in"
	run roost render pipe-pane x
	assert_status 0
	[ "$output" = "home x" ]
	tpl pipe-pane 'env @{id|raw}\n'
	run roost render pipe-pane x
	assert_status 0
	[ "$output" = "env x" ]
}

@test "--set overrides a variable, also an identity's own" {
	roost add x -- true
	run roost render launch x --set home=/else/where --set id=y
	assert_status 0
	assert_output_has "ROOST_HOME='/else/where'"
	assert_output_has "ROOST_ID='y'"
	run roost render launch x --set=home=/eq/form
	assert_status 0
	assert_output_has "ROOST_HOME='/eq/form'"
	tpl t '@{new|sh}\n'
	run roost render t --set 'new=a=b c'
	assert_status 0
	[ "$output" = "'a=b c'" ]
}

@test "--set without KEY=VALUE is a usage error (exit 2)" {
	run --separate-stderr roost render pane-died --set novalue
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: render: --set novalue: expected KEY=VALUE" ]
	run --separate-stderr roost render pane-died --set =x
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: render: --set =x: expected KEY=VALUE" ]
	run --separate-stderr roost render pane-died --set
	assert_status 2
	[ "${stderr_lines[0]}" = "roost: render: --set needs KEY=VALUE" ]
}

@test "an unknown template is an error (exit 2) naming it" {
	run --separate-stderr roost render nosuch
	assert_status 2
	[ -z "$output" ]
	[ "$stderr" = "roost: render: unknown template 'nosuch'" ]
	for t in ../templates/launch .hidden "a/b" ""; do
		run --separate-stderr roost render "$t"
		assert_status 2
		[ "$stderr" = "roost: render: unknown template '$t'" ]
	done
}

@test "render of an identity template without an id names the missing placeholder" {
	run --separate-stderr roost render launch
	assert_status 2
	[[ $stderr == "roost: render: template launch, line "*": unknown placeholder 'id'" ]]
}

@test "render of an unknown identity exits 4" {
	run --separate-stderr roost render launch nobody
	assert_status 4
	[ "$stderr" = "roost: render: nobody: unknown identity" ]
}
