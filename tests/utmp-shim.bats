#!/usr/bin/env bats
# The utmp shim (src/noutmp.c): preloaded into an identity's tmux server
# where tmux is linked with libutempter, so that a start creates four
# processes (the canary, the server, the pane, pipe-pane's writer) and
# no utempter helper; gone from the environment of everything the server
# starts; refused, with the reason, where LD_PRELOAD cannot name it.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	SHIM=${ROOST_UTMP_SHIM:-}
	# run-tests.sh passes this tree's; bats run by hand finds it too.
	[ -n "$SHIM" ] || SHIM=$(cd "${ROOST_BIN%/*}" && pwd)/build/noutmp.so
	[ -f "$SHIM" ] || SHIM=$(cd "${ROOST_BIN%/*}/.." && pwd)/build/noutmp.so
	export ROOST_UTMP_SHIM=$SHIM
	# A program that writes its environment, then sleeps as itself: with
	# builtins only, so that it creates no process of its own.
	printf '#!/bin/sh\n{ export -p; echo END; } >"%s/env.$ROOST_ID"\nexec sleep 1000\n' \
	    "$T" >"$T/prog/says"
	chmod +x "$T/prog/says"
}
teardown() { common_teardown; }

# said ID: the program has written its environment.
said() { grep -q '^END$' "$T/env.$1" 2>/dev/null; }

need_shim() {
	[ -f "$SHIM" ] ||
	    skip "no utmp shim in this build (configure: tmux is not linked with libutempter)"
}

tmux_has_utempter() {
	LC_ALL=C grep -q libutempter "$TMUX_BIN"
}

# started_traced ID: roost has exited (the trace's first process) and the
# program has said it runs.
_started() {
	local first
	first=$(awk 'NR == 1 { print $1; exit }' "$T/st.$1" 2>/dev/null)
	[ -n "$first" ] && said "$1" &&
	    grep -q "^$first +++ exited" "$T/st.$1"
}

# start_traced ID: roost start ID under strace -f, until roost has exited
# and the program runs.  Then $T/st.ID holds every process creation and
# exec of the start.
start_traced() {
	strace_roost -f -q -I 1 -s 256 -o "$T/st.$1" \
	    -e trace=clone,clone3,fork,vfork,execve "$ROOST_BIN" start "$1" \
	    >/dev/null 2>"$T/st.err" &
	local stp=$!
	wait_for 10 _started "$1"
	# KILL, not TERM: a tracer told to detach can deadlock with a
	# tracee in vfork(2) (canary-clock.bats says how).
	kill -KILL "$stp" 2>/dev/null || true
	wait "$stp" 2>/dev/null || true
	_started "$1"
}

# created ID: what the start created, one line per process, its first
# exec's path and arguments: the processes a tmux hook starts for itself
# (the pane's alert, a pass it asks for) and their children left out.
created() {
	awk '
	    # pid clone(...) = child, also as "<... clone resumed> ... = child"
	    /(clone3?|v?fork)\(|(clone3?|v?fork) resumed>/ &&
		match($0, /= [0-9]+$/) {
		    kid = substr($0, RSTART + 2); parent[kid] = $1; kids[++n] = kid
	    }
	    /execve\(/ && !/ENOENT/ && !($1 in ran) { ran[$1] = $0 }
	    END {
		for (i = 1; i <= n; i++) {
		    k = kids[i]; hook = 0
		    for (p = k; p != ""; p = parent[p])
			if (ran[p] ~ /--origin|pane-died/) hook = 1
		    if (!hook)
			print k, ran[k]
		}
	    }' "$T/st.$1"
}

@test "start creates four processes with the utmp shim: the canary, the server, the pane, pipe-pane's writer; no utempter" {
	need_shim
	need_tool strace "it counts the processes a start creates"
	roost add bob --restart never -- "$T/prog/says" >/dev/null
	start_traced bob
	created bob >"$T/created"
	cat "$T/created" >&2
	[ "$(wc -l <"$T/created")" -eq 4 ]
	grep -q 'execve("/bin/sh", \["/bin/sh", "[^"]*/bin/bob.canary", "serve"' "$T/created"
	grep -q 'execve("[^"]*", \["[^"]*", "-S", "[^"]*/sock/bob"' "$T/created"
	grep -q 'execve("[^"]*/bin/bob.launch"' "$T/created"
	grep -q 'pane-log bob' "$T/created"
	! grep -q utempter "$T/st.bob"
	roost stop bob >/dev/null
	assert_no_processes
}

@test "with ROOST_UTMP_SHIM empty tmux runs its utempter helper: five processes" {
	need_tool strace "it counts the processes a start creates"
	tmux_has_utempter || skip "this tmux is not linked with libutempter"
	export ROOST_UTMP_SHIM=
	roost add bob --restart never -- "$T/prog/says" >/dev/null
	start_traced bob
	created bob >"$T/created"
	cat "$T/created" >&2
	[ "$(wc -l <"$T/created")" -eq 5 ]
	grep -q 'utempter' "$T/created"
	! grep -q 'LD_PRELOAD' "$T/env.bob"
	roost stop bob >/dev/null
	assert_no_processes
}

@test "the shim leaves no LD_PRELOAD behind: not in the program's environment, tmux's, or pipe-pane's writer's" {
	need_shim
	roost add bob --restart never -- "$T/prog/says" >/dev/null
	roost start bob >/dev/null
	wait_for 10 said bob
	grep -q "ROOST_ID=.*bob" "$T/env.bob"
	! grep -q LD_PRELOAD "$T/env.bob"
	run "$TMUX_BIN" -S "$(sock_of bob)" show-environment -g LD_PRELOAD
	[[ $output == *"unknown variable: LD_PRELOAD"* ]] || { echo "$output" >&2; false; }
	# The writer is the server's own fork, with the server's process
	# environment, read by the kernel from its exec.
	local w
	w=$(procs_named "pane-log bob" | awk 'NR == 1 { print $1 }')
	[ -n "$w" ]
	if [ -r "/proc/$w/environ" ]; then
		! tr '\0' '\n' <"/proc/$w/environ" | grep -q '^LD_PRELOAD='
	fi
	# And the server really ran with it: no utempter, nothing in its
	# pane log about a preload that failed.
	! grep -qi "ld.so\|preload" "$ROOST_HOME/log/bob.log" 2>/dev/null
	roost stop bob >/dev/null
	assert_no_processes
}

@test "the shim gives the user's own LD_PRELOAD back: what followed it stays" {
	need_shim
	local lib
	lib=$(awk '$NF ~ /\/libc[.-][^/]*so/ { print $NF; exit }' /proc/self/maps)
	[ -n "$lib" ] || skip "no libc in /proc/self/maps to preload"
	run env LD_PRELOAD="$SHIM:$lib" sh -c 'printf "%s\n" "${LD_PRELOAD-unset}"'
	assert_status 0
	[ "$output" = "$lib" ]
	run env LD_PRELOAD="$SHIM $lib" sh -c 'printf "%s\n" "${LD_PRELOAD-unset}"'
	[ "$output" = "$lib" ]
	run env LD_PRELOAD="$SHIM" sh -c 'printf "%s\n" "${LD_PRELOAD-unset}"'
	[ "$output" = unset ]
}

@test "a shim that is not there: the server starts without it, utempter runs, nothing is said" {
	need_tool strace "it counts the processes a start creates"
	export ROOST_UTMP_SHIM=$T/gone/noutmp.so
	roost add bob --restart never -- "$T/prog/says" >/dev/null
	start_traced bob
	[ -z "$(cat "$T/st.err")" ]
	if tmux_has_utempter; then
		grep -q utempter "$T/st.bob"
	fi
	! grep -q LD_PRELOAD "$T/env.bob"
	! grep -qi "ld.so\|preload" "$ROOST_HOME/log/bob.log" 2>/dev/null
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a ROOST_UTMP_SHIM that LD_PRELOAD cannot name: exit 1 naming it, nothing written" {
	local bad
	for bad in noutmp.so "$T/a b/noutmp.so" "$T/a:b/noutmp.so"; do
		ROOST_UTMP_SHIM=$bad run --separate-stderr roost add bob -- sleep 1000
		assert_status 1
		[ "$stderr" = "roost: add: tmux: ROOST_UTMP_SHIM=$bad: not an absolute path that LD_PRELOAD can name (no spaces or colons; empty for none)" ] ||
		    { echo "$stderr" >&2; false; }
		[ ! -e "$ROOST_HOME/conf/bob.conf" ]
	done
	roost add bob -- sleep 1000 >/dev/null
	ROOST_UTMP_SHIM="$T/a b/noutmp.so" run --separate-stderr roost start bob
	assert_status 1
	[[ $stderr == *"ROOST_UTMP_SHIM=$T/a b/noutmp.so: not an absolute path that LD_PRELOAD can name"* ]]
	[ ! -e "$ROOST_HOME/state/bob.session" ]
	[ ! -S "$(sock_of bob)" ]
	assert_no_processes
}

@test "a program restarted in its live server (respawn-pane) runs no utempter either" {
	need_shim
	need_tool strace "it sees what the server runs"
	roost add bob --restart always --restart-delay 0 -- "$T/prog/says" >/dev/null
	roost start bob >/dev/null
	wait_for 10 said bob
	local sp pp
	sp=$(server_pid bob)
	strace -f -qq -e trace=execve -o "$T/strace.out" -p "$sp" &
	local st=$!
	wait_for 5 test -e "$T/strace.out"
	rm -f "$T/env.bob"
	pp=$(sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$(state_of bob).session")
	kill -KILL "$pp"
	wait_for 10 said bob
	kill -KILL "$st" 2>/dev/null || true
	wait "$st" 2>/dev/null || true
	cat "$T/strace.out" >&2
	grep -q 'bob.launch' "$T/strace.out"
	! grep -q utempter "$T/strace.out"
	[ "$(server_pid bob)" = "$sp" ]
	roost stop bob >/dev/null
	assert_no_processes
}
