#!/bin/sh
# demo.sh -- a guided tour of 07-timers-queues: each program once, with what to look for.
# Run it with `make demo`. Every program here ends by itself within a few seconds.
set -e
cd "$(dirname "$0")"

show() { # show "what to look for" command...
    what=$1
    shift
    printf '\n--- $ %s\n    (%s)\n' "$*" "$what"
    status=0
    "$@" || status=$?
    if [ "$status" -ne 0 ]; then
        printf '    (exit status %s)\n' "$status"
    fi
}

show "the lecture's timer, 20x faster: a run every 5 s, each sleeps 5-10 s, so runs overlap" \
    ./timer_demo -n 4 -s 0.05 -r 7
show "Timer basics: one timer fires, the other is cancelled before its time and never does" \
    ./timer_demo -o -s 0.2
show "5 workers share 12 items through a Queue; join() returns when all are task_done()" \
    ./queue_demo -n 12 -d 0.02
show "put/get that do not wait, or wait a little: Full and Empty" ./queue_demo -e
show "the executor: submit + result, map (input order), as_completed (completion order)" \
    ./pool_demo -s 0.5

# port_monitor needs hosts to watch. Everything here is on this machine: a port where
# nobody listens, and (if python3 is around to hold one open) a port where someone does.
tmp=$(mktemp -d)
listener_pid=
trap 'if [ -n "$listener_pid" ]; then kill "$listener_pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
printf 'web,127.0.0.1,80\nbroken line\nmail,127.0.0.1,smtp\nweb,localhost,8080\n' > "$tmp/bad.csv"
show "a hosts file with mistakes: each one named with its line, nothing probed" \
    ./port_monitor --once -f "$tmp/bad.csv"

printf '# name,host,port\n"nobody, listening",127.0.0.1,1\nlocal web,localhost,80\n' > "$tmp/hosts.csv"
if command -v python3 >/dev/null 2>&1 && mkfifo "$tmp/port"; then
    # The listener prints its port once it listens; reading the fifo waits for that line
    # (or for its end, if python fails): no sleeping, no polling.
    python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(10)' > "$tmp/port" &
    listener_pid=$!
    port=
    read -r port < "$tmp/port" || port=
    [ -z "$port" ] || printf 'demo listener,127.0.0.1,%s\n' "$port" >> "$tmp/hosts.csv"
fi
show "one round of probes, all at once in the pool; the page: /tmp/pingmon-demo.html" \
    ./port_monitor --once -T 0.5 -f "$tmp/hosts.csv" -o /tmp/pingmon-demo.html
printf '    the table rows of the page (open it in a browser to see the colours):\n'
grep -o '<tr class="[a-z]*"><td>[^<]*</td><td class="address">[^<]*' /tmp/pingmon-demo.html |
    sed 's/<tr class="\([a-z]*\)"><td>\([^<]*\)<\/td><td class="address">/    \1: \2 /'
