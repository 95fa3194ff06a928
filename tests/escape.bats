#!/usr/bin/env bats
# One escaper per target language, each tested on hostile input: the
# language's own reader must give back the original byte for byte
# (style.md, "One escaper per target language").

load helpers
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	mkdir -p "$T/tpl"
	export ROOST_TEMPLATES=$T/tpl
	CORPUS=(
		"plain"
		"with space"
		"it's"
		"'\\''"
		"''"
		"'"
		'"double" "'
		"\$(touch $T/pwned)"
		"\`touch $T/pwned\`"
		'${HOME} $HOME $0 $$ $1'
		'100% %s %n %% %%%'
		'#comment'
		'#{pid} #{?a,b,c} #(echo hi)'
		'## ### #'
		'#[fg=red] ##[x ###[ a#[b'
		'#, #} #{'
		'\'
		'back\slash\\ \n \t \x41 \"'
		$'new\nline\n'
		$'\n'
		$'tab\there'
		$'cr\rx'
		$'ctl \x01\x02\x1b[31m\x7f'
		'-leading-dash'
		'--'
		'-n'
		''
		' '
		' leading and trailing '
		'ü ñ 日本 🐓'
		$'latin1 \xe9\xff'
		'* ? [a-z] ~ ~root {a,b}'
		'; & && || | > < >> 2>&1 !'
		'= a=b k="v" x= ='
		'{ } ( ) ( )'
		"a'b\"c\\d\$e\`f#g%h;i&j*k?l~m"
	)
}
teardown() {
	local pwned=0
	[ ! -e "$T/pwned" ] || pwned=1
	common_teardown
	[ "$pwned" -eq 0 ]
}

# show V: a value, visibly, for failure messages.
show() { printf '%q' "$1"; }

# ctl V: V holds a control character other than tab, newline or CR.
has_ctl_strict() { [[ $1 == *[$'\x01'-$'\x08\x0b\x0c\x0e'-$'\x1f\x7f']* ]]; }
has_ctl() { [[ $1 == *[$'\x01'-$'\x1f\x7f']* ]]; }
has_ff() { [[ $1 == *$'\xff'* ]]; }
is_utf8() { printf %s "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; }

@test "sh escaper: sh evaluates every corpus value back to the original, byte for byte" {
	printf 'x=@{v|sh}\n' >"$T/tpl/t.in"
	local v r i=0
	for v in "${CORPUS[@]}"; do
		i=$((i + 1))
		roost render t --set "v=$v" >"$T/r.$i" || {
			echo "render failed for $(show "$v")" >&2
			return 1
		}
		printf %s "$v" >"$T/want"
		/bin/sh -c '. "$1"; printf %s "$x"' sh "$T/r.$i" >"$T/got"
		cmp -s "$T/want" "$T/got" || {
			echo "sh round trip failed for $(show "$v")" >&2
			cat "$T/r.$i" >&2
			return 1
		}
		# The same rendering used inline, as templates do.
		r=$(cat "$T/r.$i")
		/bin/sh -c "$r; printf %s \"\$x\"" >"$T/got"
		cmp -s "$T/want" "$T/got" || {
			echo "inline sh round trip failed for $(show "$v")" >&2
			return 1
		}
	done
}

@test "sh escaper: a value is always exactly one word, also in argument position" {
	printf 'set -- @{v|sh} @{v|sh}\necho "$#"\n' >"$T/tpl/t.in"
	local v
	for v in "${CORPUS[@]}"; do
		[ "$(roost render t --set "v=$v" | /bin/sh)" = 2 ] || {
			echo "not one word: $(show "$v")" >&2
			return 1
		}
	done
}

@test "xml escaper: minidom parses every representable value back, in text and attributes" {
	printf '<a b="@{v|xml}" c='"'"'@{v|xml}'"'"'>@{v|xml}</a>\n' >"$T/tpl/t.in"
	# One parser run checks every rendered file r.N against want.N.
	cat >"$T/xmlcheck.py" <<-'EOF'
		import sys, xml.dom.minidom
		for i in sys.argv[2:]:
		    want = open("%s/want.%s" % (sys.argv[1], i), "rb").read().decode("utf-8")
		    e = xml.dom.minidom.parse("%s/r.%s" % (sys.argv[1], i)).documentElement
		    text = "".join(n.data for n in e.childNodes)
		    for what, got in (("b", e.getAttribute("b")), ("c", e.getAttribute("c")), ("text", text)):
		        if got != want:
		            sys.exit("value %s, %s: got %r, want %r" % (i, what, got, want))
	EOF
	local v i=0 checked=()
	for v in "${CORPUS[@]}"; do
		i=$((i + 1))
		if has_ctl_strict "$v" || ! is_utf8 "$v"; then
			continue
		fi
		roost render t --set "v=$v" >"$T/r.$i"
		printf %s "$v" >"$T/want.$i"
		checked+=("$i")
	done
	[ "${#checked[@]}" -gt 10 ]
	python3 "$T/xmlcheck.py" "$T" "${checked[@]}"
}

@test "xml escaper: a control character is refused with exit 2 naming template and line" {
	printf '<a>\n<b>@{v|xml}</b>\n</a>\n' >"$T/tpl/t.in"
	run --separate-stderr roost render t --set $'v=bell\x07'
	assert_status 2
	[ -z "$output" ]
	[ "$stderr" = "roost: render: template t, line 2: @{v|xml}: control character 0x07 cannot appear in XML" ]
}

@test "the launchd plist stays well-formed XML for a hostile home, label and PATH" {
	local h="$T/h <&> \"q\" 'a' ]]> é"
	run env PATH=$'/a b:/c&d:/e<f>\t:/g' LC_CTYPE='x<&>"y' "$ROOST_BIN" \
	    -H "$h" render launchd.plist --set "label=org.<x>&\"y\""
	assert_status 0
	printf '%s\n' "$output" >"$T/plist"
	python3 - "$T/plist" "$h" <<-'EOF'
		import sys, plistlib
		p = plistlib.load(open(sys.argv[1], "rb"))
		home = sys.argv[2]
		assert p["Label"] == 'org.<x>&"y"', p["Label"]
		assert p["EnvironmentVariables"]["ROOST_HOME"] == home
		assert p["EnvironmentVariables"]["PATH"] == "/a b:/c&d:/e<f>\t:/g", p
		assert p["EnvironmentVariables"]["LC_CTYPE"] == 'x<&>"y', p
		assert p["StandardOutPath"] == home + "/log/tick.out"
		assert p["ProgramArguments"][1] == "tick"
	EOF
	[ ! -e "$h" ]
}

@test "logfmt escaper: every corpus value logged as command= parses back byte for byte" {
	mkdir "$T/exp"
	local v i=0
	for v in "${CORPUS[@]}"; do
		i=$((i + 1))
		# add wants a non-blank command: prefix the blank ones.
		[[ $v == *[![:space:]]* ]] || v="c$v"
		roost add "x$i" -- "$v" >/dev/null
		printf %s "$v" >"$T/exp/x$i"
	done
	# tests/logfmt.py is a reader written from roost(1) (RECORDS).
	run python3 "$BATS_TEST_DIRNAME/logfmt.py" add-commands \
	    "$ROOST_HOME/log/lifecycle.log" "$T/exp"
	assert_status 0
	[ "$output" = "${#CORPUS[@]}" ]
}

@test "logfmt escaper: roost log reads back what it wrote, one line per event" {
	roost add bob -- $'a "b" c=d\ne\\f'
	run roost log bob
	assert_status 0
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *' ev=add id=bob command="a \"b\" c=d\ne\\f"' ]]
}

@test "tmux escaper: run-shell on a private tmux server hands sh every value unchanged" {
	printf "run-shell 'printf %%s '@{v|sh|fmt|tmux}' >'@{out|sh|fmt|tmux}\n" \
	    >"$T/tpl/h.in"
	local sock=$T/tsock r v i=0
	"$TMUX_BIN" -S "$sock" -f /dev/null new-session -d "$T/prog/forever"
	mkdir -p "$T/o u't #{x}"
	for v in "${CORPUS[@]}"; do
		i=$((i + 1))
		has_ctl "$v" && continue
		local out="$T/o u't #{x}/out.$i"
		if has_ff "$v"; then
			# tmux's lexer reads byte 0xff as end of input.
			run --separate-stderr roost render h --set "v=$v" --set "out=$out"
			assert_status 2
			[[ $stderr == *"@{v|sh|fmt|tmux}: byte 0xff cannot appear in a tmux command string" ]]
			continue
		fi
		r=$(roost render h --set "v=$v" --set "out=$out")
		"$TMUX_BIN" -S "$sock" if-shell -F 1 "$r" || {
			echo "tmux refused the rendering for $(show "$v"): $r" >&2
			"$TMUX_BIN" -S "$sock" kill-server
			return 1
		}
		wait_for 5 test -e "$out"
		printf %s "$v" >"$T/want"
		cmp -s "$T/want" "$out" || {
			echo "tmux round trip failed for $(show "$v")" >&2
			echo "rendered: $r" >&2
			od -c "$out" >&2
			"$TMUX_BIN" -S "$sock" kill-server
			return 1
		}
	done
	"$TMUX_BIN" -S "$sock" kill-server
}

@test "tmux escaper: a control character is refused with exit 2 naming template and line" {
	printf "# hook\nrun-shell @{v|sh|fmt|tmux}\n" >"$T/tpl/h.in"
	run --separate-stderr roost render h --set $'v=a\nb'
	assert_status 2
	[ -z "$output" ]
	[ "$stderr" = "roost: render: template h, line 2: @{v|sh|fmt|tmux}: control character 0x0a cannot appear in a tmux command string" ]
}

@test "fmt escaper: tmux format expansion gives back every value (pipe-pane, -c)" {
	printf "run-shell @{cmd|tmux}\n" >"$T/tpl/h.in"
	printf "printf %%s @{v|sh|fmt} >@{out|sh|fmt}\n" >"$T/tpl/c.in"
	local sock=$T/tsock r c v i=0
	"$TMUX_BIN" -S "$sock" -f /dev/null new-session -d "$T/prog/forever"
	for v in "${CORPUS[@]}"; do
		i=$((i + 1))
		has_ctl "$v" && continue
		has_ff "$v" && continue
		c=$(roost render c --set "v=$v" --set "out=$T/f.$i")
		r=$(roost render h --set "cmd=$c")
		"$TMUX_BIN" -S "$sock" if-shell -F 1 "$r" || {
			echo "tmux refused the rendering for $(show "$v"): $r" >&2
			"$TMUX_BIN" -S "$sock" kill-server
			return 1
		}
		wait_for 5 test -e "$T/f.$i"
		printf %s "$v" >"$T/want"
		cmp -s "$T/want" "$T/f.$i" || {
			echo "fmt round trip failed for $(show "$v")" >&2
			"$TMUX_BIN" -S "$sock" kill-server
			return 1
		}
	done
	"$TMUX_BIN" -S "$sock" kill-server
}

@test "cron escaper: % is escaped, and a newline is refused with exit 2" {
	printf "@{v|cron}\n" >"$T/tpl/t.in"
	run roost render t --set 'v=a%b%%c'
	assert_status 0
	[ "$output" = "'a\\%b\\%\\%c'" ]
	run --separate-stderr roost render t --set $'v=a\nb'
	assert_status 2
	[ "$stderr" = "roost: render: template t, line 1: @{v|cron}: a newline cannot appear in a crontab line" ]
}

@test "raw escaper: only plain tokens pass; anything else is refused with exit 2" {
	printf "@{v|raw}\n" >"$T/tpl/t.in"
	run roost render t --set v=abc-1.2_x/y:z@w%+=,
	assert_status 0
	[ "$output" = "abc-1.2_x/y:z@w%+=," ]
	local v
	for v in "a b" "a'b" 'a$b' 'a;b' $'a\nb' '' ; do
		run --separate-stderr roost render t --set "v=$v"
		if [ -z "$v" ]; then
			assert_status 0
			continue
		fi
		assert_status 2
		[[ $stderr == "roost: render: template t, line 1: @{v|raw}: value is not a plain token (byte 0x"??"); use an escaper" ]]
	done
}

@test "line escaper: a control character is refused with exit 2" {
	printf "# @{v|line}\n" >"$T/tpl/t.in"
	run roost render t --set "v=it's \$fine"
	assert_status 0
	[ "$output" = "# it's \$fine" ]
	run --separate-stderr roost render t --set $'v=a\nb'
	assert_status 2
	[ "$stderr" = "roost: render: template t, line 1: @{v|line}: control character 0x0a in a one-line value" ]
}
