#!/bin/sh
# demo.sh -- a guided tour of 03-udp: the server and the client as you would run them in
# two terminals, then the ways a datagram gets lost. Run it with `make demo`; it ends by
# itself in a few seconds. The servers get free ports (-p 0): no clash with yours.
set -e
cd "$(dirname "$0")"

tmp=$(mktemp -d)
servers=
cleanup() {
    for pid in $servers; do
        kill -CONT "$pid" 2>/dev/null || true # a frozen server cannot act on SIGTERM
        kill -TERM "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

say() { printf '\n--- %s\n' "$*"; }
# client "what to look for" command: run a client command in "terminal 2"
client() {
    printf '    terminal 2 $ %s\n' "$2"
    printf '    (%s)\n' "$1"
    sh -c "$2" 2>&1 | sed 's/^/    /'
}

# start NAME PROGRAM [ARGS...]: start a server on a free port in "terminal 1" and wait
# for its one line, `listening on HOST:PORT`, read through a FIFO (no sleep needed).
# Sets $port and $pid; its stderr goes to $tmp/NAME.log.
start() {
    name=$1
    shift
    mkfifo "$tmp/$name.fifo"
    "$@" -p 0 >"$tmp/$name.fifo" 2>"$tmp/$name.log" &
    pid=$!
    servers="$servers $pid"
    read -r line <"$tmp/$name.fifo"
    port=${line##*:}
    printf '    terminal 1 $ %s -p 0\n    %s\n' "$*" "$line"
}

# stop NAME PID: SIGTERM (what Ctrl-C or kill does), show the exit status and the log.
# Once it has been waited for, its PID is forgotten: the kernel may give the number to
# another process, which the cleanup must not kill.
stop() {
    kill -TERM "$2"
    status=0
    wait "$2" || status=$?
    servers=$(echo "$servers" | tr ' ' '\n' | grep -vx "$2" | tr '\n' ' ')
    printf '    terminal 1: after kill -TERM, exit status %s; its log (stderr):\n' "$status"
    sed 's/^/      /' "$tmp/$1.log"
}

say "udp_server and udp_client (lecture 003): sendto, recvfrom, and the echo back"
start echo ./udp_server
client "one datagram, one reply" "./udp_client -p $port hello there"
client "the lecture's message" "./udp_client -p $port"
client "an empty datagram is a datagram too (the lecture's server would stop here)" \
    "./udp_client -p $port ''"
client "one datagram per line of standard input" "printf 'one\\ntwo\\n' | ./udp_client -p $port -"
stop echo "$pid"

say "-u: the reply upper-cased"
start upper ./udp_server -u
client "the server changes it, the client shows it" "./udp_client -p $port 'Hello, World'"
stop upper "$pid"

say "truncation: a datagram bigger than the server's buffer (-b 8) is cut, and reported"
start small ./udp_server -b 8
client "the server does not echo a damaged datagram: no reply" \
    "./udp_client -p $port -t 0.3 -r 1 'more than eight bytes'; echo \"exit status \$?\""
stop small "$pid"

say "loss: nobody answers, the client sends again, then gives up"
client "3 tries, 0.3 s apart; UDP does not even tell us that nobody listens" \
    "./udp_client -p $port -t 0.3 'anyone there?'; echo \"exit status \$?\""

say "late replies: a frozen server (kill -STOP) keeps the datagrams; once thawed it answers them all"
start frozen ./udp_server
kill -STOP "$pid"
client "the client tries twice, hears nothing, gives up" \
    "./udp_client -p $port -t 0.3 -r 2 'are you there?'; echo \"exit status \$?\""
kill -CONT "$pid"
./udp_client -p "$port" 'after the thaw' >/dev/null
printf '    (after kill -CONT the server answers both copies, to a client that has gone)\n'
stop frozen "$pid"
