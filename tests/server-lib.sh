# shellcheck shell=bash
# Helpers for the server and client tests (source lib.sh first). Every server runs on a port
# the kernel picks (port 0), on the loopback address only, and is read from its ready line.

# The formats of every line the server may print on stdout; anything else is a cut or
# garbled line.
SERVER_LINE_FORMATS='^(Waiting for connections on [0-9a-f.:]+ port [0-9]+|New client: IP [0-9a-f.:]+, Port [0-9]+, child [0-9]+|Recv [0-9]+ bytes from IP [0-9a-f.:]+, Port [0-9]+|Child [0-9]+ exited with status [0-9]+|Child [0-9]+ killed by signal [0-9]+|Stopping: ending [0-9]+ child(ren)?)$'

# start_server LOG ARG...: starts ./server ARG... with its stdout on a pipe copied into LOG
# and its stderr in LOG.err, and waits for its ready line. Sets SERVER_PID and SERVER_PORT.
# SERVER_ENV (an array of NAME=VALUE) adds to the server's environment; SERVER_LAUNCHER (a
# command, such as setsid) runs the server, in the same process.
SERVER_ENV=() SERVER_LAUNCHER=()
start_server() {
    local log=$1
    shift
    local fifo="$TMP/server-fifo.$RANDOM$RANDOM"
    mkfifo "$fifo" || return 1
    "${SERVER_LAUNCHER[@]}" env "${SERVER_ENV[@]}" ./server "$@" >"$fifo" 2>"$log.err" &
    SERVER_PID=$!
    # cat copies the log as it comes, so the server never waits on a full pipe.
    cat <"$fifo" >"$log" &
    if ! wait_for_lines "$log" '^Waiting for connections on .* port [0-9]+$' 1 10; then
        diag "server $* did not get ready; its stderr:"
        diag_file "$log.err"
        return 1
    fi
    # shellcheck disable=SC2034 # read by the tests that source this file
    SERVER_PORT=$(sed -nE 's/^Waiting for connections on .* port ([0-9]+)$/\1/p' "$log" | head -n 1)
}

# start_typing_client NAME PORT: starts ./client on PORT as if someone typed into it: its
# input is the fifo $TMP/NAME.in, held open by the test (so the client does not see end of
# input yet) on descriptor CLIENT_INPUT; write lines with >&"$CLIENT_INPUT". Its stdout goes
# to $TMP/NAME.out, its stderr to $TMP/NAME.err. Sets CLIENT_PID.
start_typing_client() {
    local name=$1 port=$2
    mkfifo "$TMP/$name.in" || return 1
    ./client 127.0.0.1 "$port" <"$TMP/$name.in" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    # shellcheck disable=SC2034 # read by the tests that source this file
    CLIENT_PID=$!
    # shellcheck disable=SC2034 # read by the tests that source this file
    exec {CLIENT_INPUT}>"$TMP/$name.in"
}

# end_client PID: ends a client started by start_typing_client, as closing its terminal would:
# SIGTERM to the client, its reader, and to its writer (its child), which holds the connection too.
end_client() {
    local writers
    writers=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
    # shellcheck disable=SC2086 # the writer's pid, if any, as a word of its own
    kill "$1" $writers 2>/dev/null
}

# stop_server: SIGTERM, as a service manager would; sets SERVER_STATUS (124 if it had not
# exited 5 s later).
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null
    if ! wait_for_state "$SERVER_PID" Z 5000 && [ -e "/proc/$SERVER_PID" ]; then
        SERVER_STATUS=124
        return 1
    fi
    wait "$SERVER_PID"
    # shellcheck disable=SC2034 # read by the tests that source this file
    SERVER_STATUS=$?
}

# wait_for_server_end MS: waits up to MS for the server to end (a stop already sent: another
# stop signal would end its grace at once); sets SERVER_STATUS (124 if it had not ended).
wait_for_server_end() {
    if ! wait_for_state "$SERVER_PID" Z "$1" && [ -e "/proc/$SERVER_PID" ]; then
        SERVER_STATUS=124
        return 1
    fi
    wait "$SERVER_PID"
    # shellcheck disable=SC2034 # read by the tests that source this file
    SERVER_STATUS=$?
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

# hold_closed_port: sets CLOSED_PORT to a loopback port on which every connection is refused
# for the rest of the test (tests/closedport holds it bound, not listening, so no other test
# can be given it meanwhile).
hold_closed_port() {
    tests/closedport >"$TMP/closed-port" &
    wait_for_lines "$TMP/closed-port" '^[0-9]+$' 1 10 || return 1
    # shellcheck disable=SC2034 # read by the tests that source this file
    read -r CLOSED_PORT <"$TMP/closed-port"
}
