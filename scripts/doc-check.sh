#!/bin/sh
# doc-check.sh ROOST MANPAGE: is every command, option and conf key the
# binary knows described in the man page?
#
# The names come from the binary's own tables: the "Commands:" list of
# `roost help`, each command's long options from its --help (as the
# shell completions read them) and the keys of `roost help conf`.  A
# command is described when it heads an item of COMMANDS (".It Cm NAME",
# or ".Cm NAME" first after ".It Xo"); an option when COMMANDS names it
# (".Fl -NAME"); a key when it heads an item of CONFIGURATION
# (".It Cm KEY").  Prints one line for each name missing and exits 1 when
# there is one; exits 2 when the binary does not answer.

set -u

if [ $# -ne 2 ]; then
	echo "usage: sh scripts/doc-check.sh ROOST MANPAGE" >&2
	exit 2
fi
roost=$1
man=$2

cmds=$("$roost" help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
keys=$("$roost" help conf | sed -n 's/^  \([a-z][a-z_]*\)$/\1/p')
if [ -z "$cmds" ] || [ -z "$keys" ]; then
	echo "doc-check: $roost lists no commands or no conf keys" >&2
	exit 2
fi

# The names that head an item of section $1 of the man page.
heads() {
	awk -v sect="$1" '
	/^\.Sh / { in_s = ($0 == ".Sh " sect); next }
	!in_s { next }
	/^\.It Xo$/ { xo = 1; next }
	xo && /^\.Cm / { print $2; xo = 0; next }
	{ xo = 0 }
	/^\.It Cm / { print $3 }
	' "$man"
}

# The text of section $1.
section() {
	awk -v sect="$1" '/^\.Sh / { in_s = ($0 == ".Sh " sect); next } in_s' "$man"
}

missing=0
documented=$(heads COMMANDS)
text=$(section COMMANDS)
for c in $cmds; do
	if ! printf '%s\n' "$documented" | grep -qx -- "$c"; then
		echo "$man: command $c is not described under COMMANDS"
		missing=1
	fi
	for o in $("$roost" "$c" --help | sed -n 's/^  \(-[a-zA-Z][^,]*, \)\{0,1\}--\([a-z][a-z-]*\).*/\2/p'); do
		printf '%s\n' "$text" | grep -Eq -- "Fl -$o( |$)" && continue
		echo "$man: option --$o of $c is not described under COMMANDS"
		missing=1
	done
done
documented=$(heads CONFIGURATION)
for k in $keys; do
	printf '%s\n' "$documented" | grep -qx -- "$k" && continue
	echo "$man: conf key $k is not described under CONFIGURATION"
	missing=1
done
exit "$missing"
