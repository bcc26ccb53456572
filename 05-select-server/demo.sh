#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # make demo runs it with sh
# demo.sh -- a guided tour of 05-select-server: select_server stopped by a line on its
# standard input, and select_echo serving several clients in one thread, refusing those
# beyond its descriptor limit. Run it with `make demo`. Needs only bash; ends in seconds.
set -e
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
trap '' PIPE # a client writing to a connection the server refused must not end the demo

say() { printf '\n--- %s\n' "$*"; }

# start NAME ARGS...: start a server (stdin from the FIFO $work/in when it exists), read
# its "listening on" line through a FIFO (no sleeping), and set PID and PORT.
start() {
    rm -f "$work/out"
    mkfifo "$work/out"
    if [ -p "$work/in" ]; then
        "./$1" "${@:2}" <"$work/in" >"$work/out" 2>"$work/$1.log" &
        PID=$!
        exec 4>"$work/in" # our end of its standard input
    else
        "./$1" "${@:2}" </dev/null >"$work/out" 2>"$work/$1.log" &
        PID=$!
    fi
    exec 3<"$work/out"
    read -r line <&3
    PORT=${line##*:}
    printf '$ ./%s &      -> %s\n' "$*" "$line"
}

# ask FD TEXT: send TEXT on connection FD and print the one line that comes back.
ask() {
    printf '%s\n' "$2" >&"$1"
    read -r -t 2 reply <&"$1" 2>/dev/null || reply="(nothing: the server closed it)"
    printf 'client on fd %s sends "%s", gets back "%s"\n' "$1" "$2" "$reply"
}

# finish NAME: wait for the server, show its exit status and its stderr.
finish() {
    if wait "$PID"; then status=0; else status=$?; fi
    exec 3<&-
    printf '(exit status %d) its stderr said:\n' "$status"
    sed 's/^/    /' "$work/$1.log" | head -n 14
}

say "select_server: select() on the listener and stdin; a thread per client"
mkfifo "$work/in"
start select_server -p 0
exec 5<>"/dev/tcp/127.0.0.1/$PORT" 6<>"/dev/tcp/127.0.0.1/$PORT"
ask 5 "halo dari klien satu"
ask 6 "halo dari klien dua"
echo "both clients still connected; now Enter on the server's standard input:"
echo >&4
finish select_server
exec 4>&- 5<&- 6<&-
rm -f "$work/in"

say "select_echo: ONE thread for every client; -m 8 refuses descriptors 8 and up"
echo "(0-2 are stdin/out/err, 3-4 the stop pipe, 5 the listener: two clients fit)"
start select_echo -p 0 -m 8
exec 5<>"/dev/tcp/127.0.0.1/$PORT" 6<>"/dev/tcp/127.0.0.1/$PORT"
ask 5 "first"
ask 6 "second"
exec 7<>"/dev/tcp/127.0.0.1/$PORT" 8<>"/dev/tcp/127.0.0.1/$PORT" 9<>"/dev/tcp/127.0.0.1/$PORT"
ask 7 "third"
ask 9 "fifth"
printf 'server threads: %s\n' "$(grep Threads: "/proc/$PID/status" 2>/dev/null | tr -s '\t ' ' ' || echo '?')"
exec 5<&- 6<&- 7<&- 8<&- 9<&-
kill -TERM "$PID"
echo "\$ kill -TERM $PID"
finish select_echo
