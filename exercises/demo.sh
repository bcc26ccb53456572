#!/bin/sh
# demo.sh -- the reference solutions at work (run by `make demo`; needs only cc and make):
# a chat between two clients, a bounded server turning a client away, and, when the lecture
# folder 03-udp has been built, a ping. The library exercises (01-event, 02-line-io,
# 07-bounded-queue) have no program of their own: `make test` shows them at work.
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exercises-demo.XXXXXX")
pids=
trap 'for p in $pids; do kill "$p" 2> /dev/null || :; done; rm -rf "$tmp"' EXIT

# start_server NAME COMMAND...: start a server and wait for its "listening on HOST:PORT" line
# (read from a FIFO: no sleeping to wait); sets $port and $pid.
start_server() {
    fifo=$tmp/$1.out
    mkfifo "$fifo"
    shift
    "$@" > "$fifo" &
    pid=$!
    pids="$pids $pid"
    read -r line < "$fifo"
    port=${line##*:}
    echo "    $ $* &          -> $line"
}
stop_server() {
    kill -TERM "$1"
    if wait "$1"; then echo "    (SIGTERM: it closed its clients and exited 0)"; fi
}

chat_server=./05-chat-server/solution/chat_server
chat_client=./06-chat-client/solution/chat_client
bounded_server=./04-bounded-server/solution/bounded_server
udp_ping=./03-udp-ping/solution/udp_ping

printf '\n--- 05-chat-server + 06-chat-client: bob listens; alice joins, says hello, leaves\n'
start_server chat "$chat_server" -p 0 -q
(sleep 1.2) | "$chat_client" -p "$port" > "$tmp/bob" 2>&1 &
bob=$!
sleep 0.2 # (pacing the story: bob is in before alice comes)
(sleep 0.3; printf 'hello, bob\n'; sleep 0.3) | "$chat_client" -p "$port" > "$tmp/alice" 2>&1 &
alice=$!
wait "$alice" "$bob" || :
echo "    what alice saw:"
sed 's/^/      /' "$tmp/alice"
echo "    what bob saw (the addresses are how the server sees each client):"
sed 's/^/      /' "$tmp/bob"
stop_server "$pid"

printf '\n--- 04-bounded-server -k 1: the first client is served, the second is told busy\n'
start_server bounded "$bounded_server" -p 0 -q -k 1
(printf 'echo me\n'; sleep 0.6) | "$chat_client" -p "$port" > "$tmp/first" 2>&1 &
first=$!
sleep 0.3
printf 'me too\n' | "$chat_client" -p "$port" > "$tmp/second" 2>&1 || :
wait "$first" || :
echo "    the first client got its echo:"
sed 's/^/      /' "$tmp/first"
echo "    the second one:"
sed 's/^/      /' "$tmp/second"
stop_server "$pid"

printf '\n--- 03-udp-ping against the lecture folder'"'"'s UDP echo server\n'
if [ -x ../03-udp/udp_server ]; then
    start_server udp ../03-udp/udp_server -p 0
    "$udp_ping" -p "$port" -c 3 -t 0.5 | sed 's/^/      /'
    stop_server "$pid"
else
    echo "    (build ../03-udp first: make -C ../03-udp; then make demo again)"
fi
