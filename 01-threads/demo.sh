#!/bin/sh
# demo.sh -- a guided tour of 01-threads: each program once, with what to look for.
# Run it with `make demo`. Every program here ends by itself within a few seconds.
set -e
cd "$(dirname "$0")"

show() { # show "what to look for" command...
    what=$1
    shift
    printf '\n--- $ %s\n    (%s)\n' "$*" "$what"
    "$@"
}

show "a thread as an object: each prints its name and the time" ./thread_class
show "a target function per thread" ./thread_target
show "each thread gets its own copy of its argument: 0..4 in any order" ./thread_args
show "the &i pitfall: every thread reads the same loop variable" ./thread_args --pitfall
show "logging with thread names (on stderr)" ./thread_logging -n 3
show "objects with their own arguments: counters count down" ./thread_object_args -n 2 -t 3 -d 0.2
show "start all, join in order (scaled to 0.2 s per step)" ./thread_join -s 0.2
show "DELIBERATE RACE: four threads lose updates to one counter" ./race_counter
show "the same race with the window held open by a moment of work (the lecture's print)" ./race_counter -y -i 20000
show "the fix: a mutex, exact every run" ./counter_mutex -r 3
show "the decorator: main carries on while the calls run" ./threaded_helper
show "stopping a thread with an Event: immediate, though it waits 5 s at a time" ./stop_event -t 0.3 -i 5
show "Lock vs RLock vs Semaphore" ./lock_types
