# tests/install-helpers.bash - recording stand-ins for crontab(1) and
# launchctl(1), and readers for what roost install writes.  Loaded by the
# install-*.bats suites after helpers.bash.

# stand_ins: put both stand-ins in $T/bin and point roost at them (and at
# a private LaunchAgents dir), so no test touches the real user's crontab
# or launchd.
#
# crontab: -l prints $T/crontab, or "no crontab for <user>" (exit 1) when
# there is none; when $T/crontab.fail exists it prints that file to
# stderr and exits 1 instead.  "-" or FILE replaces $T/crontab.  Each
# call is one line (its arguments) in $T/crontab.calls.
#
# launchctl: each call is one line in $T/launchctl.calls.  The exit code
# comes from $T/launchctl.<verb>.rc, one code a line, consumed in order;
# when that is empty, print answers 113 ("could not find service") and
# everything else 0.
stand_ins() {
	mkdir -p "$T/bin"
	cat >"$T/bin/crontab" <<EOF
#!/bin/sh
t='$T'
printf '%s\n' "\$*" >>"\$t/crontab.calls"
case \$1 in
-l)
	if [ -f "\$t/crontab.fail" ]; then
		cat "\$t/crontab.fail" >&2
		exit 1
	fi
	if [ ! -f "\$t/crontab" ]; then
		echo "no crontab for \$(id -un)" >&2
		exit 1
	fi
	exec cat "\$t/crontab" ;;
-)
	cat >"\$t/crontab.new" || exit 1 ;;
*)
	cat -- "\$1" >"\$t/crontab.new" || exit 1 ;;
esac
mv -f "\$t/crontab.new" "\$t/crontab"
EOF
	cat >"$T/bin/launchctl" <<EOF
#!/bin/sh
t='$T'
printf '%s\n' "\$*" >>"\$t/launchctl.calls"
q="\$t/launchctl.\$1.rc"
if [ -s "\$q" ]; then
	rc=\$(sed -n 1p "\$q")
	sed 1d "\$q" >"\$q.tmp" && mv -f "\$q.tmp" "\$q"
	exit "\$rc"
fi
[ "\$1" = print ] && exit 113
exit 0
EOF
	chmod +x "$T/bin/crontab" "$T/bin/launchctl"
	export ROOST_CRONTAB="$T/bin/crontab"
	export ROOST_LAUNCHCTL="$T/bin/launchctl"
	export ROOST_LAUNCH_AGENTS="$T/agents"
}

# cron_writes: how many times the stand-in crontab was asked to write.
cron_writes() {
	[ -f "$T/crontab.calls" ] || { echo 0; return; }
	grep -c -v -x -e '-l' "$T/crontab.calls" || true
}

# lctl_calls: the launchctl stand-in's log ("" when never called).
lctl_calls() {
	cat "$T/launchctl.calls" 2>/dev/null || true
}

# cron_block HOME [FILE]: the lines from "# BEGIN roost HOME" to
# "# END roost HOME" in FILE (default $T/crontab).
cron_block() {
	H=$1 awk '
		$0 == "# BEGIN roost " ENVIRON["H"] { p = 1 }
		p { print }
		$0 == "# END roost " ENVIRON["H"] { p = 0 }' "${2:-$T/crontab}"
}

# cron_command: reads one crontab entry line on stdin and prints the
# command cron hands to sh: the five schedule fields dropped and cron's
# own % handling applied the way cron does it (a backslash escapes the
# next byte; "\%" becomes "%", any other pair stays as it is; an
# unescaped % would end the command, which is an error here).
cron_command() {
	awk '{
		s = $0
		for (k = 0; k < 5; k++)
			sub(/^[ \t]*[^ \t]+[ \t]+/, "", s)
		out = ""
		esc = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (esc) {
				if (c == "%")
					out = substr(out, 1, length(out) - 1) "%"
				else
					out = out c
				esc = 0
				continue
			}
			if (c == "\\") {
				esc = 1
				out = out c
				continue
			}
			if (c == "%") {
				print "cron_command: unescaped % in: " $0 > "/dev/stderr"
				exit 3
			}
			out = out c
		}
		print out
	}'
}

# cron_entry [FILE]: the one schedule line of roost's block for $ROOST_HOME.
cron_entry() {
	cron_block "$ROOST_HOME" "${1:-$T/crontab}" | grep -v '^#'
}

# need_tool NAME: fail in CI when NAME is missing, skip elsewhere.
need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		echo "$1 is required in CI (.ci/run must install it)" >&2
		return 1
	fi
	skip "$1 not installed"
}
