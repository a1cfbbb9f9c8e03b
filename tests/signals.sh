# shellcheck shell=bash
# The checks signal.test and sigaction.test share: both programs must behave the same way.
# Usage (after sourcing lib.sh): check_alarm_and_interrupt ./signal

ALARM_MS=2000 # the program asks for a SIGALRM every 2 s
SLEEP_SECONDS=100 # and sleeps 100 s, three times
# How much later than the 2 s asked for an alarm may come after the line before it: the
# kernel, the scheduler and the test's reader add a little; a program that waits 3 s must not
# pass. No alarm can come sooner than 2 s after the alarm() call that asked for it, and the
# test knows a moment before each call: the program's start for the first, the line before
# for the next ones (the handler asks for the next alarm after its line). A line the test reads
# late only looks later, so that bound holds however slow the machine.
LATE_MS=700
ALARM_HIGH=$((ALARM_MS + LATE_MS))

# expect_seconds_left DESCRIPTION LINE STARTED_AFTER STARTED_BY ENDED_AFTER ENDED_BY: LINE,
# "Woken up with N of 100 s of sleep left", says what a sleep(100) that began between
# STARTED_AFTER and STARTED_BY and ended between ENDED_AFTER and ENDED_BY (ms since the
# program started) leaves. sleep() returns the seconds it did not sleep rounded down (glibc
# and musl): after t s, 100 - ceil(t). The bounds come from the program's own lines and from
# what the test did and when, so a late test or a slow machine widens the range, never fails
# a right value; a wrong one (the alarm's 2 s, one second off) fails whenever the range is
# one value wide, as it is after a quick SIGINT (99).
expect_seconds_left() {
    local description=$1 line=$2 left=
    local shortest=$(($5 - $4 - 1)) longest=$(($6 - $3 + 1)) # +-1: the stamps are whole ms
    [ "$shortest" -ge 1 ] || shortest=1 # a sleep that was woken up has lasted some time
    [[ $line =~ ^Woken\ up\ with\ ([0-9]+)\ of\ $SLEEP_SECONDS\ s\ of\ sleep\ left$ ]] &&
        left=${BASH_REMATCH[1]}
    expect_between "$description: '$line' after a sleep of $shortest..$longest ms" "$left" \
        $((SLEEP_SECONDS - (longest + 999) / 1000)) $((SLEEP_SECONDS - (shortest + 999) / 1000))
}

# The stamp of the Nth line of a stamped file matching REGEX, and its text: sets NTH_MS, NTH.
nth_line() {
    local found
    found=$(awk -v pattern="$2" -v wanted="$3" \
        '{ ms = $1; sub(/^[0-9]+ /, ""); if ($0 ~ pattern && ++seen == wanted) { print ms " " $0; exit } }' "$1")
    NTH_MS=${found%% *} NTH=${found#* }
}

# Left alone: three 100 s sleeps, each cut short by a SIGALRM, 2 s apart.
left_alone() {
    local program=$1 name=alone n at
    spawn "$name" "$program"
    if ! expect_line "$name" '^wait\.\.$' 10000 '' at; then
        not_ok "$program alone prints 'wait..' within 10 s"
        return
    fi
    local previous=$at
    for n in 1 2 3; do
        if ! expect_line "$name" '^Time out$' $((ALARM_MS + 5000)) '' at; then
            not_ok "$program alone prints 'Time out' number $n"
            break
        fi
        expect_timing "'Time out' number $n comes 2 s after the line before it" "$at" \
            $((n * ALARM_MS)) "$previous" "$ALARM_HIGH"
        previous=$at
    done
    finish_program "$name" 10000
    check "$program alone exits with status 0 (status ${PROGRAM_STATUS[$name]})" \
        [ "${PROGRAM_STATUS[$name]}" -eq 0 ]
    check_no_stderr "$program" "$TMP/$name.err"
    local out=$TMP/$name.out
    expect_lines "$out" 9
    expect_count "$out" '^wait\.\.$' 3
    expect_count "$out" '^Time out$' 3
    expect_count "$out" '^Woken up with [0-9]+ of 100 s of sleep left$' 3
    check "the wake-ups come after 'Time out', one each" \
        [ "$(text_of "$out" | grep -A1 '^Time out$' | grep -c '^Woken up')" -eq 3 ]
    # Sleep n begins just after 'wait..' number n (allow the program LATE_MS to get there from
    # its line), and after alarm n-1; alarm n comes no sooner than n * 2 s after the start.
    local wait_ms
    for n in 1 2 3; do
        nth_line "$out" '^wait\.\.$' "$n"
        wait_ms=$NTH_MS
        nth_line "$out" '^Woken up' "$n"
        expect_seconds_left "left alone, sleep $n" "$NTH" $(((n - 1) * ALARM_MS)) \
            $((wait_ms + LATE_MS)) $((n * ALARM_MS)) "$NTH_MS"
    done
}

# Interrupted: a SIGINT during the first sleep and another during the second, both before
# the first alarm. The second one checks that the handler is still installed after a first
# delivery (with System V signal() semantics, an unrepaired program would now die of SIGINT).
# The SIGINT must land inside the sleep and before the alarm: if the output shows the alarm
# came first, the test was too late, and the scenario runs again.
interrupted() {
    local program=$1 name=interrupted round first_wait_ms asleep_ms sent_ms previous_ms=0 line at
    spawn "$name" "$program"
    local pid=${PROGRAM_PID[$name]}
    for round in 1 2; do
        if ! expect_line "$name" '^wait\.\.$' 10000 '' at; then
            not_ok "$program prints 'wait..' number $round"
            return
        fi
        [ "$round" -eq 2 ] || first_wait_ms=$at
        # A learner presses Ctrl+C while the program waits: it must be asleep.
        if ! wait_for_state "$pid" S 3000; then
            not_ok "$program sleeps (state S) after 'wait..' number $round (state '$(proc_state "$pid")')"
            return
        fi
        ms_since "$name" asleep_ms # the sleep had begun by then
        sent_ms=$asleep_ms            # and cannot end before SIGINT is sent
        kill -INT "$pid"
        read_line "$name" 5000 line at
        if [ "$line" = "Time out" ]; then
            too_late "the alarm fired before SIGINT number $round"
            return
        fi
        check "SIGINT number $round: the handler prints 'CTRL+C pressed' (got '$line')" \
            [ "$line" = "CTRL+C pressed" ] || break
        read_line "$name" 5000 line at
        check "SIGINT number $round cuts the sleep short: '$line'" matches "$line" '^Woken up' || break
        # The sleep began after the program started (or after the SIGINT before).
        expect_seconds_left "SIGINT number $round" "$line" "$previous_ms" "$asleep_ms" "$sent_ms" \
            "$at"
        previous_ms=$sent_ms
    done
    if expect_line "$name" '^Time out$' 5000 '' at; then
        expect_timing "the alarm still comes 2 s after the first 'wait..'" "$at" "$ALARM_MS" \
            "$first_wait_ms" "$ALARM_HIGH"
    else
        not_ok "the alarm ends the third sleep ('Time out')"
    fi
    finish_program "$name" 10000
    check "$program survives two SIGINTs and exits with status 0 (status ${PROGRAM_STATUS[$name]})" \
        [ "${PROGRAM_STATUS[$name]}" -eq 0 ]
    check_no_stderr "$program" "$TMP/$name.err"
    local out=$TMP/$name.out
    expect_lines "$out" 9
    expect_count "$out" '^CTRL\+C pressed$' 2
    expect_count "$out" '^Time out$' 1
    expect_count "$out" '^wait\.\.$' 3
    expect_count "$out" '^Woken up with [0-9]+ of 100 s of sleep left$' 3
    # The third sleep, after the second SIGINT, ends with the first alarm, 2 s after the start.
    local wait_ms
    nth_line "$out" '^wait\.\.$' 3
    wait_ms=$NTH_MS
    nth_line "$out" '^Woken up' 3
    expect_seconds_left "after two SIGINTs, sleep 3" "$NTH" "$previous_ms" $((wait_ms + LATE_MS)) \
        "$ALARM_MS" "$NTH_MS"
}

check_alarm_and_interrupt() {
    left_alone "$1"
    attempt "two SIGINTs during the sleeps" interrupted "$1"
}
