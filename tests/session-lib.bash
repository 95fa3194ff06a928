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
