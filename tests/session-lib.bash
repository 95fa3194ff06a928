# tests/session-lib.bash - helpers of the session and canary suites
# (session-*.bats, canary-*.bats), loaded after helpers.bash.

EXITS_TS='ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

exits_log() { echo "$ROOST_HOME/log/exits.log"; }
life_log() { echo "$ROOST_HOME/log/lifecycle.log"; }

# server_exits [ID]: how many ev=server-exit lines exits.log holds.
server_exits() {
	count_lines "$(exits_log)" "ev=server-exit id=${1:-}"
}

# add_id ID CMD...: define ID running CMD (restart never: no tick runs here,
# and nothing should relaunch behind a test's back).
add_id() {
	local id=$1
	shift
	roost add "$id" --restart never -- "$@" >/dev/null
}

# start_id ID: start it and wait until its canary blocks in wait-for.
start_id() {
	roost start "$1" >/dev/null || return 1
	wait_for 5 canary_waiting "$1"
}

# The canary's tmux client: the child of a watching canary blocked in
# wait-for (a launch's canary has none: it waits for its server).
canary_client() {
	local cp
	cp=$(canary_pid "$1" 2>/dev/null) || return 1
	pgrep -P "$cp" -f "wait-for roost-canary-$1" 2>/dev/null | head -n 1
}

# canary_waiting ID: the canary waits for the server: a launch's canary as
# the parent of the server in .session, a watching one in its client.
canary_waiting() {
	local c cp sp
	cp=$(canary_pid "$1" 2>/dev/null) || return 1
	pid_alive "$cp" || return 1
	sp=$(server_pid "$1" 2>/dev/null)
	if [ -n "$sp" ] && [ "$(ps -o ppid= -p "$sp" 2>/dev/null | tr -d ' ')" = "$cp" ]; then
		return 0
	fi
	c=$(canary_client "$1") && [ -n "$c" ] && pid_alive "$c"
}

# runs_canary PID ID: PID is alive and runs bin/ID.canary.
runs_canary() {
	pid_alive "$1" && argv_has "$1" "$ROOST_HOME/bin/$2.canary"
}

# sock_refuses ID: nothing accepts a connection on the socket.
sock_refuses() {
	! "$TMUX_BIN" -S "$(sock_of "$1")" -f /dev/null has-session \
	    2>/dev/null
}

# has_line FILE REGEX: some line of FILE matches REGEX.
has_line() {
	[ "$(count_lines "$1" "$2")" -ge 1 ]
}

# exit_recorded ID SERVER_PID: the pane-died hook wrote its line.  tmux
# before 3.6 built with libutempter can lose the SIGCHLD of a pane that
# ends while utempter's helper runs (tmux issues 311 and 4559): the pane
# then stays dead and pane-died never fires until the server gets another
# SIGCHLD.  The tick sends that nudge each pass (kill(2), no fork); the
# tests, running no tick, send it themselves while they wait.
exit_recorded() {
	has_line "$(exits_log)" "ev=session-exit id=$1 .*server_pid=$2( |\$)" &&
	    return 0
	kill -CHLD "$2" 2>/dev/null
	return 1
}

# The processes whose command line names DIR (fixed string: homes here
# hold quotes and dollars that pgrep would read as a regex).
procs_naming() {
	ps -eo pid=,args= | grep -F -- "$1" | grep -v -e ' ps -eo' \
	    -e 'grep -F' || true
}

no_procs_naming() {
	local left
	left=$(procs_naming "$1")
	[ -z "$left" ] && return 0
	echo "processes naming $1:" >&2
	echo "$left" >&2
	return 1
}

# field LINE KEY: the value of KEY in a logfmt line (quotes removed).
field() {
	printf '%s\n' "$1" | sed -n "s/.* $2=\"\\([^\"]*\\)\".*/\\1/p;t;s/.* $2=\\([^ ]*\\).*/\\1/p"
}

# chld_drop_build: tools/chld-drop (ptrace, Linux) built in $T, or the
# test skips with the reason.  It makes a tmux server miss the SIGCHLDs
# the kernel sends it, as utempter's window does, and lets through the
# first one a process sends.
chld_drop_build() {
	[ "$(uname -s)" = Linux ] ||
	    skip "the stand-in for utempter's lost SIGCHLD is Linux ptrace"
	"${CC:-cc}" -o "$T/chld-drop" "$BATS_TEST_DIRNAME/tools/chld-drop.c" ||
	    skip "no C compiler for tools/chld-drop.c"
}

# chld_drop_attach SERVER_PID: chld-drop on that server, its pid in
# DROP_PID, its output in $T/drop.out; once it traces the server.  Where
# ptrace is refused the test skips, except in CI (a failure there).
chld_drop_attach() {
	"$T/chld-drop" "$1" >"$T/drop.out" 2>&1 &
	DROP_PID=$!
	wait_for 10 eval 'grep -q "^attached" "$T/drop.out" || ! alive "$DROP_PID"'
	grep -q '^attached' "$T/drop.out" ||
	    { cat "$T/drop.out" >&2; [ "${CI:-}" != true ] || false;
	    skip "ptrace is not allowed here"; }
}

# chld_drop_passed: chld-drop has ended, having swallowed a SIGCHLD the
# kernel sent and let through one a process sent.
chld_drop_passed() {
	wait "$DROP_PID"
	grep -q '^dropped code=' "$T/drop.out" || { cat "$T/drop.out" >&2; false; }
	grep -q '^passed code=0 ' "$T/drop.out" || { cat "$T/drop.out" >&2; false; }
}
