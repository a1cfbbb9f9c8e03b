# shellcheck shell=bash
# Helpers shared by the tests. Each test is a bash script that starts with
#     source "$(dirname "$0")/lib.sh"
# makes checks with ok / not_ok / check, and prints TAP (the Test Anything Protocol) for prove:
# one "ok - ..." or "not ok - ..." line per check, "# ..." lines of detail, and the plan
# "1..N" at the end. It exits 0 only if every check passed.
#
# The tests look at the programs the way a learner does: their output, their exit status and
# the process table. Two rules keep them right on a slow, busy machine:
#   - React to output as it comes: a program's output is read from its pipe with a blocking
#     read and a time-out (read_line, expect_line), never by polling a file, and every line
#     is stamped with the milliseconds since the program started. Timings are measured between
#     the program's own lines.
#   - Start no process in a wait loop: loops look at /proc and read files with bash builtins,
#     and pause with a builtin read that times out (pause_ms).
# Every wait is bounded, and at exit a test ends every process it started.

set -u

if [ "${BASH_VERSINFO[0]}" -lt 5 ]; then
    echo "not ok - the tests need bash 5.0 or later (this is $BASH_VERSION)"
    echo "1..1"
    exit 1
fi

# Each test runs in its own process group, so that at exit it can end everything it started
# (servers, clients, children they forked) and nothing else. setsid only re-executes the script
# when it is not already a group leader.
# (The group is field 5 of /proc/PID/stat, read without starting a process: on a machine where
# starting one costs 10 ms, the few a test starts before its first check add up.)
read -r _ _ _ _ group _ </proc/$$/stat
if [ "$group" != "$$" ]; then
    exec setsid bash "$0" "$@"
fi

TOP=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
cd "$TOP" || exit 2
TEST_NAME=${0##*/}
TEST_NAME=${TEST_NAME%.test}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test-$TEST_NAME.XXXXXX") || exit 2
CHECKS=0
FAILURES=0
# INJECTED: the environment that preloads tests/inject.so; its settings follow (env
# "${INJECTED[@]}" INJECT_WRITE_MAX=7 PROGRAM). A preloaded library comes before the
# sanitizer's runtime: ASan is told that is fine.
# shellcheck disable=SC2034 # for the tests to use
INJECTED=(LD_PRELOAD="$TOP/tests/inject.so"
    "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")

# ---- TAP ----

# While a scenario runs (see attempt), check results wait in SCENARIO_LINES: a scenario that
# the test itself spoiled by acting too late is run again, and its results are dropped.
IN_SCENARIO=0
SCENARIO_LINES=()

ok() {
    emit "ok - $*"
}

not_ok() {
    emit "not ok - $*"
}

# diag TEXT: a line of detail, shown by prove when the test fails (or with -v).
diag() {
    emit "# $*"
}

# diag_file FILE [PREFIX]: the first 40 lines of FILE as detail.
diag_file() {
    local line count=0
    while IFS= read -r line && [ "$count" -lt 40 ]; do
        diag "${2:-}$line"
        count=$((count + 1))
    done <"$1"
}

# check DESCRIPTION COMMAND [ARG...]: ok if the command succeeds. Returns as the command did,
# so that `check ... || diag_file ...` can add detail to a failure. A check is one command:
# `check "..." [ a ] && [ b ]` would check only [ a ]; use `all [ a ] -- [ b ]`.
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

# Every result goes through emit, which prints it (or keeps it while a scenario runs) and
# counts it as it is printed. With STOP_AT_FIRST_FAILURE=1 in the environment (tools/mutants
# sets it: one failed check is enough to catch a mutant), the first failure ends the test at
# once, instead of every later check waiting out its time limit on a broken program.
emit() {
    if [ "$IN_SCENARIO" -eq 1 ]; then
        SCENARIO_LINES+=("$1")
        return
    fi
    case $1 in
    "ok - "*) CHECKS=$((CHECKS + 1)) ;;
    "not ok - "*) CHECKS=$((CHECKS + 1)) FAILURES=$((FAILURES + 1)) ;;
    esac
    printf '%s\n' "$1"
    if [ "$FAILURES" -gt 0 ] && [ "${STOP_AT_FIRST_FAILURE:-0}" = 1 ]; then
        printf '# STOP_AT_FIRST_FAILURE: the checks after this one are not run\n'
        exit 1
    fi
}

# attempt NAME FUNCTION [ARG...]: runs a scenario, a function that acts on a program inside a
# time window (send SIGINT during the first sleep, stop a parent before its children exit). A
# scenario that can see from the program's output that the test acted too late (the alarm
# fired first) calls `too_late REASON` and returns: then the scenario runs again, at most
# twice more, and the test says so. Wrong behaviour inside the window is never retried: only
# too_late is.
MAX_ATTEMPTS=3
LATE_REASON=
attempt() {
    local name=$1 try
    shift
    for ((try = 1; try <= MAX_ATTEMPTS; try++)); do
        IN_SCENARIO=1 SCENARIO_LINES=() LATE_REASON=
        "$@"
        IN_SCENARIO=0
        if [ -z "$LATE_REASON" ]; then
            local line
            for line in "${SCENARIO_LINES[@]}"; do
                emit "$line"
            done
            return 0
        fi
        diag "$name, attempt $try of $MAX_ATTEMPTS: the test acted too late ($LATE_REASON)"
        end_all_programs
    done
    not_ok "$name: the test could not act inside the window in $MAX_ATTEMPTS attempts"
    return 1
}

too_late() {
    LATE_REASON=$*
}

# ---- Clean-up ----

# own_processes VARIABLE: sets the array VARIABLE to the pids of this test's process group but
# the test itself, from /proc (no process started); fails if there is none.
own_processes() {
    local -n _own=$1
    local _stat _pid _group
    _own=()
    for _stat in /proc/[0-9]*/stat; do
        _pid=${_stat#/proc/}
        _pid=${_pid%/stat}
        read_proc_stat "$_pid" '' '' _group || continue
        [ "$_group" = "$$" ] && [ "$_pid" != "$$" ] && [ "$_pid" != "$BASHPID" ] && _own+=("$_pid")
    done
    [ ${#_own[@]} -gt 0 ]
}

# at_exit FUNCTION: runs FUNCTION at exit, before the clean-up below: for what a test starts
# outside its own process group (a server in a session of its own, a tmux server).
EXIT_HOOKS=()
at_exit() {
    EXIT_HOOKS+=("$1")
}

# others_in_group VARIABLE [SPARE]: like own_processes, but leaves out SPARE and its children:
# a run start_to_file started, which must go on while a scenario is tried again.
others_in_group() {
    own_processes "$1" || return 1
    [ -n "${2:-}" ] || return 0
    local -n _others=$1
    local _spared=("$2") _children _pid _kept=()
    read -r -a _children 2>/dev/null <"/proc/$2/task/$2/children" && _spared+=("${_children[@]}")
    for _pid in "${_others[@]}"; do
        [[ " ${_spared[*]} " == *" $_pid "* ]] || _kept+=("$_pid")
    done
    _others=("${_kept[@]}")
    [ ${#_others[@]} -gt 0 ]
}

# end_own_processes [SPARE]: ends every process of this test's group but the test itself (and
# SPARE with its children, if given), politely first.
end_own_processes() {
    local others waited
    others_in_group others "${1:-}" || return 0
    kill -TERM "${others[@]}" 2>/dev/null
    for ((waited = 0; waited < 100; waited++)); do
        others_in_group others "${1:-}" || return 0
        pause_ms 20
    done
    kill -KILL "${others[@]}" 2>/dev/null
}

finish() {
    local status=$? hook
    trap - EXIT
    IN_SCENARIO=0
    for hook in "${EXIT_HOOKS[@]}"; do
        "$hook"
    done
    end_own_processes
    rm -rf "$TMP"
    if [ "$CHECKS" -eq 0 ]; then
        not_ok "the test made no check (exit status $status)"
    elif [ "$status" -ne 0 ] && [ "$FAILURES" -eq 0 ]; then
        not_ok "the test script itself ended with status $status"
    fi
    echo "1..$CHECKS"
    [ "$FAILURES" -eq 0 ] || exit 1
    exit 0
}
trap finish EXIT
trap 'exit 143' TERM INT

# ---- Time ----

# Milliseconds since the epoch, from bash's own clock. In loops, use clock_ms and a variable:
# $(now_ms) would fork a subshell each time round.
now_ms() {
    echo $((${EPOCHREALTIME/./} / 1000))
}
# clock_ms VARIABLE: sets VARIABLE to the milliseconds since the epoch.
clock_ms() {
    printf -v "$1" %d $((${EPOCHREALTIME/./} / 1000))
}

# A fifo nobody writes to, open for reading and writing: a read on it with a time-out is a
# pause that starts no process (sleep would be one).
mkfifo "$TMP/.pause" && exec {PAUSE_FD}<>"$TMP/.pause"

# pause_ms MS: waits MS milliseconds.
pause_ms() {
    [ "$1" -gt 0 ] || return 0
    local seconds
    printf -v seconds '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
    read -r -t "$seconds" -u "$PAUSE_FD" _
    return 0
}

# ---- Programs whose output the test reads as it comes ----

# Each program spawn starts is known by the NAME the test gives it: these tables, indexed by
# NAME, hold its pid, the fd of its pipe, when it started (µs), the unfinished line read so far,
# whether its output has ended, its exit status and when its output ended (finish_program).
# shellcheck disable=SC2034 # PROGRAM_STATUS and PROGRAM_END_MS: for the tests to read
declare -A PROGRAM_PID PROGRAM_FD PROGRAM_START_US PROGRAM_PARTIAL PROGRAM_ENDED PROGRAM_STATUS \
    PROGRAM_END_MS

# spawn NAME COMMAND [ARG...]: starts COMMAND in the background with its standard output on a
# pipe that this test reads, as in `./zombie | cat`, and its stderr in $TMP/NAME.err. Lines are
# taken with read_line or expect_line; each is kept in $TMP/NAME.out as "MS TEXT", MS being the
# milliseconds since the program was started. Its pid is ${PROGRAM_PID[NAME]}.
spawn() {
    local name=$1 fd
    launch_on_fifo "$@" || return 1
    : >"$TMP/$name.out"
    exec {fd}<"$TMP/$name.fifo"
    PROGRAM_FD[$name]=$fd
    PROGRAM_PARTIAL[$name]=
    PROGRAM_ENDED[$name]=0
}

# launch_on_fifo NAME COMMAND [ARG...]: starts COMMAND in the background, its stdout on the
# fifo $TMP/NAME.fifo and its stderr in $TMP/NAME.err; records its pid and start time.
launch_on_fifo() {
    local name=$1
    shift
    local fifo="$TMP/$name.fifo"
    rm -f "$fifo" && mkfifo "$fifo" || return 1
    PROGRAM_START_US[$name]=${EPOCHREALTIME/./}
    "$@" >"$fifo" 2>"$TMP/$name.err" &
    PROGRAM_PID[$name]=$!
}

# ms_since NAME VARIABLE: sets VARIABLE to the milliseconds since NAME was started.
ms_since() {
    printf -v "$2" %d $(((${EPOCHREALTIME/./} - PROGRAM_START_US[$1]) / 1000))
}

# The helpers that set a variable the caller names keep their own variables' names apart
# (_name, ...): bash's printf -v would otherwise set the helper's local of the same name.

# read_line NAME TIMEOUT_MS [TEXT_VARIABLE [MS_VARIABLE]]: waits for the next line of NAME's
# output; sets TEXT_VARIABLE to it and MS_VARIABLE to when it came (ms since NAME started).
# Returns 0, 1 at the end of the output, 2 on time-out.
read_line() {
    local _name=$1 _deadline=$((${EPOCHREALTIME/./} + $2 * 1000)) _chunk _status _left _seconds
    local _fd _text _ms
    [ "${PROGRAM_ENDED[$_name]}" -eq 0 ] || return 1
    while :; do
        _left=$((_deadline - ${EPOCHREALTIME/./}))
        [ "$_left" -gt 0 ] || return 2
        printf -v _seconds '%d.%06d' $((_left / 1000000)) $((_left % 1000000))
        IFS= read -r -t "$_seconds" -u "${PROGRAM_FD[$_name]}" _chunk
        _status=$?
        if [ "$_status" -gt 128 ]; then
            # Timed out: read keeps what it had of an unfinished line; it goes in front of the rest.
            PROGRAM_PARTIAL[$_name]+=$_chunk
            continue
        fi
        _text=${PROGRAM_PARTIAL[$_name]}$_chunk
        PROGRAM_PARTIAL[$_name]=
        _ms=$(((${EPOCHREALTIME/./} - PROGRAM_START_US[$_name]) / 1000))
        if [ "$_status" -ne 0 ]; then
            # End of output: close the pipe; a last line without a newline still counts.
            PROGRAM_ENDED[$_name]=1
            PROGRAM_END_MS[$_name]=$_ms
            _fd=${PROGRAM_FD[$_name]}
            exec {_fd}<&-
            [ -n "$_text" ] || return 1
        fi
        printf '%d %s\n' "$_ms" "$_text" >>"$TMP/$_name.out"
        [ -z "${3:-}" ] || printf -v "$3" %s "$_text"
        [ -z "${4:-}" ] || printf -v "$4" %d "$_ms"
        return 0
    done
}

# expect_line NAME REGEX TIMEOUT_MS [TEXT_VARIABLE [MS_VARIABLE]]: reads NAME's output until
# a line matches the extended REGEX (the lines before it are kept too); sets the variables as
# read_line does, to the last line read. Fails at the end of the output or on time-out.
expect_line() {
    local _name=$1 _pattern=$2 _deadline=$((${EPOCHREALTIME/./} / 1000 + $3)) _left
    local _expect_text='' _expect_ms=''
    local _status=2
    while :; do
        _left=$((_deadline - ${EPOCHREALTIME/./} / 1000))
        [ "$_left" -gt 0 ] || break
        read_line "$_name" "$_left" _expect_text _expect_ms || { _status=$? && break; }
        if [[ $_expect_text =~ $_pattern ]]; then
            _status=0
            break
        fi
    done
    if [ -n "$_expect_ms" ]; then
        [ -z "${4:-}" ] || printf -v "$4" %s "$_expect_text"
        [ -z "${5:-}" ] || printf -v "$5" %d "$_expect_ms"
    fi
    return "$_status"
}

# read_until NAME MS: keeps reading NAME's output until MS milliseconds after its start: a
# pause during which every line is stamped as it comes.
read_until() {
    local name=$1 left since
    while :; do
        ms_since "$name" since
        left=$(($2 - since))
        [ "$left" -gt 0 ] || return 0
        if [ "${PROGRAM_ENDED[$name]}" -eq 1 ]; then
            pause_ms "$left"
            return 0
        fi
        read_line "$name" "$left"
    done
}

# finish_program NAME [TIMEOUT_MS]: reads the rest of NAME's output (default: for at most
# 30 s), then collects the program; sets PROGRAM_STATUS[NAME] (124 if it had not finished in
# time: it is then killed) and PROGRAM_END_MS[NAME], the time its output ended.
finish_program() {
    local name=$1 deadline=$((${EPOCHREALTIME/./} / 1000 + ${2:-30000})) left
    while [ "${PROGRAM_ENDED[$name]}" -eq 0 ]; do
        left=$((deadline - ${EPOCHREALTIME/./} / 1000))
        if [ "$left" -le 0 ] || { read_line "$name" "$left"; [ $? -eq 2 ]; }; then
            kill -KILL "${PROGRAM_PID[$name]}" 2>/dev/null
            wait "${PROGRAM_PID[$name]}" 2>/dev/null
            PROGRAM_STATUS[$name]=124
            ms_since "$name" "PROGRAM_END_MS[$name]"
            return 1
        fi
    done
    wait "${PROGRAM_PID[$name]}"
    PROGRAM_STATUS[$name]=$?
}

# end_all_programs: kills whatever spawn started and is still running (before a scenario runs
# again).
end_all_programs() {
    local name fd
    for name in "${!PROGRAM_PID[@]}"; do
        if [ "${PROGRAM_ENDED[$name]}" -eq 0 ]; then
            kill -KILL "${PROGRAM_PID[$name]}" 2>/dev/null
            fd=${PROGRAM_FD[$name]}
            exec {fd}<&-
            PROGRAM_ENDED[$name]=1
        fi
        wait "${PROGRAM_PID[$name]}" 2>/dev/null
    done
    end_own_processes "${FILE_PID:-}" # a run to a file goes on: see start_to_file
}

# ---- Output files ----

# The text of a stamped output file, without the time stamps.
text_of() {
    sed -E 's/^[0-9]+ //' "$1"
}

# The helpers below read stamped files with bash's own read and =~ (extended regular
# expressions, as grep -E): the tests call them dozens of times, and a sed, grep or awk each
# time cost more than all the rest of a test.

# line_ms FILE REGEX [N]: the time stamp of the Nth (default first) line whose text matches
# the extended REGEX (empty if there is none).
line_ms() {
    local line seen=0
    while IFS= read -r line || [ -n "$line" ]; do
        if [[ ${line#* } =~ $2 ]]; then
            seen=$((seen + 1))
            [ "$seen" -lt "${3:-1}" ] || { echo "${line%% *}" && return 0; }
        fi
    done <"$1"
}

# count_into VARIABLE FILE REGEX: sets VARIABLE to how many lines of a stamped file match.
count_into() {
    local _line _found=0 # names the caller's VARIABLE will not have
    while IFS= read -r _line || [ -n "$_line" ]; do
        [[ ${_line#* } =~ $3 ]] && _found=$((_found + 1)) # the text, after the stamp
    done <"$2"
    printf -v "$1" %d "$_found"
}

# count_matching FILE REGEX: prints how many lines of a stamped file match.
count_matching() {
    local found
    count_into found "$1" "$2"
    echo "$found"
}

# expect_count FILE REGEX N: exactly N lines match (so none is lost or printed twice).
expect_count() {
    local file=$1 pattern=$2 wanted=$3 found
    count_into found "$file" "$pattern"
    if [ "$found" -eq "$wanted" ]; then
        ok "${file##*/}: $wanted line(s) matching /$pattern/"
    else
        not_ok "${file##*/}: $wanted line(s) matching /$pattern/, found $found"
    fi
}

# expect_lines FILE N: the output has exactly N lines.
expect_lines() {
    local found=0 line
    while IFS= read -r line; do
        found=$((found + 1))
    done <"$1"
    if [ "$found" -eq "$2" ]; then
        ok "${1##*/}: $2 lines in all"
    else
        not_ok "${1##*/}: $2 lines in all, found $found"
        diag_file "$1" "    "
    fi
}

# expect_between DESCRIPTION VALUE LOW HIGH: LOW <= VALUE <= HIGH (integers, e.g. milliseconds).
expect_between() {
    local description=$1 value=$2 low=$3 high=$4
    if [[ $value =~ ^-?[0-9]+$ ]] && [ "$value" -ge "$low" ] && [ "$value" -le "$high" ]; then
        ok "$description ($value, expected $low..$high)"
    else
        not_ok "$description (${value:-nothing}, expected $low..$high)"
    fi
}

CLOCK_SLACK_MS=5 # the test's clock is the wall clock, which NTP may slew a little

# expect_timing DESCRIPTION AT EARLIEST SINCE LATEST: AT, when a line came (ms since the
# program started), is no sooner than EARLIEST (ms since the start: what the program's own
# schedule allows) and no later than LATEST ms after SINCE, when a line before it came. A line
# the test reads late only looks later: that makes AT later, and the gap from SINCE smaller
# if SINCE's line was the late one, so neither bound fails a right program on a slow machine.
expect_timing() {
    local description=$1 at=$2 earliest=$3 since=$4 latest=$5
    local seen="${at:-nothing} ms after the start, at least $earliest; $((${at:-0} - since)) ms after the line before, at most $latest"
    if [[ $at =~ ^[0-9]+$ ]] && [ "$at" -ge $((earliest - CLOCK_SLACK_MS)) ] &&
        [ $((at - since)) -le "$latest" ]; then
        ok "$description ($seen)"
    else
        not_ok "$description ($seen)"
    fi
}

# check_no_stderr PROGRAM FILE: FILE is empty; else shows it (a sanitizer report, say).
check_no_stderr() {
    local program=$1 file=$2
    if [ -s "$file" ]; then
        not_ok "$program wrote nothing to stderr"
        diag_file "$file" "    stderr: "
    else
        ok "$program wrote nothing to stderr"
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

# expect_pids_agree FILE PARENT_OF_MAIN [MAIN_VARIABLE]: the check above as a test step; sets
# MAIN_VARIABLE to the main process's pid (empty if the PIDs do not agree).
expect_pids_agree() {
    local _found
    if _found=$(check_pid_lines "$1" "$2"); then
        ok "${1##*/}: the PIDs printed agree (main process $_found)"
    else
        not_ok "${1##*/}: the PIDs printed agree: $_found"
        _found=
    fi
    [ -z "${3:-}" ] || printf -v "$3" %s "$_found"
}

# ---- Processes, seen from /proc (what ps shows, read without starting a process) ----

# proc_state PID: prints the process's state letter (S sleeping, R running, Z zombie, T
# stopped), nothing if it is gone. In a loop, read_proc_stat (no subshell).
proc_state() {
    local state
    read_proc_stat "$1" state
    echo "$state"
}

# read_proc_stat PID STATE_VARIABLE [PARENT_VARIABLE [GROUP_VARIABLE [STARTED_VARIABLE]]]:
# from /proc/PID/stat, sets the variables named to the process's state letter, its parent's
# pid, its process group and when it was created (clock ticks since boot); '' skips one.
# Fails, setting them empty, if the process is gone.
read_proc_stat() {
    local _fields=() _line _status=0 _field _variable
    if read -r _line 2>/dev/null <"/proc/$1/stat"; then
        _line=${_line##*) } # after the command name, which may hold spaces and parentheses
        read -r -a _fields <<<"$_line" # field 3 on: numbers and a state letter
    else
        _status=1
    fi
    for _field in 0 1 2 19; do # state, parent, group, start time
        shift
        _variable=${1:-}
        [ -z "$_variable" ] || printf -v "$_variable" %s "${_fields[_field]:-}"
    done
    return "$_status"
}

# process_age PID VARIABLE: sets VARIABLE to how long ago PID was created (its fork), in ms,
# from its start time in /proc/PID/stat and /proc/uptime, both in clock ticks (10 ms here): at
# least its true age, the tick rounding added. Fails if PID is gone.
CLOCK_TICKS_PER_S=
process_age() {
    local _uptime _started
    : "${CLOCK_TICKS_PER_S:=$(getconf CLK_TCK 2>/dev/null || echo 100)}"
    read_proc_stat "$1" '' '' '' _started || return 1
    read -r _uptime _ </proc/uptime
    _uptime=${_uptime/./} # hundredths of a second
    printf -v "$2" %d \
        $(((_uptime * CLOCK_TICKS_PER_S / 100 - _started + 1) * 1000 / CLOCK_TICKS_PER_S + 10))
}

# read_children PID PIDS_VARIABLE [STATES_VARIABLE [ZOMBIES_VARIABLE]]: sets the array
# PIDS_VARIABLE to the pids of PID's children, the array STATES_VARIABLE to their states in
# the same order, and ZOMBIES_VARIABLE to how many of them are zombies.
read_children() {
    local -n _pids=$2
    local _list _pid _state _states=() _zombies=0
    _pids=()
    if [ -r "/proc/$1/task/$1/children" ]; then
        read -r -a _list <"/proc/$1/task/$1/children" 2>/dev/null
    else
        # No children file in this kernel: ps it is.
        read -r -d '' -a _list < <(ps -o pid= --ppid "$1")
    fi
    for _pid in "${_list[@]}"; do
        read_proc_stat "$_pid" _state || continue
        _pids+=("$_pid")
        _states+=("$_state")
        [ "$_state" != Z ] || _zombies=$((_zombies + 1))
    done
    if [ -n "${3:-}" ]; then
        local -n _states_wanted=$3
        _states_wanted=("${_states[@]}")
    fi
    [ -z "${4:-}" ] || printf -v "$4" %d "$_zombies"
}

# children_of PID: one line "pid state" per child of PID.
children_of() {
    local i pids states
    read_children "$1" pids states
    for i in "${!pids[@]}"; do
        echo "${pids[i]} ${states[i]}"
    done
}

# read_masks PID BLOCKED_VARIABLE [PENDING_VARIABLE [IGNORED_VARIABLE [CAUGHT_VARIABLE]]]:
# sets the variables named to the signal sets of /proc/PID/status, in hexadecimal (signal N
# is bit N - 1): blocked (SigBlk), pending (SigPnd with ShdPnd: sent to the thread or to the
# process), ignored (SigIgn) and caught (SigCgt); '' skips one. Fails if PID is gone.
read_masks() {
    local _key _value _blocked='' _thread=0 _process=0 _ignored='' _caught='' _pending
    while read -r _key _value; do
        case $_key in
        SigBlk:) _blocked=$_value ;;
        SigPnd:) _thread=$_value ;;
        ShdPnd:) _process=$_value ;;
        SigIgn:) _ignored=$_value ;;
        SigCgt:) _caught=$_value ;;
        esac
    done 2>/dev/null <"/proc/$1/status"
    printf -v _pending '%016x' $((0x$_thread | 0x$_process))
    [ -z "${2:-}" ] || printf -v "$2" %s "$_blocked"
    [ -z "${3:-}" ] || printf -v "$3" %s "$_pending"
    [ -z "${4:-}" ] || printf -v "$4" %s "$_ignored"
    [ -z "${5:-}" ] || printf -v "$5" %s "$_caught"
    [ -n "$_blocked" ]
}

# signal_bit MASK SIGNAL: the bit for SIGNAL (a number) is set in MASK (as read_masks sets).
signal_bit() {
    (((0x$1 >> ($2 - 1)) & 1))
}

# no_signal_pending PID [PENDING_VARIABLE]: no signal waits to be delivered to PID; sets
# PENDING_VARIABLE to the pending set (read_masks).
no_signal_pending() {
    local _pending_set
    read_masks "$1" '' _pending_set || return 1
    [ -z "${2:-}" ] || printf -v "$2" %s "$_pending_set"
    [ $((0x$_pending_set)) -eq 0 ]
}

# in_call PID NAME: the process sleeps in the kernel function NAME, or one whose name holds it
# (/proc/PID/wchan: "anon_pipe_write" or "pipe_write" for a write to a full pipe, by kernel).
in_call() {
    local function
    read -r function 2>/dev/null <"/proc/$1/wchan" # no newline at its end: read says 1
    [[ -n $function && $function == *"$2"* ]]
}

# wait_for_state PID STATES MS: waits until the process's state is one of the letters in
# STATES (e.g. "Z", "ST"), looking every 10 ms; fails on time-out or when it is gone.
wait_for_state() {
    local deadline=$((${EPOCHREALTIME/./} / 1000 + $3)) state
    while :; do
        read_proc_stat "$1" state || return 1
        [[ $2 == *"$state"* ]] && return 0
        [ $((${EPOCHREALTIME/./} / 1000)) -lt "$deadline" ] || return 1
        pause_ms 10
    done
}

# wait_gone PID SECONDS: waits until the process no longer exists (zombies count as there).
wait_gone() {
    local deadline=$((${EPOCHREALTIME/./} / 1000 + $2 * 1000))
    while [ -e "/proc/$1" ]; do
        [ $((${EPOCHREALTIME/./} / 1000)) -lt "$deadline" ] || return 1
        pause_ms 20
    done
}

# ---- Waiting on conditions, with bash builtins only ----

# wait_until SECONDS COMMAND [ARG...]: runs COMMAND every 20 ms until it succeeds; fails on
# time-out. COMMAND should be a builtin or a function made of builtins.
wait_until() {
    poll_every 20 "$@"
}

# poll_every MS SECONDS COMMAND [ARG...]: wait_until, looking every MS milliseconds: for a
# COMMAND that starts processes (tmux, ps), which every 20 ms would cost more than the test.
poll_every() {
    local interval=$1 deadline=$((${EPOCHREALTIME/./} / 1000 + $2 * 1000))
    shift 2
    until "$@"; do
        [ $((${EPOCHREALTIME/./} / 1000)) -lt "$deadline" ] || return 1
        pause_ms "$interval"
    done
}

# matches TEXT REGEX: TEXT matches the extended REGEX (for check: [[ ]] cannot be passed).
matches() {
    [[ $1 =~ $2 ]]
}

# not COMMAND [ARG...]: succeeds when COMMAND fails (for check: check "..." not grep ...).
not() {
    ! "$@"
}

# all COMMAND... -- COMMAND...: succeeds when every command succeeds (for check).
all() {
    local command=()
    while [ $# -gt 0 ]; do
        if [ "$1" = -- ]; then
            "${command[@]}" || return 1
            command=()
        else
            command+=("$1")
        fi
        shift
    done
    [ ${#command[@]} -eq 0 ] || "${command[@]}"
}

# none_exist FILE...: none of the files exists.
none_exist() {
    local file
    for file in "$@"; do
        [ ! -e "$file" ] || return 1
    done
}

# has_lines FILE REGEX N: at least N lines of a plain (unstamped) file match.
has_lines() {
    [ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "$3" ]
}

# wait_for_lines FILE REGEX N SECONDS: waits until N lines of FILE, a file another process is
# writing (a server's log), match the extended REGEX. It reads the file once, following it as
# it grows, with bash's read: no process started, however long the wait. Fails on time-out.
wait_for_lines() {
    local file=$1 pattern=$2 wanted=$3 deadline=$((${EPOCHREALTIME/./} / 1000 + $4 * 1000))
    local fd line partial='' found=0
    [ "$wanted" -gt 0 ] || return 0
    until [ -e "$file" ]; do
        [ $((${EPOCHREALTIME/./} / 1000)) -lt "$deadline" ] || return 1
        pause_ms 20
    done
    exec {fd}<"$file"
    while :; do
        if IFS= read -r -u "$fd" line; then
            line=$partial$line partial=
            if [[ $line =~ $pattern ]]; then
                found=$((found + 1))
                [ "$found" -lt "$wanted" ] || break
            fi
            continue
        fi
        partial+=$line # the writer has not finished this line yet
        if [ $((${EPOCHREALTIME/./} / 1000)) -ge "$deadline" ]; then
            exec {fd}<&-
            return 1
        fi
        pause_ms 20
    done
    exec {fd}<&-
}

# ---- Running a program with its output in a file ----

# start_to_file OUT COMMAND [ARG...]: starts COMMAND in the background with its stdout on the
# regular file OUT (as in `./fork > out`) and its stderr in OUT.err. Its pid is kept in
# FILE_PID, this file's own record (as PROGRAM_PID is spawn's), for finish_to_file.
start_to_file() {
    local out=$1
    shift
    "$@" >"$out" 2>"$out.err" &
    FILE_PID=$!
}

# finish_to_file OUT NAME: waits for start_to_file's program, checks that it exited with
# status 0 and wrote nothing to stderr, and copies its output to OUT.stamped with every line
# stamped 0, the shape of spawn's output, so the same checks apply to both.
finish_to_file() {
    local out=$1 name=$2 status
    wait "$FILE_PID"
    status=$?
    FILE_PID=''
    check "$name > file exits with status 0 ($status)" [ "$status" -eq 0 ]
    check_no_stderr "$name > file" "$out.err"
    sed 's/^/0 /' "$out" >"$out.stamped"
}

# ---- Programs stamped in the background ----

# spawn_stamped NAME COMMAND [ARG...]: like spawn, for a program the test does not react to
# while it runs: a background reader stamps each line of its output as it comes into
# $TMP/NAME.out, while the test watches something else. Its pid is ${PROGRAM_PID[NAME]};
# finish_stamped collects it.
spawn_stamped() {
    local name=$1
    launch_on_fifo "$@" || return 1
    stamp_lines "${PROGRAM_START_US[$name]}" <"$TMP/$name.fifo" >"$TMP/$name.out" &
    STAMPER_PID[$name]=$!
    PROGRAM_ENDED[$name]=1 # nothing for read_line to read
}
declare -A STAMPER_PID

stamp_lines() {
    local start_us=$1 line
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%d %s\n' $(((${EPOCHREALTIME/./} - start_us) / 1000)) "$line"
    done
}

# finish_stamped NAME [TIMEOUT_MS]: waits (at most 30 s by default) for spawn_stamped's
# program and the rest of its output; sets PROGRAM_STATUS[NAME] (124 if it was killed at the
# time-out) and PROGRAM_END_MS[NAME], the stamp of its last line.
finish_stamped() {
    local name=$1 deadline=$((${EPOCHREALTIME/./} / 1000 + ${2:-30000})) state
    while read_proc_stat "${PROGRAM_PID[$name]}" state && [ "$state" != Z ]; do
        if [ $((${EPOCHREALTIME/./} / 1000)) -ge "$deadline" ]; then
            kill -KILL "${PROGRAM_PID[$name]}" 2>/dev/null
            break
        fi
        pause_ms 100 # the time of its end is its last line's stamp: no hurry
    done
    wait "${PROGRAM_PID[$name]}"
    local status=$?
    [ $((${EPOCHREALTIME/./} / 1000)) -lt "$deadline" ] || status=124
    # shellcheck disable=SC2034 # for the test to read
    PROGRAM_STATUS[$name]=$status
    wait "${STAMPER_PID[$name]}"
    local last
    last=$(tail -n 1 "$TMP/$name.out")
    # shellcheck disable=SC2034 # for the test to read
    PROGRAM_END_MS[$name]=${last%% *}
}
