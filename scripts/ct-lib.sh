# ct-lib.sh: what the container checks share (sourced by systemd-ct.sh
# and quickstart-ct.sh, which set ct_name first): their messages, their
# skip, what they need, the mirror apt uses here, and in CI the tools.

say() { printf '%s: %s\n' "${ct_name:-ct}" "$*" >&2; }

# skip WHY: nothing run, and says why.  In CI, which installs the tools,
# that is a failure: a skip there would hide the check.
skip() {
	if [ "${CI:-}" = true ]; then
		say "cannot run: $*"
		echo "0 passed, 1 failed"
		exit 1
	fi
	say "skipped: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

# ct_need HINT TOOL...: root, Linux and each TOOL (installed first in
# CI), else a skip naming the TOOL missing and HINT, what installs it.
ct_need() {
	_hint=$1
	shift
	[ "$(id -u)" = 0 ] || skip "needs root ($*)"
	[ "$(uname -s)" = Linux ] || skip "needs Linux"
	ct_tools
	for _t in "$@"; do
		command -v "$_t" >/dev/null 2>&1 || skip "no $_t ($_hint)"
	done
}

# The mirror apt uses (deb822 URIs: or a one-line deb entry).
ct_mirror() {
	m=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	[ -n "$m" ] || m=$(sed -n 's/^deb  *\(http[^ ]*\/debian\)\/*  *.*/\1/p' \
	    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	    head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

# In CI (as root) debootstrap and systemd-nspawn come from apt, like the
# rest of .ci/run's tools.
ct_tools() {
	if [ "${CI:-}" = true ] && { ! command -v debootstrap >/dev/null 2>&1 ||
	    ! command -v systemd-nspawn >/dev/null 2>&1; }; then
		printf '%s\n' "installing debootstrap systemd-container" >&2
		apt-get install -y debootstrap systemd-container >/dev/null 2>&1 ||
		    { apt-get update >/dev/null 2>&1 &&
		    apt-get install -y debootstrap systemd-container >/dev/null 2>&1; }
	fi
}
