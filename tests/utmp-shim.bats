#!/usr/bin/env bats
# The utmp shim (src/noutmp.c): preloaded into an identity's tmux server
# where tmux is linked with libutempter, so that a start creates four
# processes (the canary, the server, the pane, pipe-pane's writer) and
# no utempter helper; gone from the environment of everything the server
# starts; found beside an installed roost only where nobody else can
# have put it; refused, with the reason, where it cannot be preloaded.

load helpers
load session-lib
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	# run-tests.sh passes this tree's (or none); bats run by hand finds
	# it next to the binary under test.
	if [ -z "${ROOST_UTMP_SHIM+set}" ]; then
		local c
		for c in "${ROOST_BIN%/*}/build" "${ROOST_BIN%/*}/../build"; do
			[ -f "$c/noutmp.so" ] || continue
			export ROOST_UTMP_SHIM
			ROOST_UTMP_SHIM=$(cd "$c" && pwd -P)/noutmp.so
			break
		done
	fi
	SHIM=${ROOST_UTMP_SHIM:-}
	# A program that writes its environment, then sleeps as itself: with
	# builtins only, so that it creates no process of its own.
	printf '#!/bin/sh\n{ export -p; echo END; } >"%s/env.$ROOST_ID"\nexec sleep 1000\n' \
	    "$T" >"$T/prog/says"
	chmod +x "$T/prog/says"
}
teardown() { common_teardown; }

need_shim() {
	[ -n "$SHIM" ] && [ -f "$SHIM" ] ||
	    skip "no utmp shim in this run (configure builds one where tmux is linked with libutempter; none for a tree whose path has a space, colon or \$)"
}

tmux_has_utempter() {
	LC_ALL=C grep -q libutempter "$TMUX_BIN"
}

# said ID: the program has written its environment.
said() { grep -q '^END$' "$T/env.$1" 2>/dev/null; }

# The trace's first process (roost) has exited and the program runs.
_started() {
	local first
	first=$(awk 'NR == 1 { print $1; exit }' "$T/st.$1" 2>/dev/null)
	[ -n "$first" ] && said "$1" &&
	    awk -v p="$first" '$1 == p && $2 == "+++" && $3 == "exited" { f = 1 }
		END { exit !f }' "$T/st.$1"
}

# start_traced ID: roost start ID under strace -f, until roost has exited
# and the program runs; $T/st.ID then holds every process creation and
# exec.
start_traced() {
	strace_roost -f -q -I 1 -s 256 -o "$T/st.$1" \
	    -e trace=clone,clone3,fork,vfork,execve "$ROOST_BIN" start "$1" \
	    >/dev/null 2>"$T/st.err" &
	local stp=$!
	wait_for 20 _started "$1"
	# KILL, not TERM: a tracer told to detach can deadlock with a
	# tracee in vfork(2) (canary-clock.bats says how).
	kill -KILL "$stp" 2>/dev/null || true
	wait "$stp" 2>/dev/null || true
	_started "$1"
}

# created ID: the processes the start created, one line each with its
# first exec, up to roost's exit and the program's exec, whichever is
# later.  Left out: what a tmux hook starts for itself (the pane's
# alert, a pass it asks for) and its children; a process that had not
# exec'd yet (a hook's, cut short); and, in a roost built without /proc,
# the seam that replaces /proc (ps through env, and the canary's date).
created() {
	local seam='^$'
	build_has_proc || seam='"/bin/ps", "-ww"|execve\("/bin/date"'
	awk -v seam="$seam" '
	    NR == 1 { first = $1 }
	    $1 == first && $2 == "+++" { e = 1 }
	    /execve\(".*\/says"/ { p = 1 }
	    /(clone3?|v?fork)\(|(clone3?|v?fork) resumed>/ &&
		match($0, /= [0-9]+$/) {
		    kid = substr($0, RSTART + 2); parent[kid] = $1; kids[++n] = kid
	    }
	    /execve\(/ && !/ENOENT/ && !($1 in ran) { ran[$1] = $0 }
	    e && p { exit }
	    END {
		for (i = 1; i <= n; i++) {
		    k = kids[i]; skip = !(k in ran)
		    for (q = k; q != ""; q = parent[q])
			if (ran[q] ~ /--origin|pane-died/ || ran[q] ~ seam)
			    skip = 1
		    if (!skip)
			print k, ran[k]
		}
	    }' "$T/st.$1"
}

# start_counted ID: ID added to run the program that says it runs,
# started under strace; what the start created is in $T/created (and on
# the test's output).
start_counted() {
	roost add "$1" --restart never -- "$T/prog/says" >/dev/null
	start_traced "$1"
	created "$1" >"$T/created"
	cat "$T/created" >&2
}

@test "start creates four processes with the utmp shim: the canary, the server, the pane, pipe-pane's writer; no utempter" {
	need_shim
	need_tool strace "it counts the processes a start creates"
	start_counted bob
	[ "$(wc -l <"$T/created")" -eq 4 ]
	grep -q 'execve("/bin/sh", \["/bin/sh", "[^"]*/bin/bob.canary", "serve"' "$T/created"
	grep -q 'execve("[^"]*", \["[^"]*", "-S", "[^"]*/sock/bob"' "$T/created"
	grep -q 'execve("[^"]*/bin/bob.launch"' "$T/created"
	grep -q 'pane-log bob' "$T/created"
	! grep -q utempter "$T/st.bob" || false
	roost stop bob >/dev/null
	assert_no_processes
}

@test "with ROOST_UTMP_SHIM empty tmux runs its utempter helper: five processes" {
	need_tool strace "it counts the processes a start creates"
	tmux_has_utempter || skip "this tmux is not linked with libutempter"
	export ROOST_UTMP_SHIM=
	start_counted bob
	[ "$(wc -l <"$T/created")" -eq 5 ]
	grep -q 'utempter' "$T/created"
	grep -qx "UTMP_SHIM=''" "$ROOST_HOME/bin/bob.canary"
	! grep -q 'LD_PRELOAD' "$T/env.bob" || false
	roost stop bob >/dev/null
	assert_no_processes
}

@test "the server runs with the shim and leaves no LD_PRELOAD behind: not in the program's environment, tmux's, or pipe-pane's writer's" {
	need_shim
	roost add bob --restart never -- "$T/prog/says" >/dev/null
	roost start bob >/dev/null
	wait_for 10 said bob
	grep -qx "UTMP_SHIM='$SHIM'" "$ROOST_HOME/bin/bob.canary"
	grep -q "ROOST_ID=.*bob" "$T/env.bob"
	! grep -q LD_PRELOAD "$T/env.bob" || false
	run "$TMUX_BIN" -S "$(sock_of bob)" show-environment -g LD_PRELOAD
	[[ $output == *"unknown variable: LD_PRELOAD"* ]] || { echo "$output" >&2; false; }
	local sp w
	sp=$(server_pid bob)
	if [ -r "/proc/$sp/maps" ]; then
		grep -qF "$SHIM" "/proc/$sp/maps"
	fi
	# The writer is the server's own fork, with the server's process
	# environment.
	w=$(procs_named "pane-log bob" | awk 'NR == 1 { print $1 }')
	[ -n "$w" ]
	if [ -r "/proc/$w/environ" ]; then
		! tr '\0' '\n' <"/proc/$w/environ" | grep -q '^LD_PRELOAD=' || false
	fi
	# Nothing in the pane log of a preload that failed.
	! grep -qi "ld.so\|preload" "$ROOST_HOME/log/bob.log" || false
	roost stop bob >/dev/null
	assert_no_processes
}

@test "the shim takes out its own entry in tmux (called tmux, or with libutempter loaded), and passes through a wrapper that execs tmux" {
	need_shim
	local lib
	lib=$(awk '$NF ~ /\/libc[.-][^/]*so/ { print $NF; exit }' /proc/self/maps)
	[ -n "$lib" ] || skip "no libc in /proc/self/maps to preload"
	# tmux (linked with libutempter): its global environment is built
	# from what the shim left.
	LD_PRELOAD="$SHIM:$lib" "$TMUX_BIN" -S "$T/s1" -f /dev/null \
	    new-session -d "sleep 100"
	run "$TMUX_BIN" -S "$T/s1" show-environment -g LD_PRELOAD
	[ "$output" = "LD_PRELOAD=$lib" ]
	LD_PRELOAD="$lib $SHIM" "$TMUX_BIN" -S "$T/s2" -f /dev/null \
	    new-session -d "sleep 100"
	run "$TMUX_BIN" -S "$T/s2" show-environment -g LD_PRELOAD
	[ "$output" = "LD_PRELOAD=$lib" ]
	LD_PRELOAD="$SHIM" "$TMUX_BIN" -S "$T/s3" -f /dev/null \
	    new-session -d "sleep 100"
	run "$TMUX_BIN" -S "$T/s3" show-environment -g LD_PRELOAD
	[[ $output == *"unknown variable: LD_PRELOAD"* ]]
	# A shell (no libutempter) keeps it for the tmux it runs.
	run env LD_PRELOAD="$SHIM" sh -c 'printf "%s\n" "${LD_PRELOAD-unset}"'
	[ "$output" = "$SHIM" ]
	# A tmux without libutempter (here env, called tmux-x) takes it out
	# too, so that nothing it starts inherits it.
	mkdir -p "$T/bin"
	cp "$(command -v env)" "$T/bin/tmux-x"
	cp "$(command -v env)" "$T/bin/other"
	run "$T/bin/tmux-x" LD_PRELOAD="$SHIM" "$T/bin/tmux-x"
	assert_status 0
	[[ $output != *LD_PRELOAD=* ]] || { echo "$output" >&2; false; }
	run "$T/bin/other" LD_PRELOAD="$SHIM" "$T/bin/other"
	[[ $output == *"LD_PRELOAD=$SHIM"* ]]
	local s
	for s in s1 s2 s3; do
		"$TMUX_BIN" -S "$T/$s" kill-server
	done
}

@test "a wrapper named by ROOST_TMUX still gets the shim to tmux" {
	need_shim
	logging_tmux
	roost add bob --restart never -- "$T/prog/says" >/dev/null
	roost start bob >/dev/null
	wait_for 10 said bob
	! grep -q LD_PRELOAD "$T/env.bob" || false
	local sp
	sp=$(server_pid bob)
	if [ -r "/proc/$sp/maps" ]; then
		grep -qF "$SHIM" "/proc/$sp/maps"
	fi
	roost stop bob >/dev/null
	assert_no_processes
}

@test "a ROOST_UTMP_SHIM that cannot be preloaded: exit 1 with the reason, nothing written" {
	local bad why
	mkdir -p "$T/a b" "$T/a:b" "$T/d\$x" "$T/junk" "$T/arch" "$T/gw"
	printf 'not an object\n' >"$T/junk/noutmp.so"
	chmod 0644 "$T/junk/noutmp.so"
	printf 'not an object\n' >"$T/gw/noutmp.so"
	chmod 0664 "$T/gw/noutmp.so"
	while IFS='|' read -r bad why; do
		ROOST_UTMP_SHIM=$bad run --separate-stderr roost add bob -- sleep 1000
		assert_status 1
		[ "$stderr" = "roost: add: tmux: ROOST_UTMP_SHIM=$bad: $why (empty for none)" ] ||
		    { echo "$stderr" >&2; false; }
		[ ! -e "$ROOST_HOME/conf/bob.conf" ]
	done <<EOF
noutmp.so|not an absolute path that LD_PRELOAD can name (no spaces, colons or \$)
$T/a b/noutmp.so|not an absolute path that LD_PRELOAD can name (no spaces, colons or \$)
$T/a:b/noutmp.so|not an absolute path that LD_PRELOAD can name (no spaces, colons or \$)
$T/d\$x/noutmp.so|not an absolute path that LD_PRELOAD can name (no spaces, colons or \$)
$T/junk/other.so|not named noutmp.so
$T/gone/noutmp.so|No such file or directory
$T/junk/noutmp.so|not an ELF file
$T/junk|not named noutmp.so
$T/gw/noutmp.so|unsafe: group or world writable (mode 0664)
EOF
	if [ -n "$SHIM" ] && [ -f "$SHIM" ]; then
		# Another machine's object: e_machine changed.
		cp "$SHIM" "$T/arch/noutmp.so"
		printf '\377\377' | dd of="$T/arch/noutmp.so" bs=1 seek=18 \
		    conv=notrunc 2>/dev/null
		ROOST_UTMP_SHIM=$T/arch/noutmp.so run --separate-stderr roost add bob -- sleep 1000
		assert_status 1
		[ "$stderr" = "roost: add: tmux: ROOST_UTMP_SHIM=$T/arch/noutmp.so: not a shared object tmux can load (empty for none)" ]
		if [ "$(id -u)" = 0 ]; then
			cp "$SHIM" "$T/arch/noutmp.so"
			chown 65534 "$T/arch/noutmp.so"
			ROOST_UTMP_SHIM=$T/arch/noutmp.so run --separate-stderr roost add bob -- sleep 1000
			assert_status 1
			[ "$stderr" = "roost: add: tmux: ROOST_UTMP_SHIM=$T/arch/noutmp.so: unsafe: owned by uid 65534, not by you or root (empty for none)" ]
		fi
	fi
	roost add bob -- sleep 1000 >/dev/null
	ROOST_UTMP_SHIM="$T/a b/noutmp.so" run --separate-stderr roost start bob
	assert_status 1
	[[ $stderr == *"ROOST_UTMP_SHIM=$T/a b/noutmp.so: not an absolute path that LD_PRELOAD can name"* ]]
	[ ! -e "$ROOST_HOME/state/bob.session" ]
	[ ! -S "$(sock_of bob)" ]
	assert_no_processes
}

@test "by default roost finds the shim in lib/roost beside its bin directory, or in its build tree, only where nobody else can have put it" {
	need_shim
	unset ROOST_UTMP_SHIM
	local inst=$T/inst shown
	mkdir -p "$inst/bin" "$inst/lib/roost"
	cp "$ROOST_BIN" "$inst/bin/roost"
	cp "$SHIM" "$inst/lib/roost/noutmp.so"
	chmod 0644 "$inst/lib/roost/noutmp.so"
	chmod 0755 "$inst" "$inst/bin" "$inst/lib" "$inst/lib/roost"
	"$inst/bin/roost" add bob -- sleep 1000 >/dev/null
	shown() { "$inst/bin/roost" render canary bob | sed -n 's/^UTMP_SHIM=//p'; }
	[ "$(shown)" = "'$inst/lib/roost/noutmp.so'" ]
	# Through a symbolic link to the binary: its real path counts.
	ln -s "$inst/bin/roost" "$T/roost-link"
	[ "$("$T/roost-link" render canary bob | sed -n 's/^UTMP_SHIM=//p')" = "'$inst/lib/roost/noutmp.so'" ]
	# Writable by others, the file or a directory above it: not ours.
	chmod 0666 "$inst/lib/roost/noutmp.so"
	[ "$(shown)" = "''" ]
	chmod 0644 "$inst/lib/roost/noutmp.so"
	chmod 0777 "$inst/lib"
	[ "$(shown)" = "''" ]
	chmod 0755 "$inst/lib"
	# A symbolic link, or not there at all: none, and nothing said.
	mv "$inst/lib/roost/noutmp.so" "$inst/lib/roost/real.so"
	ln -s real.so "$inst/lib/roost/noutmp.so"
	[ "$(shown)" = "''" ]
	rm "$inst/lib/roost/noutmp.so"
	run --separate-stderr "$inst/bin/roost" render canary bob
	assert_status 0
	[ -z "$stderr" ]
	[[ $output == *"UTMP_SHIM=''"* ]]
	if [ "$(id -u)" = 0 ]; then
		# Owned by another user.
		mv "$inst/lib/roost/real.so" "$inst/lib/roost/noutmp.so"
		chown 65534 "$inst/lib/roost/noutmp.so"
		[ "$(shown)" = "''" ]
	fi
	# A roost run from its build tree: build/noutmp.so beside it.
	mkdir -p "$T/tree/build"
	cp "$ROOST_BIN" "$T/tree/roost"
	cp "$SHIM" "$T/tree/build/noutmp.so"
	chmod 0755 "$T/tree" "$T/tree/build"
	chmod 0644 "$T/tree/build/noutmp.so"
	[ "$("$T/tree/roost" render canary bob | sed -n 's/^UTMP_SHIM=//p')" = "'$T/tree/build/noutmp.so'" ]
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
	if [ -r "/proc/$sp/status" ]; then
		wait_for 10 grep -q '^TracerPid:[[:space:]]*[1-9]' "/proc/$sp/status"
	else
		wait_for 5 test -e "$T/strace.out"
	fi
	rm -f "$T/env.bob"
	pp=$(sed -n 's/.*pane_pid=\([0-9]*\).*/\1/p' "$(state_of bob).session")
	kill -KILL "$pp"
	wait_for 10 said bob
	kill -KILL "$st" 2>/dev/null || true
	wait "$st" 2>/dev/null || true
	cat "$T/strace.out" >&2
	grep -q 'bob.launch' "$T/strace.out"
	! grep -q utempter "$T/strace.out" || false
	[ "$(server_pid bob)" = "$sp" ]
	roost stop bob >/dev/null
	assert_no_processes
}
