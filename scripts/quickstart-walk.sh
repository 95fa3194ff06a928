#!/bin/sh
# quickstart-walk.sh: README's quick start, walked line by line inside a
# fresh minimal Debian tree (run there as root by scripts/quickstart-ct.sh;
# never on a real machine: it installs packages and adds a user).
#
#   quickstart-walk.sh SRC STEPS PROSE
#
# SRC is the source tree (read-only), STEPS the quick start's command
# lines and PROSE its text, both cut from README.md by quickstart-ct.sh,
# so the walk follows README as written.  The apt line runs as root
# (README: as root, leave out sudo); the rest as a fresh normal user
# (a login shell: HOME, Debian's ~/.profile, no LANG) and then as root,
# whose ~/.profile puts nothing on PATH.  Every step's exit status and
# output are checked: no warning README does not announce, no "not
# found", nothing a newcomer would have to look up.  Prints TAP; with
# QS_VERBOSE set, every step's output too.

set -u

src=$1 steps=$2 prose=$3
n=0 failed=0
out=/tmp/walk.out

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
diag() { sed 's/^/#   /'; }
# check DESC RC [EXPECT-RC]: a step's result from its status and from
# $out, which must hold nothing a newcomer would stop at.
surprise='warning|not found|error|cannot|no such|permission denied|unknown|usage:|illegal|invalid|deprecated|obsolete'
check() {
	if [ "$2" != "${3:-0}" ]; then
		nok "$1 (exit $2, expected ${3:-0})"
		diag <"$out"
	elif grep -Eiq "$surprise" "$out"; then
		nok "$1 (a surprise in its output)"
		diag <"$out"
	else
		ok "$1"
		[ -z "${QS_VERBOSE:-}" ] || diag <"$out"
	fi
}
# wait_for SECS CMD...: until CMD succeeds, at most SECS seconds.
wait_for() {
	w_end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$w_end" ] || return 1
		sleep 0.1
	done
}
# l= the step line that begins with $1 (its first match), without the
# trailing comment a person would not type.
step() {
	l=$(grep -m 1 -e "^$1" "$steps") || {
		nok "README's quick start has a line beginning '$1'"
		return 1
	}
	l=${l%%  *#*}
}
# In README's words: the prose says it.
says() {
	tr '\n' ' ' <"$prose" | tr -s ' ' | grep -qF -- "$1" || {
		nok "README's quick start says: $1"
		return 1
	}
}

# as WHO CMD: CMD in a fresh login shell of WHO (su -l: HOME, SHELL, the
# login PATH, ~/.profile; no LANG), its output in $out.
as() {
	su -l "$1" -c "$2" >"$out" 2>&1 </dev/null
}

# ---------------------------------------------------------------- apt
step 'sudo apt-get' || exit 1
apt=$(printf '%s\n' "$l" | sed 's/sudo //g')
# apt-get asks before installing; a person answers y.
echo y | sh -c "$apt" >/tmp/apt.log 2>&1
rc=$?
# apt's own chatter (debconf, invoke-rc.d) is Debian's, not roost's.
if [ "$rc" = 0 ]; then ok "as root: $apt"; else
	nok "as root: $apt (exit $rc)"
	tail -n 20 /tmp/apt.log | diag
fi
for t in cc make tmux ps crontab; do
	command -v "$t" >/dev/null 2>&1 || nok "the apt line installs $t"
done
if [ -e /usr/sbin/exim4 ] || [ -e /usr/sbin/sendmail ]; then
	nok "--no-install-recommends keeps cron from pulling in a mail server"
fi

# ---------------------------------------------------------------- one person's walk
# walk WHO: README's steps after the apt line, as WHO, in WHO's copy of
# the source (a clone would be theirs).
walk() {
	who=$1
	home=$(getent passwd "$who" | cut -d: -f6)
	before=/tmp/home-before.$who
	(cd "$home" && find . | sort) >"$before"
	rm -rf "$home/roost" && mkdir "$home/roost" &&
	    (cd "$src" && tar cf - --exclude=./.git --exclude=./build \
		--exclude=./build-asan --exclude=./build-noproc \
		--exclude=./roost --exclude=./Makefile --exclude=./config.h \
		--exclude=./config.log --exclude=./.ci/log .) |
	    (cd "$home/roost" && tar xf -) && chown -R "$who:" "$home/roost"

	# shellcheck disable=SC2016	# the login shell's
	as "$who" 'echo "LANG=${LANG-unset} PATH=$PATH"'
	grep -q '^LANG=unset ' "$out" || nok "$who: LANG is unset in a login shell"
	grep -q '\.local/bin' "$out" && nok "$who: ~/.local/bin is not on PATH before install"

	# Build, install, set up the tick: cron it is (no systemctl --user),
	# and nothing runs cron here: the warning README announces, with the
	# way out README gives.
	step './configure' || return
	as "$who" "cd roost && $l; echo \"rc=\$?\"; command -v roost || echo 'roost: not on PATH'"
	rc=$(sed -n 's/^rc=//p' "$out")
	if [ "$rc" != 0 ]; then
		nok "$who: $l (exit $rc)"
		tail -n 20 "$out" | diag
		return
	fi
	grep -q '^roost: not on PATH$' "$out" ||
	    nok "$who: roost is not on PATH in the shell that installed it (README says so)"
	w=$(grep -i 'warning' "$out")
	says 'roost install --scheduler none' && says 'roost tick --every 60'
	case $w in
	*"no cron daemon is running"*"roost install --scheduler none"*"roost tick --every 60"*)
		ok "$who: $l (the warning README announces, with its hint)" ;;
	*)
		nok "$who: $l: the no-cron-daemon warning with README's hint"
		diag <"$out" ;;
	esac
	# Everything else it printed is no surprise.
	grep -v 'no cron daemon is running' "$out" | grep -v '^rc=0$' |
	    grep -v '^roost: not on PATH$' >"$out.rest"
	mv "$out.rest" "$out"
	check "$who: configure, make install and roost install print nothing else to look up" 0

	# ~/.local/bin on PATH: a normal user's Debian ~/.profile adds it at
	# the next login; root's does not, and README says what to add.
	as "$who" 'command -v roost'
	if [ "$who" != root ]; then
		if [ "$(cat "$out")" = "$home/.local/bin/roost" ]; then
			ok "$who: the next login finds roost on PATH"
		else
			nok "$who: the next login finds roost on PATH"
			diag <"$out"
		fi
	else
		# shellcheck disable=SC2016	# README's words
		x=$(grep -oF 'export PATH="$HOME/.local/bin:$PATH"' "$prose" | head -n 1)
		[ -n "$x" ] || { nok "README says what to add to ~/.profile"; return; }
		printf '%s\n' "$x" >>"$home/.profile"
		as "$who" 'command -v roost'
		if [ "$(cat "$out")" = "$home/.local/bin/roost" ]; then
			ok "root: with README's line in ~/.profile, the next login finds roost"
		else
			nok "root: with README's line in ~/.profile, the next login finds roost"
			diag <"$out"
		fi
	fi

	for l in 'roost add demo' 'roost start demo' 'roost status'; do
		step "$l" || return
		as "$who" "$l"
		check "$who: $l" $?
	done
	as "$who" 'roost -q status demo' || nok "$who: demo runs after start"
	# Where tmux is linked with libutempter (Debian 12's; 13's is not),
	# the installed roost runs its server with the utmp shim make install
	# put beside it, under this user's umask too; elsewhere there is none.
	# shellcheck disable=SC2016	# the user's shell's
	as "$who" 'p=$(sed -n "s/.*server_pid=\([0-9]*\).*/\1/p" ~/.roost/state/demo.session) &&
	    grep -c /.local/lib/roost/noutmp.so "/proc/$p/maps"'
	if LC_ALL=C grep -q libutempter "$(command -v tmux)"; then
		if [ "$(cat "$out")" -gt 0 ] 2>/dev/null; then
			ok "$who: the server runs with the utmp shim from ~/.local/lib/roost"
		else
			nok "$who: the server runs with the utmp shim from ~/.local/lib/roost"
			diag <"$out"
		fi
	elif [ "$(cat "$out")" = 0 ] && [ ! -e "$home/.local/lib/roost" ]; then
		ok "$who: no utmp shim, for a tmux without utempter"
	else
		nok "$who: no utmp shim, for a tmux without utempter"
		diag <"$out"
	fi

	attach_walk "$who" "$home"

	step 'roost output demo' || return
	as "$who" "$l"
	check "$who: $l" $?
	if grep -q 'exit 1' "$out" &&
	    [ "$(grep -c -- '--- roost: .* launch fresh ---' "$out")" = 2 ]; then
		ok "$who: the output shows both launches and the exit 1"
	else
		nok "$who: the output shows both launches and the exit 1"
		diag <"$out"
	fi

	# The container's way: no init starts cron, so the tick runs as a
	# loop.  A death nobody reports (canary and server killed) is found
	# and restarted by the loop's first pass.
	as "$who" 'roost install --scheduler none'
	check "$who: roost install --scheduler none" $?
	tick_walk "$who" "$home"

	# No user manager here: --scheduler systemd is one line saying what
	# to do, and writes nothing.
	(cd "$home" && find . | sort) >/tmp/tree.before
	as "$who" 'roost install --scheduler systemd'
	rc=$?
	(cd "$home" && find . | sort) >/tmp/tree.after
	if [ "$rc" != 0 ] && [ "$(wc -l <"$out")" = 1 ] &&
	    grep -q 'no systemd user manager' "$out" &&
	    grep -q 'roost install --scheduler none' "$out" &&
	    cmp -s /tmp/tree.before /tmp/tree.after; then
		ok "$who: install --scheduler systemd without a user manager: one line, nothing written"
	else
		nok "$who: install --scheduler systemd without a user manager (exit $rc)"
		diag <"$out"
		diff /tmp/tree.before /tmp/tree.after | diag
	fi

	# --cwd that does not exist: one line, the mkdir to run, no conf.
	step 'roost add bob' || return
	as "$who" "$l"
	rc=$?
	if [ "$rc" != 0 ] && [ "$(wc -l <"$out")" = 1 ] &&
	    grep -q 'mkdir -p' "$out" && [ ! -e "$home/.roost/conf/bob.conf" ]; then
		ok "$who: add --cwd to a missing directory: one line naming the mkdir, nothing written"
	else
		nok "$who: add --cwd to a missing directory (exit $rc)"
		diag <"$out"
	fi
	step 'mkdir -p' || return
	as "$who" "$l"
	check "$who: $l" $?
	step 'roost add bob' || return
	as "$who" "$l"
	check "$who: $l" $?

	# Undo: README's words, then nothing of roost under the prefix or
	# the home.
	says 'roost uninstall --purge' && says 'make uninstall'
	# --purge asks on a terminal; a person answers y.
	as "$who" 'echo y | script -qec "roost uninstall --purge" /dev/null'
	rc=$?
	# The question is on the line of what follows the answer.
	sed 's/^roost: uninstall: delete .* and everything in it? \[y\/N\] //' \
	    "$out" >"$out.rest"
	mv "$out.rest" "$out"
	grep -q '^removed home ' "$out" || nok "$who: the purge removes the home"
	check "$who: roost uninstall --purge (answered y)" "$rc"
	as "$who" 'cd roost && make uninstall'
	check "$who: make uninstall" $?
	as "$who" 'crontab -l'
	grep -q roost "$out" && nok "$who: no roost crontab entry is left"
	(cd "$home" && find . | sort) | grep -v -e '^\./roost\(/\|$\)' \
	    -e '^\./proj$' -e '^\./\.bash_history$' >/tmp/home-after
	if diff "$before" /tmp/home-after >"$out"; then
		ok "$who: the undo leaves nothing behind in the home and ~/.local"
	else
		nok "$who: the undo leaves nothing behind in the home and ~/.local"
		diag <"$out"
	fi
	[ "$(pgrep -u "$who" -c tmux)" = 0 ] ||
	    nok "$who: no tmux of roost's runs after the purge"

	# README's test line in the same tree, with the tools HACKING.md
	# lists (its apt line, once): it does not reconfigure.
	[ -e /tmp/hacking-apt ] || hacking_apt
	cp "$home/roost/Makefile" /tmp/Makefile.before
	step 'make check' || return
	as "$who" "cd roost && ROOST_TESTS=tests/cli.bats $l"
	rc=$?
	if cmp -s /tmp/Makefile.before "$home/roost/Makefile" &&
	    ! grep -qi 'configure' "$out"; then
		ok "$who: $l does not reconfigure the tree"
	else
		nok "$who: $l does not reconfigure the tree"
		diag <"$out"
	fi
	if [ "$rc" = 0 ]; then
		ok "$who: $l (tests/cli.bats): $(tail -n 1 "$out")"
	else
		nok "$who: $l (tests/cli.bats) (exit $rc)"
		tail -n 30 "$out" | diag
	fi
}

# attach_walk WHO HOME: README's attach line as a person does it in a
# terminal (a tmux of the walk's own, TMUX unset inside it): exit 1 in
# the program, which roost starts again in the same session (the
# terminal stays attached), then detach with Ctrl-b d.
attach_walk() {
	who=$1 home=$2
	step 'roost attach demo' || return
	sock=$home/.roost/sock/demo
	term() { su -l "$who" -c "tmux -L walk $*" 2>/dev/null; }
	screen() { term capture-pane -p -t walk >/tmp/screen 2>&1; }
	shows() { screen && grep -q -- "$1" /tmp/screen; }
	attached() {
		[ -n "$(su -l "$who" -c "tmux -S '$sock' list-clients" 2>/dev/null)" ]
	}
	term -f /dev/null new-session -d -s walk -x 120 -y 30 \
	    "'env -u TMUX -u TMUX_PANE bash -l'"
	term send-keys -t walk "'$l; echo attach-rc=\$?'" Enter
	if wait_for 15 attached && wait_for 15 shows '[$#] *$'; then
		ok "$who: $l attaches"
	else
		nok "$who: $l attaches"
		screen; diag </tmp/screen
	fi
	term send-keys -t walk "'exit 1'" Enter
	if wait_for 15 test -s "$home/.roost/state/demo.deaths" &&
	    wait_for 15 sh -c "grep -q 'cause=restart .*respawn=yes' '$home/.roost/log/lifecycle.log'" &&
	    wait_for 15 as "$who" 'roost -q status demo' && attached; then
		ok "$who: exit 1 in it: roost starts it again, and the terminal stays attached"
	else
		nok "$who: exit 1 in it: roost starts it again, and the terminal stays attached"
		screen; diag </tmp/screen
	fi
	wait_for 15 shows '[$#] *$' || nok "$who: the new run's prompt shows"
	term send-keys -t walk C-b d
	if wait_for 15 shows '^attach-rc=0$' && shows '\[detached'; then
		ok "$who: Ctrl-b d detaches"
	else
		nok "$who: Ctrl-b d detaches"
		screen; diag </tmp/screen
	fi
	screen
	grep -B 100 '^attach-rc=' /tmp/screen | grep -Ei "$surprise" &&
	    { nok "$who: the attach printed a surprise"; diag </tmp/screen; }
	as "$who" 'roost -q status demo' || nok "$who: demo runs after the detach"
	term kill-server
}

# tick_walk WHO HOME: `roost tick --every 60` restarts a death nobody
# reported, bounded; INT ends it with 0.
tick_walk() {
	who=$1 home=$2
	st=$home/.roost/state
	cp=$(cut -d' ' -f1 "$st/demo.canary" 2>/dev/null)
	sp=$(sed -n 's/.*server_pid=\([0-9]*\).*/\1/p' "$st/demo.session" 2>/dev/null)
	if [ -z "$cp" ] || [ -z "$sp" ]; then
		nok "$who: the canary's and the server's pids (canary '$cp', server '$sp')"
		return
	fi
	kill -KILL "$cp" "$sp"
	wait_for 10 sh -c "! kill -0 $sp" || nok "$who: the server is gone"
	as "$who" 'roost -q status demo' && nok "$who: demo is down once its server is killed"
	su -l "$who" -c 'exec roost tick --every 60' >/tmp/every.out 2>&1 </dev/null &
	pid=$!
	if wait_for 30 as "$who" 'roost -q status demo'; then
		ok "$who: roost tick --every 60 restarts what died unreported"
	else
		nok "$who: roost tick --every 60 restarts what died unreported"
	fi
	# The loop itself, as a person's Ctrl-C would reach it.
	loop=$(pgrep -u "$who" -xf 'roost tick --every 60')
	[ -n "$loop" ] && kill -INT "$loop"
	if wait_for 20 sh -c "! kill -0 $pid"; then
		wait "$pid"
		rc=$?
	else
		nok "$who: the loop ends on INT"
		kill -KILL "$pid" ${loop:+"$loop"}
		rc=137
	fi
	cp /tmp/every.out "$out"
	check "$who: roost tick --every 60 ends with INT, quietly" "$rc"
	as "$who" 'roost status'
	check "$who: roost status with the loop's pass" $?
}

# HACKING.md's apt line installs the test tools.
hacking_apt() {
	: >/tmp/hacking-apt
	l=$(grep -m 1 '^    sudo apt-get install' "$src/HACKING.md" |
	    sed 's/^ *//; s/sudo //g')
	[ -n "$l" ] || { nok "HACKING.md has an apt-get install line"; return; }
	echo y | sh -c "$l" >/tmp/apt2.log 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then ok "as root: HACKING.md's $l"; else
		nok "as root: HACKING.md's $l (exit $rc)"
		tail -n 20 /tmp/apt2.log | diag
	fi
	for t in bats python3 shellcheck strace pgrep script perl xmllint; do
		command -v "$t" >/dev/null 2>&1 || nok "HACKING.md's apt line installs $t"
	done
}

id u >/dev/null 2>&1 || useradd -m -s /bin/bash u
walk u
walk root

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
