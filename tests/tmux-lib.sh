# shellcheck shell=bash
# Helpers for the tests that drive a private, headless tmux server as a learner drives a
# terminal (terminal.test, demo.test). Source lib.sh first, then this; set SOCKET, the path of
# the server's socket, and start the server with start_tmux. The test types into a pane with
# type_line and press_ctrl_c, reads it with capture and has_line, waits for it to show
# something with wait_for_pane, and shows it in the TAP diagnostics with show_pane. At exit the
# server ends, and everything it ran.

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

# capture PANE: sets PANE_LINES to the lines of the pane's screen and scroll-back, wrapped
# lines joined, each without its trailing blanks, the empty lines at the end left out.
capture() {
    local text i
    PANE_LINES=()
    text=$(private_tmux capture-pane -p -J -S - -t "$1") || return 1
    mapfile -t PANE_LINES <<<"$text"
    for i in "${!PANE_LINES[@]}"; do
        PANE_LINES[i]=${PANE_LINES[i]%"${PANE_LINES[i]##*[! ]}"}
    done
    while [ ${#PANE_LINES[@]} -gt 0 ] && [ -z "${PANE_LINES[-1]}" ]; do
        unset 'PANE_LINES[-1]'
    done
}

# has_line REGEX [N]: at least N lines (default 1) of PANE_LINES match the extended REGEX;
# sets MATCH to the first of them and COUNT to how many there are.
# (PANE_LINES, MATCH and COUNT are this file's screen model: the last screen read, and what
# has_line found in it; the conditions a test writes for wait_for_pane read them too.)
has_line() {
    local line
    # shellcheck disable=SC2034 # MATCH: for the test to read
    MATCH='' COUNT=0
    for line in "${PANE_LINES[@]}"; do
        [[ $line =~ $1 ]] || continue
        # shellcheck disable=SC2034
        [ "$COUNT" -gt 0 ] || MATCH=$line
        COUNT=$((COUNT + 1))
    done
    [ "$COUNT" -ge "${2:-1}" ]
}

# wait_for_pane PANE SECONDS CONDITION [ARG...]: reads the pane every PANE_POLL_MS until
# CONDITION, a function of PANE_LINES (has_line, say), holds; fails on time-out.
wait_for_pane() {
    local pane=$1 deadline=$((${EPOCHREALTIME/./} / 1000 + $2 * 1000))
    shift 2
    while :; do
        capture "$pane" && "$@" && return 0
        [ $((${EPOCHREALTIME/./} / 1000)) -lt "$deadline" ] || return 1
        pause_ms "$PANE_POLL_MS"
    done
}

# show_pane PANE: what the pane shows now, as detail for a failed check.
show_pane() {
    if [ -z "$1" ]; then
        diag "(no such pane)"
        return
    fi
    capture "$1"
    local line
    diag "the screen of $1:"
    for line in "${PANE_LINES[@]}"; do
        diag "    |$line"
    done
}
