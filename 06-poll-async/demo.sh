#!/bin/sh
# demo.sh -- a zen session: the lecture's async server and the book's client, then
# the event-loop echo server under a short load. Run it with `make demo`.
# Everything ends by itself within a few seconds; servers get port 0 (any free port).
set -e
cd "$(dirname "$0")"
dir=$(mktemp -d)
zen= echo=
# On any exit, stop what is still running and remove the scratch directory.
trap 'for p in $zen $echo; do kill "$p" 2>/dev/null || :; done; rm -rf "$dir"' EXIT

show() { # show "what to look for" command...
    what=$1
    shift
    printf '\n--- $ %s\n    (%s)\n' "$*" "$what"
    "$@"
}

# start NAME COMMAND...: start a server, wait for its "listening on" line (no sleep).
start() {
    name=$1
    shift
    mkfifo "$dir/$name.fifo"
    "$@" > "$dir/$name.fifo" 2> "$dir/$name.log" &
    pid=$!
    exec 9< "$dir/$name.fifo"
    read -r line <&9
    exec 9<&-
    port=${line##*:}
    printf '\n--- $ %s &\n%s\n' "$*" "$line"
}

start zen ./zen_server -p 0
zen=$pid zen_port=$port
show "three questions in a random order, each with its answer" ./zen_client -p "$zen_port"
show "another client, another order" ./zen_client -p "$zen_port"
show "a question without its '?', then the client closes" ./zen_client -p "$zen_port" -e
kill -TERM "$zen"
wait "$zen" && status=0 || status=$?
printf '\n--- what zen_server logged (stderr), and its exit status after SIGTERM: %s\n' "$status"
cat "$dir/zen.log"
zen=

# No -b: the best backend this build has (epoll on Linux, poll elsewhere and with PORTABLE=1).
start echo ./async_echo -q -p 0
echo=$pid
show "100 connections, 64-byte echoes for 1 s: round trips/s and latency" \
    ./loadgen -p "$port" -c 100 -d 1
show "the same client with the poll backend" ./loadgen -p "$port" -c 100 -d 1 -b poll
kill -TERM "$echo"
wait "$echo" && status=0 || status=$?
printf '\nasync_echo exit status after SIGTERM: %s\n' "$status"
echo=
printf '\nNext: make bench (in this folder: async_echo poll/epoll vs the baseline;\n'
printf 'at the top of the kit: every echo server model).\n'
