#!/bin/sh
# fuzz.sh - build roost's libFuzzer targets (tests/fuzz/fuzz_*.c) into
# build-fuzz/ and run each for a share of SECONDS (default 60 in all).
#
# Usage: sh scripts/fuzz.sh [SECONDS]        (make fuzz runs it)
#
# Every object of roost except main.c is compiled with coverage and
# AddressSanitizer + UndefinedBehaviorSanitizer (any report aborts) and
# linked with one target.  Each target starts
# from its seed corpus tests/fuzz/corpus/<target>/ (read only; what it
# finds goes to build-fuzz/corpus/<target>/).  A crash leaves its input in
# build-fuzz/crash-<target>-*; the script then exits 1.
# The last line is "fuzz: N targets, N runs, N failed".
#
# Environment: FUZZCC (default clang), FUZZ_TARGETS (default: all),
# FUZZ_SECONDS (SECONDS when it is not given).

set -u

total=${1:-${FUZZ_SECONDS:-60}}
case $total in
'' | *[!0-9]*) echo "usage: sh scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
cc=${FUZZCC:-clang}
out=build-fuzz
san='-fsanitize=address,undefined -fno-sanitize-recover=undefined'
# The standard and feature flags configure uses for roost itself.
flags="-Wall -Wextra -g -O1 -fno-omit-frame-pointer -std=c99 -D_POSIX_C_SOURCE=200809L -Isrc -I. -Itests/fuzz"
[ "$(uname -s)" = Darwin ] && flags="$flags -D_DARWIN_C_SOURCE"

say() {
	printf 'fuzz: %s\n' "$*" >&2
}

if [ ! -f config.h ] || [ ! -f src/roost.h ]; then
	say "run me from the top of the roost tree, after ./configure"
	exit 1
fi
if [ -z "${FUZZ_TARGETS:-}" ]; then
	FUZZ_TARGETS=
	for f in tests/fuzz/fuzz_*.c; do
		t=${f##*/fuzz_}
		t=${t%.c}
		FUZZ_TARGETS="$FUZZ_TARGETS $t"
	done
fi
# shellcheck disable=SC2086
set -- $FUZZ_TARGETS
ntargets=$#
if [ "$ntargets" -eq 0 ]; then
	say "no targets in tests/fuzz/"
	exit 1
fi
each=$((total / ntargets))
[ "$each" -lt 1 ] && each=1

mkdir -p "$out/obj" || exit 1

# ---------------------------------------------------------------- build
if ! sh scripts/gen-templates.sh templates/*.in >"$out/templates.c.tmp" ||
    ! mv -f "$out/templates.c.tmp" "$out/templates.c"; then
	say "cannot generate templates"
	exit 1
fi
objs=
for src in src/*.c "$out/templates.c"; do
	case $src in src/main.c) continue ;; esac
	o=$out/obj/$(basename "$src" .c).o
	# shellcheck disable=SC2086
	$cc $flags -fsanitize=fuzzer-no-link $san -c -o "$o" "$src" || {
		say "cannot compile $src with $cc"
		exit 1
	}
	objs="$objs $o"
done
for t in "$@"; do
	# shellcheck disable=SC2086
	$cc $flags -fsanitize=fuzzer $san -o "$out/fuzz_$t" \
	    "tests/fuzz/fuzz_$t.c" $objs || {
		say "cannot link fuzz_$t"
		exit 1
	}
done

# ---------------------------------------------------------------- run
# Sanitizer reports abort; leaks count too.
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS
# The render target must not read templates from the caller's home.
unset ROOST_TEMPLATES ROOST_HOME

runs_all=0
failed=0
for t in "$@"; do
	corpus=$out/corpus/$t
	mkdir -p "$corpus"
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict=-dict=tests/fuzz/$t.dict
	say "fuzz_$t for ${each}s"
	# shellcheck disable=SC2086
	"$out/fuzz_$t" -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$out/crash-$t-" $dict \
	    "$corpus" "tests/fuzz/corpus/$t" >"$out/fuzz_$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' \
	    "$out/fuzz_$t.log" | tail -n 1)
	runs=${runs:-0}
	runs_all=$((runs_all + runs))
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		printf 'fuzz_%s: FAILED (exit %s) after %s runs; log %s\n' \
		    "$t" "$rc" "$runs" "$out/fuzz_$t.log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' \
		    "$out/fuzz_$t.log" | head -n 8
	else
		printf 'fuzz_%s: ok, %s runs in %ss, corpus %s\n' "$t" "$runs" \
		    "$each" "$(find "$corpus" "tests/fuzz/corpus/$t" -type f | wc -l | tr -d ' ')"
	fi
done
printf 'fuzz: %s targets, %s runs, %s failed\n' "$ntargets" "$runs_all" \
    "$failed"
# One result per target, in the form CI adds up.
printf 'fuzz: %s passed, %s failed\n' "$((ntargets - failed))" "$failed"
[ "$failed" -eq 0 ]
