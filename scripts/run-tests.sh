#!/bin/sh
# run-tests.sh: roost's test runner (make check, check-asan, check-slow).
#
# Runs the bats suite with TAP output teed to build/test.tap.  Every test runs
# under a fresh, short ROOST_TEST_ROOT (unix socket paths are limited to
# 104/108 bytes); afterwards any process whose command line still names
# that root is a leak: it is reported, killed and counted as one failure.
# The last line is "N passed, N failed" (", N skipped" when any were).
#
# Environment: ROOST_BIN (default ./roost); ROOST_SLOW=1 adds
# tests/slow/*.bats, ROOST_SLOW=only runs just those;
# ROOST_TESTS="tests/a.bats tests/b.bats" runs just the suites named;
# ROOST_TEST_JOBS (default 3) is how many bats processes run at once;
# ROOST_TEST_BASH=/path/to/bash is the bash that runs bats and the suites
# (bats' scripts start with #!/usr/bin/env bash: it is put first on PATH
# as build/test-bash/bash), e.g. Apple's bash 3.2, as on macOS;
# ROOST_TEST_OUT (default build) is the directory of the runner's own
# files (test.tap, the workers' claims): runs at once in one tree each
# need their own; ROOST_UTMP_SHIM (default: build/noutmp.so when this
# tree built one, else none) is the utmp shim the servers start with.

set -u

here=$(pwd -P)
out=${ROOST_TEST_OUT:-build}
: "${ROOST_BIN:=$here/roost}"
export ROOST_BIN
# The servers start with this tree's utmp shim, or none (tree_shim).
if [ -z "${ROOST_UTMP_SHIM+set}" ]; then
	# shellcheck source=tests/lib.sh
	. "$here/tests/lib.sh"
	ROOST_UTMP_SHIM=$(tree_shim "$here")
	export ROOST_UTMP_SHIM
fi
# Tests drive private tmux servers; never let them find the caller's.
unset TMUX TMUX_PANE
# The fixtures (homes, template and hook directories) are made with
# mkdir and must pass roost's trust checks, which refuse what others may
# write: a normal user's umask on Debian 13 is 002 (pam_umask's
# usergroups), which would make every one of them group-writable.
umask 022

passed=0
failed=0
skipped=0
root=

say() {
	printf 'run-tests: %s\n' "$*" >&2
}

# count_tap FILE: add FILE's TAP results to the totals.  A result line with
# "# skip" is skipped; results missing from the plan count as failures.
count_tap() {
	tapfile=$1
	# shellcheck disable=SC2046
	set -- $(awk '
		/^ok / { n++; if (tolower($0) ~ /# skip/) s++; else p++; next }
		/^not ok / { n++; if (tolower($0) ~ /# todo/) s++; else f++; next }
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0 }
		END { print p + 0, f + 0, s + 0, n + 0, plan + 0 }' "$tapfile")
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + $3))
	tap_failed=$2
	if [ "$5" -gt "$4" ]; then
		say "$tapfile: planned $5 tests, saw $4: counting $(($5 - $4)) as failed"
		failed=$((failed + $5 - $4))
		tap_failed=$((tap_failed + $5 - $4))
	fi
}

# leaked_pids: processes whose command line contains the test root.
leaked_pids() {
	case $root in
	/tmp/rt.?*) ;;
	*) return 0 ;;	# no root, nothing of ours: never match everything
	esac
	if command -v pgrep >/dev/null 2>&1; then
		pgrep -f "$(printf '%s' "$root" | sed 's/[].[\\*^$]/\\&/g')"
	else
		ps -A -o pid= -o args= |
		    ROOT=$root awk 'index($0, ENVIRON["ROOT"]) { print $1 }'
	fi
}

kill_leaked() {
	pids=$(leaked_pids)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	sleep 1
	pids=$(leaked_pids)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	return 0
}

remove_root() {
	case $root in
	/tmp/rt.?*)
		chmod -R u+rwx "$root" 2>/dev/null
		rm -rf "$root" ;;
	esac
	root=
}

finish() {
	line="$passed passed, $failed failed"
	[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
	printf '%s\n' "$line"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}

trap 'kill_leaked; remove_root' EXIT
trap 'say interrupted; kill_leaked; remove_root; exit 130' INT TERM HUP

mkdir -p "$out" || exit 1
out_abs=$(cd "$out" && pwd) || exit 1

if [ ! -x "$ROOST_BIN" ]; then
	say "ROOST_BIN=$ROOST_BIN is not an executable file (run make first)"
	failed=$((failed + 1))
	finish
fi

# The tools the suite needs, command:Debian package.  One missing would
# fail dozens of tests one by one (and a missing pgrep leaves servers
# behind): say so once and run nothing.
tools='bats:bats tmux:tmux python3:python3 shellcheck:shellcheck
pgrep:procps pkill:procps ps:procps script:bsdutils perl:perl-base'
[ "$(uname -s)" = Linux ] && tools="$tools strace:strace"
missing='' pkgs=''
for pair in $tools; do
	command -v "${pair%%:*}" >/dev/null 2>&1 && continue
	missing="$missing ${pair%%:*}"
	case " $pkgs " in *" ${pair#*:} "*) ;; *) pkgs="$pkgs ${pair#*:}" ;; esac
done
if [ -n "$missing" ]; then
	say "missing test tools:$missing; on Debian: apt-get install$pkgs" \
	    "(HACKING.md, Building and installing); no test was run"
	failed=$((failed + 1))
	finish
fi

if [ -n "${ROOST_TEST_BASH:-}" ]; then
	case $ROOST_TEST_BASH in
	/*) ;;
	*) ROOST_TEST_BASH=$here/$ROOST_TEST_BASH ;;
	esac
	if [ ! -x "$ROOST_TEST_BASH" ] || [ -d "$ROOST_TEST_BASH" ]; then
		say "ROOST_TEST_BASH=$ROOST_TEST_BASH is not an executable file"
		failed=$((failed + 1))
		finish
	fi
	rm -rf "$out"/test-bash && mkdir "$out"/test-bash &&
	    ln -s "$ROOST_TEST_BASH" "$out"/test-bash/bash || exit 1
	PATH=$out_abs/test-bash:$PATH
	export PATH
fi

root=$(mktemp -d /tmp/rt.XXXXXX) || { say "mktemp failed"; exit 1; }
ROOST_TEST_ROOT=$root
export ROOST_TEST_ROOT
printf 'roost test root: runner_pid=%s started=%s\n' "$$" "$(date +%s)" \
    >"$root/.roost-test-root"

# ---------------------------------------------------------------- bats
set --
if [ "${ROOST_SLOW:-0}" != only ]; then
	for f in tests/*.bats; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
fi
if [ "${ROOST_SLOW:-0}" != 0 ]; then
	for f in tests/slow/*.bats; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
fi
# shellcheck disable=SC2086
[ -z "${ROOST_TESTS:-}" ] || set -- $ROOST_TESTS

: >"$out"/test.tap
if [ "$#" -eq 0 ]; then
	say "no tests/*.bats found"
	failed=$((failed + 1))
else
	# The suites spend most of their time waiting on tmux and sleeps:
	# JOBS workers run them side by side, one bats process a file.  The
	# files are listed largest first (by their number of tests); each
	# worker takes the next file no other has claimed (mkdir is atomic),
	# so a slow file holds up one worker, not a third of the suite.
	jobs=${ROOST_TEST_JOBS:-3}
	case $jobs in '' | *[!0-9]* | 0) jobs=1 ;; esac
	rm -rf "$out"/claim "$out"/test.*.tap "$out"/bats.*.rc
	mkdir "$out"/claim || exit 1
	for f; do
		printf '%s %s\n' "$(grep -c '^@test ' "$f")" "$f"
	done | sort -k1,1rn -k2,2 | awk '{ print $2 }' >"$out"/test.files
	nfiles=$(wc -l <"$out"/test.files)
	w=0
	while [ "$w" -lt "$jobs" ]; do
		w=$((w + 1))
		{
			i=0
			while read -r f; do
				i=$((i + 1))
				mkdir "$out/claim/$i" 2>/dev/null || continue
				# stdin is the list of files: a test must not eat it.
				bats --tap --timing "$f" >"$out/test.$i.tap" 2>&1 </dev/null
				echo "$?" >"$out/bats.$i.rc"
			done <"$out"/test.files
		} &
	done
	# shellcheck disable=SC2016
	echo "# bats --tap, $jobs workers, bash $(bash -c 'echo "$BASH_VERSION"'): $*"
	wait
	: >"$out"/test.tap
	i=0
	while [ "$i" -lt "$nfiles" ]; do
		i=$((i + 1))
		f=$(sed -n "${i}p" "$out"/test.files)
		echo "# $f" | tee -a "$out"/test.tap
		if [ ! -f "$out/test.$i.tap" ]; then
			say "$f: never run: counting one failure"
			failed=$((failed + 1))
			continue
		fi
		tee -a "$out"/test.tap <"$out/test.$i.tap"
		rc=$(cat "$out/bats.$i.rc" 2>/dev/null) || rc=1
		count_tap "$out/test.$i.tap"
		if [ "$rc" -ne 0 ] && [ "$tap_failed" -eq 0 ]; then
			say "$f: bats exited $rc with no failing test: counting one failure"
			failed=$((failed + 1))
		fi
	done
	rm -rf "$out"/claim
fi

# ---------------------------------------------------------------- leaks
pids=$(leaked_pids)
tries=0
while [ -n "$pids" ] && [ "$tries" -lt 3 ]; do
	sleep 1	# a server told to exit may take a moment
	tries=$((tries + 1))
	pids=$(leaked_pids)
done
if [ -n "$pids" ]; then
	say "processes left behind under $root (counted as one failure):"
	for p in $pids; do
		ps -o pid= -o args= -p "$p" >&2
	done
	failed=$((failed + 1))
	kill_leaked
fi
remove_root
finish
