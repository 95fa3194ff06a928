#!/usr/bin/env bats
# Clocks: a wall clock stepped back never turns an exit into a server
# death nor a backoff into an hour, and restart_delay is kept to the
# millisecond.  (The steps are made in the records, as a clock stepped
# under them would leave them: a launch or a death "in the future".)

load helpers
bats_require_minimum_version 1.5.0

setup() { common_setup; }
teardown() { common_teardown; }

# A program that ends with status $1 once $T/go exists.
gated() {
	printf '#!/bin/sh\nwhile [ ! -e "%s/go" ]; do sleep 0.05; done\nexit %s\n' \
	    "$T" "$1" >"$T/prog/gated"
	chmod +x "$T/prog/gated"
}

# shift_field FILE SED-EXPR: rewrite a marker in place, as a writer would.
rewrite() {
	sed "$2" "$1" >"$1.new" && mv "$1.new" "$1"
}

@test "a clock stepped back past the session's age: an exit 0 is the program's, not a server death, and not restarted" {
	gated 0
	roost add z --restart on-failure --restart-delay 0 -- "$T/prog/gated"
	roost start z >/dev/null
	local s=$ROOST_HOME/state/z.session later
	later=$(($(date +%s) + 3600))
	# It woke an hour "from now": the clock has since been set back.
	rewrite "$s" "s/woke=[0-9]*/woke=$later/"
	touch "$T/go"
	wait_for 10 test ! -e "$s"
	grep -Eq '^[0-9]+ status=0$' "$ROOST_HOME/state/z.deaths"
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=death id=z cause="status=0" ')" -eq 1 ]
	run roost tick z
	run roost status z --format logfmt
	assert_status 3
	assert_output_has "state=exited"
	[ "$(count_lines "$ROOST_HOME/log/lifecycle.log" ' ev=launch id=z ')" -eq 1 ]
}

@test "a clock stepped back during a backoff: the restart comes after the backoff, not after the step" {
	gated 1
	roost add b --restart always --restart-delay 2 -- "$T/prog/gated"
	roost start b >/dev/null
	local spid d=$ROOST_HOME/state/b.deaths when cause
	spid=$(server_pid b)
	touch "$T/go"
	wait_for 10 test -s "$d"
	rm -f "$T/go"
	# The death an hour "from now": the clock set back just after it.
	read -r when cause <"$d"
	printf '%s %s\n' $((when + 3600)) "$cause" >"$d.new"
	mv "$d.new" "$d"
	# The restart respawns the pane in the server that waited.
	wait_for 15 grep -q ' ev=launch id=b mode=fresh cause=restart .*respawn=yes' "$ROOST_HOME/log/lifecycle.log"
	[ "$(server_pid b)" = "$spid" ]
	run roost status b --format logfmt
	assert_output_has "state=running"
}

# A program that, on its first run, ends with status 1 late in a second
# (where a whole-second clock cut the delay short), saying when; on its
# second, says when it began.
late_in_second() {
	cat >"$T/prog/late" <<EOS
#!/bin/sh
. '$BATS_TEST_DIRNAME/lib.sh'
if [ -e '$T/died' ]; then
	now_ms >'$T/began'
	exec '$T/prog/forever'
fi
while :; do
	t=\$(now_ms)
	[ \$((t % 1000)) -ge 600 ] && [ \$((t % 1000)) -lt 900 ] && break
	sleep 0.02
done
echo "\$t" >'$T/died'
exit 1
EOS
	chmod +x "$T/prog/late"
}

tick_until_began() {
	[ -s "$T/began" ] && return 0
	roost tick >/dev/null 2>&1
	[ -s "$T/began" ]
}

@test "restart_delay is kept to the millisecond: a 1 s delay restarts no sooner than 1 s after the death" {
	[ "$LIB_CLOCK" != seconds ] || skip "no sub-second clock here"
	late_in_second
	roost add m --restart always --restart-delay 1 -- "$T/prog/late"
	roost start m >/dev/null
	# Passes as often as a scheduler could run them: none may be early.
	wait_for 15 tick_until_began
	local died began
	died=$(cat "$T/died")
	began=$(cat "$T/began")
	echo "restarted $((began - died)) ms after the death" >&2
	[ $((began - died)) -ge 1000 ]
	[ $((began - died)) -lt 11000 ]
	# ev=backoff says the delay and its end to the millisecond.
	grep -Eq ' ev=backoff id=m delay=1\.000 until=[0-9]+\.[0-9]{3}$' "$ROOST_HOME/log/lifecycle.log"
}
