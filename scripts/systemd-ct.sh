#!/bin/sh
# systemd-ct.sh: roost against a real systemd (make check-systemd).
#
# Boots a Debian 12 tree with `systemd-nspawn -b` (a real PID 1, logind,
# a user manager for a normal user "u" with lingering, cron) and runs
# tests/systemd/*.bats against it from here: each test enters the
# container with nsenter(1) as root, as u without a login (cron's
# environment: no XDG_RUNTIME_DIR), or through `su -l u` (a real PAM
# login with its own session-N.scope).  roost is built inside from this
# tree with the container's own compiler.
#
# The tree is built once with debootstrap and cached outside the clone
# ($ROOST_CT_CACHE, default /var/cache/roost-ct; its name carries a hash
# of the package list, so a change builds a new one); each run boots it
# with --volatile=overlay, so the cache is never written.  The whole job
# is bounded ($ROOST_CT_TIMEOUT seconds, default 420) and prints its time.
#
# Runs as root where debootstrap and systemd-nspawn exist; elsewhere it
# says why and exits 0 (a skip); in CI, which installs the tools, 1 (a
# failure).  The mirror is the one apt uses here.

set -u

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${ROOST_CT_CACHE:-/var/cache/roost-ct}
limit=${ROOST_CT_TIMEOUT:-420}
pkgs=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,tmux,gcc,libc6-dev,make,cron,procps,login,passwd,util-linux
suite=bookworm
t0=$(date +%s)

ct_name=systemd-ct
# shellcheck source=scripts/ct-lib.sh
. "$here/scripts/ct-lib.sh"
ct_need "apt-get install debootstrap systemd-container bats" \
    debootstrap systemd-nspawn nsenter bats

hash=$(printf '%s %s v1\n' "$suite" "$pkgs" | cksum | cut -d' ' -f1)
tree=$cache/$suite-$hash

build_tree() {
	tmp=$cache/.build.$$
	b0=$(date +%s)
	mkdir -p "$cache" || return 1
	rm -rf "$tmp"
	say "no cached tree: debootstrap $suite from $(ct_mirror) into $tree"
	if ! debootstrap --variant=minbase --include="$pkgs" "$suite" "$tmp" \
	    "$(ct_mirror)" >"$cache/debootstrap.log" 2>&1; then
		say "debootstrap failed; see $cache/debootstrap.log"
		tail -n 5 "$cache/debootstrap.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	# The normal user, lingering (its manager runs without a login),
	# a name for the machine.
	chroot "$tmp" useradd -m -s /bin/sh u &&
	    mkdir -p "$tmp/var/lib/systemd/linger" &&
	    : >"$tmp/var/lib/systemd/linger/u" &&
	    echo roostct >"$tmp/etc/hostname" || return 1
	mv "$tmp" "$tree" || return 1
	say "built $tree in $(($(date +%s) - b0)) s"
}

[ -d "$tree" ] || build_tree || { say "cannot build the tree"; exit 1; }

# Boot it: an overlay keeps the cache clean; no host systemd or machined
# is needed (--register=no --keep-unit).  The source is bound read-only.
run=$(mktemp -d /tmp/roost-ct.XXXXXX)
log=$run/boot.log
SYSTEMD_NSPAWN_TMPFS_TMP=1 systemd-nspawn -q -D "$tree" -b \
    --volatile=overlay --register=no --keep-unit -M roostct \
    --bind-ro="$here:/roost-src" --console=pipe >"$log" 2>&1 &
nspawn=$!

leader=
stop() {
	[ -n "$leader" ] && kill -RTMIN+4 "$leader" 2>/dev/null	# poweroff
	n=0
	while kill -0 "$nspawn" 2>/dev/null && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$nspawn" 2>/dev/null
	wait "$nspawn" 2>/dev/null
	rm -rf "$run"
}
trap 'stop; exit 1' INT TERM HUP

# The container's PID 1: the child of nspawn that runs systemd.
n=0
while [ -z "$leader" ] && [ "$n" -lt 200 ]; do
	for c in $(pgrep -P "$nspawn" 2>/dev/null); do
		case $(cat "/proc/$c/comm" 2>/dev/null) in systemd) leader=$c ;; esac
	done
	[ -n "$leader" ] || { sleep 0.1; n=$((n + 1)); }
done
if [ -z "$leader" ]; then
	say "the container did not boot:"
	tail -n 20 "$log" >&2
	stop
	exit 1
fi
ct() { nsenter -t "$leader" -a -- "$@"; }
n=0
until st=$(ct systemctl is-system-running 2>/dev/null) &&
    { [ "$st" = running ] || [ "$st" = degraded ]; }; do
	n=$((n + 1))
	if [ "$n" -gt 300 ]; then
		say "the container's systemd is not up: ${st:-no answer}"
		stop
		exit 1
	fi
	sleep 0.1
done
say "booted in $(($(date +%s) - t0)) s (PID 1 is $leader on the host)"

# roost, built inside by the container's compiler and installed as
# make install does (the utmp shim with it, where tmux has utempter).
if ! ct sh -c 'rm -rf /opt/roost && mkdir -p /opt/roost &&
    cd /roost-src && tar -cf - --exclude=./.git --exclude=./build \
	--exclude=./build-asan --exclude=./build-noproc --exclude=./roost . |
    tar -xf - -C /opt/roost && cd /opt/roost && ./configure --prefix=/usr/local \
    >/opt/roost.build.log 2>&1 && make install >>/opt/roost.build.log 2>&1'; then
	say "roost did not build inside:"
	ct tail -n 20 /opt/roost.build.log >&2
	stop
	exit 1
fi
say "roost built inside ($(ct /usr/local/bin/roost --version))"

export ROOST_CT_LEADER="$leader" ROOST_CT_T0="$t0"
tap=$run/tests.tap
left=$((limit - ($(date +%s) - t0)))
[ "$left" -gt 10 ] || left=10
if command -v timeout >/dev/null 2>&1; then
	timeout "$left" bats --tap "$here"/tests/systemd/*.bats >"$tap" 2>&1
	rc=$?
else
	bats --tap "$here"/tests/systemd/*.bats >"$tap" 2>&1
	rc=$?
fi
cat "$tap"
[ "$rc" = 124 ] && say "timed out after $limit s"
# The totals .ci/run adds up.
p=$(grep -c '^ok ' "$tap" | tr -d ' ')
f=$(grep -c '^not ok ' "$tap" | tr -d ' ')
k=$(grep -c '^ok .* # skip' "$tap" | tr -d ' ')
[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1
stop
say "done in $(($(date +%s) - t0)) s (boot, build and tests)"
if [ "$k" -gt 0 ]; then
	echo "$((p - k)) passed, $f failed, $k skipped"
else
	echo "$p passed, $f failed"
fi
exit "$rc"
