# SPDX-License-Identifier: Apache-2.0
# Sourced by bench/protocols: turns $DATA (runs.tsv) into the Markdown section of RESULTS-protocols.md.
# Plain awk (mawk or gawk).

# The tables, one per part and scenario, from runs.tsv:
# part scenario round server requests requests_per_s p99_us cpu_ns heap_bytes heap_requests heap_resolution_bytes per_test_rps
protocols_tables() {
    awk -F '\t' -v connections="$CONNECTIONS" -v depth="$DEPTH" -v http_servers="${HTTP_SERVERS[*]}" \
        -v resp_servers="${RESP_SERVERS[*]}" -v cpus="$CPUS" '
    function sorted(list, v,    n, i, j, t) {
        n = split(list, v, " ")
        for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
        return n
    }
    function median(list,    v, n) {
        if (list == "") return ""
        n = sorted(list, v)
        if (n == 0) return ""
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function spread(list, digits,    v, n) {
        n = sorted(list, v)
        if (n == 0) return "–"
        return sprintf("%." digits "f (%." digits "f–%." digits "f)", median(list), v[1], v[n])
    }
    function fmt(x, digits) { return x == "" ? "–" : sprintf("%." digits "f", x) }
    function add(array, key, value) { array[key] = array[key] (array[key] == "" ? "" : " ") value }
    NR == 1 { next }
    {
        part = $1; scenario = $2; round = $3; server = $4
        k = part SUBSEP scenario SUBSEP server
        us = $8 / 1000 / $5
        cpu[part, scenario, server, round] = us
        add(cpus_of, k, us); add(rps_of, k, $6)
        if ($7 != "-") add(p99_of, k, $7 / 1000)
        if ($9 != "-") {
            add(heap_of, k, $9 / $10)
            if ($11 / $10 > resolution[k]) resolution[k] = $11 / $10
        }
        if ($12 != "-") {
            n = split($12, tests, ",")
            for (i = 1; i <= n; i++) {
                split(tests[i], kv, "=")
                add(test_rps, k SUBSEP kv[1], kv[2])
                if (!((part, scenario, kv[1]) in test_seen)) { test_seen[part, scenario, kv[1]] = 1; test_names[part, scenario] = test_names[part, scenario] (test_names[part, scenario] == "" ? "" : " ") kv[1] }
            }
        }
        rounds[k]++
        seen[part, scenario] = 1
        if (round > last_round[part, scenario]) last_round[part, scenario] = round
    }
    END {
        # HTTP one loop, then all loops, then RESP; plain before pipelined in each.
        split("http all resp", parts, " "); split("plain pipelined", loads, " ")
        for (s = 1; s <= 6; s++) {
            part = parts[int((s + 1) / 2)]; scenario = loads[2 - s % 2]
            if (!((part, scenario) in seen)) continue
            base = part == "resp" ? "redis" : "netty"
            ns = split(part == "resp" ? resp_servers : http_servers, names, " ")
            load = scenario == "pipelined" ? (part == "resp" ? "-P " depth : depth " requests per write (wrk/pipeline.lua)") : "no pipelining"
            if (part == "http") printf "\n### HTTP, one loop: %s, %d connections\n\n", load, connections
            if (part == "all") printf "\n### HTTP, all loops (`--threads %d`, server and `wrk -t%d` on every CPU): %s, %d connections\n\n", cpus, cpus, load, connections
            if (part == "resp") printf "\n### RESP, one loop: %s, %d connections\n\n", load, connections
            unit = part == "resp" ? "command" : "request"
            if (part == "resp") {
                nt = split(test_names[part, scenario], tn, " ")
                printf "| server | server CPU µs per command | CPU ratio to redis, median (min–max) | commands/s |"
                for (t = 1; t <= nt; t++) printf " %s/s |", tn[t]
                printf " worst p99 of the tests, ms | rounds |\n|---|---:|---:|---:|"
                for (t = 1; t <= nt; t++) printf "---:|"
                printf "---:|---:|\n"
            } else if (part == "http") {
                printf "| server | server CPU µs per request | CPU ratio to netty, median (min–max) | requests/s | p99 ms | heap B allocated per request (± the counters'"'"' resolution) | rounds |\n"
                printf "|---|---:|---:|---:|---:|---:|---:|\n"
            } else {
                printf "| server | server CPU µs per request | CPU ratio to netty, median (min–max) | requests/s | p99 ms | rounds |\n"
                printf "|---|---:|---:|---:|---:|---:|\n"
            }
            for (i = 1; i <= ns; i++) {
                server = names[i]; k = part SUBSEP scenario SUBSEP server
                if (!(k in rounds)) { printf "| %s | not measured |\n", server; continue }
                ratios = ""
                for (r = 1; r <= last_round[part, scenario]; r++)
                    if ((part, scenario, server, r) in cpu && (part, scenario, base, r) in cpu)
                        ratios = ratios (ratios == "" ? "" : " ") cpu[part, scenario, server, r] / cpu[part, scenario, base, r]
                printf "| %s | %s | %s | %s |", server, fmt(median(cpus_of[k]), 3), spread(ratios, 3), fmt(median(rps_of[k]), 0)
                if (part == "resp") {
                    for (t = 1; t <= nt; t++) printf " %s |", fmt(median(test_rps[k SUBSEP tn[t]]), 0)
                    printf " %s | %d |\n", fmt(median(p99_of[k]), 2), rounds[k]
                } else if (part == "http") {
                    printf " %s | %s ± %s | %d |\n", fmt(median(p99_of[k]), 2), fmt(median(heap_of[k]), 1), fmt(resolution[k], 1), rounds[k]
                } else {
                    printf " %s | %d |\n", fmt(median(p99_of[k]), 2), rounds[k]
                }
            }
        }
    }' "$DATA"
}

# busy_cpus: how many CPUs' worth of time the whole machine spends busy over 2 s (/proc/stat).
busy_cpus() {
    local a b
    a=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)
    sleep 2
    b=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)
    awk -v a="$a" -v b="$b" -v cpus="$CPUS" 'BEGIN {split(a, x, " "); split(b, y, " ")
        busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.2f", (busy + idle > 0 ? cpus * busy / (busy + idle) : 0)}'
}

protocols_report() {
    local model java_version
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    java_version=$("$JAVA" -version 2>&1 | head -n 2 | tail -n 1)
    echo "## HTTP and RESP servers against their peers (issue #19)"
    echo
    if [[ $QUICK == 1 ]]; then
        echo "**Smoke run (\`PROTO_QUICK=1\`): these figures check that the script works; they are not results.**"
        echo
    fi
    echo "Written by \`bench/protocols\` on $START_DATE, epoll4j at $COMMIT: $ROUNDS round(s), ${WARMUP} s of warm-up and"
    echo "${SECONDS_PER_RUN} s measured per HTTP run (and a ${ALLOC_SECONDS} s allocation window), redis-benchmark \`-n $RESP_REQUESTS\` per test (\`-n $RESP_PIPELINED_REQUESTS\` with \`-P $DEPTH\`),"
    echo "$CONNECTIONS connections; ${ELAPSED} s in all. Reproduce from the repo root: \`bench/protocols\` (\`PROTO_QUICK=1\` for a smoke run)."
    echo
    echo "Machine: ${model:-unknown}, $CPUS logical CPUs, kernel \`$(uname -sr)\`; \`$java_version\`;"
    echo "Netty 4.2.18.Final (native epoll); \`$(wrk --version 2>&1 | head -n 1 | sed 's/ Copyright.*//')\`; \`$(redis-server --version)\`."
    echo "Its state: load average $LOAD_BEFORE before the run and $LOAD_AFTER after it (1, 5, 15 min);"
    echo "the machine busy $BUSY_BEFORE CPUs before the first server started and $BUSY_AFTER after the last stopped (2 s each, /proc/stat);"
    echo "hypervisor steal ${STEAL}% of CPU time over the run."
    echo
    echo "Method: each run starts a fresh server, warms it up with the same load for ${WARMUP} s, then measures. **Server CPU**"
    echo "is the CPU time of every thread of the server process (\`/proc/PID/task/*/schedstat\`: JIT and GC threads too)"
    echo "from right before the measured load to right after it, per request (per command under RESP). The servers"
    echo "run interleaved, each round starting with the next server in turn, and every ratio is to the baseline of"
    echo "the same round (HTTP: Netty; RESP: redis); the tables give medians over rounds. **Heap B allocated per"
    echo "request** (one loop): after the measured run, a third wrk run; from its second 1, once its"
    echo "connections are up (their setup allocates, per connection), for ${ALLOC_SECONDS} s: the sum of the \`allocated=\` counters of"
    echo "every thread in \`jcmd PID Thread.print -e\` (the counter behind \`ThreadMXBean.getThreadAllocatedBytes\`; a virtual"
    echo "thread's allocation is counted on its carrier) but the Attach Listener's (the thread that runs jcmd's own"
    echo "commands), at both ends, over the requests wrk wrote meanwhile (\`wchar\` of \`/proc/WRK/io\` / the request's"
    echo "size). The counters are printed to the byte below 100 KiB, to 1 KiB below 100 MiB and to 1 MiB above: the ± is"
    echo "that much per thread and reading, over the window's requests (the largest of the rounds). It includes each"
    echo "server's once-a-second Date renewal. wrk counts a response as a request; under"
    echo "pipelining its latency is that of a batch of $DEPTH, and wrk can print a percentile as 0 (wg/wrk#236: its"
    echo "correction for coordinated omission adds samples that its percentile walk then misses): such a p99 is shown"
    echo "as –, and is left out of the median. RESP: the server's"
    echo "CPU over the whole redis-benchmark run (its 4 tests: \`-t ping\` is PING_INLINE and PING_MBULK) over all its"
    echo "commands; commands/s = all of them over the run's wall time. Any non-2xx response or socket error (wrk),"
    echo "error reply (redis-benchmark) or failed start check stops the run. Placement: one-loop servers on CPU 0"
    echo "(\`taskset -c 0\`), wrk and redis-benchmark on CPU 1; \"all loops\" runs the servers with \`--threads $CPUS\` and"
    echo "\`wrk -t$CPUS\` all on every CPU. JVM flags for every JVM server: \`${JAVA_OPTS[*]}\`. The servers:"
    echo
    echo "- **epoll4j**: the example servers, \`target/epoll4j-http-server.jar\` and \`target/epoll4j-resp-server.jar\`."
    echo "- **netty** (\`NettyHttpServer\`): Netty's epoll transport, \`HttpServerCodec\` and one handler as Netty's"
    echo "  TechEmpower entry has them: responses written with \`ctx.write\`, flushed once per read in"
    echo "  \`channelReadComplete\`, pooled direct buffers, a pre-encoded body, a cached Date."
    echo "- **virtual** (\`VirtualThreadHttpServer\`): a \`ServerSocket\` accept loop and a virtual thread per connection on"
    echo "  blocking sockets, a hand-written parser, the responses of a read written at once; \`--threads N\` sets"
    echo "  \`jdk.virtualThreadScheduler.parallelism\`."
    echo "- **redis**: \`redis-server\` 7 with \`--io-threads 1\`, no persistence."
    echo
    echo "Commands (PORT and PID from the server's \`listening on HOST:PORT\` line, or the port given to redis, and \`\$!\`):"
    echo
    echo '```'
    echo "mvn -q -B package -DskipTests; (cd bench && mvn -q -B package)"
    echo "taskset -c 0 java ${JAVA_OPTS[*]} -jar target/epoll4j-http-server.jar --host 127.0.0.1 --port 0 --threads 1"
    echo "taskset -c 0 java ${JAVA_OPTS[*]} -cp 'bench/target/classes:bench/target/lib/*' org.epoll4j.bench.NettyHttpServer --host 127.0.0.1 --port 0 --threads 1"
    echo "taskset -c 0 java ${JAVA_OPTS[*]} -cp 'bench/target/classes:bench/target/lib/*' org.epoll4j.bench.VirtualThreadHttpServer --host 127.0.0.1 --port 0 --threads 1"
    echo "taskset -c 1 wrk -t1 -c $CONNECTIONS -d $WARMUP --latency http://127.0.0.1:PORT/plaintext    # warm-up"
    echo "cat /proc/PID/task/*/schedstat"
    echo "taskset -c 1 wrk -t1 -c $CONNECTIONS -d $SECONDS_PER_RUN --latency http://127.0.0.1:PORT/plaintext    # measured"
    echo "cat /proc/PID/task/*/schedstat"
    echo "taskset -c 1 wrk -t1 -c $CONNECTIONS -d 60 --latency http://127.0.0.1:PORT/plaintext &    # allocation, from its second 1:"
    echo "jcmd PID Thread.print -e; grep wchar /proc/WRK/io; sleep $ALLOC_SECONDS; jcmd PID Thread.print -e; grep wchar /proc/WRK/io; kill -INT WRK"
    echo "taskset -c 1 wrk -t1 -c $CONNECTIONS -d $SECONDS_PER_RUN --latency -s bench/wrk/pipeline.lua http://127.0.0.1:PORT/plaintext -- $DEPTH   # pipelined"
    echo "# all loops: the same servers with --threads $CPUS under taskset -c $ALL_CPUS, and taskset -c $ALL_CPUS wrk -t$CPUS ..."
    echo "taskset -c 0 java ${JAVA_OPTS[*]} -jar target/epoll4j-resp-server.jar --host 127.0.0.1 --port 0 --threads 1"
    echo "taskset -c 0 redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no --protected-mode no --io-threads 1"
    echo "redis-cli -p PORT set protocols:check V; redis-cli -p PORT get protocols:check    # the check before timing"
    echo "taskset -c 1 timeout -s INT $WARMUP redis-benchmark -h 127.0.0.1 -p PORT -t ping,set,get -c $CONNECTIONS -n N/20 -q -l   # warm-up"
    echo "taskset -c 1 redis-benchmark -h 127.0.0.1 -p PORT -t ping,set,get -c $CONNECTIONS -n $RESP_REQUESTS -q --csv"
    echo "taskset -c 1 redis-benchmark -h 127.0.0.1 -p PORT -t ping,set,get -c $CONNECTIONS -n $RESP_PIPELINED_REQUESTS -P $DEPTH -q --csv"
    echo '```'
    protocols_tables
}
