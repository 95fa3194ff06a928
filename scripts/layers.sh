#!/bin/sh
# layers.sh: the objects' link graph must point down (make lint).
#
# Each object's defined and undefined global symbols (nm -g) give an edge
# from caller to definer.  Every object has a layer below; an edge from a
# lower layer to a higher one is reported, and so is any circle among the
# objects of one layer.  The last line is "N passed, N failed".
#
# Usage: sh scripts/layers.sh build/*.o

set -u

# object:layer, lowest first (platform 1, state 2, lifecycle 3, cli 4,
# commands 5, main 6).
layers='xmalloc:1 buf:1 err:1 num:1 sig:1 now:1 fmt:1 escape:1 logfmt:1 file:1
pid_linux:1 pid_darwin:1 pid_posix:1 pid:1 pidwatch:1 spawn:1 scope:1 tmux:1 tmuxwire:1 term:1 templates:1
home:2 ident:2 conf:2 marker:2 log:2 render:2 sched:2 state:2 server:2 mem:2
queue:2
canary:3 teardown:3 death:3 launch:3 mass:3 tick:3 cron:3 launchd:3 systemd:3
hook:3 activity:3
deliver:3
cli:4
cmd_install:5 cmd_define:5 cmd_session:5 cmd_tick:5 cmd_status:5
cmd_render:5 cmd_log:5 cmd_output:5 cmd_mark:5
cmd_send:5
main:6'

if [ "$#" -eq 0 ]; then
	echo "usage: sh scripts/layers.sh OBJECT..." >&2
	exit 2
fi
command -v nm >/dev/null 2>&1 || { echo "layers: nm not found"; echo "0 passed, 1 failed"; exit 1; }

for o in "$@"; do
	n=${o##*/}
	n=${n%.o}
	nm -g "$o" | awk -v obj="$n" '
		NF == 2 && $1 == "U" { print "U", obj, $2 }
		NF == 3 && $2 ~ /^[TDBRCV]$/ { print "D", obj, $3 }'
done | awk -v layers="$layers" '
	BEGIN {
		n = split(layers, w, /[ \n]+/)
		for (i = 1; i <= n; i++) {
			split(w[i], kv, ":")
			layer[kv[1]] = kv[2]
		}
	}
	$1 == "D" { owner[$3] = $2; next }
	{ uses[NR] = $2 " " $3 }
	END {
		bad = 0
		for (k in uses) {
			split(uses[k], u, " ")
			from = u[1]; to = owner[u[2]]
			if (to == "" || to == from || seen[from, to]++)
				continue
			edge[from] = edge[from] " " to
			if (!(from in layer)) {
				printf "layers: %s.o has no layer in scripts/layers.sh\n", from
				bad++; layer[from] = 0
			}
			if (!(to in layer)) {
				printf "layers: %s.o has no layer in scripts/layers.sh\n", to
				bad++; layer[to] = 0
			}
			if (layer[from] < layer[to]) {
				printf "layers: %s.o (layer %d) calls up into %s.o (layer %d): %s\n", from, layer[from], to, layer[to], u[2]
				bad++
			}
		}
		# A circle: some object reaches itself again.
		for (s in edge) {
			delete reach
			q = edge[s]
			while (q != "") {
				sub(/^ +/, "", q)
				if (q == "") break
				t = q; sub(/ .*/, "", t); sub(/^[^ ]+/, "", q)
				if (t in reach) continue
				reach[t] = 1
				if (t == s) {
					printf "layers: %s.o is in a circle of calls\n", s
					bad++
					break
				}
				q = q " " edge[t]
			}
		}
		if (bad == 0)
			print "ok: the link graph points down, no circles"
		printf "%d passed, %d failed\n", (bad == 0), (bad > 0)
		exit (bad > 0)
	}'
