# Sourced by bench/run: turns $DATA/*.tsv into $OUT/RESULTS.md and the PNG plots.
# Plain awk (mawk or gawk) and gnuplot; gnuplot is installed from Debian if missing.

# Markdown tables for the active scenarios, and $DATA/cpu-plot.dat for gnuplot.
# runs.tsv: scenario server round rt_per_s p50_us p99_us p999_us cpu_us_per_rt server_cpu_s other_cpu_s
active_tables() {
    awk -F '\t' -v seconds="$SECONDS_PER_RUN" -v servers="${SERVERS[*]}" -v plot="$DATA/cpu-plot.dat" -v headline="$DATA/headline.md" '
    function median(list,    n, v, i, j, t) {
        n = split(list, v, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function label(s,    p) { split(s, p, "x"); return p[1] " conn × " (p[2] >= 1024 ? p[2] / 1024 " KiB" : p[2] " B") }
    function fmt(x, digits) { return x == "" ? "–" : sprintf("%." digits "f", x) }
    {
        key = $1 SUBSEP $2 SUBSEP $3
        rt[key] = $4; p50[key] = $5; p99[key] = $6; p999[key] = $7; cpu[key] = $8; other[key] = $10
        if (!($1 in seen)) { seen[$1] = 1; order[++scenarios] = $1 }
        if ($3 > rounds) rounds = $3
    }
    END {
        ns = split(servers, name, " ")
        printf "scenario" > plot
        for (k = 1; k <= ns; k++) printf "\t%s\t%s_ratio", name[k], name[k] > plot
        printf "\n" > plot
        printf "| scenario |" > headline
        for (k = 2; k <= ns; k++) printf " %s |", name[k] > headline
        printf "\n|---|" > headline
        for (k = 2; k <= ns; k++) printf "---:|" > headline
        printf "\n" > headline
        for (s = 1; s <= scenarios; s++) {
            sc = order[s]
            printf "\n### %s\n\n", label(sc)
            printf "| server | server CPU µs per round trip | CPU ratio to C | round trips/s | throughput ratio to C | p50 µs | p99 µs | p99.9 µs | rounds | neighbour CPUs |\n"
            printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            line = label(sc)
            hl = "| " label(sc) " |"
            for (k = 1; k <= ns; k++) {
                sv = name[k]
                cl = ""; rl = ""; tl = ""; trl = ""; l50 = ""; l99 = ""; l999 = ""; ol = ""; count = 0
                for (r = 1; r <= rounds; r++) {
                    key = sc SUBSEP sv SUBSEP r
                    if (!(key in cpu)) continue
                    count++
                    cl = cl " " cpu[key]; tl = tl " " rt[key]
                    l50 = l50 " " p50[key]; l99 = l99 " " p99[key]; l999 = l999 " " p999[key]; ol = ol " " other[key] / seconds
                    ckey = sc SUBSEP "c" SUBSEP r
                    if ((ckey in cpu) && cpu[ckey] > 0) { rl = rl " " cpu[key] / cpu[ckey]; trl = trl " " rt[key] / rt[ckey] }
                }
                mc = median(cl); mr = median(rl)
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", sv, fmt(mc, 2), fmt(mr, 3), fmt(median(tl), 0),
                    fmt(median(trl), 3), fmt(median(l50), 1), fmt(median(l99), 1), fmt(median(l999), 1), count, fmt(median(ol), 2)
                line = line "\t" (mc == "" ? "NaN" : mc) "\t" (mr == "" ? "NaN" : mr)
                if (k > 1) hl = hl " " fmt(mr, 3) " |"
            }
            print line > plot
            print hl > headline
        }
    }' "$DATA/runs.tsv"
}

# idle.tsv: server round idle rss_base_kib rss_idle_kib heap_base_kib heap_idle_kib fds_base fds_idle
idle_table() {
    awk -F '\t' -v servers="${SERVERS[*]}" '
    function median(list,    n, v, i, j, t) {
        n = split(list, v, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function fmt(x, digits) { return x == "" ? "–" : sprintf("%." digits "f", x) }
    {
        heap[$1] = heap[$1] ($6 == "-" ? "" : " " ($7 - $6) * 1024 / $3)
        rss[$1] = rss[$1] " " ($5 - $4) * 1024 / $3
        hb[$1] = hb[$1] ($6 == "-" ? "" : " " $6); hi[$1] = hi[$1] ($7 == "-" ? "" : " " $7)
        rb[$1] = rb[$1] " " $4; ri[$1] = ri[$1] " " $5; fi[$1] = fi[$1] " " $9
        idle[$1] = $3; count[$1]++
    }
    END {
        printf "| server | Java heap after GC per idle connection (bytes) | RSS per idle connection (bytes) | heap after GC, baseline → with idle (KiB) | RSS, baseline → with idle (KiB) | server fds with idle | idle connections | rounds |\n"
        printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        ns = split(servers, name, " ")
        for (k = 1; k <= ns; k++) {
            sv = name[k]
            if (!(sv in count)) continue
            printf "| %s | %s | %s | %s → %s | %s → %s | %s | %s | %d |\n", sv, fmt(median(heap[sv]), 0), fmt(median(rss[sv]), 0),
                fmt(median(hb[sv]), 0), fmt(median(hi[sv]), 0), fmt(median(rb[sv]), 0), fmt(median(ri[sv]), 0),
                fmt(median(fi[sv]), 0), idle[sv], count[sv]
        }
    }' "$DATA/idle.tsv"
}

ensure_gnuplot() {
    command -v gnuplot >/dev/null && return 0
    if [[ $(id -u) == 0 ]]; then
        log "installing gnuplot-nox from Debian"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox) >"$DATA/apt.log" 2>&1 || true
    fi
    command -v gnuplot >/dev/null || { log "gnuplot unavailable (apt-get install gnuplot-nox): plots skipped"; return 1; }
}

# Server CPU per round trip by server and scenario (top), and the same as a ratio to C (bottom).
plot_cpu_per_rt() {
    local columns=$((${#SERVERS[@]}))
    gnuplot <<EOF
set terminal pngcairo size 1100,800 font "DejaVu Sans,10"
set output "$OUT/cpu-per-rt.png"
set datafile separator "\t"
set datafile missing "NaN"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top
set grid ytics
set multiplot layout 2,1 title "Server CPU time per echo round trip (median of $ROUNDS round(s); lower is better)"
set ylabel "server CPU µs per round trip"
set yrange [0:*]
plot for [i=1:$columns] "$DATA/cpu-plot.dat" using 2*i:xtic(1) title columnheader(2*i)
set ylabel "ratio to the C server, same round"
set yrange [0:*]
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 front
plot for [i=1:$columns] "$DATA/cpu-plot.dat" using 2*i+1:xtic(1) title columnheader(2*i)
unset multiplot
EOF
}

# Epoll.wait and poll(2) cost against registered fds, from the micro-benchmark hook in bench/run.
plot_wait_cost() {
    gnuplot <<EOF
set terminal pngcairo size 1000,600 font "DejaVu Sans,10"
set output "$OUT/wait-cost.png"
set title "Cost of one wait with one ready fd, by registered fds"
set logscale x
set xlabel "registered fds"
set ylabel "ns per wait"
set yrange [0:*]
set grid
set key left top
plot "$DATA/wait-cost.tsv" using 1:2 with linespoints title "Epoll.wait (epoll4j)", \
     "" using 1:3 with linespoints title "poll(2)"
EOF
}

machine_section() {
    local model cores mhz cache
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    cores=$(grep -c '^processor' /proc/cpuinfo)
    mhz=$(sed -n 's/^cpu MHz[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    cache=$(sed -n 's/^cache size[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    echo "- CPU: ${model:-unknown}, $cores logical CPUs, ${mhz:-?} MHz, cache ${cache:-?} (/proc/cpuinfo)"
    echo "- Memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "- Kernel: \`$(uname -srvmo)\`"
    echo "- JDK: \`$("$JAVA" -version 2>&1 | head -n 2 | tail -n 1)\`; JVM flags for every JVM server: \`${JAVA_OPTS[*]}\`"
    echo "- C: \`$(gcc --version | head -n 1)\`, \`-O2\`"
    echo "- Netty: 4.2.18.Final, native epoll transport (classifier linux-x86_64), its default settings (on Java 25 that means no sun.misc.Unsafe and the adaptive allocator)"
    if [[ -n ${STEAL_START:-} && -n ${STEAL_END:-} ]]; then
        echo "- Hypervisor steal during the runs: $(awk -v a="$STEAL_START" -v b="$STEAL_END" 'BEGIN {split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; printf("%.1f%%", (d > 0 ? 100 * (y[1] - x[1]) / d : 0))}') of CPU time (/proc/stat)"
    fi
    echo "- Open-file limit: $(ulimit -Sn) soft, $(ulimit -Hn) hard; ephemeral ports $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range)"
}

write_report() {
    local md=$OUT/RESULTS.md plots=0
    ensure_gnuplot && plots=1
    local tables
    tables=$(active_tables)
    if ((plots)); then
        if [[ -s $DATA/runs.tsv ]]; then
            plot_cpu_per_rt || log "cpu-per-rt plot failed"
        fi
        if [[ -s $DATA/wait-cost.tsv ]]; then
            plot_wait_cost || log "wait-cost plot failed"
        fi
    fi
    {
        echo "# epoll4j benchmark results"
        echo
        echo "Written by \`bench/run\` on $(date -u '+%Y-%m-%d %H:%M UTC') in $([[ $QUICK == 1 ]] && echo "**quick mode** (a smoke run: not for quoting)" || echo "full mode"): $ROUNDS interleaved round(s), ${WARMUP} s warm-up and ${SECONDS_PER_RUN} s measured per run, $(($(date +%s) - SUITE_START)) s in all."
        echo
        echo "Reproduce from the repo root: \`bench/run\` (about 8 minutes; \`BENCH_QUICK=1 bench/run\` for a one-minute smoke run)."
        echo
        echo "## Machine"
        echo
        machine_section
        echo
        echo "## Method"
        echo
        echo "Every server runs one event-loop thread on $HOST and echoes what it reads. For each scenario the servers"
        echo "run interleaved (${SERVERS[*]}, then again) for $ROUNDS rounds; each run starts a fresh server. The load"
        echo "generator (\`bench/c/loadgen.c\`, C, one epoll thread) keeps N connections in a closed loop: send S bytes,"
        echo "wait for the whole echo, compare every byte, repeat. It reads the server's utime+stime from"
        echo "\`/proc/PID/stat\` at the start and the end of the measured window (after the warm-up), so"
        echo "**server CPU per round trip** = that CPU time / round trips completed. It counts every thread of the"
        echo "server process (for a JVM also the JIT and GC threads). Ratios are taken against the C server of the"
        echo "same round, then the median over rounds is reported (so a ratio median need not equal the ratio of medians)."
        if ((${#SERVER_PIN[@]} > 0)); then
            echo "Placement: every server runs pinned to CPU 0 (\`${SERVER_PIN[*]}\`) and the load generators to CPU 1"
            echo "(\`${CLIENT_PIN[*]}\`), so every round trip crosses CPUs the same way; JVMs get \`-XX:ActiveProcessorCount=$CPUS\`"
            echo "so that they size their GC and JIT threads as for the whole machine."
        else
            echo "Placement: not pinned (BENCH_PIN=0): the scheduler places server and load generator."
        fi
        echo "The load generator shares the machine with the server, so throughput and latency compare servers here only."
        echo "The machine is shared: \"neighbour CPUs\" is the median CPU time all other processes used per second of a"
        echo "measured window (utime+stime of every other /proc/PID/stat, plus children reaped meanwhile, which can overcount)."
        echo "A run above $NOISE_LIMIT was run again after a pause while the suite's retry budget lasted; what remains is in"
        echo "that column."
        echo
        echo "Commands (PORT and PID come from the server's \`listening on HOST:PORT\` line and \`\$!\`):"
        echo
        echo '```'
        echo "gcc -O2 -o bench/target/echo_server bench/c/echo_server.c; gcc -O2 -o bench/target/loadgen bench/c/loadgen.c"
        echo "(cd bench && mvn -q package)                     # Netty and Selector peers"
        echo "mvn -q package -DskipTests                        # epoll4j, at the repo root"
        echo "bench/target/echo_server --host $HOST --port 0"
        echo "java ${JAVA_OPTS[*]} -cp 'bench/target/classes:bench/target/lib/*' org.epoll4j.bench.NettyEchoServer --host $HOST --port 0"
        echo "java ${JAVA_OPTS[*]} -cp 'bench/target/classes:bench/target/lib/*' org.epoll4j.bench.SelectorEchoServer --host $HOST --port 0"
        echo "java ${JAVA_OPTS[*]} -jar target/epoll4j.jar --host $HOST --port 0"
        echo "bench/target/loadgen -h $HOST -p PORT -c N -s S -w $WARMUP -d $SECONDS_PER_RUN -P PID"
        echo "# idle scenario, beside a '-c $IDLE_ACTIVE -s 64' loadgen:"
        echo "bench/target/loadgen -h $HOST -p PORT -i $IDLE -B $IDLE_SOURCE -d 600   # $IDLE idle connections from $IDLE_SOURCE and up, 1000 per address"
        echo "jcmd PID GC.run; jcmd PID GC.heap_info; grep VmRSS /proc/PID/status"
        echo '```'
        echo
        echo "## Headline: server CPU per round trip, ratio to C (median of $ROUNDS round(s); lower is better)"
        echo
        cat "$DATA/headline.md"
        echo
        if ((plots)) && [[ -f $OUT/cpu-per-rt.png ]]; then
            echo "![server CPU per round trip](cpu-per-rt.png)"
            echo
        fi
        echo "## Scenarios"
        echo "$tables"
        echo
        echo "## Idle connections"
        echo
        echo "$IDLE idle connections (each echoed one byte, then silent), bound to source addresses $IDLE_SOURCE and up, held"
        echo "while $IDLE_ACTIVE others echo 64 B messages. Per idle connection = (with idle − baseline) / $IDLE, where the"
        echo "baseline is the same server with only the $IDLE_ACTIVE echoing connections. Heap is \`used\` from \`jcmd GC.heap_info\`"
        echo "right after \`jcmd GC.run\` (JVM servers only); RSS is VmRSS from \`/proc/PID/status\` and also counts native"
        echo "memory (Netty's direct buffers, epoll4j's arenas). Kernel socket memory is in neither."
        echo
        idle_table
        echo
        echo "## Wait cost against registered fds"
        echo
        if [[ -f $OUT/wait-cost.png && -s $DATA/wait-cost.tsv ]]; then
            echo "![wait cost against registered fds](wait-cost.png)"
        else
            echo "Not measured in this run: the micro-benchmark of \`Epoll.wait\` against \`poll(2)\` plugs into \`measure_wait_cost\` in \`bench/run\`."
        fi
        echo
        echo "## Notes"
        echo
        if ((${#SKIPPED[@]} > 0)); then
            printf -- '- Skipped: %s\n' "${SKIPPED[@]}"
        fi
        if ((${#FAILED[@]} > 0)); then
            printf -- '- **Failed**: %s\n' "${FAILED[@]}"
        fi
        if [[ -s $DATA/stderr.tsv ]]; then
            awk -F '\t' '{printf "- Server %s wrote to stderr in run %s: `%s`\n", $1, $2, $3}' "$DATA/stderr.tsv" | head -n 20
        else
            echo "- No server wrote anything to stderr (no JVM warnings)."
        fi
        echo "- Raw data: \`${DATA#$ROOT/}/\` (runs.tsv, idle.tsv, loadgen.log, logs/); not committed."
    } >"$md"
}
