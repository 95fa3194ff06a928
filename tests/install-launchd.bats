#!/usr/bin/env bats
# install-launchd.bats - `roost install --scheduler launchd`: the plist
# (keys, types, escaping, mode) and the launchctl sequence, against a
# recording launchctl stand-in and a private LaunchAgents dir.

load helpers
load install-helpers

bats_require_minimum_version 1.5.0

setup() {
	common_setup
	stand_ins
	UID_=$(id -u)
}

teardown() {
	common_teardown
}

# check_plist FILE LABEL HOME INTERVAL: parse FILE with plistlib and check
# every key, its type and its value.  The expected environment is the
# caller's: PYTHONCOERCECLOCALE=0, or python3 started in the C locale (LANG
# unset) adds LC_CTYPE=C.UTF-8 to its own (PEP 538).
check_plist() {
	need_tool python3
	PL_FILE=$1 PL_LABEL=$2 PL_HOME=$3 PL_INTERVAL=$4 PL_PATH=$PATH \
	    PL_BIN=$ROOST_BIN PYTHONCOERCECLOCALE=0 python3 - <<'EOF'
import os, plistlib, sys

e = os.environ
env = {"ROOST_HOME": e["PL_HOME"], "ROOST_SOCK_DIR": e["PL_HOME"] + "/sock",
       "PATH": e["PL_PATH"]}
for k in e:
    if (k in ("HOME", "LANG", "ROOST_TMUX", "ROOST_TMUX_CONF") or
            k.startswith("LC_")) and e[k] != "":
        env[k] = e[k]
if "ROOST_UTMP_SHIM" in e:  # baked when set, empty too: "none"
    env["ROOST_UTMP_SHIM"] = e["ROOST_UTMP_SHIM"]
with open(e["PL_FILE"], "rb") as f:
    d = plistlib.load(f)
home = e["PL_HOME"]
want = {
    "Label": e["PL_LABEL"],
    "ProgramArguments": [os.path.realpath(e["PL_BIN"]), "tick"],
    "StartInterval": int(e["PL_INTERVAL"]),
    "RunAtLoad": True,
    "EnvironmentVariables": env,
    "StandardOutPath": home + "/log/tick.out",
    "StandardErrorPath": home + "/log/tick.out",
    "ProcessType": "Interactive",
    "AbandonProcessGroup": True,
    "LimitLoadToSessionType": ["Aqua", "Background"],
}
bad = []
if set(d) != set(want):
    bad.append("keys %r, want %r" % (sorted(d), sorted(want)))
for k, v in want.items():
    if k not in d:
        continue
    # bool is a subclass of int: compare types exactly.
    if type(d[k]) is not type(v) or d[k] != v:
        bad.append("%s = %r (%s), want %r (%s)" % (k, d[k],
            type(d[k]).__name__, v, type(v).__name__))
for k in ("StandardOutPath", "StandardErrorPath"):
    if not str(d.get(k, "")).startswith(home + "/log/"):
        bad.append("%s not under %s/log/" % (k, home))
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
}

plist_of() { echo "$T/agents/${1:-org.roost.tick}.plist"; }

@test "the plist parses with plistlib and xmllint and has the right keys and types" {
	run roost install --scheduler launchd
	assert_status 0
	assert_output_has "created launchd agent $(plist_of)"
	need_tool xmllint
	xmllint --noout "$(plist_of)"
	check_plist "$(plist_of)" org.roost.tick "$ROOST_HOME" 60
}

@test "StartInterval is the interval in seconds, not rounded" {
	run --separate-stderr roost install --scheduler launchd --interval 90
	assert_status 0
	[[ $stderr != *notice* ]]
	check_plist "$(plist_of)" org.roost.tick "$ROOST_HOME" 90
	grep -q '<integer>90</integer>' "$(plist_of)"
}

@test "a hostile label and home survive the XML round trip exactly" {
	label="a&b<c>\"d'e;amp"
	export ROOST_HOME="$T/h&amp;<x>\"q'o"
	run roost install --scheduler launchd --label "$label"
	assert_status 0
	f="$T/agents/$label.plist"
	[ -f "$f" ]
	need_tool xmllint
	xmllint --noout "$f"
	check_plist "$f" "$label" "$ROOST_HOME" 60
	# launchctl got the raw label, not an escaped one.
	lctl_calls | grep -q -F -x "bootout gui/$UID_/$label"
	lctl_calls | grep -q -F -x "bootstrap gui/$UID_ $f"
}

@test "the plist is mode 0644 and the LaunchAgents dir is created" {
	[ ! -e "$T/agents" ]
	run roost install --scheduler launchd
	assert_status 0
	[ -d "$T/agents" ]
	[ "$(file_stat mode "$(plist_of)")" = 644 ]
	# No temp file left beside it.
	[ "$(ls -A "$T/agents")" = org.roost.tick.plist ]
}

@test "loading: bootout, print until gone, enable, bootstrap, in the gui/<uid> domain" {
	# The old job is still there for two polls.
	printf '0\n0\n' >"$T/launchctl.print.rc"
	run roost install --scheduler launchd
	assert_status 0
	t="gui/$UID_/org.roost.tick"
	printf '%s\n' "print gui/$UID_" "bootout $t" "print $t" "print $t" \
	    "print $t" "enable $t" "bootstrap gui/$UID_ $(plist_of)" \
	    "print-disabled gui/$UID_" >"$T/want"
	lctl_calls >"$T/got"
	diff -u "$T/want" "$T/got"
}

@test "bootstrap answering 5 is retried until it loads" {
	printf '5\n5\n' >"$T/launchctl.bootstrap.rc"
	run roost install --scheduler launchd
	assert_status 0
	assert_output_has "created launchd agent $(plist_of)"
	[ "$(lctl_calls | grep -c "^bootstrap gui/$UID_ ")" -eq 3 ]
	[ "$(lctl_calls | grep -v '^print' | tail -n 1)" = "bootstrap gui/$UID_ $(plist_of)" ]
	# enable came before the first bootstrap.
	[ "$(lctl_calls | grep -n '' | grep -m1 ':bootstrap ' | cut -d: -f1)" -gt \
	    "$(lctl_calls | grep -n '' | grep ':enable ' | cut -d: -f1)" ]
}

@test "bootstrap failing for good: exit 1, the reason, and no plist left so the next install retries" {
	printf '5\n5\n5\n5\n5\n5\n5\n5\n' >"$T/launchctl.bootstrap.rc"
	run roost install --scheduler launchd
	assert_status 1
	assert_output_has "roost: install: launchctl bootstrap gui/$UID_ $(plist_of): exit 5; removed $(plist_of) so that the next install retries"
	[ ! -e "$(plist_of)" ]
	: >"$T/launchctl.bootstrap.rc"
	: >"$T/launchctl.calls"
	run roost install --scheduler launchd
	assert_status 0
	assert_output_has "created launchd agent $(plist_of)"
	lctl_calls | grep -q "^bootstrap gui/$UID_ $(plist_of)\$"
}

@test "any other bootstrap error is not retried" {
	printf '37\n' >"$T/launchctl.bootstrap.rc"
	run roost install --scheduler launchd
	assert_status 1
	assert_output_has "launchctl bootstrap gui/$UID_ $(plist_of): exit 37"
	[ "$(lctl_calls | grep -c '^bootstrap ')" -eq 1 ]
}

@test "an unchanged re-install of a loaded job only asks launchctl, loads nothing" {
	roost install --scheduler launchd
	cp "$(plist_of)" "$T/plist1"
	: >"$T/launchctl.calls"
	run roost install --scheduler launchd
	assert_status 0
	assert_output_has "unchanged launchd agent $(plist_of)"
	printf '%s\n' "print gui/$UID_" "print gui/$UID_/org.roost.tick" \
	    "print-disabled gui/$UID_" >"$T/want"
	lctl_calls | diff -u "$T/want" -
	cmp "$T/plist1" "$(plist_of)"
}

@test "an unchanged plist whose job is not loaded is loaded again" {
	roost install --scheduler launchd
	rm -f "$T"/launchctl.loaded.*	# booted out behind roost's back
	: >"$T/launchctl.calls"
	run roost install --scheduler launchd
	assert_status 0
	assert_output_has "loaded launchd agent $(plist_of)"
	lctl_calls | grep -q -x "bootstrap gui/$UID_ $(plist_of)"
	: >"$T/launchctl.calls"
	run roost install --scheduler launchd
	assert_output_has "unchanged launchd agent $(plist_of)"
	! lctl_calls | grep -q '^bootstrap ' || false
}

@test "without a GUI login the agent goes to user/<uid>, and install and uninstall say so" {
	touch "$T/launchctl.nogui"
	run --separate-stderr roost install --scheduler launchd
	assert_status 0
	assert_output_has "created launchd agent $(plist_of)"
	[[ $stderr == *"roost: install: note: no GUI login (launchctl print gui/$UID_ failed): using the user/$UID_ domain"* ]]
	lctl_calls | grep -q -x "bootout user/$UID_/org.roost.tick"
	lctl_calls | grep -q -x "enable user/$UID_/org.roost.tick"
	lctl_calls | grep -q -x "bootstrap user/$UID_ $(plist_of)"
	! lctl_calls | grep -q -e '^bootstrap gui/' -e '^enable gui/' || false
	: >"$T/launchctl.calls"
	run --separate-stderr roost uninstall
	assert_status 0
	[[ $stderr == *"roost: uninstall: note: no GUI login"* ]]
	lctl_calls | grep -q -x "bootout user/$UID_/org.roost.tick"
	[ ! -e "$(plist_of)" ]
}

@test "a plist without Background in LimitLoadToSessionType is refused in user/<uid>: the stand-in holds roost to it" {
	mkdir -p "$T/tpl"
	chmod 700 "$T/tpl"
	grep -v -e LimitLoadToSessionType -e '<string>Aqua</string>' \
	    -e '<string>Background</string>' \
	    "$BATS_TEST_DIRNAME/../templates/launchd.plist.in" |
	    awk '/^\t<array>$/ && !done { getline n; if (n ~ /^\t<\/array>$/) { done = 1; next } print; print n; next } { print }' \
	    >"$T/tpl/launchd.plist.in"
	! grep -q LimitLoadToSessionType "$T/tpl/launchd.plist.in" || false
	touch "$T/launchctl.nogui"
	ROOST_TEMPLATES=$T/tpl run --separate-stderr roost install --scheduler launchd
	assert_status 1
	[[ $stderr == *"roost: install: launchctl bootstrap user/$UID_ $(plist_of): exit 134"* ]]
	[ ! -e "$(plist_of)" ]
	# The real template lists Background: the same fallback loads.
	run --separate-stderr roost install --scheduler launchd
	assert_status 0
	lctl_calls | grep -q -x "bootstrap user/$UID_ $(plist_of)"
	[ -e "$T/launchctl.loaded.org.roost.tick" ]
}

@test "a label disabled in launchd is warned about: it would never run" {
	printf 'disabled services = {\n\t"org.other" => enabled\n\t"org.roost.tick" => disabled\n}\n' \
	    >"$T/launchctl.disabled"
	run --separate-stderr roost install --scheduler launchd
	assert_status 0
	[[ $stderr == *"roost: install: warning: launchd label org.roost.tick is disabled in gui/$UID_ (launchctl print-disabled): it will not run until launchctl enable gui/$UID_/org.roost.tick"* ]]
	# The older form, "=> true", means disabled too; an enabled one is quiet.
	printf '\t"org.roost.tick" => true\n' >"$T/launchctl.disabled"
	run --separate-stderr roost install --scheduler launchd
	[[ $stderr == *"is disabled in gui/$UID_"* ]]
	printf '\t"org.roost.tick" => enabled\n\t"org.roost.tick2" => disabled\n' \
	    >"$T/launchctl.disabled"
	run --separate-stderr roost install --scheduler launchd
	[[ $stderr != *disabled* ]]
}

@test "a changed interval rewrites the plist and reloads it" {
	roost install --scheduler launchd
	: >"$T/launchctl.calls"
	run roost install --scheduler launchd --interval 300
	assert_status 0
	assert_output_has "updated launchd agent $(plist_of)"
	check_plist "$(plist_of)" org.roost.tick "$ROOST_HOME" 300
	[ "$(lctl_calls | grep -v '^print' | head -n 1)" = "bootout gui/$UID_/org.roost.tick" ]
	[ "$(lctl_calls | grep -v '^print' | tail -n 1)" = "bootstrap gui/$UID_ $(plist_of)" ]
}

@test "uninstall boots the job out and removes the plist" {
	roost install --scheduler launchd --label org.example.t
	: >"$T/launchctl.calls"
	run roost uninstall --label org.example.t
	assert_status 0
	assert_output_has "removed launchd agent $(plist_of org.example.t)"
	[ ! -e "$(plist_of org.example.t)" ]
	[ "$(lctl_calls | grep -v '^print ')" = "bootout gui/$UID_/org.example.t" ]
	: >"$T/launchctl.calls"
	run roost uninstall --label org.example.t
	assert_status 0
	assert_output_has "unchanged launchd agent (none installed)"
	[ -z "$(lctl_calls)" ]
}

@test "a label with a slash or starting with a dot is refused before anything is written" {
	run roost install --scheduler launchd --label ../evil
	assert_status 2
	assert_output_has "roost: install: --label: must be 1 to 200 characters, without '/' and not start with '.'"
	run roost install --scheduler launchd --label .hidden
	assert_status 2
	assert_output_has "--label: must be 1 to 200 characters"
	[ ! -e "$T/agents" ]
	[ ! -e "$ROOST_HOME" ]
	[ -z "$(lctl_calls)" ]
}
