#!/bin/sh
# demo.sh -- a guided tour of 02-tcp-echo: each server with its client, as you would run
# them in two terminals. Run it with `make demo`; it ends by itself in a few seconds.
# The servers get free ports (-p 0), so the demo never clashes with a server you run.
set -e
cd "$(dirname "$0")"

tmp=$(mktemp -d)
servers=
cleanup() {
    for pid in $servers; do kill -TERM "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

say() { printf '\n--- %s\n' "$*"; }
# client "what to look for" command...: run a client command in "terminal 2"
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
    printf '    terminal 1: after kill -TERM, exit status %s; what it logged on stderr:\n' "$status"
    sed 's/^/      /' "$tmp/$1.log"
}

say "echo_server (lecture 002): every byte back, one client at a time"
start echo ./echo_server
client "the lecture's message" "./echo_client -p $port"
client "your words; unprintable bytes shown as Python's repr shows them" \
    "./echo_client -p $port \"it's\" \"\$(printf 'tab\\there')\""
client "stream standard input, any size: 1 MiB of random bytes, compared after" \
    "head -c 1048576 /dev/urandom > $tmp/big.bin; ./echo_client -p $port - < $tmp/big.bin | cmp - $tmp/big.bin && echo same bytes"
say "the iterative server: B connects while A is still connected, and waits its turn"
client "A sends a line, waits 1 s, sends another; B is served only after A leaves" \
    "(echo 'A: first'; sleep 1; echo 'A: last') | ./echo_client -p $port - & sleep 0.3; ./echo_client -p $port 'B: my turn'; wait"
stop echo "$pid"

say "upper_server (lecture 001's socketserver): one recv, stripped, upper-cased, closed"
start upper ./upper_server
client "echo_client speaks to it too: same length, upper-cased" "./echo_client -p $port hello world"
client "19 bytes sent, stripped to 13 and upper-cased; echo_client expected an echo, says so" \
    "printf '   spaces around  \\n' | ./echo_client -p $port - > $tmp/reply || true; cat $tmp/reply; echo"
stop upper "$pid"

say "greet_server and greet_client (lecture 004): the server speaks first, then hangs up"
start greet ./greet_server
client "what the server said" "./greet_client -p $port"
stop greet "$pid"

say "netinfo (lecture 002's table): gethostname, getaddrinfo, getsockname/getpeername"
client "this host's name and addresses, and a connection to itself" "./netinfo"

say "failures: one line, program: what: reason, exit status 1"
start busy ./echo_server -q
client "a second server on the same port" "./echo_server -p $port; echo \"exit status \$?\""
stop busy "$pid" >/dev/null
client "nobody listens there any more" "./echo_client -p $port; echo \"exit status \$?\""
client "bad usage: exit status 2" "./echo_client -p abc; echo \"exit status \$?\""
