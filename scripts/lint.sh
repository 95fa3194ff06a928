#!/bin/sh
# lint.sh: static checks (make lint).
#
# - every sh template, rendered by ./roost for a scratch identity, must be
#   clean under "shellcheck -s sh" (non-sh templates: launchd.plist goes
#   through xmllint and the systemd units through systemd-analyze verify
#   when installed, crontab is not checked);
# - the build's own shell scripts (scripts/*.sh, scripts/bench/*.sh) and
#   tests/lib.sh must be clean under shellcheck -s sh too;
# - cppcheck over src/; the bench's timer (scripts/bench/clock.c) built
#   with every warning an error;
# - the objects' link graph (scripts/layers.sh): layers point down;
# - mandoc -Tlint -W warning roost.1 when mandoc is installed;
# - every command, option and conf key the binary knows is in roost.1
#   (scripts/doc-check.sh);
# - every event the source logs (log_event("NAME", ...) in src/, ev=NAME
#   in templates/) is named in roost.1 (ev=NAME);
# - every environment variable the source reads (getenv, spawn_find; not
#   the suite's own ROOST_TEST_*) is in roost.1 (Ev NAME);
# - every marker roost.h names (M_*) heads an item of roost.1 (.It Pa .NAME);
# - every *_MS wait is defined once (src/roost.h);
# - every negated command in the suites can fail ("! cmd || false");
# - the duplicates report, when the duplicates tool is installed: printed,
#   never a failure (a row is a place to look, not a verdict).
# Each check is one result; the last line is "N passed, N failed".
# A roost that cannot add or render fails loudly: that is a finding too.

set -u

ROOST=${ROOST_BIN:-./roost}
# Templates to render, and whether each needs an identity.
TEMPLATES='launch:id canary:id pane-died:- crontab:- launchd.plist:-
roost-tick.service:- roost-tick.timer:-'

passed=0
failed=0
scratch=

ok() {
	passed=$((passed + 1))
	printf 'ok: %s\n' "$*"
}

bad() {
	failed=$((failed + 1))
	printf 'FAILED: %s\n' "$*"
}

cleanup() {
	[ -n "$scratch" ] || return 0
	# Nothing should run under the scratch home; kill whatever does.
	case $scratch in
	/tmp/rl.?*)
		if command -v pgrep >/dev/null 2>&1; then
			pids=$(pgrep -f "$(printf '%s' "$scratch" | sed 's/[].[\\*^$]/\\&/g')")
			# shellcheck disable=SC2086
			[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
		fi
		chmod -R u+rwx "$scratch" 2>/dev/null
		rm -rf "$scratch" ;;
	esac
	scratch=
}

finish() {
	cleanup
	printf '%s passed, %s failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}

trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	bad "$1 is not installed: cannot $2"
	return 1
}

# ---------------------------------------------------------------- templates
lint_templates() {
	if [ ! -x "$ROOST" ]; then
		bad "$ROOST is not an executable: run make first"
		return
	fi
	scratch=$(mktemp -d /tmp/rl.XXXXXX) || { bad "mktemp failed"; return; }
	ROOST_HOME=$scratch/home
	export ROOST_HOME
	unset ROOST_TEMPLATES TMUX TMUX_PANE
	"$ROOST" add lintid -- true >"$scratch/out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		bad "$ROOST add lintid -- true failed (exit $rc):"
		sed 's/^/    /' "$scratch/out"
		return
	fi
	for spec in $TEMPLATES; do
		name=${spec%%:*}
		if [ "${spec#*:}" = id ]; then
			set -- render "$name" lintid
		else
			set -- render "$name"
		fi
		"$ROOST" "$@" >"$scratch/$name" 2>"$scratch/err"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			bad "$ROOST $* failed (exit $rc):"
			sed 's/^/    /' "$scratch/err"
			continue
		fi
		if [ ! -s "$scratch/$name" ]; then
			bad "$ROOST $* printed nothing"
			continue
		fi
		case $name in
		crontab | roost-tick.service)
			ok "render $name (not sh: rendered, not shellchecked)" ;;
		roost-tick.timer)
			# The timer names its service: verify the pair.
			if command -v systemd-analyze >/dev/null 2>&1; then
				mkdir -p "$scratch/run"
				if XDG_RUNTIME_DIR=$scratch/run systemd-analyze \
				    verify --user "$scratch/roost-tick.service" \
				    "$scratch/$name"; then
					ok "systemd-analyze verify the units"
				else
					bad "systemd-analyze verify the units"
				fi
			else
				ok "render $name (systemd-analyze not installed)"
			fi ;;
		launchd.plist)
			if command -v xmllint >/dev/null 2>&1; then
				if xmllint --noout "$scratch/$name"; then
					ok "xmllint $name"
				else
					bad "xmllint $name"
				fi
			else
				ok "render $name (xmllint not installed)"
			fi ;;
		*)
			need shellcheck "check rendered templates" || return
			if shellcheck -s sh - <"$scratch/$name"; then
				ok "shellcheck -s sh: rendered $name"
			else
				bad "shellcheck -s sh: rendered $name (see above)"
			fi ;;
		esac
	done
}

# ---------------------------------------------------------------- scripts
lint_scripts() {
	need shellcheck "check the build scripts" || return
	# The benchmark's scripts and tests/lib.sh are sourced by one another
	# (-x follows them); tests/lib.sh is sourced by the suites too.
	set -- configure
	for f in scripts/*.sh scripts/bench/*.sh tests/lib.sh; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	if shellcheck -s sh -x "$@"; then
		ok "shellcheck -s sh -x $*"
	else
		bad "shellcheck -s sh -x $*"
	fi
	if [ -f .ci/run ]; then
		if shellcheck -s bash .ci/run; then
			ok "shellcheck -s bash .ci/run"
		else
			bad "shellcheck -s bash .ci/run"
		fi
	fi
}

# ---------------------------------------------------------------- C
lint_c() {
	need cppcheck "check src/" || return
	if cppcheck --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr --quiet -Isrc -I. src/; then
		ok "cppcheck src/"
	else
		bad "cppcheck src/ (see above)"
	fi
}

# The bench's timer, which the bench builds with no flags of ours.
lint_bench_c() {
	if ${CC:-cc} -std=c99 -D_POSIX_C_SOURCE=200809L -pedantic -Wall \
	    -Wextra -Werror -fsyntax-only scripts/bench/clock.c; then
		ok "cc -Wall -Wextra -Werror scripts/bench/clock.c"
	else
		bad "cc -Wall -Wextra -Werror scripts/bench/clock.c (see above)"
	fi
}

# The objects' link graph points down and has no circle.
lint_layers() {
	set -- build/*.o
	if [ ! -f "$1" ]; then
		bad "no build/*.o: run make first"
		return
	fi
	if sh scripts/layers.sh "$@" >build/layers.out 2>&1; then
		ok "layers: the link graph points down"
	else
		sed -n '/^layers:/p' build/layers.out
		bad "layers: a lower layer calls up, or objects call in a circle"
	fi
}

lint_man() {
	if ! command -v mandoc >/dev/null 2>&1; then
		echo "skip: mandoc -Tlint roost.1 (mandoc not installed)"
		return
	fi
	if [ ! -f roost.1 ]; then
		bad "roost.1 is missing"
	# Warnings and errors; not style notes, which include "referenced
	# manual not found" for the macOS pages roost.1 names.
	elif mandoc -Tlint -W warning roost.1; then
		ok "mandoc -Tlint -W warning roost.1"
	else
		bad "mandoc -Tlint -W warning roost.1 (see above)"
	fi
}

# Each command, option and conf key of the binary's own tables is in
# roost.1.
lint_doc() {
	if [ ! -x "$ROOST" ]; then
		bad "$ROOST is not an executable: run make first"
	elif sh scripts/doc-check.sh "$ROOST" roost.1; then
		ok "roost.1 describes every command, option and conf key"
	else
		bad "roost.1 misses a command, option or conf key (see above)"
	fi
}

# lint_named WHAT PATTERN NAME...: roost.1 matches PATTERN (an extended
# regular expression, @ standing for the name) for every NAME the source
# holds, so nothing of WHAT is left undocumented.
lint_named() {
	what=$1
	pat=$2
	shift 2
	if [ "$#" -eq 0 ]; then
		bad "no $what found in the source"
		return
	fi
	gone=
	for n in "$@"; do
		grep -Eq -- "$(printf '%s\n' "$pat" | sed "s/@/$n/g")" roost.1 ||
		    gone="$gone $n"
	done
	if [ -z "$gone" ]; then
		ok "roost.1 names every one of the $what"
	else
		bad "roost.1 does not name these $what:$gone"
	fi
}

# Every event roost logs, variable it reads and marker it keeps is in
# roost.1.
lint_names() {
	# shellcheck disable=SC2046
	lint_named "events (ev=NAME)" '[ ]ev=@( |$)' $( {
	    grep -ho 'log_event("[a-z-]*"' src/*.c | sed 's/.*("\(.*\)"/\1/'
	    grep -ho 'ev=[a-z][a-z-]*' templates/*.in | sed 's/ev=//'; } |
	    sort -u)
	# shellcheck disable=SC2046
	lint_named "environment variables (Ev NAME)" 'Ev @( |$)' $(
	    grep -ho '\(getenv\|spawn_find\)("[A-Z_]*"' src/*.c |
	    sed 's/.*("\(.*\)"/\1/' | grep -v '^ROOST_TEST_' | sort -u)
	# shellcheck disable=SC2046
	lint_named "markers (.It Pa .NAME)" '^\.It Pa \.@(/| |$)' $(sed -n \
	    's/^#define[[:space:]]*M_[A-Z_]*[[:space:]]*"\([a-z-]*\)".*/\1/p' \
	    src/roost.h)
}

# A wait is named once, so one name never has two values.
lint_waits() {
	dups=$(grep -ho '^#define[[:space:]]*[A-Z0-9_]*_MS[[:space:]]' \
	    src/*.c src/*.h | awk '{ print $2 }' | sort | uniq -d)
	if [ -z "$dups" ]; then
		ok "every *_MS wait is defined once"
	else
		for d in $dups; do
			grep -n "^#define[[:space:]]*${d}[[:space:]]" src/*.c src/*.h
		done
		# shellcheck disable=SC2086
		bad "*_MS waits defined more than once:" $dups
	fi
}

# A negated command asserts nothing in bats but as a test's last line:
# bash's errexit ignores "! cmd", so it must read "! cmd || false" (or
# be a loop's or an if's condition).
lint_negations() {
	# A line of a suite that negates ("! cmd" first, or after && or ||),
	# outside an if, while or until, a one-line function or an eval'd
	# string, must end in "|| false" (trailing comments aside).  The
	# helpers (*.bash) are functions, whose last status is their result.
	found=$(grep -n -E '(^[[:space:]]*|(&&|\|\|)[[:space:]]*)! ' \
	    tests/*.bats tests/*/*.bats 2>/dev/null |
	    sed 's/[[:space:]]#[^'"'"'"]*$//' |
	    grep -v -E -e '\|\| false[[:space:]]*$' -e '; (do|then)$' \
		-e '(^|[[:space:]])(if|while|until|elif) ' -e '\(\) \{' \
		-e "eval '")
	if [ -z "$found" ]; then
		ok "every negated assertion in the suites can fail (! cmd || false)"
	else
		printf '%s\n' "$found"
		bad "negated commands that assert nothing (write ! cmd || false)"
	fi
}

lint_duplicates() {
	if ! command -v duplicates >/dev/null 2>&1; then
		echo "skip: duplicates report (duplicates not installed)"
		return
	fi
	echo "duplicates report (places to look, not failures):"
	duplicates --repo . | sed 's/^/    /'
}

lint_templates
cleanup
lint_scripts
lint_c
lint_bench_c
lint_layers
lint_man
lint_doc
lint_names
lint_waits
lint_negations
lint_duplicates
finish
