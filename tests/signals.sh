# shellcheck shell=bash
# The checks signal.test and sigaction.test share: both programs must behave the same way.
# Usage (after sourcing lib.sh): check_alarm_and_interrupt ./signal

check_alarm_and_interrupt() {
    local program=$1

    # Left alone: three 100 s sleeps, each cut short by a SIGALRM 2 s apart.
    run_stamped "$TMP/alone" "$program"
    local alone_pid=$RUN_PID alone_start=$RUN_START_MS alone_stamper=$STAMP_PID

    # Interrupted: a SIGINT during the first sleep and another during the second. The second
    # one checks that the handler is still installed after a first delivery (with System V
    # signal() semantics, an unrepaired program would now die of SIGINT).
    run_stamped "$TMP/interrupted" "$program"
    local sent=0 round
    for round in 1 2; do
        if ! wait_for_count "$TMP/interrupted" '^wait\.\.$' "$round" 5; then
            not_ok "$program prints 'wait..' number $round within 5 s"
            break
        fi
        # Let it get into sleep(): a learner presses Ctrl+C while it waits.
        sleep 0.3
        local state
        state=$(proc_state "$RUN_PID")
        check "$program sleeps (state '$state') before SIGINT number $round" [ "${state:0:1}" = S ]
        kill -INT "$RUN_PID" && sent=$((sent + 1))
        wait_for_count "$TMP/interrupted" '^Woken up' "$round" 2
    done
    check "two SIGINTs were sent" [ "$sent" -eq 2 ]
    wait_stamped
    check "$program survives two SIGINTs and exits with status 0 (status $RUN_STATUS)" [ "$RUN_STATUS" -eq 0 ]
    check_no_stderr "$program" "$TMP/interrupted.err"
    expect_between "with two SIGINTs, $program ends at the first alarm, after about 2 s (ms)" "$RUN_MS" 1500 4500
    expect_count "$TMP/interrupted" '^CTRL\+C pressed$' 2
    expect_count "$TMP/interrupted" '^Time out$' 1
    expect_count "$TMP/interrupted" '^wait\.\.$' 3
    expect_count "$TMP/interrupted" '^Woken up with [0-9]+ of 100 s of sleep left$' 3
    expect_lines "$TMP/interrupted" 9
    # A SIGINT wakes the sleep early: almost all of the 100 s were left.
    local first_left
    first_left=$(text_of "$TMP/interrupted" | sed -nE 's/^Woken up with ([0-9]+) of 100 s.*/\1/p' | head -n 1)
    expect_between "the first SIGINT cut the sleep short (seconds left)" "$first_left" 98 100
    check "each 'CTRL+C pressed' comes right before a wake-up" \
        [ "$(text_of "$TMP/interrupted" | grep -A1 '^CTRL+C pressed$' | grep -c '^Woken up')" -eq 2 ]

    RUN_PID=$alone_pid RUN_START_MS=$alone_start STAMP_PID=$alone_stamper
    wait_stamped
    check "$program alone exits with status 0 (status $RUN_STATUS)" [ "$RUN_STATUS" -eq 0 ]
    check_no_stderr "$program" "$TMP/alone.err"
    expect_between "$program alone is done in about 6 s, not 300 (ms)" "$RUN_MS" 5500 9000
    expect_lines "$TMP/alone" 9
    expect_count "$TMP/alone" '^wait\.\.$' 3
    expect_count "$TMP/alone" '^Time out$' 3
    expect_count "$TMP/alone" '^Woken up with 9[0-9] of 100 s of sleep left$' 3
    local n at
    for n in 1 2 3; do
        at=$(awk -v n="$n" '/ Time out$/ { if (++seen == n) { print $1; exit } }' "$TMP/alone")
        expect_between "'Time out' number $n after about $((2 * n)) s (ms)" "$at" $((2000 * n - 300)) $((2000 * n + 1500))
    done
}
