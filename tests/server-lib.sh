# shellcheck shell=bash
# Helpers for the server and client tests (source lib.sh first). Every server runs on a port
# the kernel picks (port 0), on the loopback address only, and is read from its ready line.
# As lib.sh's, the helpers give what they find in variables the caller names (start_server
# "$TMP/log" server port 0 sets server and port), and keep their own locals apart (_name).

# The formats of every line the server may print on stdout; anything else is a cut or
# garbled line.
SERVER_LINE_FORMATS='^(Waiting for connections on [0-9a-f.:]+ port [0-9]+|New client: IP [0-9a-f.:]+, Port [0-9]+, child [0-9]+|Recv [0-9]+ bytes from IP [0-9a-f.:]+, Port [0-9]+|Child [0-9]+ exited with status [0-9]+|Child [0-9]+ killed by signal [0-9]+|Stopping: ending [0-9]+ child(ren)?)$'

# start_server LOG PID_VARIABLE PORT_VARIABLE [ARG...]: starts ./server ARG... with its stdout
# on a pipe copied into LOG and its stderr in LOG.err, and waits for its ready line. Sets
# PID_VARIABLE to the server's pid (at once: a server that never gets ready is still stopped
# with it) and PORT_VARIABLE to the port it listens on (empty if it did not get ready; ''
# skips it).
# SERVER_ENV (an array of NAME=VALUE) adds to the server's environment; SERVER_LAUNCHER (a
# command, such as setsid) runs the server, in the same process.
#     start_server "$TMP/log" server port 0 || exit 1
SERVER_ENV=() SERVER_LAUNCHER=()
start_server() {
    local _log=$1 _pid_variable=$2 _port_variable=$3
    shift 3
    local _fifo="$TMP/server-fifo.$RANDOM$RANDOM" _port=''
    [ -z "$_port_variable" ] || printf -v "$_port_variable" %s ''
    mkfifo "$_fifo" || return 1
    "${SERVER_LAUNCHER[@]}" env "${SERVER_ENV[@]}" ./server "$@" >"$_fifo" 2>"$_log.err" &
    printf -v "$_pid_variable" %d "$!"
    # cat copies the log as it comes, so the server never waits on a full pipe.
    cat <"$_fifo" >"$_log" &
    if ! wait_for_lines "$_log" '^Waiting for connections on .* port [0-9]+$' 1 10; then
        diag "server $* did not get ready; its stderr:"
        diag_file "$_log.err"
        return 1
    fi
    _port=$(sed -nE 's/^Waiting for connections on .* port ([0-9]+)$/\1/p' "$_log" | head -n 1)
    [ -z "$_port_variable" ] || printf -v "$_port_variable" %s "$_port"
}

# start_typing_client NAME PORT INPUT_VARIABLE [PID_VARIABLE]: starts ./client on PORT as if
# someone typed into it: its input is the fifo $TMP/NAME.in, held open by the test (so the
# client does not see end of input yet) on a descriptor whose number goes in INPUT_VARIABLE:
# write lines with >&"$input", end the input with exec {input}>&-. Its stdout goes to
# $TMP/NAME.out, its stderr to $TMP/NAME.err. Sets PID_VARIABLE to the client's pid.
start_typing_client() {
    local _name=$1 _port=$2 _fd
    mkfifo "$TMP/$_name.in" || return 1
    ./client 127.0.0.1 "$_port" <"$TMP/$_name.in" >"$TMP/$_name.out" 2>"$TMP/$_name.err" &
    [ -z "${4:-}" ] || printf -v "$4" %d "$!"
    exec {_fd}>"$TMP/$_name.in"
    printf -v "$3" %d "$_fd"
}

# end_client PID: ends a client started by start_typing_client, as closing its terminal would:
# SIGTERM to the client, its reader, and to its writer (its child), which holds the connection too.
end_client() {
    local writers
    writers=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
    # shellcheck disable=SC2086 # the writer's pid, if any, as a word of its own
    kill "$1" $writers 2>/dev/null
}

# stop_server PID [STATUS_VARIABLE]: SIGTERM to the server PID (start_server's), as a service
# manager would send; sets STATUS_VARIABLE to its exit status (124 if it had not exited 5 s
# later).
stop_server() {
    kill -TERM "$1" 2>/dev/null
    wait_for_server_end "$1" 5000 "${2:-}"
}

# wait_for_server_end PID MS [STATUS_VARIABLE]: waits up to MS for the server PID to end (a stop
# already sent: another stop signal would end its grace at once); sets STATUS_VARIABLE to its
# exit status (124 if it had not ended).
wait_for_server_end() {
    local _status
    if ! wait_for_state "$1" Z "$2" && [ -e "/proc/$1" ]; then
        [ -z "${3:-}" ] || printf -v "$3" %d 124
        return 1
    fi
    wait "$1"
    _status=$?
    [ -z "${3:-}" ] || printf -v "$3" %d "$_status"
}

# check_log_lines_whole LOG: every line of the server log is one whole event.
check_log_lines_whole() {
    local bad lines
    bad=$(grep -vE "$SERVER_LINE_FORMATS" "$1" | head -n 5)
    if [ -z "$bad" ]; then
        ok "every line of $(basename "$1") ($(wc -l <"$1") lines) is one whole event"
    else
        not_ok "every line of $(basename "$1") is one whole event; not these:"
        mapfile -t lines <<<"$bad"
        printf '    %s\n' "${lines[@]}"
    fi
}

# check_log_order LOG: each child's "Child <pid> ..." line comes after the "New client" line
# that names it.
check_log_order() {
    local out_of_order
    out_of_order=$(awk '/^New client: / { announced[$NF] = 1 }
        /^Child [0-9]+ (exited|killed)/ && !($2 in announced) { print }' "$1" | head -n 3)
    check "each Child line follows the New client line of its child${out_of_order:+ (not: $out_of_order)}" \
        [ -z "$out_of_order" ]
}

# has_no_children PID: succeeds when PID has no child at all, zombie or not.
has_no_children() {
    local children
    read_children "$1" children
    [ ${#children[@]} -eq 0 ]
}

# zombie_children PID: the children of PID in state Z.
zombie_children() {
    local i children states
    read_children "$1" children states
    for i in "${!children[@]}"; do
        [ "${states[i]}" != Z ] || echo "${children[i]}"
    done
}

# loadgen_clean STATUS OUTPUT [OK]: loadgen exited 0 and reported no error (and OK successes,
# if given).
loadgen_clean() {
    [ "$1" -eq 0 ] && [ "$(loadgen_field "$2" errors)" = 0 ] &&
        { [ $# -lt 3 ] || [ "$(loadgen_field "$2" ok)" = "$3" ]; }
}

# loadgen_field OUTPUT KEY: one value from loadgen's key=value line.
loadgen_field() {
    sed -nE "s/.*(^| )$2=([^ ]*).*/\\2/p" <<<"$1"
}

# hold_closed_port PORT_VARIABLE: sets PORT_VARIABLE to a loopback port on which every
# connection is refused for the rest of the test (tests/closedport holds it bound, not
# listening, so no other test can be given it meanwhile).
hold_closed_port() {
    local _port
    tests/closedport >"$TMP/closed-port" &
    wait_for_lines "$TMP/closed-port" '^[0-9]+$' 1 10 || return 1
    read -r _port <"$TMP/closed-port"
    printf -v "$1" %s "$_port"
}
