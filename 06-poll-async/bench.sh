#!/usr/bin/env bash
# bench.sh -- which echo server model scales? Start each one, load it with loadgen,
# and compare them with a baseline loop in one table, one CSV and one plot.
#
# Usage: bench.sh [-d SECONDS] [-r REPEAT] [-s BYTES] [-i IDLE] [-o DIR] MODEL...
#   MODEL is NAME:LEVELS:COMMAND, for example
#     'async_echo -b epoll:1,10,100,1000,5000:06-poll-async/async_echo -b epoll'
#   COMMAND is started as `COMMAND -H 127.0.0.1 -p 0 -q` and must print
#   `listening on HOST:PORT` (the kit's server contract; nobody sleeps to wait for it).
#   LEVELS are the numbers of connections to load it with. The model named
#   `baseline` is the yardstick: every other row shows its ratio to it.
#   -d seconds of load per run (default 3), -r runs per point, the median of which is
#   kept (default 1), -s message size (default 64), -i that many more connections that
#   stay idle beside the busy ones (loadgen -i; default 0), -o where the results go
#   (default: bench-results/ beside this script).
#
# How a run goes: for each level, each model in turn (so that the ratio compares runs
# made close together in time): start the server, run loadgen -c LEVEL, note what it
# printed, the server's peak memory (VmHWM; plus its children's PSS, sampled in the
# middle of the run, for a forking server), its CPU use and its context switches (all
# its threads and children, in the middle half of the run), then SIGTERM it and check
# that it exits 0. A model whose program is not built is reported as skipped; a level
# the fd limit cannot hold (RLIMIT_NOFILE, raised as far as the hard limit allows) is
# reported as not run.
#
# Results: DIR/bench.txt (the table), DIR/bench.csv, DIR/bench.svg (when gnuplot is
# installed; if it is and the plot fails, bench.sh exits 1), DIR/servers.log (the
# servers' stderr). They describe this machine at this moment: they are not committed
# (bench.svg beside this script is a dated sample, the README says from when). The README
# explains how to read them, and how the plot marks a model that starves connections.
set -u
here=$(cd "$(dirname "$0")" && pwd)
loadgen=${LOADGEN:-$here/loadgen}
seconds=3 repeat=1 size=64 idle=0 out=$here/bench-results

usage() {
    echo "Usage: bench.sh [-d SECONDS] [-r REPEAT] [-s BYTES] [-i IDLE] [-o DIR]" \
         "NAME:LEVELS:COMMAND..." >&2
    exit 2
}
while getopts "d:r:s:i:o:h" opt; do
    case $opt in
    d) seconds=$OPTARG ;;
    r) repeat=$OPTARG ;;
    s) size=$OPTARG ;;
    i) idle=$OPTARG ;;
    o) out=$OPTARG ;;
    h) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
[[ $seconds =~ ^[0-9]+(\.[0-9]+)?$ && $repeat =~ ^[1-9][0-9]*$ && $size =~ ^[1-9][0-9]*$ &&
    $idle =~ ^[0-9]+$ ]] || usage
if [ ! -x "$loadgen" ]; then
    echo "bench.sh: $loadgen is not built (make -C $(dirname "$loadgen") loadgen)" >&2
    exit 1
fi
mkdir -p "$out" || exit 1
tmp=$(mktemp -d) || exit 1
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# As many fds as allowed: 5000 connections need 5000 in the server and in loadgen.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
fd_limit=$(ulimit -n)
[ "$fd_limit" = unlimited ] && fd_limit=1048576
ticks=$(getconf CLK_TCK)
: > "$out/servers.log"

# --- Measuring one process ----------------------------------------------------------------
# CPU ticks (user + system, and those of reaped children) of PID.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) } # after "PID (COMM) ": COMM may hold spaces
    local f
    read -r -a f <<< "$stat"
    echo $((f[11] + f[12] + f[13] + f[14]))
}
# A "Vm...:" line of /proc/PID/status, in KiB.
vm_kib() {
    awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}
# Memory of PID and its children (a forking server's clients), in KiB: PID's RSS plus
# each child's PSS, its fair share (the pages children share with their parent and with
# each other, libc and the server's code, are divided among them, not counted in full).
tree_memory_kib() {
    local total children
    total=$(vm_kib "$1" VmRSS)
    children=$(ps -o pid= --ppid "$1" 2>/dev/null | awk '{ printf "/proc/%s/smaps_rollup ", $1 }')
    if [ -n "$children" ]; then
        # cat, not awk FILES: a child may end meanwhile, and mawk stops at a missing file.
        # shellcheck disable=SC2086 # one word per file
        total=$((${total:-0} + $(cat $children 2>/dev/null |
            awk '$1 == "Pss:" { s += $2 } END { print s + 0 }')))
    fi
    echo "${total:-0}"
}

# Context switches (voluntary and involuntary) of PID's threads and of its children's
# threads, summed: how often the server's threads went to sleep or were put aside.
tree_switches() {
    local tasks child
    tasks="/proc/$1/task/*/status"
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do tasks+=" /proc/$child/task/*/status"; done
    # shellcheck disable=SC2086 # the globs are meant to expand; a task may end meanwhile
    cat $tasks 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }'
}
now_seconds() { awk '{ print $1 }' /proc/uptime; }
# Sleep until the uptime clock reads $1 seconds (at once if it is past).
sleep_until() { sleep "$(awk -v t="$1" '{ printf "%.3f", (t > $1 ? t - $1 : 0) }' /proc/uptime)"; }

# --- One run: start, load, measure, stop ------------------------------------------------------
# run_one COMMAND LEVEL: prints
#   "rps p50 p99 errors mismatches memory_kib srv_cpu gen_cpu starved switches note"
run_one() {
    local command=$1 level=$2 fifo=$tmp/listening line port note=
    rm -f "$fifo"
    mkfifo "$fifo" || return 1
    # shellcheck disable=SC2086 # the command's words are meant to split
    $command -H 127.0.0.1 -p 0 -q > "$fifo" 2>> "$out/servers.log" &
    server_pid=$!
    exec 3< "$fifo"
    if ! read -t 10 -r line <&3 || [[ $line != "listening on "* ]]; then
        exec 3<&-
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
        echo "0 0 0 0 0 0 0 0 0 0 did-not-start"
        return
    fi
    port=${line##*:}
    local cpu_before result timing start
    cpu_before=$(cpu_ticks "$server_pid")
    # During the load: count the server's context switches at a quarter and at three
    # quarters of it, and sample its process tree's memory half-way (forking servers'
    # children are not in the parent's VmHWM). Sleeps for a measurement, not to wait
    # for readiness; the 0.1 s more is for loadgen's connecting. The times are fixed in
    # advance, and a count is dated half-way through its reading: reading the files of
    # 1000 processes takes a while.
    start=$(now_seconds)
    (
        at() { awk -v s="$start" -v d="$seconds" -v f="$1" 'BEGIN { printf "%.3f", s + d * f + 0.1 }'; }
        sleep_until "$(at 0.25)"
        a=$(now_seconds) s1=$(tree_switches "$server_pid") b=$(now_seconds)
        t1=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (a + b) / 2 }')
        sleep_until "$(at 0.5)"
        tree_memory_kib "$server_pid" > "$tmp/tree_rss"
        sleep_until "$(at 0.75)"
        a=$(now_seconds) s2=$(tree_switches "$server_pid") b=$(now_seconds)
        t2=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (a + b) / 2 }')
        echo "$((s2 - s1)) $t1 $t2 $b" > "$tmp/switches"
    ) &
    local sampler=$!
    local TIMEFORMAT='%R %U %S'
    timing=$({ time "$loadgen" -H 127.0.0.1 -p "$port" -c "$level" -s "$size" -d "$seconds" \
        -i "$idle" > "$tmp/loadgen.out" 2> "$tmp/loadgen.err"; } 2>&1)
    local load_end
    load_end=$(now_seconds)
    result=$(cat "$tmp/loadgen.out")
    wait "$sampler" 2>/dev/null
    local cpu_after hwm tree switches
    cpu_after=$(cpu_ticks "$server_pid")
    hwm=$(vm_kib "$server_pid" VmHWM)
    tree=$(cat "$tmp/tree_rss" 2>/dev/null || echo 0)
    switches=$(cat "$tmp/switches" 2>/dev/null || echo "0 0 0 0")
    rm -f "$tmp/tree_rss" "$tmp/switches"
    # Stop it the way the contract says: SIGTERM, exit 0 within 2 s.
    kill -TERM "$server_pid" 2>/dev/null
    local waited=0
    while kill -0 "$server_pid" 2>/dev/null && [ $waited -lt 50 ]; do
        sleep 0.1 # bounded wait for an exit
        waited=$((waited + 1))
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid"
        note="no-exit-on-SIGTERM"
    fi
    wait "$server_pid" 2>/dev/null
    local status=$?
    [ -z "$note" ] && [ $status -ne 0 ] && note="exit-$status"
    exec 3<&-
    server_pid=
    if [[ ! $result =~ ^conns=[0-9]+\ rps=([0-9]+)\ p50_us=([0-9]+)\ p99_us=([0-9]+)\ errors=([0-9]+)\ mismatches=([0-9]+)$ ]]; then
        sed 's/^/    loadgen: /' "$tmp/loadgen.err" >&2
        echo "0 0 0 0 0 $hwm 0 0 0 0 loadgen-failed${note:+,$note}"
        return
    fi
    local rps=${BASH_REMATCH[1]} p50=${BASH_REMATCH[2]} p99=${BASH_REMATCH[3]}
    local errors=${BASH_REMATCH[4]} mismatches=${BASH_REMATCH[5]}
    [ "${tree:-0}" -gt "${hwm:-0}" ] && hwm=$tree
    # loadgen says on stderr how many connections were never served (not an error).
    local starved
    starved=$(sed -n 's/.*: \([0-9]*\) of [0-9]* connections completed no round trip.*/\1/p' \
        "$tmp/loadgen.err")
    awk -v t="$timing" -v c=$((cpu_after - cpu_before)) -v hz="$ticks" \
        -v rest="$rps $p50 $p99 $errors $mismatches ${hwm:-0}" -v starved="${starved:-0}" \
        -v rps="$rps" -v switches="$switches" -v load_end="$load_end" -v note="${note:--}" 'BEGIN {
            split(t, w, " "); wall = w[1] > 0 ? w[1] : 1
            # Switches per round trip: those counted, over the round trips of that interval.
            # Not known ("-") if the second count was not read before the load ended (a
            # late sampler on a busy machine: threads and load gone, the count too low).
            split(switches, s, " "); trips = rps * (s[3] - s[2])
            per_rt = trips > 0 && s[1] >= 0 && s[4] <= load_end ? sprintf("%.2f", s[1] / trips) : "-"
            printf "%s %.0f %.0f %s %s %s\n", rest, 100 * c / hz / wall,
                   100 * (w[2] + w[3]) / wall, starved, per_rt, note }'
}

# --- The runs ---------------------------------------------------------------------------------
names=() levels=() commands=() skipped=()
for model in "$@"; do
    name=${model%%:*} rest=${model#*:}
    level_list=${rest%%:*} command=${rest#*:}
    if [ "$name" = "$model" ] || [ "$level_list" = "$rest" ] || [ -z "$command" ]; then
        echo "bench.sh: '$model' is not NAME:LEVELS:COMMAND" >&2
        exit 2
    fi
    program=${command%% *}
    if [ ! -x "$program" ]; then
        skipped+=("$name ($program is not built)")
        continue
    fi
    names+=("$name") levels+=("${level_list//,/ }") commands+=("$command")
done
all_levels=$(printf '%s\n' "${levels[@]}" | tr ' ' '\n' | sort -n -u | tr '\n' ' ')

echo "bench: ${#names[@]} models, ${seconds} s per run, ${size}-byte messages, $idle idle connections," \
     "$repeat run(s) per point," \
     "fd limit $fd_limit, $(nproc 2>/dev/null || echo '?') CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${skipped[@]}"; do echo "skipped: $s"; done
results=$tmp/results
: > "$results"
not_run=()
for level in $all_levels; do
    if [ $((level + idle + 64)) -gt "$fd_limit" ]; then
        not_run+=("$level connections: needs $((level + idle + 64)) fds per process, the limit is $fd_limit")
        continue
    fi
    # Repeated runs go round the models (A B C A B C ...), so that a change in the
    # machine's load touches every model alike instead of one model's runs.
    for ((r = 0; r < repeat; r++)); do
        for i in "${!names[@]}"; do
            [[ " ${levels[$i]} " == *" $level "* ]] || continue
            [ $r -eq 0 ] && : > "$tmp/runs$i"
            run_one "${commands[$i]}" "$level" >> "$tmp/runs$i"
        done
    done
    for i in "${!names[@]}"; do
        [[ " ${levels[$i]} " == *" $level "* ]] || continue
        # The run with the median round trips per second stands for the point.
        line=$(sort -n -k1,1 "$tmp/runs$i" | sed -n "$(((repeat + 1) / 2))p")
        printf '%s\t%s\t%s\n' "${names[$i]}" "$level" "$line" >> "$results"
        printf '  %-28s %5s conns: %s\n' "${names[$i]}" "$level" "$line"
    done
done
for n in "${not_run[@]}"; do echo "not run: $n"; done

# --- Table, CSV, plot ---------------------------------------------------------------------------
awk -F'\t' -v csv="$out/bench.csv" '
    { split($3, f, " "); name[NR] = $1; conns[NR] = $2
      for (k = 1; k <= 11; k++) v[NR, k] = f[k]
      if ($1 == "baseline") base[$2] = f[1] }
    END {
        print "model,conns,rps,p50_us,p99_us,errors,mismatches,starved,peak_memory_kib," \
              "server_cpu_pct,loadgen_cpu_pct,server_cpu_us_per_round_trip," \
              "server_switches_per_round_trip,ratio_to_baseline,note" > csv
        format = "%-24s %5s %7s %7s %7s %4s %4s %7s %7s %4s %4s %5s %5s %5s  %s\n"
        printf format, "model", "conns", "rps", "p50_us", "p99_us", "err", "mism", "starved",
               "memory", "srv%", "gen%", "us/rt", "sw/rt", "ratio", "note"
        for (i = 1; i <= NR; i++) {
            ratio = (conns[i] in base && base[conns[i]] > 0) ? \
                    sprintf("%.2f", v[i, 1] / base[conns[i]]) : "-"
            mem = v[i, 6] >= 1024 ? sprintf("%.1fM", v[i, 6] / 1024) : sprintf("%dK", v[i, 6])
            per_rt = v[i, 1] > 0 ? sprintf("%.1f", v[i, 7] * 1e4 / v[i, 1]) : "-"
            note = v[i, 11] == "-" ? "" : v[i, 11]
            row = sprintf(format, name[i], conns[i], v[i, 1], v[i, 2], v[i, 3], v[i, 4], v[i, 5],
                          v[i, 9], mem, v[i, 7], v[i, 8], per_rt, v[i, 10], ratio, note)
            sub(/ +\n$/, "\n", row) # no trailing blanks when there is no note
            printf "%s", row
            printf "\"%s\",%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", name[i], conns[i],
                   v[i, 1], v[i, 2], v[i, 3], v[i, 4], v[i, 5], v[i, 9], v[i, 6], v[i, 7],
                   v[i, 8], per_rt, v[i, 10], ratio, note > csv
        }
    }' "$results" > "$out/bench.txt"
{
    echo
    cat "$out/bench.txt"
    echo "(rps: round trips per second; p50/p99: latency of one round trip, in microseconds;"
    echo " err/mism: failed connections, wrong echoes; starved: connections open but never"
    echo " served in the measured time; memory: the server's peak RSS (VmHWM), plus its"
    echo " children's PSS for a forking server; srv%/gen%: CPU of the server and of loadgen,"
    echo " 100 = one core; us/rt: the server's CPU microseconds per round trip (its cost, whatever"
    echo " share of the CPUs it got); sw/rt: the server's context switches per round trip (its"
    echo " threads' and children's, counted in the middle half of the run: 1 means each message"
    echo " put a thread to sleep and woke it); ratio: rps / baseline's rps at the same connections."
    echo " Load average now: $(cut -d' ' -f1-3 /proc/loadavg).)"
    echo "wrote $out/bench.txt and $out/bench.csv"
}

if command -v gnuplot >/dev/null 2>&1; then
    # One data file per model, "conns rps p99 starved" in order of connections, and one of
    # the points where some connections starved, with their label ("996/1000 starved").
    # The truth about starvation: a server that serves 4 clients out of 1000 shows the
    # latency of those 4, the best p99 of all. So the p99 panel draws no point where most
    # connections starved (the legend says where), and the rps panel labels every point
    # where any starved with how many.
    plot=$tmp/plot.gp
    rps_plot='' p99_plot=''
    for i in "${!names[@]}"; do
        awk -F'\t' -v name="${names[$i]}" '$1 == name { split($3, f, " "); print $2, f[1], f[3], f[9] }' \
            "$results" | sort -n > "$tmp/model$i.dat"
        [ -s "$tmp/model$i.dat" ] || continue
        awk '$4 > 0 { printf "%s %s \"%d/%d starved\"\n", $1, $2, $4, $1 }' "$tmp/model$i.dat" \
            > "$tmp/starved$i.dat"
        most_starved=$(awk '$4 * 2 >= $1 { printf "%s%s", (n++ ? ", " : ""), $1 }' "$tmp/model$i.dat")
        lt=$((i + 1))
        title=${names[$i]//\'/}
        rps_plot+="${rps_plot:+, }'$tmp/model$i.dat' using 1:2 with linespoints lt $lt title '$title'"
        if [ -s "$tmp/starved$i.dat" ]; then
            # Above the point for one model, below it for the next: labels of models that
            # starve at the same level do not land on each other.
            rps_plot+=", '$tmp/starved$i.dat' using 1:2:3 with labels offset char 0,$((i % 2 ? -1 : 1))"
            rps_plot+=" font ',8' textcolor lt $lt notitle"
        fi
        p99_title=$title
        [ -z "$most_starved" ] || p99_title+=": no point at $most_starved"
        p99_plot+="${p99_plot:+, }'$tmp/model$i.dat' using 1:((\$3 > 0 && \$4 * 2 < \$1) ? \$3 : NaN)"
        p99_plot+=" with linespoints lt $lt title '$p99_title'"
    done
    # Written in the temporary folder (a path gnuplot reads in quotes), then moved.
    cat > "$plot" <<GNUPLOT
set terminal svg size 1280,640 dynamic noenhanced font 'sans,11'
set output '$tmp/bench.svg'
set multiplot layout 1,2 title "Echo servers under loadgen: $size-byte messages, $idle idle connections, ${seconds} s per run, $(nproc) CPUs ($(date '+%Y-%m-%d'))"
# Colours dark enough for the labels to be read on white; more models than 8 repeat them.
set linetype 1 lc rgb '#1f77b4' lw 1.5
set linetype 2 lc rgb '#d62728' lw 1.5
set linetype 3 lc rgb '#2ca02c' lw 1.5
set linetype 4 lc rgb '#9467bd' lw 1.5
set linetype 5 lc rgb '#8c564b' lw 1.5
set linetype 6 lc rgb '#e377c2' lw 1.5
set linetype 7 lc rgb '#555555' lw 1.5
set linetype 8 lc rgb '#17becf' lw 1.5
set linetype cycle 8
set bmargin 7
set label 1 "A model that starves connections serves a few clients and keeps the rest waiting: its rps and p99 are those of the few.\nLeft: the labels count the connections never served. Right: 'no point at N' where most of its N connections starved." at screen 0.01, screen 0.05 font ',9'
set logscale x
set xlabel 'connections (log scale)'
set key bottom left font ',9'
set grid
set ylabel 'round trips per second (all connections)'
set yrange [0:*]
plot $rps_plot
unset label 1
set key bottom right font ',9'
set logscale y
set format y '%.0f'
set ylabel 'p99 latency of a round trip (microseconds, log scale)'
set yrange [*:*]
plot $p99_plot
unset multiplot
GNUPLOT
    if [ -n "$rps_plot" ] && gnuplot "$plot" 2> "$tmp/gnuplot.err" && [ -s "$tmp/bench.svg" ] &&
        mv -f "$tmp/bench.svg" "$out/bench.svg"; then
        echo "wrote $out/bench.svg"
    else
        # gnuplot is there and failed: that is a bug to see (CI runs make bench with it).
        echo "bench.sh: gnuplot failed, no plot: $(head -3 "$tmp/gnuplot.err" 2>/dev/null)" >&2
        exit 1
    fi
else
    echo "gnuplot is not installed: no plot (the CSV holds the numbers; apt-get install gnuplot-nox)"
fi
