#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # make demo runs it with sh
# demo.sh -- a guided tour of 04-threaded-server: each server is started on a free port,
# loaded with multi_client, and stopped with SIGTERM (exit status 0 = a clean stop).
# Run it with `make demo`. Needs only bash and the programs built here; ends in seconds.
set -e
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

say() { printf '\n--- %s\n' "$*"; }
run() { # run COMMAND...: show it, run it, show its exit status (the demo goes on)
    printf '$ %s\n' "$*"
    if "$@"; then status=0; else status=$?; fi
    printf '(exit status %d)\n' "$status"
}

# start NAME ARGS...: start a server (ARGS say -p 0: a free port), read its "listening on" line
# through a FIFO (no sleeping), and set PID and PORT.
start() {
    rm -f "$work/out"
    mkfifo "$work/out"
    "./$1" "${@:2}" >"$work/out" 2>"$work/$1.log" &
    PID=$!
    exec 3<"$work/out"
    read -r line <&3
    PORT=${line##*:}
    printf '$ ./%s &      -> %s\n' "$*" "$line"
}

# stop NAME: SIGTERM, wait, show the exit status and what the server logged on stderr.
stop() {
    kill -TERM "$PID"
    if wait "$PID"; then status=0; else status=$?; fi
    exec 3<&-
    printf '$ kill -TERM %s      -> exit status %d; its stderr said:\n' "$PID" "$status"
    sed 's/^/    /' "$work/$1.log" | head -n 12
}

say "threaded_server: a thread per client; five clients at once, all echoed"
start threaded_server -p 0
run ./multi_client -p "$PORT" -n 5
stop threaded_server

say "forking_server: a process per client (see the process numbers), reaped by SIGCHLD"
start forking_server -p 0
run ./multi_client -p "$PORT" -n 3
stop forking_server

say "pool_server -n 4: four server threads; a fifth client at once has to wait"
start pool_server -p 0 -n 4
echo "(each client keeps its connection until all five have their echo: the fifth never does)"
run ./multi_client -p "$PORT" -n 5 -t 1
echo "(with -i each client leaves as soon as it is served: the fifth gets a thread then)"
run ./multi_client -p "$PORT" -n 5 -i
stop pool_server

say "one thread is an iterative server: pool_server -n 1 serves one client at a time"
start pool_server -p 0 -n 1 -q
run ./multi_client -p "$PORT" -n 3 -t 0.5
stop pool_server

say "mixin_server: socketserver's three mix-ins, the same handler, the same reply"
for mode in serial thread fork; do
    start mixin_server -p 0 -q -m "$mode"
    exec 5<>"/dev/tcp/127.0.0.1/$PORT"
    printf 'halo dari %s' "$mode" >&5
    printf '$ printf "halo dari %s" | (client)      -> %s\n' "$mode" "$(cat <&5)"
    exec 5<&-
    stop mixin_server
done
