// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.bench.micro;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs JMH with the command line's options, then prints, per benchmark, the median of its
 * measurement iterations (steadier than JMH's mean on a shared machine) and the ratio of the
 * library's median to it: {@code library/this} is 1.10 where the library takes 10% longer
 * than that raw baseline.
 */
public final class JmhRatios {
    private JmhRatios() {}

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new CommandLineOptions(args)).run();
        Map<String, double[]> byName = new LinkedHashMap<>();
        for (RunResult run : results) {
            List<Double> scores = new ArrayList<>();
            for (BenchmarkResult fork : run.getBenchmarkResults()) {
                for (IterationResult iteration : fork.getIterationResults()) {
                    scores.add(iteration.getPrimaryResult().getScore());
                }
            }
            String name = run.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            byName.put(name, scores.stream().mapToDouble(Double::doubleValue).sorted().toArray());
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-38s %10s %21s %13s%n", "benchmark", "median ns", "iterations min..max", "library/this");
        for (Map.Entry<String, double[]> entry : byName.entrySet()) {
            String name = entry.getKey();
            double[] sorted = entry.getValue();
            double[] library = byName.get(name.substring(0, name.indexOf('.')) + ".library");
            String ratio = library == null ? "" : String.format(Locale.ROOT, "%.2f", median(library) / median(sorted));
            System.out.printf(Locale.ROOT, "%-38s %10.1f %10.1f..%-10.1f %13s%n",
                    name, median(sorted), sorted[0], sorted[sorted.length - 1], ratio);
        }
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
