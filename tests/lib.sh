# shellcheck shell=bash
# Helpers shared by the tests. Each test is a bash script that starts with
#     source "$(dirname "$0")/lib.sh"
# makes checks with ok / not_ok / check, and exits 0 only if every check passed.
#
# The tests look at the programs the way a learner does: their output, their exit status and
# the process table (ps). Every wait is bounded, and at exit a test ends every process it started.

set -u

# Each test runs in its own process group, so that at exit it can end everything it started
# (servers, clients, children they forked) and nothing else. setsid only re-executes the script
# when it is not already a group leader.
if [ "$(ps -o pgid= -p $$ | tr -d ' ')" != "$$" ]; then
    exec setsid bash "$0" "$@"
fi

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP" || exit 2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test-$(basename "$0" .test).XXXXXX") || exit 2
CHECKS=0
FAILURES=0

ok() {
    CHECKS=$((CHECKS + 1))
    echo "ok - $*"
}

not_ok() {
    CHECKS=$((CHECKS + 1))
    FAILURES=$((FAILURES + 1))
    echo "not ok - $*"
}

# check DESCRIPTION COMMAND [ARG...]: ok if the command succeeds. Returns as the command did,
# so that `check ... || show-more` can add detail to a failure. A check is one command:
# `check "..." [ a ] && [ b ]` would check only [ a ].
check() {
    local description=$1
    shift
    if "$@"; then
        ok "$description"
    else
        not_ok "$description"
        return 1
    fi
}

# none_exist FILE...: none of the files exists.
none_exist() {
    local file
    for file in "$@"; do
        [ ! -e "$file" ] || return 1
    done
}

# Prints the stderr file FILE if it is not empty (a sanitizer report, say) and fails.
check_no_stderr() {
    local program=$1 file=$2
    if [ -s "$file" ]; then
        not_ok "$program wrote nothing to stderr"
        sed 's/^/    stderr: /' "$file" | head -n 40
    else
        ok "$program wrote nothing to stderr"
    fi
}

# Ends every process of this test's group but the test itself, politely first.
end_own_processes() {
    local pids
    pids=$(ps -eo pid=,pgid= | awk -v group=$$ -v self=$$ '$2 == group && $1 != self {print $1}')
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null
    sleep 0.5
    pids=$(ps -eo pid=,pgid= | awk -v group=$$ -v self=$$ '$2 == group && $1 != self {print $1}')
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
}

finish() {
    local status=$?
    trap - EXIT
    end_own_processes
    rm -rf "$TMP"
    if [ "$CHECKS" -eq 0 ]; then
        echo "not ok - the test made no check (exit status $status)"
        exit 1
    fi
    if [ "$FAILURES" -gt 0 ]; then
        echo "# $FAILURES of $CHECKS checks failed"
        exit 1
    fi
    if [ "$status" -ne 0 ]; then
        echo "# the test script itself failed (exit status $status)"
        exit "$status"
    fi
    echo "# all $CHECKS checks passed"
    exit 0
}
trap finish EXIT
trap 'exit 143' TERM INT

# Milliseconds since the epoch, from bash's own clock (no process started).
now_ms() {
    local micros=${EPOCHREALTIME/./}
    echo $((micros / 1000))
}

# run_stamped OUT COMMAND [ARG...]: starts COMMAND in the background with its standard output
# on a pipe, as in `./zombie | cat`. Each line it prints goes to OUT prefixed with the
# milliseconds since the start ("5012 waiting"); its stderr goes to OUT.err. Sets RUN_PID (the
# program's own pid) and RUN_START_MS; wait_stamped collects it.
run_stamped() {
    local out=$1
    shift
    local fifo
    fifo="$TMP/fifo.$RANDOM$RANDOM"
    mkfifo "$fifo" || return 1
    RUN_START_MS=$(now_ms)
    "$@" >"$fifo" 2>"$out.err" &
    RUN_PID=$!
    stamp_lines "$RUN_START_MS" <"$fifo" >"$out" &
    STAMP_PID=$!
}

stamp_lines() {
    local start_ms=$1 line
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%d %s\n' $(($(now_ms) - start_ms)) "$line"
    done
}

# sleep_until_ms MS: sleeps until MS milliseconds after the start of run_stamped's program.
sleep_until_ms() {
    local left=$(($1 - ($(now_ms) - RUN_START_MS)))
    [ "$left" -le 0 ] || sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
}

# wait_stamped: waits for the program run_stamped started and for the rest of its output
# (children may still hold the pipe open); sets RUN_STATUS and RUN_MS (its running time).
wait_stamped() {
    wait "$RUN_PID"
    RUN_STATUS=$?
    RUN_MS=$(($(now_ms) - RUN_START_MS))
    wait "$STAMP_PID"
}

# The text of a stamped output file, without the time stamps.
text_of() {
    sed -E 's/^[0-9]+ //' "$1"
}

# line_ms FILE REGEX: the time stamp of the first line whose text matches the extended REGEX
# (empty if there is none).
line_ms() {
    awk -v pattern="$2" '{ ms = $1; sub(/^[0-9]+ /, ""); if ($0 ~ pattern) { print ms; exit } }' "$1"
}

# count_matching FILE REGEX: how many lines of a stamped file match.
count_matching() {
    text_of "$1" | grep -cE -- "$2"
}

# expect_count FILE REGEX N: exactly N lines match (so none is lost or printed twice).
expect_count() {
    local file=$1 pattern=$2 wanted=$3 found
    found=$(count_matching "$file" "$pattern")
    if [ "$found" -eq "$wanted" ]; then
        ok "$(basename "$file"): $wanted line(s) matching /$pattern/"
    else
        not_ok "$(basename "$file"): $wanted line(s) matching /$pattern/, found $found"
    fi
}

# expect_lines FILE N: the output has exactly N lines.
expect_lines() {
    local found
    found=$(wc -l <"$1")
    if [ "$found" -eq "$2" ]; then
        ok "$(basename "$1"): $2 lines in all"
    else
        not_ok "$(basename "$1"): $2 lines in all, found $found"
        sed 's/^/    /' "$1"
    fi
}

# expect_between DESCRIPTION VALUE LOW HIGH: LOW <= VALUE <= HIGH (integers, e.g. milliseconds).
expect_between() {
    local description=$1 value=$2 low=$3 high=$4
    if [ -n "$value" ] && [ "$value" -ge "$low" ] && [ "$value" -le "$high" ]; then
        ok "$description ($value, expected $low..$high)"
    else
        not_ok "$description (${value:-nothing}, expected $low..$high)"
    fi
}

# check_pid_lines FILE PARENT_OF_MAIN: the "This PID: p, parent's pid: pp, pid f" lines agree
# with each other. The line with f = -1 (before the fork) names the main process, whose parent
# is PARENT_OF_MAIN; f = 0 is printed by a child, whose parent is the main process; f > 0 is
# printed by the main process, and the children fork returned there are exactly the processes
# that printed f = 0. Prints the main pid on success.
check_pid_lines() {
    text_of "$1" | awk -v parent_of_main="$2" '
        /^This PID: [0-9]+, parent.s pid: [0-9]+, pid -?[0-9]+/ {
            split($0, field, /[:,]? +/)
            pid = field[3]; ppid = field[6]; fork_value = field[8]
            lines++
            if (fork_value == -1) {
                if (main != "" && main != pid) { print "two processes claim to be the main one"; bad = 1 }
                main = pid
                if (ppid != parent_of_main) { print "main process " pid ": parent " ppid ", expected " parent_of_main; bad = 1 }
            } else if (fork_value == 0) {
                child[pid] = 1; child_parent[pid] = ppid
            } else {
                forked[fork_value] = 1; forker[fork_value] = pid
            }
        }
        END {
            if (lines == 0 || main == "") { print "no line names the main process (pid -1)"; exit 1 }
            for (c in child) {
                if (child_parent[c] != main) { print "child " c " says its parent is " child_parent[c] ", not " main; bad = 1 }
                if (!(c in forked)) { print "child " c " is not a value fork returned in the parent"; bad = 1 }
            }
            for (f in forked) {
                if (forker[f] != main) { print "fork value " f " printed by " forker[f] ", not by the main process"; bad = 1 }
                if (!(f in child)) { print "fork returned " f " but no child printed that pid"; bad = 1 }
            }
            if (bad) exit 1
            print main
        }'
}

# expect_pids_agree FILE PARENT_OF_MAIN: the check above as a test step; sets MAIN_PID.
expect_pids_agree() {
    local problems
    if MAIN_PID=$(check_pid_lines "$1" "$2"); then
        ok "$(basename "$1"): the PIDs printed agree (main process $MAIN_PID)"
    else
        problems=$MAIN_PID
        MAIN_PID=
        not_ok "$(basename "$1"): the PIDs printed agree: $problems"
    fi
}

# proc_state PID: the process state letters from ps (e.g. "S+", "Z"), empty if it is gone.
proc_state() {
    ps -o stat= -p "$1" 2>/dev/null | tr -d ' '
}

# proc_parent PID: the parent pid of a process, empty if it is gone.
proc_parent() {
    ps -o ppid= -p "$1" 2>/dev/null | tr -d ' '
}

# children_of PID: one line "pid state" per child of PID.
children_of() {
    ps -o pid=,stat= --ppid "$1" 2>/dev/null
}

# wait_for_line FILE REGEX SECONDS: waits until a line of FILE matches; fails on time-out.
wait_for_line() {
    local file=$1 pattern=$2 deadline=$(($(now_ms) + $3 * 1000))
    until grep -qE -- "$pattern" "$file" 2>/dev/null; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# wait_for_count FILE REGEX N SECONDS: waits until N lines of a stamped file match; fails on
# time-out.
wait_for_count() {
    local file=$1 pattern=$2 wanted=$3 deadline=$(($(now_ms) + $4 * 1000))
    until [ "$(count_matching "$file" "$pattern")" -ge "$wanted" ]; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# wait_until SECONDS COMMAND [ARG...]: runs COMMAND every 0.05 s until it succeeds; fails
# on time-out.
wait_until() {
    local deadline=$(($(now_ms) + $1 * 1000))
    shift
    until "$@"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# not COMMAND [ARG...]: succeeds when COMMAND fails (for check: check "..." not grep ...).
not() {
    ! "$@"
}

# has_lines FILE REGEX N: at least N lines of a plain (unstamped) file match.
has_lines() {
    [ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "$3" ]
}

# wait_gone PID SECONDS: waits until the process no longer exists; fails on time-out.
wait_gone() {
    local deadline=$(($(now_ms) + $2 * 1000))
    while [ -n "$(proc_state "$1")" ]; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# start_to_file OUT COMMAND [ARG...]: starts COMMAND in the background with its stdout on the
# regular file OUT (as in `./fork > out`) and its stderr in OUT.err; sets FILE_PID.
start_to_file() {
    local out=$1
    shift
    "$@" >"$out" 2>"$out.err" &
    FILE_PID=$!
}

# finish_to_file OUT NAME: waits for start_to_file's program, checks that it exited with
# status 0 and wrote nothing to stderr, and copies its output to OUT.stamped with every line
# stamped 0, the shape of run_stamped's output, so the same checks apply to both.
finish_to_file() {
    local out=$1 name=$2 status
    wait "$FILE_PID"
    status=$?
    check "$name > file exits with status 0 ($status)" [ "$status" -eq 0 ]
    check_no_stderr "$name > file" "$out.err"
    sed 's/^/0 /' "$out" >"$out.stamped"
}
