# shellcheck shell=bash
# Helpers for the tests that drive a private, headless tmux server as a learner drives a
# terminal (terminal.test, demo.test). Source lib.sh first, then this; set SOCKET, the path of
# the server's socket, and start the server with start_tmux. The test types into a pane with
# type_line and press_ctrl_c, reads it with capture and has_line, waits for it to show
# something with wait_for_pane, and shows it in the TAP diagnostics with show_pane. At exit the
# server ends, and everything it ran.
# A screen read is kept in an array the test names, and what has_line finds in variables the
# test names, as lib.sh's helpers do; the helpers' own locals start with _:
#     wait_for_pane "$pane" 10 screen has_line screen '^Waiting .* port [0-9]+$' 1 ready
#     port=${ready##* }

unset TMUX TMUX_PANE # the test may itself run inside someone's tmux: talk only to ours

PANE_POLL_MS=100 # how often a pane is read while waiting: each look starts a tmux client

# need_tmux WHAT_FOR: ends the test, failed, unless tmux is installed (WHAT_FOR says why the
# test needs it, and how to install it) and tests/subreaper is built.
need_tmux() {
    if ! command -v tmux >/dev/null; then
        not_ok "tmux is installed: $1"
        exit 1
    fi
    if [ ! -x tests/subreaper ]; then
        not_ok "tests/subreaper is built (make test-tools)"
        exit 1
    fi
}

# private_tmux ARG...: tmux, talking to this test's server only.
private_tmux() {
    tmux -S "$SOCKET" "$@"
}

# ---- The server, and its end ----

# The server runs in the foreground (-D) under tests/subreaper, which adopts and reaps every
# process orphaned below it (this machine's PID 1 may never reap): the shells in the panes
# lead sessions of their own, so do the jobs they start with &, and the test's clean-up at
# exit, which ends the test's process group, would miss them all. The subreaper is in a
# session of its own too: a scenario run again ends the test's process group (attempt), and
# must not end the server. At exit: kill the tmux server and everything below the subreaper,
# and let the subreaper reap them.
REAPER_PID=
at_exit end_tmux

# start_tmux: starts the private server, without a configuration file (a user's ~/.tmux.conf
# would change what the panes show), and waits until it answers; fails after 10 s. The
# server's stderr and the subreaper's are in $TMP/tmux.err. Needs tmux 3.2 or later (-D).
start_tmux() {
    setsid tests/subreaper tmux -S "$SOCKET" -f /dev/null -D </dev/null >"$TMP/tmux.err" 2>&1 &
    REAPER_PID=$!
    local deadline=$((${EPOCHREALTIME/./} / 1000 + 10000))
    until private_tmux list-sessions >/dev/null 2>&1; do
        [ $((${EPOCHREALTIME/./} / 1000)) -lt "$deadline" ] || return 1
        pause_ms "$PANE_POLL_MS"
    done
}

# descendants PID VARIABLE: adds every descendant of PID to the array VARIABLE (from /proc, no
# process started).
descendants() {
    local -n _found=$2
    local _children _child
    read -r -a _children 2>/dev/null <"/proc/$1/task/$1/children" || return 0
    for _child in "${_children[@]}"; do
        _found+=("$_child")
        descendants "$_child" "$2"
    done
}

# end_tmux: ends the server and every process below the subreaper, and collects the subreaper.
end_tmux() {
    [ -n "$REAPER_PID" ] || return 0
    local below=()
    descendants "$REAPER_PID" below
    private_tmux kill-server 2>/dev/null
    [ ${#below[@]} -eq 0 ] || kill -KILL "${below[@]}" 2>/dev/null
    wait_gone "$REAPER_PID" 5 || kill -KILL "$REAPER_PID" 2>/dev/null
    wait "$REAPER_PID" 2>/dev/null
    REAPER_PID=
}

# ---- Panes: type into one, read it, wait for it, show it ----

# type_line PANE TEXT: types TEXT and Enter into PANE (a tmux target), as a learner would.
type_line() {
    private_tmux send-keys -t "$1" -l "$2" ';' send-keys -t "$1" Enter
}

press_ctrl_c() {
    private_tmux send-keys -t "$1" C-c
}

# capture PANE LINES_VARIABLE: sets the array LINES_VARIABLE to the lines of the pane's screen
# and scroll-back, wrapped lines joined, each without its trailing blanks, the empty lines at
# the end left out.
capture() {
    local -n _lines=$2
    local _text _i
    _lines=()
    _text=$(private_tmux capture-pane -p -J -S - -t "$1") || return 1
    mapfile -t _lines <<<"$_text"
    for _i in "${!_lines[@]}"; do
        _lines[_i]=${_lines[_i]%"${_lines[_i]##*[! ]}"}
    done
    while [ ${#_lines[@]} -gt 0 ] && [ -z "${_lines[-1]}" ]; do
        unset '_lines[-1]'
    done
}

# has_line LINES_VARIABLE REGEX [N [MATCH_VARIABLE [COUNT_VARIABLE]]]: at least N lines
# (default 1) of the array LINES_VARIABLE (a screen capture read) match the extended REGEX;
# sets MATCH_VARIABLE to the first of them and COUNT_VARIABLE to how many there are ('' skips
# one).
has_line() {
    local -n _screen=$1
    local _line _match='' _count=0
    for _line in "${_screen[@]}"; do
        [[ $_line =~ $2 ]] || continue
        [ "$_count" -gt 0 ] || _match=$_line
        _count=$((_count + 1))
    done
    [ -z "${4:-}" ] || printf -v "$4" %s "$_match"
    [ -z "${5:-}" ] || printf -v "$5" %d "$_count"
    [ "$_count" -ge "${3:-1}" ]
}

# wait_for_pane PANE SECONDS LINES_VARIABLE CONDITION [ARG...]: reads the pane into the array
# LINES_VARIABLE every PANE_POLL_MS until CONDITION ARG... holds (has_line LINES_VARIABLE ...,
# say: a condition is told which array to read like any command); fails on time-out. The
# array keeps the last screen read.
wait_for_pane() {
    local _pane=$1 _deadline=$((${EPOCHREALTIME/./} / 1000 + $2 * 1000)) _into=$3
    shift 3
    while :; do
        capture "$_pane" "$_into" && "$@" && return 0
        [ $((${EPOCHREALTIME/./} / 1000)) -lt "$_deadline" ] || return 1
        pause_ms "$PANE_POLL_MS"
    done
}

# show_pane PANE: what the pane shows now, as detail for a failed check.
show_pane() {
    if [ -z "$1" ]; then
        diag "(no such pane)"
        return
    fi
    local shown=() line
    capture "$1" shown
    diag "the screen of $1:"
    for line in "${shown[@]}"; do
        diag "    |$line"
    done
}
