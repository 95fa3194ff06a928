#!/usr/bin/env bats
# The program runs exactly what the user typed (one word after -- is a sh
# command line; several are argv, kept exactly), with its own variables
# from conf/<id>.env, in the same environment whoever launched it.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# ran ID: the program's output in the pane log, the launch separator and
# tmux's padding left out.
ran() {
	grep -v '^--- roost: ' "$ROOST_HOME/log/$1.log" | tr -d '\r'
}

# out_file ID FILE: wait until the program has written FILE.
@test "several words after -- are the program and its arguments, byte for byte" {
	roost add x --restart never -- printf '%s|' 'a b' "c'd" '$x' '' 'e"f' >/dev/null
	roost start x >/dev/null
	wait_for 10 eval '[ -s "$ROOST_HOME/log/x.log" ] && grep -q "|" "$ROOST_HOME/log/x.log"'
	[ "$(ran x | head -n 1)" = "a b|c'd|\$x||e\"f|" ]
}

@test "one word after -- is a sh command line" {
	roost add y --restart never -- 'printf "%s-%s\n" "$ROOST_ID" one; exit 0' >/dev/null
	roost start y >/dev/null
	wait_for 10 grep -q 'y-one' "$ROOST_HOME/log/y.log"
	wait_for 10 has_line "$(exits_log)" 'ev=session-exit id=y status=0 '
}

@test "--resume given more than once is an argv too; given once, a sh command line" {
	roost add r --restart never --resume printf --resume '%s|' --resume 'r s' \
	    -- 'echo fresh' >/dev/null
	. "$ROOST_HOME/conf/r.conf"
	[ "$resume" = "'printf' '%s|' 'r s'" ]
	: >"$ROOST_HOME/state/r.idle-reaped"
	roost start r >/dev/null
	wait_for 10 grep -q 'r s|' "$ROOST_HOME/log/r.log"
	roost add r1 --replace --resume 'echo once; exit 0' -- true >/dev/null
	. "$ROOST_HOME/conf/r1.conf"
	[ "$resume" = 'echo once; exit 0' ]
}

@test "--env values with spaces, quotes, \$ and newlines reach the program byte for byte; the env file is 0600" {
	local nl='
'
	roost add e --restart never --env "A=a b" --env "B=c'd\"e" --env 'C=$HOME `x`' \
	    --env "D=line1${nl}line2" -- \
	    sh -c 'printf "%s" "$A" >"$0/A"; printf "%s" "$B" >"$0/B"; printf "%s" "$C" >"$0/C"; printf "%s" "$D" >"$0/D"' "$T" >/dev/null
	[ "$(file_stat mode "$ROOST_HOME/conf/e.env")" = 600 ]
	grep -qx "export A='a b'" "$ROOST_HOME/conf/e.env"
	roost start e >/dev/null
	wait_for 10 test -f "$T/D"
	[ "$(cat "$T/A")" = "a b" ]
	[ "$(cat "$T/B")" = "c'd\"e" ]
	[ "$(cat "$T/C")" = '$HOME `x`' ]
	[ "$(cat "$T/D")" = "line1${nl}line2" ]
	# The values are the program's alone: status and log never print them.
	roost status e >"$T/status.out" || true
	roost log e >"$T/log.out"
	! grep -q 'line1\|a b' "$T/status.out" "$T/log.out" || false
}

@test "--env-file takes NAME=VALUE lines; --env wins over it; a bad name is refused with nothing written" {
	printf '# comment\nexport A=from file\nB=b\n\n' >"$T/vars"
	roost add f --env-file "$T/vars" --env B=cli -- true >/dev/null
	(. "$ROOST_HOME/conf/f.env" && [ "$A" = "from file" ] && [ "$B" = cli ])
	run --separate-stderr roost add g --env '1X=y' -- true
	assert_status 2
	[ "$stderr" = "roost: add: --env 1X: expected NAME=VALUE with a shell variable name" ]
	[ ! -e "$ROOST_HOME/conf/g.conf" ]
	[ ! -e "$ROOST_HOME/conf/g.env" ]
	# A bad line of a file is named by its number, never its value.
	printf 'A=1\n\nAPI KEY=sk-secret\nnovalue\n' >"$T/bad"
	run --separate-stderr roost add g --env-file "$T/bad" -- true
	assert_status 2
	[ "$stderr" = "roost: add: --env-file $T/bad: line 3 API KEY: expected NAME=VALUE with a shell variable name" ]
	printf 'A=1\nnovalue\n' >"$T/bad"
	run --separate-stderr roost add g --env-file "$T/bad" -- true
	assert_status 2
	[ "$stderr" = "roost: add: --env-file $T/bad: line 2: expected NAME=VALUE" ]
	# The launch script's own names are refused.
	for v in run dir WATCH ROOST_ID; do
		run --separate-stderr roost add g --env "$v=x" -- true
		assert_status 2
		[ "$stderr" = "roost: add: --env $v: a name the launch script keeps for itself" ]
	done
	[ ! -e "$ROOST_HOME/conf/g.conf" ]
	run --separate-stderr roost add g --env-file "$T/missing" -- true
	assert_status 2
	[[ $stderr == "roost: add: --env-file $T/missing: no such file" ]]
}

@test "the env file's variables are the program's: a command= or cwd= there changes neither what runs nor where" {
	mkdir "$T/work"
	roost add e --restart never --cwd "$T/work" --env 'cwd=/' \
	    --env 'command=echo HIJACKED' --env 'resume=echo HIJACKED' \
	    -- 'pwd; printf "%s|%s\n" "$cwd" "$command"' >/dev/null
	roost start e >/dev/null
	wait_for 10 grep -q '|' "$ROOST_HOME/log/e.log"
	[ "$(ran e | head -n 1)" = "$T/work" ]
	[ "$(ran e | sed -n 2p)" = "/|echo HIJACKED" ]
	if grep -q '^HIJACKED' "$ROOST_HOME/log/e.log"; then false; fi
	# One written into the env file by hand stops the launch, saying so.
	roost stop e >/dev/null
	echo "export WATCH=$T/elsewhere" >>"$ROOST_HOME/conf/e.env"
	roost start e >/dev/null
	wait_for 10 grep -Eq 'WATCH: (is read.only|readonly variable)' \
	    "$ROOST_HOME/log/e.log"
}

@test "the env file is never followed through a symlink: add replaces the link, a launch refuses one" {
	echo 'precious' >"$T/target"
	roost add s --restart never --env A=1 -- true >/dev/null
	rm "$ROOST_HOME/conf/s.env"
	ln -s "$T/target" "$ROOST_HOME/conf/s.env"
	roost start s >/dev/null
	wait_for 10 has_line "$(exits_log)" 'ev=session-exit id=s status=111 '
	# The pane-log writer copies the pane's output in its own time: the
	# death can be on record before the line is in the log.
	wait_for 10 grep -q 'cannot read its env file' "$ROOST_HOME/log/s.log"
	[ "$(cat "$T/target")" = precious ]
	roost add s --replace --restart never --env A=2 -- true >/dev/null
	[ ! -L "$ROOST_HOME/conf/s.env" ]
	[ "$(cat "$T/target")" = precious ]
}

@test "rm removes the env file" {
	roost add s --env A=1 -- true >/dev/null
	[ -f "$ROOST_HOME/conf/s.env" ]
	roost rm s >/dev/null
	[ ! -e "$ROOST_HOME/conf/s.env" ]
}

@test "add records the current directory as cwd" {
	mkdir "$T/here"
	(cd "$T/here" && "$ROOST_BIN" add c -- true >/dev/null)
	grep -qx "cwd='$T/here'" "$ROOST_HOME/conf/c.conf"
}

# envdump ID: the program writes its environment, sorted, to $T/ID.env.
envdump() {
	roost add "$1" --restart never --env MINE=own -- \
	    sh -c 'env | sort >"$0"; exec sleep 30' "$T/$1.env" >/dev/null
}

@test "the environment is the same whoever launches: a start by hand, and a tick under a bare env -i" {
	envdump h
	envdump t
	LANG=C.UTF-8 LC_TIME=C FOO_LEAK=1 SSH_AUTH_SOCK=/leak roost start h >/dev/null
	: >"$ROOST_HOME/state/t.wake"
	env -i HOME="$HOME" PATH="$PATH" LANG=C.UTF-8 LC_TIME=C \
	    ROOST_HOME="$ROOST_HOME" ROOST_TMUX_CONF=/dev/null \
	    ${ROOST_UTMP_SHIM+ROOST_UTMP_SHIM="$ROOST_UTMP_SHIM"} \
	    ROOST_SYSTEMD_RUN="$ROOST_SYSTEMD_RUN" "$ROOST_BIN" tick
	wait_for 10 test -s "$T/h.env"
	wait_for 10 test -s "$T/t.env"
	local v
	for v in HOME PATH LANG LC_TIME USER LOGNAME SHELL ROOST_HOME MINE; do
		[ "$(grep "^$v=" "$T/h.env")" = "$(grep "^$v=" "$T/t.env")" ] || {
			echo "$v differs:" >&2
			grep "^$v=" "$T/h.env" "$T/t.env" >&2
			false
		}
		grep -q "^$v=" "$T/h.env"
	done
	grep -qx 'MINE=own' "$T/h.env"
	grep -qx 'ROOST_ID=h' "$T/h.env"
	grep -qx 'ROOST_ID=t' "$T/t.env"
	# Nothing of the launching shell leaks in.
	! grep -q '^FOO_LEAK=\|^SSH_AUTH_SOCK=' "$T/h.env" || false
	# The same names, but for what tmux itself sets.
	diff <(cut -d= -f1 "$T/h.env" | grep -v '^TMUX') \
	    <(cut -d= -f1 "$T/t.env" | grep -v '^TMUX')
}
