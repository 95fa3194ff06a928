#!/usr/bin/env bats
# install-cron.bats - `roost install --scheduler cron` and `roost uninstall`
# against a recording crontab stand-in: the block, the user's other lines
# byte for byte, idempotence, several homes, failures that write nothing.

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

# A crontab a user might really have: comments, MAILTO, odd spacing and
# tabs, a blank line, and (when $1 is "nonl") no newline at the end.
foreign_crontab() {
	printf '# my jobs\nMAILTO=me@example.org\nSHELL=/bin/sh\n\n'
	printf '*/7   *  *\t* *    /usr/bin/true   # odd  spacing\n'
	printf '  @reboot\t/bin/echo  "50%% done"  \n'
	printf '#   trailing comment   '
	[ "${1:-}" = nonl ] || printf '\n'
}

@test "install adds the block after the user's lines, keeping them byte for byte" {
	foreign_crontab >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	run --separate-stderr roost install --scheduler cron --dry-run
	assert_status 0
	printf '%s\n' "$output" | sed '1,/^would write cron entry:$/d' >"$T/block"
	grep -q -x "# BEGIN roost $ROOST_HOME" "$T/block"
	run roost install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	cat "$T/orig" "$T/block" >"$T/want"
	cmp "$T/want" "$T/crontab"
	[ "$(cron_writes)" -eq 1 ]
}

@test "a crontab without a final newline keeps its last line as it was" {
	foreign_crontab nonl >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	run roost install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	# The user's bytes, unchanged and contiguous, after the block.
	cron_block "$ROOST_HOME" >"$T/block"
	[ "$(wc -l <"$T/block")" -eq 4 ]
	cat "$T/block" "$T/orig" >"$T/want"
	cmp "$T/want" "$T/crontab"
	run roost uninstall
	assert_status 0
	assert_output_has "removed cron entry"
	cmp "$T/orig" "$T/crontab"
}

@test "a second install says unchanged and writes nothing" {
	foreign_crontab >"$T/crontab"
	run roost install --scheduler cron
	assert_status 0
	cp "$T/crontab" "$T/after1"
	run roost install --scheduler cron
	assert_status 0
	assert_output_has "unchanged cron entry"
	assert_output_has "unchanged home $ROOST_HOME"
	assert_output_has "unchanged $ROOST_HOME/bin/pane-died"
	case $output in *created* | *updated*) false ;; esac
	cmp "$T/after1" "$T/crontab"
	[ "$(cron_writes)" -eq 1 ]
}

@test "a changed interval updates the block in place" {
	foreign_crontab >"$T/crontab"
	printf '0 4 * * * /usr/bin/backup\n' >>"$T/crontab"
	roost install --scheduler cron
	# Move the block between the user's lines: it must be replaced where
	# it is, not moved to the end.
	{
		sed -n '1,3p' "$T/crontab"
		cron_block "$ROOST_HOME"
		sed -n '4,$p' "$T/crontab" | sed "/^# BEGIN roost /,/^# END roost /d"
	} >"$T/moved"
	cp "$T/moved" "$T/crontab"
	run roost install --scheduler cron --interval 300
	assert_status 0
	assert_output_has "updated cron entry"
	[ "$(sed -n 4p "$T/crontab")" = "# BEGIN roost $ROOST_HOME" ]
	cron_entry | grep -q '^\*/5 \* \* \* \* '
	run roost uninstall
	assert_status 0
	sed "/^# BEGIN roost /,/^# END roost /d" "$T/moved" >"$T/want"
	cmp "$T/want" "$T/crontab"
}

@test "uninstall restores the original crontab byte for byte" {
	foreign_crontab >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	roost install --scheduler cron
	run cmp -s "$T/orig" "$T/crontab"
	[ "$status" -ne 0 ]
	run roost uninstall
	assert_status 0
	assert_output_has "removed cron entry"
	cmp "$T/orig" "$T/crontab"
	run roost uninstall
	assert_status 0
	assert_output_has "unchanged cron entry (none installed)"
	cmp "$T/orig" "$T/crontab"
	[ "$(cron_writes)" -eq 2 ]
}

@test "no crontab at all reads as empty: the crontab becomes just the block" {
	[ ! -e "$T/crontab" ]
	run roost install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	cron_block "$ROOST_HOME" >"$T/block"
	cmp "$T/block" "$T/crontab"
	run roost uninstall
	assert_status 0
	assert_output_has "removed cron entry"
	# No empty crontab where there was none.
	[ ! -e "$T/crontab" ]
	[ "$(tail -n 1 "$T/crontab.calls")" = -r ]
}

@test "uninstall keeps a crontab that holds anything of the user's, even one blank line" {
	printf '\n' >"$T/crontab"
	roost install --scheduler cron
	run roost uninstall
	assert_status 0
	[ "$(od -An -c "$T/crontab" | tr -d ' ')" = '\n' ]
	! grep -q -x -e -r "$T/crontab.calls" || false
}

@test "the block bakes ROOST_TMUX and ROOST_TMUX_CONF when they are set: the tick's launches start the servers a start would" {
	run env -i HOME=/home/u PATH=/usr/bin:/bin ROOST_HOME="$ROOST_HOME" \
	    ROOST_CRONTAB="$ROOST_CRONTAB" ROOST_TMUX="$TMUX_BIN" \
	    ROOST_TMUX_CONF="$T/my tmux.conf" "$ROOST_BIN" install --scheduler cron
	assert_status 0
	self=$(cd "$(dirname "$ROOST_BIN")" && pwd -P)/$(basename "$ROOST_BIN")
	[ "$(cron_entry)" = "* * * * * HOME='/home/u' ROOST_HOME='$ROOST_HOME' ROOST_SOCK_DIR='$ROOST_HOME/sock' PATH='/usr/bin:/bin' ROOST_TMUX='$TMUX_BIN' ROOST_TMUX_CONF='$T/my tmux.conf' '$self' tick >>'$ROOST_HOME/log/tick.out' 2>&1" ]
}

@test "the block runs the absolute roost with HOME, ROOST_HOME, ROOST_SOCK_DIR, PATH and the locale baked in, output to log/tick.out" {
	run env -i HOME=/home/u PATH=/usr/bin:/bin LANG=C.UTF-8 LC_TIME=C \
	    LC_ALL= LC_COLLATE=POSIX ROOST_HOME="$ROOST_HOME" \
	    ROOST_CRONTAB="$ROOST_CRONTAB" "$ROOST_BIN" install --scheduler cron
	assert_status 0
	self=$(cd "$(dirname "$ROOST_BIN")" && pwd -P)/$(basename "$ROOST_BIN")
	# Sorted LC_* after LANG; an empty one (no effect) is left out.
	[ "$(cron_entry)" = "* * * * * HOME='/home/u' ROOST_HOME='$ROOST_HOME' ROOST_SOCK_DIR='$ROOST_HOME/sock' PATH='/usr/bin:/bin' LANG='C.UTF-8' LC_COLLATE='POSIX' LC_TIME='C' '$self' tick >>'$ROOST_HOME/log/tick.out' 2>&1" ]
	[ "$(cron_block "$ROOST_HOME" | wc -l)" -eq 4 ]
	[ "$(tail -n 1 "$T/crontab")" = "# END roost $ROOST_HOME" ]
}

@test "two homes get two blocks and each uninstall removes only its own" {
	foreign_crontab >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	# One home's path is a prefix of the other's.
	run env ROOST_HOME="$T/home2" "$ROOST_BIN" install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	run roost install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	[ "$(grep -c '^# BEGIN roost ' "$T/crontab")" -eq 2 ]
	[ "$(cron_block "$T/home2" | wc -l)" -eq 4 ]
	[ "$(cron_block "$ROOST_HOME" | wc -l)" -eq 4 ]
	cron_block "$T/home2" | grep -q "ROOST_HOME='$T/home2' "
	cron_block "$T/home2" >"$T/block2"
	# Re-installing either changes nothing.
	run env ROOST_HOME="$T/home2" "$ROOST_BIN" install --scheduler cron
	assert_output_has "unchanged cron entry"
	run roost install --scheduler cron
	assert_output_has "unchanged cron entry"
	[ "$(cron_writes)" -eq 2 ]
	# Remove the first home's block: the second one and the user's
	# lines stay exactly.
	run roost uninstall
	assert_status 0
	assert_output_has "removed cron entry"
	cat "$T/orig" "$T/block2" >"$T/want"
	cmp "$T/want" "$T/crontab"
	run env ROOST_HOME="$T/home2" "$ROOST_BIN" uninstall
	assert_status 0
	assert_output_has "removed cron entry"
	cmp "$T/orig" "$T/crontab"
}

@test "a failing crontab -l: install exits 1 with the reason and writes nothing" {
	foreign_crontab >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	echo "crontab: cannot open spool: Permission denied" >"$T/crontab.fail"
	run roost install --scheduler cron
	assert_status 1
	assert_output_has "roost: install: crontab -l failed: crontab: cannot open spool: Permission denied; nothing was changed"
	cmp "$T/orig" "$T/crontab"
	[ "$(cron_writes)" -eq 0 ]
	[ ! -e "$ROOST_HOME" ]
}

@test "a failing crontab -l: uninstall exits 1 with the reason and writes nothing" {
	foreign_crontab >"$T/crontab"
	roost install --scheduler cron
	cp "$T/crontab" "$T/installed"
	echo "crontab: your crontab is locked" >"$T/crontab.fail"
	run roost uninstall
	assert_status 1
	assert_output_has "roost: uninstall: crontab -l failed: crontab: your crontab is locked; nothing was changed"
	cmp "$T/installed" "$T/crontab"
	[ "$(cron_writes)" -eq 1 ]
	# A crontab that fails without a word: its exit status is the reason.
	: >"$T/crontab.fail"
	run roost uninstall
	assert_status 1
	assert_output_has "roost: uninstall: crontab -l exited 1, saying nothing; nothing was changed"
	cmp "$T/installed" "$T/crontab"
}

@test "a BEGIN line without its END is refused and nothing is written" {
	printf 'A\n# BEGIN roost %s\nB\nC\n' "$ROOST_HOME" >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	run roost install --scheduler cron
	assert_status 1
	assert_output_has "roost: install: crontab: '# BEGIN roost $ROOST_HOME' has no '# END roost $ROOST_HOME' line"
	cmp "$T/orig" "$T/crontab"
	run roost uninstall
	assert_status 1
	assert_output_has "has no '# END roost $ROOST_HOME' line"
	cmp "$T/orig" "$T/crontab"
	[ "$(cron_writes)" -eq 0 ]
}

@test "a crontab command that is missing: exit 1 naming ROOST_CRONTAB" {
	export ROOST_CRONTAB="$T/bin/no-such-crontab"
	run roost install --scheduler cron
	assert_status 1
	assert_output_has "roost: install: ROOST_CRONTAB=$T/bin/no-such-crontab: No such file or directory"
	[ ! -e "$ROOST_HOME" ]
}

@test "uninstall still removes the block after the home was deleted by hand" {
	foreign_crontab >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	roost install --scheduler cron
	rm -rf "$ROOST_HOME"
	run roost uninstall
	assert_status 0
	assert_output_has "removed cron entry"
	cmp "$T/orig" "$T/crontab"
	[ ! -e "$ROOST_HOME" ]
}

@test "interval 90 is rounded to 2 minutes with a notice on stderr" {
	run --separate-stderr roost install --scheduler cron --interval 90
	assert_status 0
	[[ $stderr == *"roost: install: notice: cron runs whole minutes, 1 to 60: interval 90s rounded to 2 minutes"* ]]
	cron_entry | grep -q '^\*/2 \* \* \* \* '
	cron_block "$ROOST_HOME" | grep -q -x '# roost tick every 2 minute(s); .*'
}

@test "interval 300 becomes */5 with no notice; 60 is every minute" {
	run --separate-stderr roost install --scheduler cron --interval 300
	assert_status 0
	[[ $stderr != *notice* ]]
	cron_entry | grep -q '^\*/5 \* \* \* \* '
	run --separate-stderr roost install --scheduler cron --interval 60
	assert_status 0
	[[ $stderr != *notice* ]]
	assert_output_has "updated cron entry"
	cron_entry | grep -q '^\* \* \* \* \* '
}

@test "intervals cron cannot express say so: 20 s is 1 minute, 7200 s is hourly" {
	run --separate-stderr roost install --scheduler cron --interval 20
	assert_status 0
	[[ $stderr == *"notice: cron runs whole minutes, 1 to 60: interval 20s rounded to 1 minute"* ]]
	cron_entry | grep -q '^\* \* \* \* \* '
	run --separate-stderr roost install --scheduler cron --interval 7200
	assert_status 0
	[[ $stderr == *"interval 7200s rounded to 60 minutes"* ]]
	cron_entry | grep -q '^0 \* \* \* \* '
}

@test "running roost from a build tree warns; so does a copy in a temporary directory" {
	# A build tree is a directory with Makefile.in beside the binary.
	mkdir -p "$T/src"
	touch "$T/src/Makefile.in"
	cp "$ROOST_BIN" "$T/src/roost"
	run --separate-stderr "$T/src/roost" install --scheduler cron
	assert_status 0
	[[ $stderr == *"roost: install: warning: $T/src/roost is in a build tree; the scheduler entry will run it from there (make install first)"* ]]
	assert_output_has "created cron entry"
	mkdir -p "$T/tmpbin"
	cp "$ROOST_BIN" "$T/tmpbin/roost"
	run --separate-stderr env TMPDIR="$T" "$T/tmpbin/roost" install --scheduler cron
	assert_status 0
	[[ $stderr == *"roost: install: warning: $T/tmpbin/roost is in a temporary directory; the scheduler entry will break when it goes"* ]]
	assert_output_has "updated cron entry"
	cron_entry | grep -q -F " '$T/tmpbin/roost' tick "
}

@test "--scheduler auto is cron on Linux and launchd on macOS" {
	run roost install
	assert_status 0
	case $(uname -s) in
	Darwin)
		assert_output_has "created launchd agent $T/agents/org.roost.tick.plist"
		[ ! -e "$T/crontab.calls" ] ;;
	*)
		assert_output_has "created cron entry"
		[ "$(cron_block "$ROOST_HOME" | wc -l)" -eq 4 ]
		[ -z "$(lctl_calls)" ] ;;
	esac
	grep -q 'ev=install scheduler=' "$ROOST_HOME/log/lifecycle.log"
}

@test "a ROOST_SOCK_DIR in force at install is baked into the block, so the tick finds the sockets" {
	export ROOST_SOCK_DIR="$T/s"
	run roost install --scheduler cron
	assert_status 0
	case $(cron_entry) in
	*" ROOST_SOCK_DIR='$T/s' "*) ;;
	*) echo "entry: $(cron_entry)" >&2; return 1 ;;
	esac
}

@test "no cron daemon running: install warns that the entry will not run; a running one silences it" {
	build_has_proc || skip "roost looks for a cron daemon in /proc, which this build does not read"
	# Another run of this case (CI runs the suite as two users at once)
	# starts a process named cron: take turns.
	need_tool flock "runs of this case take turns with flock(1)"
	exec 9<"$(command -v pgrep)"
	flock -w 120 9
	if pgrep -x 'cron|crond|fcron' >/dev/null; then
		skip "a cron daemon runs on this machine: its absence cannot be tested"
	fi
	run --separate-stderr roost install --scheduler cron
	assert_status 0
	assert_output_has "created cron entry"
	[[ $stderr == *"roost: install: warning: no cron daemon is running, so the entry will not run: start it (as root, where systemd runs: systemctl enable --now cron); where nothing would start one (a container, WSL without systemd): roost install --scheduler none, then keep roost tick --every 60 running (the container's entrypoint, a terminal)"* ]]
	# A process named cron (a copy of sleep: comm is the file's name).
	mkdir -p "$T/daemon"
	cp "$(command -v sleep)" "$T/daemon/cron"
	"$T/daemon/cron" 600 &
	wait_for 5 pgrep -f "$T/daemon/cron"
	run --separate-stderr roost install --scheduler cron
	assert_status 0
	[[ $stderr != *"cron daemon"* ]]
	kill %1
	wait %1 || true
}

# pidns_ok: unshare can give a child a PID namespace of its own here
# (root, or unprivileged user namespaces).
# crons N: N of this test's stand-in crons run.
crons() { [ "$(pgrep -f "$T/daemon/cron" | wc -l)" -eq "$1" ]; }

pidns_ok() {
	need_tool unshare "it makes the PID namespace"
	unshare -p -f true 2>/dev/null && return 0
	skip "unshare -p needs root (or user namespaces) here"
}

@test "a cron of another PID namespace (a container on a shared /proc) is not ours: install still warns" {
	if pgrep -x 'cron|crond|fcron' >/dev/null; then
		skip "a cron daemon runs on this machine: its absence cannot be tested"
	fi
	build_has_proc || skip "without /proc roost cannot tell whether a cron daemon runs"
	pidns_ok
	mkdir -p "$T/daemon"
	cp "$(command -v sleep)" "$T/daemon/cron"
	# The cron in a namespace of its own, roost in ours: /proc shows it,
	# and it never runs our crontab.
	unshare -p -f "$T/daemon/cron" 600 &
	wait_for 5 crons 2	# unshare, and the cron it forked
	run --separate-stderr roost install --scheduler cron
	assert_status 0
	[[ $stderr == *"roost: install: warning: no cron daemon is running, so the entry will not run"* ]]
	# roost in a namespace of its own (the container), a cron outside.
	"$T/daemon/cron" 600 &
	wait_for 5 crons 3
	run --separate-stderr unshare -p -f "$ROOST_BIN" install --scheduler cron
	assert_status 0
	[[ $stderr == *"no cron daemon is running"* ]]
	# Ours, in our own namespace: silent.
	run --separate-stderr roost install --scheduler cron
	assert_status 0
	[[ $stderr != *"cron daemon"* ]]
}

@test "--scheduler none warns about nothing scheduler-related" {
	run --separate-stderr roost install --scheduler none
	assert_status 0
	[ -z "$stderr" ]
	[ "$(cat "$ROOST_HOME/state/.scheduler")" = "scheduler=none interval=60" ]
}

@test "--scheduler none after cron, as README's container way goes: the cron entry is removed" {
	printf '# mine\n' >"$T/crontab"
	roost install --scheduler cron 2>/dev/null
	grep -q roost "$T/crontab"
	run --separate-stderr roost install --scheduler none
	assert_status 0
	assert_output_has "removed cron entry"
	[ "$(cat "$T/crontab")" = "# mine" ]
	[ "$(cat "$ROOST_HOME/state/.scheduler")" = "scheduler=none interval=60" ]
	run --separate-stderr roost install --scheduler none
	assert_status 0
	[[ $output != *"cron entry"* ]]
}

@test "a cron command cron would cut is refused first: exit 1, the reason, nothing written" {
	printf '# mine\n' >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	long=$T/$(printf 'p%.0s' $(seq 1000))
	run --separate-stderr env PATH="$long:/usr/bin:/bin" "$ROOST_BIN" install --scheduler cron
	assert_status 1
	[[ ${stderr_lines[${#stderr_lines[@]}-1]} =~ ^roost:\ install:\ the\ cron\ entry\'s\ command\ would\ be\ [0-9]{4}\ bytes,\ and\ cron\ reads\ at\ most\ 999:\ shorten\ the\ home\ path\ or\ PATH,\ or\ use\ --scheduler\ systemd\;\ nothing\ was\ written$ ]]
	[ ! -e "$ROOST_HOME" ]
	cmp "$T/orig" "$T/crontab"
	[ "$(cron_writes)" -eq 0 ]
}

@test "tick.out is created 0600 by install, and made 0600 if it was not" {
	run roost install --scheduler cron
	assert_status 0
	[ "$(file_stat mode "$ROOST_HOME/log/tick.out")" = 600 ]
	chmod 644 "$ROOST_HOME/log/tick.out"
	roost install --scheduler cron
	[ "$(file_stat mode "$ROOST_HOME/log/tick.out")" = 600 ]
}

@test "a missing crontab(1): the home is made and the error says what to install" {
	run --separate-stderr env -u ROOST_CRONTAB PATH=/nonexistent "$ROOST_BIN" install --scheduler cron
	assert_status 1
	assert_output_has "created home $ROOST_HOME"
	[ "${stderr_lines[${#stderr_lines[@]}-1]}" = "roost: install: crontab: command not found: install cron (Debian, Ubuntu: apt-get install cron; Fedora: dnf install cronie) and run roost install again; where nothing would start one (a container, WSL without systemd): roost install --scheduler none, then keep roost tick --every 60 running (the container's entrypoint, a terminal)" ]
	[ ! -e "$ROOST_HOME/state/.scheduler" ]
}
