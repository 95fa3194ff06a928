#!/bin/sh
# quickstart-ct.sh: README's quick start, walked line by line on fresh
# minimal Debian 12 and 13 (make check-quickstart).
#
# For each suite (bookworm, trixie; $ROOST_QS_SUITES), a minbase tree like
# a debian:12 container image (no systemd as PID 1, no sudo, nothing that
# starts cron) runs scripts/quickstart-walk.sh under systemd-nspawn (not
# booted, the walk as PID 2), on a throwaway overlay, so the cache is
# never written.  The walk follows README as written: the quick start's
# command lines and its text are cut from README.md here and handed in.
#
# Each tree is built once with debootstrap and cached outside the clone
# ($ROOST_CT_CACHE, default /var/cache/roost-ct, beside systemd-ct.sh's);
# its name carries the suite and a hash of the packages README's and
# HACKING.md's apt lines name, whose .debs it holds (downloaded, not
# installed; apt's lists are emptied, as in a fresh image), so a change
# of those lines builds a new one.  The whole job is bounded
# ($ROOST_QS_TIMEOUT seconds, default 900) and prints its time;
# ROOST_QS_VERBOSE=1 shows every step's output, not only a failing one's.
#
# Runs as root where debootstrap and systemd-nspawn exist; elsewhere it
# says why and exits 0 (a skip; in CI a failure).  A tree that cannot be built (a mirror
# without the suite) is a failure, never a skip.  The mirror is the one
# apt uses here.

set -u

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${ROOST_CT_CACHE:-/var/cache/roost-ct}
limit=${ROOST_QS_TIMEOUT:-900}
suites=${ROOST_QS_SUITES:-bookworm trixie}
t0=$(date +%s)

ct_name=quickstart-ct
# shellcheck source=scripts/ct-lib.sh
. "$here/scripts/ct-lib.sh"
ct_need "apt-get install debootstrap systemd-container" \
    debootstrap systemd-nspawn unshare mount timeout

run=$(mktemp -d /tmp/roost-qs.XXXXXX)
trap 'rm -rf "$run"; exit 1' INT TERM HUP

# The quick start: its indented lines (the commands) and its text.
awk '/^## Quick start/ { q = 1; next } /^## / { q = 0 }
    q && /^    / { sub(/^    /, ""); print }' "$here/README.md" >"$run/steps"
awk '/^## Quick start/ { q = 1; next } /^## / { q = 0 }
    q && !/^    / { print }' "$here/README.md" >"$run/prose"
[ -s "$run/steps" ] || { say "README.md has no quick start commands"; exit 1; }

# The packages of an apt line: the words after "install" but options.
apt_pkgs() {
	sed -n 's/.*apt-get install\(.*\)/\1/p' | tr ' ' '\n' |
	    grep -v -e '^-' -e '^$' | tr '\n' ' '
}
qs_pkgs=$(grep -m 1 'apt-get install' "$run/steps" | apt_pkgs)
dev_pkgs=$(grep -m 1 '^    sudo apt-get install' "$here/HACKING.md" | apt_pkgs)

build_tree() {
	suite=$1 tree=$2
	tmp=$cache/.build.$$.$suite
	b0=$(date +%s)
	mkdir -p "$cache" || return 1
	rm -rf "$tmp"
	say "no cached tree: debootstrap $suite from $(ct_mirror) into $tree"
	if ! debootstrap --variant=minbase "$suite" "$tmp" "$(ct_mirror)" \
	    >"$cache/debootstrap-$suite.log" 2>&1; then
		say "debootstrap $suite failed; see $cache/debootstrap-$suite.log"
		tail -n 5 "$cache/debootstrap-$suite.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	# The .debs of both apt lines, so a walk fetches only apt's lists.
	# shellcheck disable=SC2086,SC2016	# word lists; the container sh's
	if ! systemd-nspawn -q -D "$tmp" --as-pid2 --register=no --keep-unit \
	    -M "qs-build-$suite" --console=pipe sh -c '
		apt-get update && apt-get install -y -d --no-install-recommends $1 &&
		apt-get install -y -d $1 $2 &&
		find /var/lib/apt/lists -type f -delete' sh "$qs_pkgs" "$dev_pkgs" \
	    >"$cache/predownload-$suite.log" 2>&1 </dev/null; then
		say "downloading the apt lines' packages failed; see $cache/predownload-$suite.log"
		tail -n 5 "$cache/predownload-$suite.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	mv "$tmp" "$tree" || return 1
	say "built $tree in $(($(date +%s) - b0)) s"
}

passed=0 failed=0
for suite in $suites; do
	s0=$(date +%s)
	hash=$(printf '%s minbase %s|%s v1\n' "$suite" "$qs_pkgs" "$dev_pkgs" |
	    cksum | cut -d' ' -f1)
	tree=$cache/qs-$suite-$hash
	echo "# $suite"
	if ! { [ -d "$tree" ] || build_tree "$suite" "$tree"; }; then
		echo "not ok - $suite: a minimal tree (debootstrap --variant=minbase)"
		failed=$((failed + 1))
		continue
	fi
	left=$((limit - ($(date +%s) - t0)))
	[ "$left" -gt 30 ] || left=30
	w=$run/$suite
	mkdir -p "$w/up" "$w/work" "$w/root" "$w/in" &&
	    cp "$run/steps" "$run/prose" "$here/scripts/quickstart-walk.sh" \
	    "$w/in/" || exit 1
	# A private mount namespace holds the overlay: it goes with the
	# container, whatever ends it.
	# shellcheck disable=SC2016	# the inner sh's
	timeout "$left" unshare -m --propagation private sh -c '
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/up,workdir=$2/work" \
		    "$2/root" || exit 1
		exec systemd-nspawn -q -D "$2/root" --as-pid2 --register=no \
		    --keep-unit -M "qs-$4" --bind-ro="$3:/roost-src" \
		    --bind-ro="$2/in:/walk-in" --console=pipe \
		    --setenv=QS_VERBOSE="$5" \
		    sh /walk-in/quickstart-walk.sh /roost-src \
		    /walk-in/steps /walk-in/prose' sh "$tree" "$w" "$here" "$suite" "${ROOST_QS_VERBOSE:-}" \
	    >"$w/tap" 2>"$w/stderr" </dev/null
	rc=$?
	grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$w/tap"
	p=$(grep -c '^ok ' "$w/tap")
	f=$(grep -c '^not ok ' "$w/tap")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		[ "$rc" = 124 ] && say "$suite: timed out after $limit s"
		echo "not ok - $suite: the walk ended with $rc"
		f=1
	fi
	if [ "$f" != 0 ]; then
		grep -v 'Attempted to remove disk file system' "$w/stderr" |
		    tail -n 20 | sed 's/^/# /'
	fi
	echo "# $suite: $p passed, $f failed in $(($(date +%s) - s0)) s"
	passed=$((passed + p))
	failed=$((failed + f))
done

rm -rf "$run"
say "done in $(($(date +%s) - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
