# SPDX-License-Identifier: Apache-2.0
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
    awk -F '\t' -v servers="${SERVERS[*]}" -v churn="$CHURN_CLIENTS" '
    function label(s,    p) {
        if (s == "churnx64") return "churn, " churn " clients × 64 B (a round trip is a connection)"
        split(s, p, "x"); return p[1] " conn × " p[2] " B"
    }
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
        # The steady-state echo loads only: under churn every connection is registered once.
        for (k in ssc) if (k != "churnx64" && ((k, "epoll4j") in per) && ((k, "c") in per)) {
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

# ---------------------------------------------------------------- scenarios of issues #9 and #10

# A human label for scenario $2 of group $1 (awk, shared by the tables and the checklist).
EXT_AWK_LIB='
function median(list,    n, v, i, j, t) {
    n = split(list, v, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function fmt(x, digits) { return x == "" ? "–" : sprintf("%." digits "f", x) }
function bytes(b) { return b >= 1024 && b % 1024 == 0 ? b / 1024 " KiB" : b " B" }
function ext_label(g, sc,    p, q, t) {
    if (g == "scaling") { split(sc, p, "."); t = substr(p[1], 2); split(p[2], q, "x"); return t " thread" (t == 1 ? "" : "s") ", " q[1] " conn × " bytes(q[2]) }
    split(sc, q, "x")
    if (g == "udp") return q[1] " clients × " q[2] " datagrams in flight × " bytes(q[3])
    if (g == "churn") return q[1] " clients × " bytes(q[2]) ", a new connection per message"
    return q[1] " conn × " bytes(q[2])
}
'

# Tables of group $1 (ext.tsv) for servers $2 and scenarios $3 (space-separated), unit $4
# ("round trip", "connection", "datagram"): every server gets a row, "not measured" with the
# reason (ext-skips.tsv) when it has no run. Appends medians to ext-summary.tsv:
# group scenario server cpu_us cpu_ratio rt_per_s throughput_ratio rounds
ext_table() {
    awk -F '\t' -v group="$1" -v servers="$2" -v scenarios="$3" -v unit="$4" -v skips="$DATA/ext-skips.tsv" \
        -v summary="$DATA/ext-summary.tsv" "$EXT_AWK_LIB"'
    BEGIN { while ((getline line < skips) > 0) { split(line, f, "\t"); if (f[1] == group) why[f[2], f[3]] = f[4] } }
    $1 == group {
        key = $2 SUBSEP $3 SUBSEP $4
        rt[key] = $5; p50[key] = $6; p99[key] = $7; p999[key] = $8; cpu[key] = $9; client[key] = $10; other[key] = $12 / ($13 > 0 ? $13 : 1)
        lost[key] = $14; late[key] = $15; sent[key] = $16
        if ($4 > rounds) rounds = $4
    }
    END {
        ns = split(servers, name, " "); nsc = split(scenarios, scs, " ")
        udp = group == "udp"
        units = unit "s"
        columns = udp ? 15 : 13
        for (s = 1; s <= nsc; s++) {
            sc = scs[s]
            printf "\n#### %s\n\n", ext_label(group, sc)
            printf "| server | server CPU µs per %s | CPU ratio to C | %s/s | throughput ratio to C | load generator CPU µs per %s | server + load generator µs per %s | p50 µs | p99 µs | p99.9 µs |%s rounds | neighbour CPUs |\n",
                unit, units, unit, unit, (udp ? " lost (of sent) | late |" : "")
            printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s---:|---:|\n", (udp ? "---:|---:|" : "")
            for (k = 1; k <= ns; k++) {
                sv = name[k]
                cl = ""; rl = ""; tl = ""; trl = ""; ll = ""; sl = ""; l50 = ""; l99 = ""; l999 = ""; ol = ""; count = 0; tlost = 0; tlate = 0; tsent = 0
                for (r = 1; r <= rounds; r++) {
                    key = sc SUBSEP sv SUBSEP r
                    if (!(key in cpu)) continue
                    count++
                    cl = cl " " cpu[key]; tl = tl " " rt[key]; ll = ll " " client[key]; sl = sl " " (cpu[key] + client[key])
                    l50 = l50 " " p50[key]; l99 = l99 " " p99[key]; l999 = l999 " " p999[key]; ol = ol " " other[key]
                    tlost += lost[key]; tlate += late[key]; tsent += sent[key]
                    ckey = sc SUBSEP "c" SUBSEP r
                    if ((ckey in cpu) && cpu[ckey] > 0) { rl = rl " " cpu[key] / cpu[ckey]; trl = trl " " rt[key] / rt[ckey] }
                }
                if (count == 0) {
                    reason = ((sc, sv) in why) ? why[sc, sv] : "every run failed (see the notes)"
                    gsub(/\|/, "\\|", reason)
                    printf "| %s | **not measured**: %s |", sv, reason
                    for (i = 3; i <= columns; i++) printf " – |"
                    printf "\n"
                    continue
                }
                mc = median(cl); mr = median(rl)
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", sv, fmt(mc, 2), fmt(mr, 3), fmt(median(tl), 0),
                    fmt(median(trl), 3), fmt(median(ll), 2), fmt(median(sl), 2), fmt(median(l50), 1), fmt(median(l99), 1),
                    fmt(median(l999), 1)
                if (udp) printf " %d (%s%%) | %d |", tlost, (tsent > 0 ? sprintf("%.3f", 100 * tlost / tsent) : "–"), tlate
                printf " %d | %s |\n", count, fmt(median(ol), 2)
                printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", group, sc, sv, mc, mr, median(tl), median(trl), count >> summary
            }
        }
    }' "$DATA/ext.tsv"
}

# The scenarios of group $1 as bench/run names them.
ext_scenarios_of() {
    local n t size out=()
    case $1 in
    scaling) for t in "${SCALING_THREADS[@]}"; do for n in "${SCALING_CONNECTIONS[@]}"; do out+=("t$t.${n}x64"); done; done ;;
    offloop | unix) out=("${EXT_CONNECTIONS}x64") ;;
    churn) out=("${CHURN_CLIENTS}x64") ;;
    udp) for size in "${UDP_SIZES[@]}"; do out+=("${UDP_CLIENTS}x${UDP_WINDOW}x$size"); done ;;
    esac
    echo "${out[@]}"
}

ext_ran() { [[ " ${EXT_GROUPS[*]:-} " == *" $1 "* ]]; }

# The section of RESULTS.md for issues #9 and #10: method, then a table per scenario.
ext_section() {
    : >"$DATA/ext-summary.tsv"
    echo "## Scaling, off-loop work, churn, Unix sockets and UDP (issues #9 and #10)"
    echo
    echo "Each scenario runs its servers interleaved for $ROUNDS round(s), a fresh server per run, and every ratio is to the"
    echo "C server of the same scenario and round. \"Load generator CPU\" is \`bench/target/loadgen\`'s own CPU time per unit"
    echo "(getrusage), so the last CPU column is all the CPU a unit of work cost on the machine but the kernel's softirq"
    echo "time charged elsewhere. A server that cannot start with a scenario's flag is skipped there: its row says"
    echo "**not measured** and why."
    echo
    echo "### Scaling: 1 and 2 event-loop threads (issue #9)"
    echo
    if ext_ran scaling; then
        echo "Servers: the C server with \`--threads N\` (N threads, each with its own \`SO_REUSEPORT\` listener on the same port"
        echo "and its own epoll set: the kernel spreads connections by hash), Netty with one \`MultiThreadIoEventLoopGroup\` of"
        echo "N epoll loops (\`--threads N\`; the listener is on one of them, which accepts and hands connections round-robin to"
        echo "all), epoll4j with \`--threads N\`. Messages of 64 B, ${WARMUP} s warm-up, ${SECONDS_PER_RUN} s measured."
        echo
        echo "**Placement**: on this machine's $CPUS CPUs a server of 2 loop threads cannot be pinned to one CPU, so in this scenario"
        echo "(both thread counts, every server alike) the server and the one-thread load generator both run unpinned on all"
        echo "CPUs (\`${ALL_CPUS[*]}\`), sharing them as the scheduler decides. Throughput is then bounded by the machine, not by"
        echo "the server: a second server thread competes with the load generator for the same 2 CPUs. That is why the"
        echo "load generator's CPU per round trip is shown beside the server's, and their sum: the cost of a round trip to the"
        echo "whole machine. Compare servers within a table; the 1-thread rows here are unpinned, unlike the headline's."
        ext_table scaling "c netty epoll4j" "$(ext_scenarios_of scaling)" "round trip"
    else
        echo "Not run (BENCH_SCALING=0)."
    fi
    echo
    echo "### Off-loop work: each request answered from a worker thread (issue #9)"
    echo
    if ext_ran offloop; then
        echo "One event-loop thread; each read is handed to a worker that writes the echo: \`netty-pool\` and \`netty-virtual\`"
        echo "(\`NettyOffLoopEchoServer\`: the read's \`ByteBuf\` goes to the executor, whose thread calls \`ctx.writeAndFlush\`), and"
        echo "\`epoll4j-pool\` and \`epoll4j-virtual\` (\`bench/src/epoll4j/…/Epoll4jOffLoopEchoServer\`: \`onData\` copies the request,"
        echo "its buffer being valid only during the call, and the worker calls \`connection.write\`). \`-pool\` is a fixed pool of"
        echo "$OFFLOOP_WORKERS platform threads, \`-virtual\` a new virtual thread per request. \`c\` is the plain C echo server"
        echo "answering on its loop: the floor. Placement as the headline's (server with its workers on CPU 0, load"
        echo "generator on CPU 1, unless BENCH_PIN=0), $EXT_CONNECTIONS conn × 64 B, ${WARMUP} s warm-up, ${SECONDS_PER_RUN} s measured."
        ext_table offloop "c netty-pool netty-virtual epoll4j-pool epoll4j-virtual" "$(ext_scenarios_of offloop)" "round trip"
    else
        echo "Not run (BENCH_OFFLOOP=0)."
    fi
    echo
    echo "### Connection churn (issue #9)"
    echo
    if ext_ran churn; then
        echo "$CHURN_CLIENTS load-generator clients each loop: connect, send 64 B, read the whole echo and check it, close. The"
        echo "client closes first, so TIME_WAIT is on the client's side; each new connection binds the next of $CHURN_SOURCES"
        echo "source addresses from $CHURN_SOURCE up, so the ports of one address don't run out. Unit: a whole connection;"
        echo "latencies are from \`connect\` to the last echoed byte. ${CHURN_WARMUP} s warm-up (the JITs take about 10 s to"
        echo "settle), ${CHURN_SECONDS} s measured; placement as the headline's."
        ext_table churn "c netty selector epoll4j" "$(ext_scenarios_of churn)" "connection"
    else
        echo "Not run (BENCH_CHURN=0)."
    fi
    echo
    echo "### Unix domain stream sockets (issue #10)"
    echo
    if ext_ran unix; then
        echo "Echo over a Unix stream socket at a fresh path under \`${SOCK_DIR%/*}/epoll4j-bench.*/\`: the C server and epoll4j with"
        echo "\`--unix PATH\`, Netty's \`EpollServerDomainSocketChannel\` (\`--unix PATH\`); the load generator connects with \`-U PATH\`."
        echo "$EXT_CONNECTIONS conn × 64 B, ${WARMUP} s warm-up, ${SECONDS_PER_RUN} s measured, placement as the headline's."
        ext_table unix "c netty epoll4j" "$(ext_scenarios_of unix)" "round trip"
    else
        echo "Not run (BENCH_UNIX=0)."
    fi
    echo
    echo "### UDP (issue #10)"
    echo
    if ext_ran udp; then
        echo "Each datagram echoed to its sender, one server thread: the C server with \`--udp\` (\`recvmmsg\` of up to 32"
        echo "datagrams, then one \`sendmmsg\` back), Netty's \`EpollDatagramChannel\` with recvmmsg on (\`EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE\`"
        echo "2048 and a \`FixedRecvByteBufAllocator\` of 32 × 2048 B, so one read takes up to 32 datagrams; a flush of several"
        echo "goes out with \`sendmmsg\`), epoll4j with \`--udp\`. The load generator runs $UDP_CLIENTS clients, each a connected UDP"
        echo "socket keeping $UDP_WINDOW datagrams in flight (a closed loop per slot). Every datagram carries its client, slot"
        echo "and sequence number; every echoed byte is compared with what was sent. A datagram not echoed within"
        echo "$UDP_TIMEOUT_MS ms counts as lost and its slot sends a new one; an echo that comes after that counts as late."
        echo "Losses are of the datagrams sent in the measured window, summed over the rounds. Unit: an echoed datagram."
        echo "${WARMUP} s warm-up, ${SECONDS_PER_RUN} s measured, placement as the headline's; default socket buffers everywhere."
        ext_table udp "c netty epoll4j" "$(ext_scenarios_of udp)" "datagram"
    else
        echo "Not run (BENCH_UDP=0)."
    fi
}

# The benchmark targets of issues #9 and #10 as a checklist, from ext-summary.tsv.
ext_figures_section() {
    local scaling="" sc
    for sc in $(ext_scenarios_of scaling); do [[ $sc == t2.* ]] && scaling+=" scaling/$sc/epoll4j/netty"; done
    local offloop="" unix="" udp=""
    for sc in $(ext_scenarios_of offloop); do offloop+=" offloop/$sc/epoll4j-pool/netty-pool offloop/$sc/epoll4j-virtual/netty-virtual"; done
    local churn="churn/$(ext_scenarios_of churn)/epoll4j/netty,selector"
    for sc in $(ext_scenarios_of unix); do unix+=" unix/$sc/epoll4j/netty"; done
    for sc in $(ext_scenarios_of udp); do udp+=" udp/$sc/epoll4j/netty"; done
    awk -F '\t' -v scaling="$scaling" -v offloop="$offloop" -v churn="$churn" -v unixudp="$unix $udp" \
        -v ran=" ${EXT_GROUPS[*]:-} " "$EXT_AWK_LIB"'
    FILENAME ~ /ext-summary.tsv$/ { ratio[$1, $2, $3] = $5; next }
    FILENAME ~ /ext-skips.tsv$/ { why[$1, $2, $3] = $4; next }
    function short(g, sc,    q) {
        split(sc, q, "x")
        if (g == "scaling") return ext_label(g, sc)
        if (g == "udp") return "UDP " bytes(q[3])
        if (g == "unix") return "Unix " q[1] "×" bytes(q[2])
        return q[1] "×" bytes(q[2])
    }
    # entries: "group/scenario/server/peer,peer ..."; met when the server is at most limit × C
    # (limit 0: no limit) and below every peer, in every entry.
    function target(text, entries, limit,    n, e, i, f, np, peers, j, v, pv, ok, missing, msg, part, reason) {
        n = split(entries, e, " "); ok = 1; missing = 0; msg = ""
        if (n == 0) { print "- [ ] " text " — **not measured**: no such scenario in this run"; return }
        for (i = 1; i <= n; i++) {
            split(e[i], f, "/"); np = split(f[4], peers, ",")
            if (index(ran, " " f[1] " ") == 0) { missing = 1; msg = msg (msg == "" ? "" : "; ") short(f[1], f[2]) ": scenario not run (BENCH_" toupper(f[1]) "=0)"; continue }
            v = ratio[f[1], f[2], f[3]]
            if (v == "") {
                missing = 1
                reason = ((f[1], f[2], f[3]) in why) ? why[f[1], f[2], f[3]] : "every run failed: see the notes"
                # each reason once: the same server skipped in several scenarios says it once
                if (reason in told) reason = "as above"
                else if (reason != "") told[reason] = 1
                msg = msg (msg == "" ? "" : "; ") short(f[1], f[2]) ": " f[3] " not measured" (reason == "" ? "" : " (" reason ")")
                continue
            }
            part = sprintf("%s: %s %.3f× C", short(f[1], f[2]), f[3], v)
            if (limit > 0 && v > limit) ok = 0
            for (j = 1; j <= np; j++) {
                pv = ratio[f[1], f[2], peers[j]]
                if (pv == "") { missing = 1; part = part ", " peers[j] " not measured" }
                else { part = part sprintf(", %s %.3f×", peers[j], pv); if (!(v < pv)) ok = 0 }
            }
            msg = msg (msg == "" ? "" : "; ") part
        }
        if (missing) printf "- [ ] %s — **not measured**: %s\n", text, msg
        else printf "- [%s] %s — %s: %s\n", (ok ? "x" : " "), text, (ok ? "**met**" : "**missed**"), msg
    }
    END {
        target("Scaling: at 2 loops within 1.05× of C CPU per round trip and below Netty", scaling, 1.05)
        target("Off-loop work: CPU per round trip below Netty'"'"'s (pool and virtual threads)", offloop, 0)
        target("Churn: at most 1.10× C CPU per connection and below both peers (Netty, Selector)", churn, 1.10)
        target("Unix sockets and UDP: within 1.05× of C and below Netty", unixudp, 1.05)
    }' "$DATA/ext-summary.tsv" "$DATA/ext-skips.tsv"
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
    local tables ext
    tables=$(active_tables)
    ext=$(ext_section)
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
        echo "Reproduce from the repo root: \`bench/run\` (about 20 minutes; \`BENCH_QUICK=1 bench/run\` for a smoke run of about 5 minutes)."
        echo
        echo "## Machine"
        echo
        machine_section
        echo
        echo "## Method"
        echo
        echo "Every server runs one event-loop thread on $HOST (but in the scaling scenario) and echoes what it reads. For each scenario the servers"
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
        echo "java ${JAVA_OPTS[*]} -jar target/epoll4j-echo-server.jar --host $HOST --port 0"
        echo "bench/target/loadgen -h $HOST -p PORT -c N -s S -w $WARMUP -d $SECONDS_PER_RUN -P PID"
        echo "# idle scenario, beside a '-c $IDLE_ACTIVE -s 64' loadgen:"
        echo "bench/target/loadgen -h $HOST -p PORT -i $IDLE -B $IDLE_SOURCE -d 600   # $IDLE idle connections from $IDLE_SOURCE and up, 1000 per address"
        echo "jcmd PID GC.run; jcmd PID GC.heap_info; grep VmRSS /proc/PID/status"
        echo "# allocation (JVM servers, beside a '-c $ALLOC_CONNECTIONS -s 64' loadgen), at both ends of the window:"
        echo "jcmd PID Thread.print -e; jcmd PID PerfCounter.print; grep wchar /proc/LOADGEN_PID/io"
        echo "# syscalls (beside a '-c N -s 64' loadgen); TID = the loop thread's nid from Thread.print (the PID for C):"
        echo "timeout -s INT $SYSCALL_SECONDS strace -qq -s 0 -o TRACE -p TID"
        echo "# issues #9 and #10 (SERVER is any of the servers above; the epoll4j off-loop peer is compiled by bench/run:"
        echo "# javac --release 22 -d bench/target/epoll4j-peer -cp 'bench/target/classes:target/epoll4j.jar' bench/src/epoll4j/java/org/epoll4j/bench/*.java)"
        echo "SERVER --host $HOST --port 0 --threads N;  bench/target/loadgen -h $HOST -p PORT -c N -s 64 -w $WARMUP -d $SECONDS_PER_RUN -P PID   # scaling, unpinned"
        echo "java ... org.epoll4j.bench.NettyOffLoopEchoServer --host $HOST --port 0 --executor pool --workers $OFFLOOP_WORKERS   # or --executor virtual"
        echo "java ... -cp 'bench/target/epoll4j-peer:bench/target/classes:target/epoll4j.jar' org.epoll4j.bench.Epoll4jOffLoopEchoServer --host $HOST --port 0 --executor pool --workers $OFFLOOP_WORKERS"
        echo "bench/target/loadgen -h $HOST -p PORT -m churn -c $CHURN_CLIENTS -s 64 -B $CHURN_SOURCE -R $CHURN_SOURCES -w $CHURN_WARMUP -d $CHURN_SECONDS -P PID"
        echo "SERVER --unix PATH;  bench/target/loadgen -U PATH -c $EXT_CONNECTIONS -s 64 -w $WARMUP -d $SECONDS_PER_RUN -P PID"
        echo "SERVER --host $HOST --port 0 --udp;  bench/target/loadgen -h $HOST -p PORT -m udp -c $UDP_CLIENTS -W $UDP_WINDOW -T $UDP_TIMEOUT_MS -s SIZE -w $WARMUP -d $SECONDS_PER_RUN -P PID"
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
        echo "## The benchmark targets of issues #9 and #10, this run"
        echo
        echo "Ratios are epoll4j's (and its peers') server CPU per unit of work to the C server's, medians over rounds."
        echo
        ext_figures_section
        echo
        echo "## Scenarios"
        echo "$tables"
        echo
        echo "$ext"
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
            echo "compare servers within a row group, not with the timed runs. Under churn (the churn scenario's load: connect,"
            echo "one 64 B echo, close) a round trip is a whole connection, from its accept to its close."
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
        echo "- Raw data: \`${DATA#$ROOT/}/\` (runs.tsv, ext.tsv, ext-skips.tsv, idle.tsv, alloc.tsv, syscalls.tsv, loadgen.log, logs/ with the strace traces); not committed."
    } >"$md"
}
