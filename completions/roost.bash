# bash completion for roost(1): commands, their options, identity names
# (from the home's conf/) and the values some options take.  Commands and
# options are read from roost's own help, so they follow the binary.

_roost_home() {
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-H) printf '%s\n' "${COMP_WORDS[i + 1]}"; return ;;
		-H?*) printf '%s\n' "${COMP_WORDS[i]#-H}"; return ;;
		esac
	done
	printf '%s\n' "${ROOST_HOME:-$HOME/.roost}"
}

_roost_ids() {
	local f home
	home=$(_roost_home)
	for f in "$home"/conf/*.conf; do
		[ -f "$f" ] || continue
		f=${f##*/}
		printf '%s\n' "${f%.conf}"
	done
}

_roost() {
	local cur prev roost cmd i words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	roost=${COMP_WORDS[0]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-H) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	-H | --cwd) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--activity | --env-file | --file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--scheduler) words='auto cron systemd launchd none' ;;
	--restart) words='always on-failure never' ;;
	--stop-signal) words='HUP INT QUIT TERM USR1 USR2 none' ;;
	--resume-after) words='park any' ;;
	--format)
		if [ "$cmd" = status ]; then words='table logfmt json'
		else words='logfmt json'; fi ;;
	--interval | --idle | --lines | -n | --label | --set | --resume | \
	--crashloop | --restart-delay | --stop-keys | --stop-timeout | --env | \
	--resume-grace | --waiting-pattern | --ready-pattern | --ready-quiet | \
	--busy-quiet | --busy-max | --memory-max | --memory-high)
		COMPREPLY=(); return ;;
	esac
	if [ -n "${words:-}" ]; then
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	if [ -z "$cmd" ]; then
		words=$("$roost" help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
		case $cur in -*) words='-H -q -v --help --version' ;; esac
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	case $cur in
	-*)
		words=$("$roost" "$cmd" --help 2>/dev/null | sed -n 's/^  \(-[a-zA-Z][^,]*, \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p')
		COMPREPLY=($(compgen -W "$words -q -v -H --help" -- "$cur"))
		return ;;
	esac
	case $cmd in
	rm | start | stop | wake | restart | attach | output | log | canary | \
	status | tick)
		COMPREPLY=($(compgen -W "$(_roost_ids)" -- "$cur")) ;;
	mark)
		# mark <id> busy|waiting|idle
		if [ "$prev" = mark ]; then
			COMPREPLY=($(compgen -W "$(_roost_ids)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'busy waiting idle' -- "$cur"))
		fi ;;
	send)
		# send <id> TEXT...: the id, then the message (nothing to offer)
		[ "$prev" != send ] ||
		    COMPREPLY=($(compgen -W "$(_roost_ids)" -- "$cur")) ;;
	render)
		# render <template> [<id>]
		local n=0
		for ((i = i + 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in --set) ((i++)) ;; -*) ;; *) ((n++)) ;; esac
		done
		if [ "$n" -eq 0 ]; then
			words=$("$roost" render --help 2>/dev/null | sed -n '/^Templates:/,$p' | sed 's/^Templates://; s/\.$//')
		else
			words=$(_roost_ids)
		fi
		COMPREPLY=($(compgen -W "$words" -- "$cur")) ;;
	help)
		# help COMMAND | conf
		words=$("$roost" help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
		COMPREPLY=($(compgen -W "$words conf" -- "$cur")) ;;
	esac
}

complete -F _roost roost
