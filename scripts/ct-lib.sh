# ct-lib.sh: what the container checks share (sourced by systemd-ct.sh
# and quickstart-ct.sh): the mirror apt uses here, and in CI the tools.

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
