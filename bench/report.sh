# Sourced by bench/run: turns $DATA/*.tsv into $OUT/RESULTS.md and the PNG plots.
# Plain awk (mawk or gawk) and gnuplot; gnuplot is installed from Debian if missing.

# Markdown tables for the active scenarios, and $DATA/cpu-plot.dat for gnuplot.
# runs.tsv: scenario server round rt_per_s p50_us p99_us p999_us cpu_us_per_rt server_cpu_s other_cpu_s
active_tables() {
    : >"$DATA/summary.tsv"
    awk -F '\t' -v seconds="$SECONDS_PER_RUN" -v servers="${SERVERS[*]}" -v plot="$DATA/cpu-plot.dat" -v headline="$DATA/headline.md" \
        -v summary="$DATA/summary.tsv" '
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
                # summary.tsv: scenario server cpu_us cpu_ratio rt_per_s throughput_ratio p99_us rounds
                if (count > 0) printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", sc, sv, mc, mr, median(tl), median(trl), median(l99), count > summary
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

# alloc.tsv: server thread tid window_s round_trips alloc_bytes gcs_window young full concurrent gcs_total alloc_total_bytes
alloc_table() {
    echo "| server | loop thread | bytes allocated on the loop thread per round trip | allocated in the window (bytes) | round trips in the window | window (s) | GC pauses in the window | GC pauses since JVM start | loop thread's allocation since JVM start (bytes) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    awk -F '\t' '{
        printf "| %s | `%s` | %.3f | %.0f | %.0f | %s | %d (young %d, full %d, concurrent %d) | %d | %.0f |\n",
            $1, $2, ($5 > 0 ? $6 / $5 : 0), $6, $5, $4, $7, $8, $9, $10, $11, $12
    }' "$DATA/alloc.tsv"
}

# syscalls.tsv: scenario server tid seconds round_trips total_calls epoll_ctl_calls breakdown
syscall_table() {
    awk -F '\t' -v servers="${SERVERS[*]}" '
    function label(s,    p) { split(s, p, "x"); return p[1] " conn × " p[2] " B" }
    {
        key = $1 SUBSEP $2
        rts[key] = $5; total[key] = $6; ctl[key] = $7; calls[key] = $8
        if (!($1 in seen)) { seen[$1] = 1; order[++scenarios] = $1 }
    }
    END {
        ns = split(servers, name, " ")
        print "| scenario | server | syscalls per round trip | ratio to C | `epoll_ctl` per round trip | per round trip, by call (`call/ERRNO` = failed) | round trips traced |"
        print "|---|---|---:|---:|---:|---|---:|"
        for (s = 1; s <= scenarios; s++) {
            sc = order[s]; ckey = sc SUBSEP "c"
            cper = ((ckey in rts) && rts[ckey] > 0) ? total[ckey] / rts[ckey] : ""
            for (k = 1; k <= ns; k++) {
                key = sc SUBSEP name[k]
                if (!(key in rts) || rts[key] == 0) continue
                per = total[key] / rts[key]
                n = split(calls[key], c, " "); by = ""
                # the biggest first (a few calls, insertion sort)
                for (i = 2; i <= n; i++) {
                    t = c[i]; split(t, tv, "="); for (j = i - 1; j >= 1; j--) { split(c[j], cv, "="); if (cv[2] + 0 >= tv[2] + 0) break; c[j + 1] = c[j] } c[j + 1] = t
                }
                for (i = 1; i <= n; i++) { split(c[i], cv, "="); by = by (i > 1 ? " · " : "") sprintf("%s %.3f", cv[1], cv[2] / rts[key]) }
                printf "| %s | %s | %.3f | %s | %.4f | %s | %d |\n", label(sc), name[k], per,
                    (cper == "" ? "–" : sprintf("%.3f", per / cper)), ctl[key] / rts[key], by, rts[key]
            }
        }
    }' "$DATA/syscalls.tsv"
}

# The figures of issue #4 section 4, each with what this run measured and whether it was met.
figures_section() {
    awk -F '\t' -v limit_ratio=1.05 -v limit_idle=128 -v flat=0.15 '
    function median(list,    n, v, i, j, t) {
        n = split(list, v, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function item(ok, text, measured) {
        printf "- [%s] %s — %s: %s\n", (ok == "" ? " " : ok ? "x" : " "), text, (ok == "" ? "**not measured**" : ok ? "**met**" : "**missed**"), measured
    }
    function label(s,    p) { split(s, p, "x"); return p[1] "×" (p[2] >= 1024 ? p[2] / 1024 " KiB" : p[2] " B") }
    # The calls epoll4j makes more often per round trip than C in scenario k: " (epoll4j − C: futex +0.008 …)".
    function extra(k,    n, m, i, a, cv, pc, out, d) {
        n = split(calls[k, "c"], a, " "); for (i = 1; i <= n; i++) { split(a[i], cv, "="); pc[cv[1]] = cv[2] / srt[k, "c"] }
        m = split(calls[k, "epoll4j"], a, " "); out = ""
        for (i = 1; i <= m; i++) {
            split(a[i], cv, "="); d = cv[2] / srt[k, "epoll4j"] - pc[cv[1]]
            if (d > 0.0005) out = out (out == "" ? "" : ", ") sprintf("%s %+.3f", cv[1], d)
        }
        return out == "" ? "" : " (epoll4j − C per round trip: " out ")"
    }
    FILENAME ~ /summary.tsv$/ { cpu[$1, $2] = $3; ratio[$1, $2] = $4; rt[$1, $2] = $5; p99[$1, $2] = $7; sc[$1] = 1; next }
    FILENAME ~ /alloc.tsv$/ { abytes[$1] = $6; arts[$1] = $5; agc[$1] = $7; next }
    FILENAME ~ /idle.tsv$/ { if ($6 != "-" && $7 != "") idle[$1] = idle[$1] " " ($7 - $6) * 1024 / $3; next }
    FILENAME ~ /syscalls.tsv$/ { if ($5 > 0) { per[$1, $2] = $6 / $5; srt[$1, $2] = $5; ctl[$1, $2] = $7; ctlper[$1, $2] = $7 / $5; ssc[$1] = 1; calls[$1, $2] = $8 } next }
    FILENAME ~ /wait-cost.tsv$/ { nw++; fds[nw] = $1; wait[nw] = $2; next }
    END {
        h = "50x64"
        e = ratio[h, "epoll4j"]; n = ratio[h, "netty"]; s = ratio[h, "selector"]
        item(e == "" ? "" : e <= limit_ratio, "Server CPU per round trip at 50 conn × 64 B at most 1.05× the C server",
            e == "" ? "no 50×64 B run" : sprintf("epoll4j %.2f µs = **%.3f× C** (C %.2f µs)", cpu[h, "epoll4j"], e, cpu[h, "c"]))
        item(e == "" || n == "" || s == "" ? "" : e < n && e < s, "… and below Netty-epoll and the JDK Selector",
            e == "" || n == "" || s == "" ? "a server is missing" : sprintf("epoll4j %.3f× C, Netty %.3f× C, Selector %.3f× C", e, n, s))
        # throughput and p99 against Netty: the headline scenario, then how many scenarios overall
        tw = 0; pw = 0; m = 0
        for (k in sc) if (((k, "epoll4j") in rt) && ((k, "netty") in rt)) {
            m++; if (rt[k, "epoll4j"] + 0 >= rt[k, "netty"] + 0) tw++; else tmiss = tmiss (tmiss == "" ? " " : ", ") label(k)
            if (p99[k, "epoll4j"] + 0 <= p99[k, "netty"] + 0) pw++; else pmiss = pmiss (pmiss == "" ? " " : ", ") label(k)
        }
        ok = ((h, "epoll4j") in rt) && ((h, "netty") in rt)
        item(ok ? rt[h, "epoll4j"] + 0 >= rt[h, "netty"] + 0 : "", "Throughput at least Netty-epoll'"'"'s (50×64 B)",
            ok ? sprintf("epoll4j %.0f round trips/s, Netty %.0f; at least Netty'"'"'s in %d of %d scenarios%s", rt[h, "epoll4j"], rt[h, "netty"], tw, m, tw < m ? " (not in" tmiss ")" : "") : "–")
        item(ok ? p99[h, "epoll4j"] + 0 <= p99[h, "netty"] + 0 : "", "p99 latency no worse than Netty-epoll'"'"'s (50×64 B)",
            ok ? sprintf("epoll4j %.1f µs, Netty %.1f µs; no worse in %d of %d scenarios%s", p99[h, "epoll4j"], p99[h, "netty"], pw, m, pw < m ? " (worse in" pmiss ")" : "") : "–")
        ok = "epoll4j" in abytes
        item(ok ? abytes["epoll4j"] == 0 : "", "0 bytes allocated per round trip",
            ok ? sprintf("%.3f B per round trip (%d B on the loop thread over %d round trips)", (arts["epoll4j"] > 0 ? abytes["epoll4j"] / arts["epoll4j"] : 0), abytes["epoll4j"], arts["epoll4j"]) : "–")
        item(ok ? agc["epoll4j"] == 0 : "", "No GC during a steady run", ok ? sprintf("%d GC pause(s) in the measured window", agc["epoll4j"]) : "–")
        mi = median(idle["epoll4j"])
        item(mi == "" ? "" : mi <= limit_idle, "At most 128 bytes of Java heap per idle connection",
            mi == "" ? "–" : sprintf("epoll4j %.0f B (Netty %s B, Selector %s B)", mi, (idle["netty"] == "" ? "–" : sprintf("%.0f", median(idle["netty"]))), (idle["selector"] == "" ? "–" : sprintf("%.0f", median(idle["selector"])))))
        ok = 1; okc = 1; any = 0; text = ""; textc = ""
        for (k in ssc) if (((k, "epoll4j") in per) && ((k, "c") in per)) {
            any = 1
            # A trace starts and ends mid round trip: up to the calls of one round trip at each end are no difference.
            if (per[k, "epoll4j"] * srt[k, "epoll4j"] - per[k, "c"] * srt[k, "epoll4j"] > 2 * per[k, "c"]) ok = 0
            if (ctl[k, "epoll4j"] > 0) okc = 0
            text = text (text == "" ? "" : "; ") sprintf("%s: epoll4j %.3f, C %.3f (%.3f×)%s", label(k), per[k, "epoll4j"], per[k, "c"],
                per[k, "epoll4j"] / per[k, "c"], extra(k))
            textc = textc (textc == "" ? "" : "; ") sprintf("%s: %d `epoll_ctl` in %s", label(k), ctl[k, "epoll4j"], "the trace")
        }
        item(any ? ok : "", "No more syscalls per round trip than the C server (allowing one round trip'"'"'s calls at each end of a trace)", any ? text : "–")
        item(any ? okc : "", "0 `epoll_ctl` per round trip in steady state", any ? textc : "–")
        if (nw > 0) {
            worst = 0; signed = 0; at = fds[1]
            for (i = 1; i <= nw; i++) { d = wait[i] / wait[1] - 1; if ((d < 0 ? -d : d) > worst) { worst = (d < 0 ? -d : d); signed = d; at = fds[i] } }
            item(worst <= flat, "`Epoll.wait` cost flat within ±15% from 10 to 19,000 registered fds",
                sprintf("%d to %d fds: %.0f to %.0f ns per wait; the farthest from the cost at %d fds is %+.1f%% (at %d fds)", fds[1], fds[nw], wait[1], wait[nw], fds[1], 100 * signed, at))
        } else item("", "`Epoll.wait` cost flat within ±15% from 10 to 19,000 registered fds", "no wait-cost data in this run")
    }' "$DATA/summary.tsv" "$DATA/alloc.tsv" "$DATA/idle.tsv" "$DATA/syscalls.tsv" $([[ -s $DATA/wait-cost.tsv ]] && echo "$DATA/wait-cost.tsv")
}

# JMH results of bench/micro (measure_jmh in this run, or bench/micro/jmh before), when present.
JMH_RESULTS=$BENCH_DIR/micro/target/jmh.txt
jmh_section() {
    echo "## JMH micro-benchmarks"
    echo
    if [[ -s $JMH_RESULTS ]]; then
        local by="by this run: \`bench/micro/jmh -f 1 -wi 2 -w 1s -i 4 -r 1s\`"
        (($(date -r "$JMH_RESULTS" +%s) >= SUITE_START)) || by="by \`bench/micro/jmh\` before this run, not by it"
        echo "From \`${JMH_RESULTS#$ROOT/}\` of $(date -u -r "$JMH_RESULTS" '+%Y-%m-%d %H:%M UTC') (written $by):"
        echo
        echo '```text'
        cat "$JMH_RESULTS"
        echo '```'
    else
        echo "No \`${JMH_RESULTS#$ROOT/}\`: the JMH micro-benchmarks in \`bench/micro/\` have not been run."
    fi
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
set logscale xy
set xlabel "registered fds"
set ylabel "ns per wait (log scale)"
set format y "%.0f"
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
        echo "Reproduce from the repo root: \`bench/run\` (about 9 minutes; \`BENCH_QUICK=1 bench/run\` for a one-minute smoke run)."
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
        echo "# allocation (JVM servers, beside a '-c $ALLOC_CONNECTIONS -s 64' loadgen), at both ends of the window:"
        echo "jcmd PID Thread.print -e; jcmd PID PerfCounter.print; grep wchar /proc/LOADGEN_PID/io"
        echo "# syscalls (beside a '-c N -s 64' loadgen); TID = the loop thread's nid from Thread.print (the PID for C):"
        echo "timeout -s INT $SYSCALL_SECONDS strace -qq -s 0 -o TRACE -p TID"
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
        echo "## The figures of issue #4 §4, this run"
        echo
        figures_section
        echo
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
        echo "## Allocation and GC"
        echo
        if [[ -s $DATA/alloc.tsv ]]; then
            echo "Each JVM server on its own run under $ALLOC_CONNECTIONS connections × 64 B: ${ALLOC_WARMUP} s of warm-up, then a"
            echo "${ALLOC_WINDOW} s window. Bytes allocated on the loop thread are its allocation counter from \`jcmd PID Thread.print -e\`"
            echo "(\`allocated=\`, the counter behind \`ThreadMXBean.getThreadAllocatedBytes\`) at both ends of the window; it is"
            echo "printed to the byte below 100 KiB, to 1 KiB below 100 MiB and to 1 MiB above, so a reading is exact to"
            echo "1 KiB here. Round trips in the window = bytes the load generator wrote (\`wchar\` of \`/proc/LOADGEN/io\`) / 64,"
            echo "read right after each \`jcmd\`. GC pauses are G1's \`sun.gc.collector.*.invocations\` counters"
            echo "(\`jcmd PID PerfCounter.print\`): young, full, and the concurrent cycle's remark and cleanup pauses."
            echo
            alloc_table
        else
            echo "Not measured in this run (BENCH_ALLOC=0, or no JVM server)."
        fi
        echo
        echo "## Syscalls per round trip"
        echo
        if [[ -s $DATA/syscalls.tsv ]]; then
            echo "Each server on its own run under N connections × 64 B: after ${SYSCALL_WARMUP} s, \`strace\` is attached for ${SYSCALL_SECONDS} s to"
            echo "the server's loop thread only (for a JVM the thread that runs the event loop, found by name in"
            echo "\`jcmd PID Thread.print\`, so GC and JIT threads are not counted; the C server is single-threaded)."
            echo "Every finished call in the trace counts, failed ones too; round trips traced = bytes returned by"
            echo "\`write\`/\`writev\`/\`sendto\` / 64. strace slows the traced thread by an order of magnitude, so the server"
            echo "is slower than in the timed runs and, with 50 connections, finds more ready connections per wait:"
            echo "compare servers within a row group, not with the timed runs."
            echo
            syscall_table
        else
            echo "Not measured in this run (BENCH_SYSCALLS=0, or strace unavailable)."
        fi
        echo
        echo "## Wait cost against registered fds"
        echo
        if [[ -f $OUT/wait-cost.png && -s $DATA/wait-cost.tsv ]]; then
            echo "![wait cost against registered fds](wait-cost.png)"
        else
            echo "Not measured in this run: the micro-benchmark of \`Epoll.wait\` against \`poll(2)\` plugs into \`measure_wait_cost\` in \`bench/run\`."
        fi
        echo
        jmh_section
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
        echo "- Raw data: \`${DATA#$ROOT/}/\` (runs.tsv, idle.tsv, alloc.tsv, syscalls.tsv, loadgen.log, logs/ with the strace traces); not committed."
    } >"$md"
}
