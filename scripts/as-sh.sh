#!/bin/sh
# as-sh.sh: run a command with /bin/sh replaced by another shell, so the
# rendered scripts (all #!/bin/sh) run under it - the way macOS's /bin/sh
# is bash in POSIX mode.
#
# Usage (as root; needs unshare(1) and mount(8)):
#   sh scripts/as-sh.sh SHELL [ARG...] -- COMMAND [ARG...]
#   sh scripts/as-sh.sh /bin/bash --posix -- make check
#   sh scripts/as-sh.sh /bin/busybox -- sh scripts/run-tests.sh
#   sh scripts/as-sh.sh "$PWD/build/apple-bash/bash" -- make check
#     (Apple's bash 3.2, macOS's /bin/sh: .ci/run builds it there from
#     ../shared/vendor/apple-bash)
#
# A one-line wrapper that execs SHELL [ARG...] is bind-mounted over
# /bin/sh in a private mount namespace (unshare -m): nothing outside
# COMMAND sees it, and it is gone when COMMAND ends.  SHELL runs with
# argv[0] "sh", as /bin/sh is run: busybox then runs its sh, and bash acts
# as sh (named bash, Debian's bash reads ~/.bashrc when its stdin is a
# socket, as tmux's pipe-pane gives it; macOS's /bin/sh never does).  The
# wrapper is a bash script (exec -a), so bash must be installed.

set -u

say() {
	printf 'as-sh: %s\n' "$*" >&2
}

usage() {
	echo "usage: sh scripts/as-sh.sh SHELL [ARG...] -- COMMAND [ARG...]" >&2
	exit 2
}

shell=
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
	shell="$shell '$(printf '%s' "$1" | sed "s/'/'\\\\''/g")'"
	shift
done
if [ "$#" -lt 2 ] || [ -z "$shell" ]; then
	usage
fi
shift
case $shell in
" '/"*) ;;
*) say "SHELL must be an absolute path: $shell"; exit 2 ;;
esac

for tool in unshare mount /bin/bash; do
	command -v "$tool" >/dev/null 2>&1 || { say "$tool not found"; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	say "needs root (a mount namespace and a bind mount)"
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/as-sh.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
trap 'rm -rf "$dir"; exit 130' INT TERM HUP
printf '#!/bin/bash\nexec -a sh%s "$@"\n' "$shell" >"$dir/sh"
chmod 0755 "$dir/sh"

# bash runs the namespace's first command: /bin/sh is about to change.
# shellcheck disable=SC2016
unshare -m /bin/bash -c '
	mount --bind "$1" /bin/sh || exit 1
	shift
	printf "as-sh: /bin/sh is now: %s\n" "$(sed -n 2p /bin/sh)" >&2
	"$@"' as-sh "$dir/sh" "$@"
