#!/usr/bin/env bash
# Benchmark (not a test): scrape latency, bytes and CPU per scrape of
# virtmeter against Debian's prometheus-node-exporter and against nginx
# serving a copy of virtmeter's own scrape body (the physical limit of
# serving cached bytes), in plain text and gzip. One client (wrk, one
# thread, one keep-alive connection), the same run, interleaved rounds, so
# the ratios are comparable even on a noisy machine. See README.md.
#
#   make bench                       (from the build directory)
#   VIRTMETER=path/to/virtmeter tests/bench/run.sh
#
# Settings: BENCH_ROUNDS (3), BENCH_SECONDS per wrk run (3). Installs
# nothing; all traffic stays on 127.0.0.1; every process it starts is
# stopped by PID on exit.
set -u
export LC_ALL=C

ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-3}
case $ROUNDS in '' | *[!0-9]*) ROUNDS=3 ;; esac
case $SECS in '' | *[!0-9]*) SECS=3 ;; esac
VIRTMETER=${VIRTMETER:-./virtmeter}

die() {
	echo "bench: $*" >&2
	exit 1
}

[ -x "$VIRTMETER" ] || die "no virtmeter binary at '$VIRTMETER' (run from the build directory or set VIRTMETER)"
command -v wrk >/dev/null 2>&1 || die "wrk not installed (apt-get install wrk)"
command -v curl >/dev/null 2>&1 || die "curl not installed (apt-get install curl)"
command -v gzip >/dev/null 2>&1 || die "gzip not installed"
NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter || true)
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx

TMP=$(mktemp -d "${TMPDIR:-/tmp}/virtmeter-bench.XXXXXX") || die "mktemp failed"
PIDS=()
cleanup() {
	local p i
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for ((i = 0; i < 30; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

USED_PORTS=" "
# free_port: sets PORT to a free loopback port in 20000-32767.
free_port() {
	local i p
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		case $USED_PORTS in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
			USED_PORTS+="$p "
			PORT=$p
			return 0
		fi
	done
	die "no free port"
}

# wait_http URL PID: waits up to 10 s until URL answers 200.
wait_http() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# cpu_ticks PID...: utime + stime (clock ticks) of the processes, all
# threads included. The command name in field 2 may hold spaces: fields
# are counted after its closing parenthesis.
cpu_ticks() {
	local p total=0 s rest
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		rest=${s##*) }
		# shellcheck disable=SC2086 # split the fields on purpose
		set -- $rest
		total=$((total + ${12} + ${13}))
	done
	echo "$total"
}
HZ=$(getconf CLK_TCK)

# ---- the targets ---------------------------------------------------------------------
NAMES=()
declare -A URL=() CPU_PIDS=()

free_port
"$VIRTMETER" --web.listen-address="127.0.0.1:$PORT" --log.level=warn >"$TMP/virtmeter.log" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$PORT/metrics" "$!" || { cat "$TMP/virtmeter.log" >&2; die "virtmeter did not start"; }
NAMES+=(virtmeter)
URL[virtmeter]=http://127.0.0.1:$PORT/metrics
CPU_PIDS[virtmeter]=$!

if [ -n "$NODE_EXPORTER" ]; then
	free_port
	"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$PORT" >"$TMP/node_exporter.log" 2>&1 &
	PIDS+=("$!")
	if wait_http "http://127.0.0.1:$PORT/metrics" "$!"; then
		NAMES+=(node_exporter)
		URL[node_exporter]=http://127.0.0.1:$PORT/metrics
		CPU_PIDS[node_exporter]=$!
	else
		echo "bench: node_exporter did not start; left out" >&2
	fi
else
	echo "bench: prometheus-node-exporter not installed; left out" >&2
fi

if [ -n "$NGINX" ]; then
	free_port
	mkdir -p "$TMP/www" "$TMP/nginx-tmp"
	# nginx's worker runs as an unprivileged user when started as root: it
	# must be able to reach the files (they hold nothing secret).
	chmod 0755 "$TMP" "$TMP/www"
	# The scrape body nginx serves: virtmeter's own, plain and gzip.
	curl -s --max-time 5 "${URL[virtmeter]}" -o "$TMP/www/metrics"
	gzip -9 -c "$TMP/www/metrics" >"$TMP/www/metrics.gz"
	chmod 0644 "$TMP/www/metrics" "$TMP/www/metrics.gz"
	cat >"$TMP/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
events {}
http {
	access_log off;
	client_body_temp_path $TMP/nginx-tmp;
	proxy_temp_path $TMP/nginx-tmp;
	fastcgi_temp_path $TMP/nginx-tmp;
	uwsgi_temp_path $TMP/nginx-tmp;
	scgi_temp_path $TMP/nginx-tmp;
	server {
		listen 127.0.0.1:$PORT;
		location / {
			root $TMP/www;
			default_type text/plain;
			gzip_static on;
		}
	}
}
EOF
	"$NGINX" -e "$TMP/nginx-error.log" -p "$TMP" -c "$TMP/nginx.conf" >"$TMP/nginx.out" 2>&1 &
	nginx_pid=$!
	PIDS+=("$nginx_pid")
	if wait_http "http://127.0.0.1:$PORT/metrics" "$nginx_pid"; then
		NAMES+=(nginx)
		URL[nginx]=http://127.0.0.1:$PORT/metrics
		# The master and its worker(s).
		CPU_PIDS[nginx]="$nginx_pid $(ps -o pid= --ppid "$nginx_pid" | tr '\n' ' ')"
	else
		tail -n 5 "$TMP/nginx.out" "$TMP/nginx-error.log" >&2 2>/dev/null
		echo "bench: nginx did not start; left out" >&2
	fi
else
	echo "bench: nginx not installed; left out" >&2
fi

# ---- measuring ------------------------------------------------------------------------
# to_us VALUE: a wrk latency (e.g. 37.00us, 1.23ms, 1.01s) in microseconds.
to_us() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000; else if (v ~ /m$/) m = 60e6; else if (v ~ /s$/) m = 1e6; else m = 1
		printf "%.1f", n * m
	}'
}

MODES="plain gzip"
declare -A HDR=([plain]="Accept-Encoding: identity" [gzip]="Accept-Encoding: gzip")
# Results per round: name mode p50 p99 requests cpu_ticks
: >"$TMP/results"

# Bytes of one scrape, and a check that gzip is really what comes back.
declare -A BYTES=()
for n in "${NAMES[@]}"; do
	for m in $MODES; do
		size=$(curl -s --max-time 10 -o /dev/null -D "$TMP/headers" -H "${HDR[$m]}" \
			-w '%{size_download}' "${URL[$n]}")
		enc=$(tr -d '\r' <"$TMP/headers" | awk -F': *' 'tolower($1) == "content-encoding" { print $2 }')
		BYTES[$n.$m]=$size
		if [ "$m" = gzip ] && [ "$enc" != gzip ]; then
			echo "bench: $n did not gzip its answer (Content-Encoding: '${enc:-}')" >&2
		fi
	done
done

# Warm-up: one second each.
for n in "${NAMES[@]}"; do
	wrk -t1 -c1 -d1s "${URL[$n]}" >/dev/null 2>&1
done

for ((r = 1; r <= ROUNDS; r++)); do
	for m in $MODES; do
		for n in "${NAMES[@]}"; do
			# shellcheck disable=SC2086 # CPU_PIDS holds several PIDs
			c0=$(cpu_ticks ${CPU_PIDS[$n]})
			out=$(wrk -t1 -c1 -d"${SECS}s" --latency -H "${HDR[$m]}" "${URL[$n]}" 2>&1)
			# shellcheck disable=SC2086
			c1=$(cpu_ticks ${CPU_PIDS[$n]})
			p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
			p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
			reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
			errs=$(awk '/Non-2xx|Socket errors/' <<<"$out")
			[ -n "$errs" ] && echo "bench: $n $m: $errs" >&2
			if [ -z "$p50" ] || [ -z "$reqs" ]; then
				echo "bench: wrk gave no figures for $n $m:" >&2
				echo "$out" >&2
				continue
			fi
			echo "$n $m $(to_us "$p50") $(to_us "$p99") $reqs $((c1 - c0))" >>"$TMP/results"
		done
	done
	echo "bench: round $r of $ROUNDS done" >&2
done

# ---- report ------------------------------------------------------------------------------
echo
echo "virtmeter scrape benchmark: wrk -t1 -c1, ${ROUNDS} interleaved rounds of ${SECS} s per target and encoding"
echo "$(nproc) CPUs; $(uname -r); node_exporter: ${NODE_EXPORTER:-absent}; nginx: ${NGINX:-absent}"
echo
# Median p50 and p99 over rounds; CPU per scrape = all ticks / all requests.
awk -v hz="$HZ" -v names="${NAMES[*]}" -v modes="$MODES" -v bytes="$(for k in "${!BYTES[@]}"; do printf '%s=%s ' "$k" "${BYTES[$k]}"; done)" '
	function median(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		if (n == 0) return ""
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		k = $1 "." $2
		p50[k] = p50[k] " " $3; p99[k] = p99[k] " " $4
		req[k] += $5; ticks[k] += $6; secs[k] += 0
	}
	END {
		nb = split(bytes, b, " ")
		for (i = 1; i <= nb; i++) { split(b[i], kv, "="); size[kv[1]] = kv[2] }
		nn = split(names, N, " "); nm = split(modes, M, " ")
		printf "%-14s %-6s %10s %10s %9s %14s %10s\n", "target", "enc", "p50 (us)", "p99 (us)", "bytes", "CPU/scrape(us)", "scrapes"
		for (j = 1; j <= nm; j++)
			for (i = 1; i <= nn; i++) {
				k = N[i] "." M[j]
				if (req[k] == 0) continue
				med50[k] = median(p50[k])
				printf "%-14s %-6s %10.1f %10.1f %9s %14.1f %10d\n", N[i], M[j], med50[k], median(p99[k]), size[k], ticks[k] / hz / req[k] * 1e6, req[k]
			}
		print ""
		print "p50 ratios (goals: virtmeter <= 0.2 x node_exporter; virtmeter <= 3 x nginx):"
		for (j = 1; j <= nm; j++) {
			v = med50["virtmeter." M[j]]
			ne = med50["node_exporter." M[j]]
			ng = med50["nginx." M[j]]
			if (v != "" && ne != "" && ne > 0)
				printf "  %-6s virtmeter/node_exporter = %6.3f  %s\n", M[j], v / ne, (v / ne <= 0.2) ? "goal holds" : "GOAL MISSED"
			else
				printf "  %-6s virtmeter/node_exporter: not measured\n", M[j]
			if (v != "" && ng != "" && ng > 0)
				printf "  %-6s virtmeter/nginx         = %6.3f  %s\n", M[j], v / ng, (v / ng <= 3) ? "goal holds" : "GOAL MISSED"
			else
				printf "  %-6s virtmeter/nginx: not measured\n", M[j]
		}
	}' "$TMP/results"
echo
echo "CPU/scrape counts the whole server process (all threads; nginx: master and worker)"
echo "over the run, so virtmeter's and node_exporter's figures include their background work."
