#!/usr/bin/env bats
# roost speaks each tmux command to the server itself (src/tmuxwire.c):
# what the command prints, its status and its error are what tmux's own
# client gives, byte for byte; what that does not speak goes to tmux's
# client; nothing starts a server or leaves a process behind.
#
# build/wire-test runs one command through roost's driver (make check
# builds it for each build and names it in ROOST_TEST_WIRE).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	[ -x "${ROOST_TEST_WIRE:-}" ] ||
	    skip "ROOST_TEST_WIRE names no wire-test (make check builds it)"
	mkdir -p "$T/sock"
	S=$T/sock/w
	"$TMUX_BIN" -S "$S" -f /dev/null new-session -d -s w -x 100 -y 30 \
	    "$T/prog/forever"
	STOPPED=
	PEER=
}

teardown() {
	[ -z "$STOPPED" ] || kill -CONT "$STOPPED" 2>/dev/null
	[ -z "$PEER" ] || kill "$PEER" 2>/dev/null
	common_teardown
}

# wire ARGS...: one command through roost's driver, 5 s at most; its
# stdout in $T/w.out, its "rc=N" and error in $T/w.err.
wire() { "$ROOST_TEST_WIRE" "$S" 5000 "$@" >"$T/w.out" 2>"$T/w.err"; }

# client ARGS...: the same command by tmux's client: $T/c.out, $T/c.err,
# and its status in $T/c.rc.
client() {
	local rc=0
	"$TMUX_BIN" -S "$S" "$@" >"$T/c.out" 2>"$T/c.err" || rc=$?
	echo "$rc" >"$T/c.rc"
}

# same ARGS...: the driver and tmux's client give the same output, the
# same status and, on failure, the client's first line as the error.
same() {
	wire "$@"
	client "$@"
	cmp "$T/w.out" "$T/c.out"
	grep -qx "rc=$(cat "$T/c.rc")" "$T/w.err"
	if [ "$(cat "$T/c.rc")" -ne 0 ]; then
		[ -s "$T/c.err" ]
		grep -qxF "err=tmux $1: $(head -n 1 "$T/c.err")" "$T/w.err"
	fi
}

# peer SCRIPT: a perl listener on $S in place of tmux; for each
# connection it reads the first frame's header, then runs SCRIPT with
# the connection in $c.  Each connection appends a line to $T/peer.log;
# $T/peer.log.ready says it listens.
peer() {
	"$TMUX_BIN" -S "$S" kill-server
	rm -f "$S"
	perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(),
		    Local => $ARGV[0], Listen => 5) or die "listen: $!";
		open(my $ready, ">", "$ARGV[1].ready") or die;
		close $ready;
		open(my $log, ">>", $ARGV[1]) or die;
		$log->autoflush(1);
		while (my $c = $s->accept) {
			my $h = "";
			sysread($c, $h, 16);
			print $log "spoken\n";
			eval $ARGV[2];
			close $c;
		}' "$S" "$T/peer.log" "$1" &
	PEER=$!
	# Listening, not only bound: a connect in between would be refused.
	wait_for 20 test -e "$T/peer.log.ready"
}

@test "output, status and error are tmux's client's, byte for byte" {
	same display-message -p '#{session_name} #{window_width}x#{window_height} #{pid}'
	grep -q '^w 100x30 [0-9][0-9]*$' "$T/w.out"
	same show-options -g
	same list-windows -t w -F '#{window_index} #{window_name}'
	# A command that fails: the status and the message of the client.
	same has-session -t nosuch
	grep -qxF "err=tmux has-session: can't find session: nosuch" "$T/w.err"
	same set-option -g no-such-option 1
	# A command list: each command's output, in order.
	same display-message -p one ';' display-message -p two
	[ "$(cat "$T/w.out")" = "$(printf 'one\ntwo')" ]
}

@test "output longer than one message arrives whole" {
	same list-keys
	# More than a frame's 16 KB: several writes put back together.
	[ "$(wc -c <"$T/w.out")" -gt 16384 ]
	grep -qx 'rc=0' "$T/w.err"
}

@test "a file the server reads through the client (load-buffer) arrives whole" {
	local f="$T/a file \$x"
	# More than a frame: several reads put back together, bytes as they are.
	{ head -c 40000 /dev/zero | tr '\0' y; printf '\n\033[201~ \001 end\n'; } >"$f"
	wire load-buffer -b roost-w "$f"
	grep -qx 'rc=0' "$T/w.err"
	"$TMUX_BIN" -S "$S" save-buffer -b roost-w "$T/saved"
	cmp "$f" "$T/saved"
	# A relative path is the caller's directory's.
	(cd "$T" && wire load-buffer -b roost-r "a file \$x")
	grep -qx 'rc=0' "$T/w.err"
	"$TMUX_BIN" -S "$S" save-buffer -b roost-r "$T/saved2"
	cmp "$f" "$T/saved2"
	# A file that is not there, a directory, stdin (/dev/null, as for the
	# client roost ran): the client's status and message for each.
	same load-buffer -b roost-x "$T/nothing"
	grep -q "No such file or directory" "$T/w.err"
	same load-buffer -b roost-d "$T"
	same load-buffer -b roost-n -
}

@test "a pipe the server reads waits for its writer, within the command's limit" {
	mkfifo "$T/fifo"
	# A writer that has the FIFO open (read-write: no wait for a reader)
	# before roost opens it, and writes its line late: the line is the
	# buffer, once the writer has gone.
	sh -c 'exec 3<>"$1"; : >"$2"; sleep 0.2; echo late >&3' _ \
	    "$T/fifo" "$T/writer-ready" &
	wait_for 10 test -e "$T/writer-ready"
	wire load-buffer -b roost-f "$T/fifo"
	grep -qx 'rc=0' "$T/w.err"
	[ "$("$TMUX_BIN" -S "$S" show-buffer -b roost-f)" = late ]
	# A writer that never writes (this shell, holding it open): given
	# up at the limit.
	exec 5<>"$T/fifo"
	"$ROOST_TEST_WIRE" "$S" 300 load-buffer -b roost-g "$T/fifo" \
	    >"$T/w.out" 2>"$T/w.err"
	exec 5<&-
	grep -qx 'rc=-1' "$T/w.err"
	grep -qxF "err=tmux: $S: no answer after 300 ms" "$T/w.err"
}

@test "output to a stream of its own or to a file (show-buffer, save-buffer) is the client's" {
	"$TMUX_BIN" -S "$S" set-buffer -b b1 'hello $x "q"'
	same show-buffer -b b1
	[ "$(cat "$T/w.out")" = 'hello $x "q"' ]
	same save-buffer -b b1 -
	wire save-buffer -b b1 "$T/by wire"
	grep -qx 'rc=0' "$T/w.err"
	"$TMUX_BIN" -S "$S" save-buffer -b b1 "$T/by client"
	cmp "$T/by wire" "$T/by client"
	# -a appends, as the client's file does.
	wire save-buffer -a -b b1 "$T/by wire"
	"$TMUX_BIN" -S "$S" save-buffer -a -b b1 "$T/by client"
	cmp "$T/by wire" "$T/by client"
	[ "$(cat "$T/by wire")" = 'hello $x "q"hello $x "q"' ]
	same save-buffer -b b1 "$T/no dir/x"
}

@test "the caller's environment and directory reach the server, as from tmux's client" {
	local d="$T/a dir \$x 'q'"
	mkdir -p "$d"
	ln -s "$d" "$T/link"
	# The same new-session by roost (e) and by tmux's client (f), from a
	# directory named through a symbolic link ($PWD kept, as the client
	# keeps it).
	(cd "$T/link" && DISPLAY=':42 $y "z"' wire new-session -d -s e \
	    "$T/prog/forever")
	grep -qx 'rc=0' "$T/w.err"
	(cd "$T/link" && DISPLAY=':42 $y "z"' "$TMUX_BIN" -S "$S" new-session \
	    -d -s f "$T/prog/forever")
	client display-message -p -t f: '#{session_path}'
	same display-message -p -t e: '#{session_path}'
	case $(cat "$T/w.out") in *link*) ;; *) false ;; esac
	run "$TMUX_BIN" -S "$S" show-environment -t e DISPLAY
	[ "$output" = "$("$TMUX_BIN" -S "$S" show-environment -t f DISPLAY)" ]
	[ "$output" = "DISPLAY=:42 \$y \"z\"" ]
}

@test "no server: the client's message and status; roost never starts one" {
	local none=$T/sock/none
	"$ROOST_TEST_WIRE" "$none" 5000 list-sessions >"$T/w.out" 2>"$T/w.err"
	"$TMUX_BIN" -S "$none" list-sessions 2>"$T/c.err" && false
	grep -qx 'rc=1' "$T/w.err"
	grep -qxF "err=tmux list-sessions: $(cat "$T/c.err")" "$T/w.err"
	# tmux's client would start a server for new-session; roost's servers
	# are the canary's to start.
	"$ROOST_TEST_WIRE" "$none" 5000 new-session -d -s x "$T/prog/forever" \
	    >"$T/w.out" 2>"$T/w.err"
	grep -qx 'rc=1' "$T/w.err"
	grep -qxF "err=tmux new-session: error connecting to $none (No such file or directory)" "$T/w.err"
	[ ! -e "$none" ]
	[ -z "$(pgrep -f "$none")" ]
	# A socket whose server was SIGKILLed: refused.
	local sp
	sp=$("$TMUX_BIN" -S "$S" display-message -p '#{pid}')
	kill -KILL "$sp"
	wait_for 20 pid_gone "$sp"
	[ -S "$S" ]
	client list-sessions
	wire list-sessions
	grep -qx 'rc=1' "$T/w.err"
	grep -qxF "err=tmux list-sessions: $(cat "$T/c.err")" "$T/w.err"
	grep -qxF "err=tmux list-sessions: no server running on $S" "$T/w.err"
	[ -S "$S" ]
}

@test "a stopped server: the command gives up at its limit; the server is whole after" {
	STOPPED=$("$TMUX_BIN" -S "$S" display-message -p '#{pid}')
	kill -STOP "$STOPPED"
	"$ROOST_TEST_WIRE" "$S" 300 display-message -p x >"$T/w.out" 2>"$T/w.err"
	grep -qx 'rc=-1' "$T/w.err"
	grep -qxF "err=tmux: $S: no answer after 300 ms" "$T/w.err"
	[ ! -s "$T/w.out" ]
	kill -CONT "$STOPPED"
	STOPPED=
	wire display-message -p '#{session_name}'
	grep -qx 'rc=0' "$T/w.err"
	[ "$(cat "$T/w.out")" = w ]
	# The client that gave up is not left in the server's list.
	wait_for 20 sh -c '[ "$("$1" -S "$2" list-clients | wc -l)" -eq 0 ]' _ \
	    "$TMUX_BIN" "$S"
}

@test "a server of another protocol: tmux's own client runs the command and says why" {
	# MSG_VERSION (12), 16 bytes, version 7: what a tmux of another
	# protocol answers a client of this one.  Then wait for the hang-up.
	peer 'syswrite($c, pack("LSSLL", 12, 16, 0, 7, $$));
	    my $b; 1 while sysread($c, $b, 4096);'
	logging_tmux
	wire display-message -p x
	grep -qx 'rc=1' "$T/w.err"
	grep -qxF "err=tmux display-message: protocol version mismatch (client 8, server 7)" "$T/w.err"
	# roost asked first, then tmux's client, once.
	[ "$(grep -c . "$T/peer.log")" -eq 2 ]
	[ "$(grep -c . "$T/tmux.calls")" -eq 1 ]
	grep -qF -- "-S $S " "$T/tmux.calls"
	grep -qF " display-message -p x" "$T/tmux.calls"
}

@test "a peer that hangs up mid-conversation: the client's message, status 1, no SIGPIPE" {
	peer ''
	same display-message -p x
	grep -qx 'rc=1' "$T/w.err"
	grep -qxF "err=tmux display-message: server exited unexpectedly" "$T/w.err"
	[ "$(grep -c . "$T/peer.log")" -eq 2 ]
}

@test "a command too long for one message goes to tmux's client, which says so" {
	logging_tmux
	local long
	long=$(head -c 20000 /dev/zero | tr '\0' x)
	same display-message -p "$long"
	grep -qx 'rc=1' "$T/w.err"
	grep -qxF "err=tmux display-message: command too long" "$T/w.err"
	[ "$(grep -c . "$T/tmux.calls")" -eq 1 ]
}

@test "ROOST_TMUX_CLIENT=exec runs tmux's client for each command; by default none runs" {
	logging_tmux
	wire display-message -p '#{session_name}'
	[ "$(cat "$T/w.out")" = w ]
	[ ! -s "$T/tmux.calls" ]
	ROOST_TMUX_CLIENT=exec wire display-message -p '#{session_name}'
	[ "$(cat "$T/w.out")" = w ]
	[ "$(grep -c . "$T/tmux.calls")" -eq 1 ]
	grep -qF -- "-S $S " "$T/tmux.calls"
	grep -qF " display-message -p #{session_name}" "$T/tmux.calls"
}
