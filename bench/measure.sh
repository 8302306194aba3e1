# SPDX-License-Identifier: Apache-2.0
# Sourced by bench/run: the allocation and syscall steps of issue #4 section 3. Both run their own
# short, untimed servers after the timed scenarios; neither changes a timed run.
#
# Allocation (JVM servers): a 50 x 64 B load warms the server up for ALLOC_WARMUP seconds, then
# the loop thread's allocated bytes (`jcmd PID Thread.print -e`, the same per-thread counter as
# ThreadMXBean.getThreadAllocatedBytes), the JVM's GC counts (`jcmd PID PerfCounter.print`,
# sun.gc.collector.N.invocations) and the bytes the load generator has written (wchar in
# /proc/LOADGEN/io: it sends with write(2)) are read at the start and the end of an
# ALLOC_WINDOW-second window. Round trips in the window = bytes sent / 64, to within the 50
# messages in flight. wchar is read right after each jcmd returns, so both ends lag their jcmd by
# about the same time.
#
# Syscalls: strace attached to the loop thread only (a JVM's GC and JIT threads are not
# traced; the C server is its own loop thread) for SYSCALL_SECONDS of an N x 64 B load, after
# SYSCALL_WARMUP seconds. strace slows the traced thread down by an order of magnitude, so this
# is a separate run, never a timed one. Round trips traced = bytes returned by write/writev/send*
# in the trace / 64: under churn, one per connection.

# The loop thread of JVM server $1 (PID $2): prints "tid allocated_bytes name".
# epoll4j (examples/EchoServer, --threads 1) runs its loop on "epoll4j-loop-0", the Selector server
# on "main"; Netty on the one thread of its event loop group. Thread.print -e prints allocated= in B below 100 KiB, in KiB
# below 100 MiB and in MiB above: the resolution is 1 KiB (or 1 MiB) per reading.
loop_thread_sample() {
    local name=$1 pid=$2 pattern='^main$'
    [[ $name == netty ]] && pattern='EventLoopGroup-'
    [[ $name == epoll4j ]] && pattern='^epoll4j-loop-0$'
    "$JCMD" "$pid" Thread.print -e 2>/dev/null | awk -v pattern="$pattern" '
    /^"/ {
        n = $0; sub(/^"/, "", n); sub(/".*/, "", n)
        if (n !~ pattern) next
        tid = ""; bytes = ""
        if (match($0, /\[[0-9]+\]/)) tid = substr($0, RSTART + 1, RLENGTH - 2)
        if (match($0, /allocated=[0-9]+[BKMG]/)) {
            a = substr($0, RSTART + 10, RLENGTH - 10); u = substr(a, length(a)); v = substr(a, 1, length(a) - 1)
            bytes = v * (u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1)
        }
        if (tid != "" && bytes != "") { printf "%s %.0f %s\n", tid, bytes, n; exit }
    }'
}

# GC pauses so far of JVM $1: "total young full concurrent" (G1's collectors 0, 1 and 2).
gc_counts() {
    "$JCMD" "$1" PerfCounter.print 2>/dev/null | awk -F= '
    /^sun\.gc\.collector\.[0-9]+\.invocations=/ { split($1, k, "."); c[k[4]] = $2; t += $2 }
    END { printf "%d %d %d %d\n", t, c[0], c[1], c[2] }'
}

# Bytes written so far by process $1 (all its threads).
process_wchar() { awk '/^wchar:/ {print $2}' "/proc/$1/io"; }

# Starts a closed-loop N x 64 B load generator ($1 connections, or "churn": the churn scenario's
# clients, a new connection per message) against the running server in the background for up to
# 10 minutes; sets LOAD_PID. Stopped with stop_load.
start_load() {
    local load=(-c "$1")
    [[ $1 == churn ]] && load=(-m churn -c "$CHURN_CLIENTS" -B "$CHURN_SOURCE" -R "$CHURN_SOURCES")
    "${CLIENT_PIN[@]}" "$BUILD/loadgen" -h $HOST -p "$SERVER_PORT" "${load[@]}" -s 64 -w 0 -d 600 \
        >"$DATA/logs/loadgen-$2.out" 2>"$DATA/logs/loadgen-$2.err" &
    LOAD_PID=$!
    LOADGEN_PIDS=("$LOAD_PID")
}

# Stops the load generator; returns 1 (with LOAD_ERROR set) if it had already exited (a failure:
# it runs until stopped unless a byte was wrong or the server closed a connection).
stop_load() {
    LOAD_ERROR=""
    if ! kill -TERM "$LOAD_PID" 2>/dev/null; then
        LOAD_ERROR="the load generator exited early: $(head -n 1 "$DATA/logs/loadgen-$1.err")"
    fi
    wait "$LOAD_PID" 2>/dev/null || true
    LOADGEN_PIDS=()
    [[ -z $LOAD_ERROR ]]
}

# Allocation and GCs of JVM server $1. Appends to alloc.tsv:
# server thread tid window_s round_trips alloc_bytes gcs_window young full concurrent gcs_total alloc_total_bytes
measure_allocation_of() {
    local name=$1 tag=alloc
    if ! start_server "$name" $tag; then
        FAILED+=("$name $tag: did not start")
        return
    fi
    start_load $ALLOC_CONNECTIONS "$name.$tag"
    sleep "$ALLOC_WARMUP"
    local s1 g1 w1 t1 s2 g2 w2 t2 tid
    s1=$(loop_thread_sample "$name" "$SERVER_PID")
    tid=${s1%% *}
    w1=$(process_wchar "$LOAD_PID" 2>/dev/null || true)
    t1=$(date +%s.%N)
    g1=$(gc_counts "$SERVER_PID")
    sleep "$ALLOC_WINDOW"
    s2=$(loop_thread_sample "$name" "$SERVER_PID")
    w2=$(process_wchar "$LOAD_PID" 2>/dev/null || true)
    t2=$(date +%s.%N)
    g2=$(gc_counts "$SERVER_PID")
    local why=""
    stop_load "$name.$tag" || why=$LOAD_ERROR
    stop_server || why="${why:+$why; }$SERVER_DIED: $(server_error "$name" $tag)"
    check_server_stderr "$name" $tag
    if [[ -z $why && (-z $tid || -z $w1 || -z $w2 || ${s2%% *} != "$tid") ]]; then
        why="could not read the loop thread's counters (Thread.print: '$s1' then '$s2'; wchar '$w1' then '$w2')"
    fi
    if [[ -n $why ]]; then
        log "allocation run FAILED against $name: $why"
        FAILED+=("$name $tag: $why")
        return
    fi
    local line
    line=$(awk -v s1="$s1" -v s2="$s2" -v g1="$g1" -v g2="$g2" -v w1="$w1" -v w2="$w2" -v t1="$t1" -v t2="$t2" \
        -v name="$name" -v size=64 'BEGIN {
        split(s1, a, " "); split(s2, b, " "); split(g1, c, " "); split(g2, d, " ")
        thread = s2; sub(/^[^ ]+ [^ ]+ /, "", thread)
        printf "%s\t%s\t%s\t%.2f\t%.0f\t%.0f\t%d\t%d\t%d\t%d\t%d\t%.0f\n", name, thread, a[1], t2 - t1, (w2 - w1) / size,
            b[2] - a[2], d[1] - c[1], d[2] - c[2], d[3] - c[3], d[4] - c[4], d[1], b[2]
    }')
    echo "$line" >>"$DATA/alloc.tsv"
    log "$(awk -F '\t' '{printf "%-8s allocation: %s B on thread \"%s\" over %s round trips in %s s (%.3f B/rt); %d GC(s) in the window, %d since start", $1, $6, $2, $5, $4, ($5 > 0 ? $6 / $5 : 0), $7, $11}' <<<"$line")"
}

# Syscalls of server $1's loop thread under N ($2) x 64 B. Appends to syscalls.tsv:
# scenario server tid seconds round_trips total_calls epoll_ctl_calls breakdown
# breakdown: "name=calls name=calls ..." with failed calls as "name/ERRNO=calls".
measure_syscalls_of() {
    local name=$1 n=$2 scenario="${2}x64" tag="syscalls.${2}x64"
    if ! start_server "$name" "$tag"; then
        FAILED+=("$name $tag: did not start")
        return
    fi
    start_load "$n" "$name.$tag"
    local tid=$SERVER_PID trace=$DATA/logs/strace.$name.$tag.txt
    if [[ $name != c ]]; then
        tid=$(loop_thread_sample "$name" "$SERVER_PID")
        tid=${tid%% *}
    fi
    sleep "$SYSCALL_WARMUP"
    local why=""
    if [[ -z $tid ]]; then
        why="loop thread not found"
    else
        # strace detaches on SIGINT and leaves the thread running.
        timeout -s INT "$SYSCALL_SECONDS" strace -qq -s 0 -o "$trace" -p "$tid" 2>"$DATA/logs/strace.$name.$tag.err" || true
        [[ -s $trace ]] || why="strace wrote nothing: $(head -n 1 "$DATA/logs/strace.$name.$tag.err")"
    fi
    stop_load "$name.$tag" || why="${why:+$why; }$LOAD_ERROR"
    stop_server || why="${why:+$why; }$SERVER_DIED: $(server_error "$name" "$tag")"
    check_server_stderr "$name" "$tag"
    if [[ -n $why ]]; then
        log "syscall run FAILED against $name ($scenario): $why"
        FAILED+=("$name $tag: $why")
        return
    fi
    local line
    line=$(awk -v name="$name" -v scenario="$scenario" -v tid="$tid" -v seconds="$SYSCALL_SECONDS" -v size=64 '
    # One line per finished call: "name(args) = result"; "<unfinished ...>" at detach has no result.
    / = / && /^[a-z_0-9]+\(/ {
        call = $0; sub(/\(.*/, "", call)
        ret = $0; sub(/.* = /, "", ret); split(ret, r, " ")
        total++
        if (r[1] == "-1") { key = call "/" r[2] } else { key = call }
        calls[key]++
        if (r[1] != "-1" && call ~ /^(write|writev|send|sendto|sendmsg)$/) written += r[1]
    }
    END {
        breakdown = ""
        for (k in calls) breakdown = breakdown (breakdown == "" ? "" : " ") k "=" calls[k]
        printf "%s\t%s\t%s\t%s\t%.0f\t%d\t%d\t%s\n", scenario, name, tid, seconds, written / size, total, calls["epoll_ctl"] + 0, breakdown
    }' "$trace")
    echo "$line" >>"$DATA/syscalls.tsv"
    log "$(awk -F '\t' '{printf "%-8s syscalls %-6s %d calls over %d round trips (%.3f per rt), epoll_ctl %d: %s", $2, $1, $6, $5, ($5 > 0 ? $6 / $5 : 0), $7, $8}' <<<"$line")"
}

measure_allocation() {
    ((ALLOC_ON)) || { log "allocation: skipped (BENCH_ALLOC=0)"; return; }
    local name
    for name in "${SERVERS[@]}"; do
        [[ $name == c ]] || measure_allocation_of "$name"
    done
}

measure_syscalls() {
    ((SYSCALLS_ON)) || { log "syscalls: skipped (BENCH_SYSCALLS=0)"; return; }
    if ! command -v strace >/dev/null && [[ $(id -u) == 0 ]]; then
        log "installing strace from Debian"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace) >>"$DATA/apt.log" 2>&1 || true
    fi
    command -v strace >/dev/null || { log "syscalls: strace unavailable (apt-get install strace): skipped"; return; }
    local n name
    for n in "${SYSCALL_CONNECTIONS[@]}"; do
        for name in "${SERVERS[@]}"; do
            measure_syscalls_of "$name" "$n"
        done
    done
}
