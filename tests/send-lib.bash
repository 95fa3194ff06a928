# tests/send-lib.bash - helpers of the send suites (send*.bats), loaded
# after helpers.bash.
#
# make_ready writes state/<id>.ready once the fake agent's prompt is on
# screen, as roost's own detection does (send-deliver.bats has a test
# that uses that): the other tests decide the moment themselves, so they
# do not depend on ready_quiet's timing.

FAKE_AGENT="$BATS_TEST_DIRNAME/fake-agent"

life_log() { echo "$ROOST_HOME/log/lifecycle.log"; }
queue_of() { echo "$ROOST_HOME/state/$1.queue"; }

# queued ID: how many messages wait in ID's queue (files, not dot-files,
# not failed/).
queued() {
	local d n=0 f
	d=$(queue_of "$1")
	for f in "$d"/*; do
		[ -f "$f" ] && [ ! -L "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# agent_add ID [K=V...]: define ID running the fake agent, its input
# logged to $T/ID.in, with the hooks an agent's settings would run: a
# turn touches .busy, its end removes it and asks for a pass (what
# `roost mark ID idle` will do).
agent_add() {
	local id=$1
	shift
	roost add "$id" --restart never ${AGENT_REPLACE:+--replace} -- env FAKE_INPUT_LOG="$T/$id.in" \
	    FAKE_WORK="${FAKE_WORK:-0.3}" FAKE_CONV="$T/$id.conv" \
	    FAKE_HOOK_SUBMIT='touch "$ROOST_HOME/state/$ROOST_ID.busy"' \
	    FAKE_HOOK_STOP="rm -f \"\$ROOST_HOME/state/\$ROOST_ID.busy\"; '$ROOST_BIN' tick \"\$ROOST_ID\"" \
	    FAKE_HOOK_NOTIFY='touch "$ROOST_HOME/state/$ROOST_ID.waiting"' \
	    "$@" "$FAKE_AGENT" >/dev/null
}

screen_of() {
	"$TMUX_BIN" -S "$(sock_of "$1")" capture-pane -p -t "=$1:" 2>/dev/null
}

# prompt_on_screen ID: the launch is recorded (.ready counts only when
# written after it) and the last line on screen that is not blank is the
# agent's prompt.
prompt_on_screen() {
	[ -f "$ROOST_HOME/state/$1.session" ] && [ "$(screen_of "$1" | sed '/^ *$/d' | tail -n 1)" = ">" ]
}

# make_ready ID: .ready once the prompt is on screen (bounded).
make_ready() {
	wait_for 20 prompt_on_screen "$1" &&
	    touch "$ROOST_HOME/state/$1.ready"
}

# make_ready_later ID: the same in the background, for a launch still to
# come (a wake, a --wait, a restart): it waits for a .session other than
# the one there now.
make_ready_later() {
	local old
	old=$(cat "$ROOST_HOME/state/$1.session" 2>/dev/null) || old=
	(
		new_session() {
			[ -f "$ROOST_HOME/state/$1.session" ] &&
			    [ "$(cat "$ROOST_HOME/state/$1.session")" != "$old" ]
		}
		wait_for 30 new_session "$1" && make_ready "$1"
	) >/dev/null 2>&1 &
}

# agent_up ID [K=V...]: defined, started and ready.
agent_up() {
	agent_add "$@"
	roost start "$1" >/dev/null
	make_ready "$1"
}

# input_has ID TEXT: the agent read a line holding TEXT.
input_has() {
	[ -f "$T/$1.in" ] && grep -qF -- "$2" "$T/$1.in"
}

# delivered_ok ID N: N deliveries of ID logged result=ok.
delivered_ok() {
	[ "$(count_lines "$(life_log)" "ev=deliver id=$1 .*result=ok")" -ge "$2" ]
}

# refute CMD...: CMD must fail (a bare "! CMD" never fails a bats test).
refute() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

# log_quiet ID: nothing written to ID's pane log for a second.
log_quiet() {
	[ "$(($(date +%s) - $(file_stat mtime "$ROOST_HOME/log/$1.log")))" -ge 2 ]
}

# attached ID: how many clients are attached to ID's session.
attached() {
	"$TMUX_BIN" -S "$(sock_of "$1")" display-message -p -t "=$1:" \
	    '#{session_attached}' 2>/dev/null
}

is_attached() { [ "$(attached "$1")" -ge 1 ]; }
