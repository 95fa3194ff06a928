#!/usr/bin/env bats
# install-prefix.bats - README's first command on a private copy of the
# source tree: ./configure --prefix=P && make install && P/bin/roost
# install leaves a cron entry (a crontab stand-in here) whose command,
# run the way cron runs it, performs a working tick; roost uninstall and
# make uninstall then leave nothing behind, not even the directories
# make install made (but those that were there before).  make install also puts the
# shell completions where bash, zsh and fish look, honouring DESTDIR.
# The copy keeps the shared build tree and its Makefile untouched.

load helpers
load install-helpers

bats_require_minimum_version 1.5.0

setup() {
	common_setup
	stand_ins
}

teardown() {
	common_teardown
}

@test "configure --prefix, make install, then the installed roost installs a working tick" {
	src=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	mkdir -p "$T/src"
	(cd "$src" && tar cf - --exclude=./.git --exclude=./build \
	    --exclude=./build-asan --exclude=./roost --exclude=./Makefile \
	    --exclude=./config.h --exclude=./config.log .) |
	    (cd "$T/src" && tar xf -)
	# Under a umask that lets the group write (Debian 13's usergroups):
	# the directories install makes are still 0755.
	run sh -c 'umask 002 && cd "$1" && ./configure --prefix="$2" &&
	    make -j4 && make install' sh "$T/src" "$T/pfx"
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$output" | tail -n 15 >&2
		echo "configure/make install failed (exit $status)" >&2
		false
	fi
	[ -x "$T/pfx/bin/roost" ]
	[ "$(file_stat mode "$T/pfx/bin")" = 755 ]
	[ -f "$T/pfx/share/man/man1/roost.1" ]
	[ -f "$T/pfx/share/roost/templates/crontab.in" ]
	[ -f "$T/pfx/share/bash-completion/completions/roost" ]
	[ -f "$T/pfx/share/zsh/site-functions/_roost" ]
	[ -f "$T/pfx/share/fish/vendor_completions.d/roost.fish" ]
	# The utmp shim, where this tmux is linked with libutempter, in
	# lib/roost beside bin, where the installed roost looks for it.
	local shim=
	if grep -q '^#define HAVE_UTMP_SHIM 1$' "$T/src/config.h"; then
		shim=$T/pfx/lib/roost/noutmp.so
		[ -f "$shim" ]
	else
		[ ! -e "$T/pfx/lib" ]
	fi
	# DESTDIR: the same files under it, nothing outside it.
	run sh -c 'cd "$1" && make install DESTDIR="$2"' sh "$T/src" "$T/dest"
	assert_status 0
	local d=$T/dest$T/pfx/share
	[ -x "$T/dest$T/pfx/bin/roost" ]
	bash -n "$d/bash-completion/completions/roost"
	if command -v zsh >/dev/null; then
		zsh -n "$d/zsh/site-functions/_roost"
	elif [ "${CI:-}" = true ]; then
		echo "zsh is required in CI (.ci/run installs it)" >&2
		false
	fi
	if command -v fish >/dev/null; then
		fish -n "$d/fish/vendor_completions.d/roost.fish"
	fi
	run sh -c 'cd "$1" && make uninstall DESTDIR="$2"' sh "$T/src" "$T/dest"
	assert_status 0
	[ -z "$(find "$T/dest" -type f)" ]
	# The installed copy must not need its build tree.
	mv "$T/src" "$T/src.away"
	roost_installed="$T/pfx/bin/roost"
	unset ROOST_UTMP_SHIM
	"$roost_installed" add bob -- "$T/prog/forever"
	run --separate-stderr "$roost_installed" install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	[[ $stderr != *"build tree"* ]]
	cron_entry | grep -q -F " '$T/pfx/bin/roost' tick "
	touch "$ROOST_HOME/state/bob.wake"
	cmd=$(cron_entry | cron_command)
	run env -i HOME="$HOME" PATH=/usr/bin:/bin sh -c "$cmd"
	assert_status 0
	wait_for 5 is_running bob
	[ -f "$ROOST_HOME/log/tick.out" ]
	grep -qx "UTMP_SHIM='$shim'" "$ROOST_HOME/bin/bob.canary"
	# Found by the program's real path, whatever symbolic link ran it.
	ln -s "$roost_installed" "$T/roost-link"
	"$T/roost-link" render canary bob | grep -qx "UTMP_SHIM='$shim'"
	"$roost_installed" stop bob
	run "$roost_installed" uninstall
	assert_status 0
	assert_output_has "removed cron entry"
	assert_no_processes
	# make uninstall removes what make install put under the prefix,
	# even after README's test line re-ran ./configure without one.
	mv "$T/src.away" "$T/src"
	run --separate-stderr sh -c 'cd "$1" && ./configure' sh "$T/src"
	assert_status 0
	[[ $stderr == *"configure: keeping the directories of the last configure (prefix=$T/pfx bindir='' datadir='' mandir=''), so that make uninstall removes what make install put there; give --prefix to change them"* ]]
	run sh -c 'cd "$1" && make uninstall' sh "$T/src"
	assert_status 0
	# Nothing at all: the directories install made go too, the prefix
	# with them (it was not there before).
	[ ! -e "$T/pfx" ] || { find "$T/pfx" >&2; false; }
	# A directory that was there before install stays, empty or not.
	mkdir -p "$T/pfx/bin"
	run sh -c 'cd "$1" && make install && make uninstall' sh "$T/src"
	assert_status 0
	[ "$(cd "$T/pfx" && find . | sort | tr '\n' ' ')" = ". ./bin " ] ||
	    { find "$T/pfx" >&2; false; }
}
