# tests/install-helpers.bash - recording stand-ins for crontab(1),
# launchctl(1), systemctl(1) and loginctl(1), and readers for what roost
# install writes.  Loaded by the install-*.bats suites after helpers.bash.

# stand_ins: put the stand-ins in $T/bin and point roost at them (and at
# private LaunchAgents and systemd unit dirs), so no test touches the real
# user's crontab, launchd or systemd user manager.
#
# crontab: -l prints $T/crontab, or "no crontab for <user>" (exit 1) when
# there is none; when $T/crontab.fail exists it prints that file to
# stderr and exits 1 instead.  "-" or FILE replaces $T/crontab, -r
# removes it.  Each call is one line (its arguments) in $T/crontab.calls.
#
# launchctl: each call is one line in $T/launchctl.calls.  `print
# gui/<uid>` (the domain) answers 0, or 113 when $T/launchctl.nogui
# exists; `print-disabled` prints $T/launchctl.disabled when it exists.
# An exit code from $T/launchctl.<verb>.rc, one code a line, consumed in
# order, comes first.  bootstrap refuses (134, "Service cannot load in
# requested session") a plist whose LimitLoadToSessionType does not list
# the domain's session type, as launchd does.  Otherwise the stand-in
# keeps what is loaded:
# bootstrap loads a job, bootout unloads it, and print of a job answers 0
# when it is loaded and 113 ("could not find service") when not;
# everything else answers 0.
#
# systemctl: each call is one line (its arguments) in $T/systemctl.calls.
# `--user show-environment` answers 0 when $T/systemctl.up exists, else 1
# (no user manager).  enable/disable [--now] keep the timer's state in
# $T/systemctl.state/<unit>.{enabled,active}, which is-enabled and
# is-active report; restart and start make it active.  An exit code in
# $T/systemctl.<verb>.rc (one a line, consumed in order) overrides.
#
# loginctl: show-user prints "Linger=<$T/linger, default yes>".
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
-r)
	if [ ! -f "\$t/crontab" ]; then
		echo "no crontab for \$(id -un)" >&2
		exit 1
	fi
	rm -f "\$t/crontab"
	exit 0 ;;
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
if [ "\$1" = print ]; then
	case \$2 in
	gui/*/* | user/*/*) ;;
	gui/*) [ ! -f "\$t/launchctl.nogui" ]; exit ;;
	esac
fi
if [ "\$1" = print-disabled ]; then
	cat "\$t/launchctl.disabled" 2>/dev/null
	exit 0
fi
q="\$t/launchctl.\$1.rc"
if [ -s "\$q" ]; then
	rc=\$(sed -n 1p "\$q")
	sed 1d "\$q" >"\$q.tmp" && mv -f "\$q.tmp" "\$q"
	[ "\$rc" -eq 0 ] || exit "\$rc"
	[ "\$1" = print ] && exit 0
fi
# launchd loads a job only into a session type its LimitLoadToSessionType
# lists (Aqua when the key is absent): gui/<uid> is Aqua, user/<uid> is
# Background.
if [ "\$1" = bootstrap ]; then
	case \$2 in gui/*) want=Aqua ;; *) want=Background ;; esac
	types=\$(awk '/<key>LimitLoadToSessionType<\/key>/ { k = 1; next }
	    k && /<array>/ { a = 1; next }
	    k && /<string>/ { gsub(/.*<string>|<\/string>.*/, ""); print
	        if (!a) exit; next }
	    k { exit }' "\$3")
	if ! printf '%s\n' "\${types:-Aqua}" | grep -q -x "\$want"; then
		echo "Bootstrap failed: 134: Service cannot load in requested session" >&2
		exit 134
	fi
fi
# What is loaded, by label: bootstrap loads, bootout unloads.
case \$1 in
bootstrap) p=\${3##*/}; : >"\$t/launchctl.loaded.\${p%.plist}" ;;
bootout) rm -f "\$t/launchctl.loaded.\${2##*/}" ;;
print) [ -f "\$t/launchctl.loaded.\${2##*/}" ] || exit 113 ;;
esac
exit 0
EOF
	cat >"$T/bin/systemctl" <<EOF
#!/bin/sh
t='$T'
printf '%s\n' "\$*" >>"\$t/systemctl.calls"
[ "\$1" = --user ] || { echo "stand-in: not --user: \$*" >&2; exit 99; }
shift
q="\$t/systemctl.\$1.rc"
if [ -s "\$q" ]; then
	rc=\$(sed -n 1p "\$q")
	sed 1d "\$q" >"\$q.tmp" && mv -f "\$q.tmp" "\$q"
	exit "\$rc"
fi
st="\$t/systemctl.state"
mkdir -p "\$st"
verb=\$1
shift
now=
[ "\${1:-}" = --now ] && { now=1; shift; }
[ "\${1:-}" = --quiet ] && shift
case \$verb in
show-environment) [ -f "\$t/systemctl.up" ] ;;
daemon-reload) exit 0 ;;
enable) : >"\$st/\$1.enabled"; [ -z "\$now" ] || : >"\$st/\$1.active" ;;
disable) rm -f "\$st/\$1.enabled"; [ -z "\$now" ] || rm -f "\$st/\$1.active" ;;
start | restart) : >"\$st/\$1.active" ;;
stop) rm -f "\$st/\$1.active" ;;
is-enabled) [ -f "\$st/\$1.enabled" ] ;;
is-active) [ -f "\$st/\$1.active" ] ;;
*) echo "stand-in: unknown verb \$verb" >&2; exit 99 ;;
esac
EOF
	cat >"$T/bin/loginctl" <<EOF
#!/bin/sh
t='$T'
printf '%s\n' "\$*" >>"\$t/loginctl.calls"
[ "\$1" = show-user ] || exit 1
printf 'Linger=%s\n' "\$(cat "\$t/linger" 2>/dev/null || echo yes)"
EOF
	chmod +x "$T/bin/crontab" "$T/bin/launchctl" "$T/bin/systemctl" \
	    "$T/bin/loginctl"
	export ROOST_CRONTAB="$T/bin/crontab"
	export ROOST_LAUNCHCTL="$T/bin/launchctl"
	export ROOST_LAUNCH_AGENTS="$T/agents"
	export ROOST_SYSTEMCTL="$T/bin/systemctl"
	export ROOST_LOGINCTL="$T/bin/loginctl"
	export ROOST_SYSTEMD_UNITS="$T/units"
}

# fake_cron: a process named cron (a copy of sleep: comm is the file's
# name) runs until teardown, so install and status see a cron daemon on
# any machine.
fake_cron() {
	mkdir -p "$T/daemon"
	cp "$(command -v sleep)" "$T/daemon/cron"
	"$T/daemon/cron" 600 &
	wait_for 5 pgrep -f "$T/daemon/cron"
}

# sctl_calls: the systemctl stand-in's log ("" when never called).
sctl_calls() {
	cat "$T/systemctl.calls" 2>/dev/null || true
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
