# tests/helpers.bash - shared by every suite.
#
# Every test gets a private, short root $T (unix socket paths are limited
# to 104/108 bytes) holding its ROOST_HOME; tmux runs with -f /dev/null on
# sockets under it.  teardown ends every tmux server and canary the test
# started, by socket and by pid, then anything whose command line still
# names $T.  Programs the tests run live under $T/prog so they are
# findable by path too.

# alive, now_ms and wait_for: shared with the benchmark.  Found next to
# this file, wherever the suite that loads it lives (tests/slow/ too).
_helpers_dir=${BASH_SOURCE[0]%/*}
[ "$_helpers_dir" != "${BASH_SOURCE[0]}" ] || _helpers_dir=.
# shellcheck source=tests/lib.sh
. "$_helpers_dir/lib.sh"

ROOST_BIN=${ROOST_BIN:-$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)/roost}
# The tmux configure found (make passes it), else the first on PATH.
TMUX_BIN=${ROOST_TEST_TMUX:-${TMUX_BIN:-$(command -v tmux)}}

common_setup() {
	local base=${ROOST_TEST_ROOT:-${TMPDIR:-/tmp}}
	T=$(mktemp -d "$base/t.XXXXXX")
	export T
	export ROOST_HOME="$T/home"
	export ROOST_TMUX_CONF=/dev/null
	unset TMUX ROOST_SOCK_DIR ROOST_TEMPLATES ROOST_NOW ROOST_TMUX
	# Never the real crontab or launchd by accident: a test that means to
	# use them says so (install-real-cron.bats unsets this).
	export ROOST_CRONTAB="$T/no-crontab-in-tests"
	export ROOST_LAUNCHCTL="$T/no-launchctl-in-tests"
	export ROOST_LAUNCH_AGENTS="$T/LaunchAgents"
	export ROOST_SYSTEMCTL="$T/no-systemctl-in-tests"
	export ROOST_LOGINCTL="$T/no-loginctl-in-tests"
	export ROOST_SYSTEMD_UNITS="$T/systemd-units"
	# Never a scope of the real user manager (tests/scope.bats has one).
	export ROOST_SYSTEMD_RUN="$T/no-systemd-run-in-tests"
	unset ROOST_PASS_SCOPE
	mkdir -p "$T/prog"
	# A long-running program findable by its path.
	printf '#!/bin/sh\nwhile :; do sleep 1; done\n' >"$T/prog/forever"
	# Exit with the status given as $1 after $2 seconds (default 0.2).
	printf '#!/bin/sh\nsleep "${2:-0.2}"\nexit "$1"\n' >"$T/prog/exitwith"
	# Kill itself with the signal given as $1 after $2 seconds.
	printf '#!/bin/sh\nsleep "${2:-0.2}"\nkill -"$1" $$\nsleep 5\n' >"$T/prog/killself"
	# held CMD...: run CMD once the test says go (go ID), 10 s at most;
	# the pane's ROOST_ID says which.  A program that ends by itself is
	# held until the test has read the .session its end removes.
	printf '#!/bin/sh\ni=0\nwhile [ ! -e "%s/go.$ROOST_ID" ] && [ "$i" -lt 500 ]; do\n\tsleep 0.02\n\ti=$((i + 1))\ndone\nexec "$@"\n' "$T" >"$T/prog/held"
	chmod +x "$T/prog/"*
}

# go ID: let ID's held program (held, above) run.
go() { : >"$T/go.$1"; }

# logging_tmux: ROOST_TMUX becomes a tmux that logs each run's arguments
# to $T/tmux.calls (emptied here), then runs the real one.
logging_tmux() {
	cat >"$T/tmuxw" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/tmux.calls"
exec "$TMUX_BIN" "\$@"
EOF
	chmod +x "$T/tmuxw"
	: >"$T/tmux.calls"
	export ROOST_TMUX="$T/tmuxw"
}

# End everything under $T: servers by socket, canaries by pidfile and
# process group, then any process whose command line names $T.
common_teardown() {
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	local s f p
	for s in "$T"/home/sock/* "$T"/*/sock/* "$T"/sock*/*; do
		[ -S "$s" ] && "$TMUX_BIN" -S "$s" kill-server 2>/dev/null
	done
	for f in "$T"/home/state/*.canary "$T"/*/state/*.canary; do
		[ -f "$f" ] || continue
		read -r p _ <"$f" || continue
		case $p in '' | *[!0-9]*) continue ;; esac
		kill -TERM -- "-$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	pkill -TERM -f "$T" 2>/dev/null
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pgrep -f "$T" >/dev/null 2>&1 || break
		sleep 0.1
	done
	pkill -KILL -f "$T" 2>/dev/null
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}

roost() {
	"$ROOST_BIN" "$@"
}

# strace ARGS... with LeakSanitizer off: it cannot run under ptrace, and
# the suite also runs against the sanitizer build (make check-asan).
strace_roost() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace "$@"
}

sock_of() { echo "${ROOST_SOCK_DIR:-$ROOST_HOME/sock}/$1"; }
state_of() { echo "$ROOST_HOME/state/$1"; }

# The server pid roost recorded in .session.
server_pid() {
	sed -n 's/.*server_pid=\([0-9]*\).*/\1/p' "$ROOST_HOME/state/$1.session"
}

# The pid in .canary ("<pid> <start time>").
canary_pid() {
	local p rest
	read -r p rest <"$ROOST_HOME/state/$1.canary" || return 1
	echo "$p"
}

is_running() {
	"$TMUX_BIN" -S "$(sock_of "$1")" has-session 2>/dev/null
}

# pid_alive PID: alive (tests/lib.sh) under the name the suites use.
pid_alive() { alive "$1"; }

pid_gone() { ! pid_alive "$1"; }

# count_lines FILE REGEX: matching lines (0 when the file is missing).
count_lines() {
	[ -f "$1" ] || { echo 0; return; }
	grep -c -E -- "$2" "$1" || true
}

# assert_status N: $status from `run` must be N.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

# assert_output_has TEXT: $output from `run` contains TEXT.
assert_output_has() {
	case $output in
	*"$1"*) return 0 ;;
	esac
	echo "expected output to contain: $1" >&2
	echo "actual output: $output" >&2
	return 1
}

# procs_named TEXT: "pid args" of each process whose command line holds
# TEXT, a fixed string (a hostile home's quotes and dollars are not read
# as a regex).  pgrep -f, not -af: on BSD and macOS -a means "include
# ancestors".
procs_named() {
	local p
	pgrep -f "$(printf '%s' "$1" | sed 's/[].[\\*^$+?(){}|]/\\&/g')" |
	    while read -r p; do
		ps -ww -o pid= -o args= -p "$p"
	done | grep -v -e pgrep || true
}

_none_named() { [ -z "$(procs_named "$1")" ]; }

# assert_no_processes [TEXT]: nothing whose command line holds TEXT
# (default $T) is alive.  Some processes end by design a moment after
# what the test waited for: the launch script's watcher, a
# detached death pass, a server told to exit.  They are waited for,
# bounded by ROOST_TEST_LEFTOVER_S (default 10 s): a leak still fails,
# only later.
assert_no_processes() {
	local what=${1:-$T} left
	wait_for "${ROOST_TEST_LEFTOVER_S:-10}" _none_named "$what" && return 0
	left=$(procs_named "$what")
	[ -n "$left" ] || return 0
	echo "processes left under $what after ${ROOST_TEST_LEFTOVER_S:-10} s:" >&2
	echo "$left" >&2
	return 1
}

# ---------------------------------------------------------------- platform
# What differs between Linux, macOS and the BSDs, asked in one place.

# need_tool NAME [WHY]: NAME must be installed.  CI installs every tool a
# test needs, so there a missing one fails; elsewhere the test is skipped,
# saying why.
need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		echo "$1 is required in CI (.ci/run must install it)" >&2
		return 1
	fi
	skip "no $1 here${2:+: $2}"
}

# not_on_darwin WHY: the case cannot hold on macOS (WHY says why); skipped
# there.
not_on_darwin() {
	[ "$(uname -s)" != Darwin ] || skip "not on macOS: $1"
}

# need_root WHY: the test mounts or chowns; skipped for a normal user.
need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: $1"
}

# args_of PID: PID's argv, joined with blanks (ps, not /proc: portable).
args_of() {
	ps -ww -o args= -p "$1" 2>/dev/null
}

# argv_has PID WORD: WORD is one of PID's argv words (WORD may hold blanks).
argv_has() {
	local a
	a=$(args_of "$1") || return 1
	case " $a " in
	*" $2 "*) return 0 ;;
	esac
	return 1
}

# sock_max: the longest socket path the platform takes, sun_path less its
# NUL: 107 bytes on Linux, 103 on macOS and the BSDs.
sock_max() {
	case $(uname -s) in
	Linux) echo 107 ;;
	*) echo 103 ;;
	esac
}

# in_tty CMDLINE [TYPESCRIPT]: run the sh command line on a pseudo-terminal
# with script(1) (need_tool script first), whose options differ:
# util-linux takes -c CMDLINE, BSD and macOS the command's words after the
# typescript file.
in_tty() {
	if script -qec true /dev/null </dev/null >/dev/null 2>&1; then
		script -qec "$1" "${2:-/dev/null}"
	else
		script -q "${2:-/dev/null}" /bin/sh -c "$1"
	fi
}

# build_has NAME: config.h of the roost under test (the one beside it, as
# in build-noproc/, else the source tree's) defines NAME to 1; 2 when
# there is none (an installed roost).
build_has() {
	local c
	for c in "${ROOST_BIN%/*}/config.h" "$BATS_TEST_DIRNAME/../config.h" \
	    "$BATS_TEST_DIRNAME/../../config.h"; do
		[ -f "$c" ] || continue
		grep -q "^#define $1 1\$" "$c"
		return
	done
	return 2
}

# build_has_proc: the roost under test reads /proc.
build_has_proc() {
	local rc=0
	build_has HAVE_PROC_SELF || rc=$?
	[ "$rc" -ne 2 ] || { [ -r /proc/self/cmdline ]; return; } # installed
	[ "$rc" -eq 0 ]
}

# build_has_pidfd: the roost under test watches a pane with a pidfd.
build_has_pidfd() {
	local rc=0
	build_has HAVE_PIDFD || rc=$?
	[ "$rc" -ne 2 ] || { [ "$(uname -s)" = Linux ]; return; } # installed
	[ "$rc" -eq 0 ]
}
