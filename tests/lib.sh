# tests/lib.sh: sh helpers the test suites (through helpers.bash) and the
# benchmark (scripts/bench/lib.sh) both need.  POSIX sh, sourced, never
# run.  Its own state lives in names starting with _lib_ or LIB_; what it
# offers:
#
#   alive PID                  running and not a zombie
#   clock_us                   microseconds since the epoch in $CLOCK_US
#   now_ms                     milliseconds since the epoch, printed
#   wait_for SECONDS CMD...    poll CMD every 20 ms until it succeeds
#   file_stat WHAT FILE        FILE's mode (644), owner (uid), size (bytes)
#                              or mtime (epoch seconds)
#   set_mtime EPOCH FILE...    give each FILE that modification time
#   set_size BYTES FILE        cut or extend FILE to BYTES (a hole)
#   tree_shim DIR              the utmp shim the build tree DIR made for
#                              its configuration, printed (nothing when
#                              none, or where LD_PRELOAD cannot name it)
#
# $LIB_CLOCK names where the time comes from, chosen once when sourced:
#   date     date +%s%N (GNU, busybox)
#   perl     perl's Time::HiRes (BSD and macOS date print a literal N)
#   python3  the last resort with sub-second time
#   seconds  date +%s: whole seconds only

# clock_us: one fork (the clock's command), no subshell of its own, so a
# caller that times something pays for exactly one.
if _lib_t=$(date +%s%N 2>/dev/null) &&
    case $_lib_t in '' | *[!0-9]*) false ;; esac
then
	LIB_CLOCK='date'
	clock_us() {
		_lib_t=$(date +%s%N)
		CLOCK_US=$((_lib_t / 1000))
	}
elif perl -MTime::HiRes -e 1 2>/dev/null; then
	LIB_CLOCK=perl
	clock_us() {
		CLOCK_US=$(perl -MTime::HiRes=time -e 'printf "%.0f\n", time * 1e6')
	}
elif command -v python3 >/dev/null 2>&1; then
	LIB_CLOCK=python3
	clock_us() {
		CLOCK_US=$(python3 -c 'import time; print(time.time_ns() // 1000)')
	}
else
	LIB_CLOCK=seconds
	clock_us() {
		_lib_t=$(date +%s)
		CLOCK_US=$((_lib_t * 1000000))
	}
fi

now_ms() {
	clock_us
	echo $((CLOCK_US / 1000))
}

# alive PID: PID exists and is not a zombie (an init that reaps slowly
# leaves dead children around as zombies, which kill -0 still finds).
# Linux-style /proc: the state field of /proc/PID/stat, read after the
# last ") " since the command name may hold one; elsewhere ps.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		read -r _lib_st 2>/dev/null <"/proc/$1/stat" || return 1
		case ${_lib_st##*) } in Z* | X*) return 1 ;; esac
		return 0
	fi
	# /proc is there but PID's entry is not (or no longer): reaped.
	[ -r /proc/self/stat ] && return 1
	_lib_st=$(ps -o stat= -p "$1" 2>/dev/null)
	case $_lib_st in
	'' | Z*) return 1 ;;
	esac
	return 0
}

# _lib_tail X CMD...: run CMD (X is wait_for's deadline, dropped here).
_lib_tail() {
	shift
	"$@"
}

# wait_for SECONDS COMMAND...: run COMMAND every 20 ms until it succeeds
# (status 0) or SECONDS have passed (status 1).  SECONDS may have a
# fraction (0.5).  COMMAND runs at least once, in the caller's shell (what
# it sets stays set), and may itself call wait_for: the deadline is kept
# in wait_for's own arguments, not in a variable COMMAND could change.
wait_for() {
	case $1 in
	'' | . | *[!0-9.]* | *.*.*)
		echo "wait_for: not a number of seconds: $1" >&2
		return 2 ;;
	esac
	_lib_s=${1%%.*}
	_lib_s=${_lib_s#"${_lib_s%%[!0]*}"}	# no leading 0: not octal
	_lib_f=
	case $1 in *.*) _lib_f=${1#*.} ;; esac
	_lib_f=${_lib_f}000
	_lib_f=${_lib_f%"${_lib_f#???}"}	# milliseconds: three digits
	_lib_ms=$((${_lib_s:-0} * 1000 + 1$_lib_f - 1000))
	# A whole-second clock may be up to a second behind: wait that too.
	[ "$LIB_CLOCK" = seconds ] && _lib_ms=$((_lib_ms + 1000))
	shift
	set -- $(($(now_ms) + _lib_ms)) "$@"
	while :; do
		_lib_tail "$@" && return 0
		[ "$(now_ms)" -ge "$1" ] && return 1
		sleep 0.02
	done
}

# stat(1) is GNU's (and busybox's) -c FORMAT, or BSD's and macOS's -f FORMAT.
if stat -c %s / >/dev/null 2>&1; then
	LIB_STAT=gnu
else
	LIB_STAT=bsd
fi

file_stat() {
	case $LIB_STAT.$1 in
	gnu.mode) stat -c %a "$2" ;;
	gnu.owner) stat -c %u "$2" ;;
	gnu.size) stat -c %s "$2" ;;
	gnu.mtime) stat -c %Y "$2" ;;
	bsd.mode) stat -f %Lp "$2" ;;
	bsd.owner) stat -f %u "$2" ;;
	bsd.size) stat -f %z "$2" ;;
	bsd.mtime) stat -f %m "$2" ;;
	*) echo "file_stat: mode, owner, size or mtime, not $1" >&2
	   return 2 ;;
	esac
}

# set_mtime EPOCH FILE...: touch -t (POSIX; touch -d differs between GNU
# and BSD) with EPOCH in UTC, from GNU date -d @EPOCH or BSD date -r EPOCH.
set_mtime() {
	_lib_t=$(TZ=UTC0 date -d "@$1" +%Y%m%d%H%M.%S 2>/dev/null) ||
	    _lib_t=$(TZ=UTC0 date -r "$1" +%Y%m%d%H%M.%S) || return 1
	shift
	TZ=UTC0 touch -t "$_lib_t" "$@"
}

# set_size BYTES FILE: what truncate -s does (there is no truncate(1) on
# macOS): dd truncates its output where seek= puts it.
set_size() {
	dd if=/dev/null of="$2" bs=1 seek="$1" 2>/dev/null
}

# tree_shim DIR: DIR/build/noutmp.so when DIR's configuration built one
# (not a stale one from an earlier) and its path has no space, colon or
# $ (LD_PRELOAD would split or expand it); else nothing.
tree_shim() {
	case $1 in
	*[' :$	']*) return 0 ;;
	esac
	if [ -f "$1/build/noutmp.so" ] &&
	    grep -q '^#define HAVE_UTMP_SHIM 1$' "$1/config.h" 2>/dev/null; then
		printf '%s\n' "$1/build/noutmp.so"
	fi
}
