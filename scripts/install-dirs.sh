#!/bin/sh
# install-dirs.sh RECORD DIR...: make each DIR (mkdir -p) and append to
# RECORD every directory this made that was not there, parents first, so
# that `make uninstall` removes what `make install` created (when it is
# empty) and never a directory that was there before, such as an empty
# /usr/local/bin.  An empty RECORD makes the directories and records
# nothing (a DESTDIR install: the packager owns its directories).
#
# install-dirs.sh -u RECORD: remove the directories RECORD names that are
# empty, deepest first, and RECORD itself.

set -u

if [ "${1:-}" = -u ]; then
	rec=$2
	[ -f "$rec" ] || exit 0
	list=$(sort -r "$rec") || exit 1
	rm -f "$rec" || exit 1
	printf '%s\n' "$list" | while IFS= read -r d; do
		[ -n "$d" ] && rmdir "$d" 2>/dev/null
	done
	exit 0
fi

rec=$1
shift
made=
for dir in "$@"; do
	# The missing components, topmost first.
	missing=
	d=$dir
	while [ -n "$d" ] && [ "$d" != / ] && [ "$d" != . ] && [ ! -d "$d" ]; do
		missing="$d
$missing"
		d=$(dirname "$d")
	done
	mkdir -p "$dir" || exit 1
	made=$made$missing
done
[ -n "$rec" ] || exit 0
printf '%s' "$made" | while IFS= read -r d; do
	[ -n "$d" ] && printf '%s\n' "$d"
done >>"$rec" || exit 1
