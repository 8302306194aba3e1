# SPDX-License-Identifier: Apache-2.0
# Sourced by bench/micro/wait-cost and bench/micro/jmh: builds the micro-benchmarks and sets
#   JAVA         the JDK 22+ java (BENCH_JAVA_HOME, default Temurin 25, as in bench/run)
#   MICRO_CP     class path of the benchmarks: target/classes and target/lib/* (epoll4j, JMH)
# Everything it prints goes to stderr: the scripts' stdout is their result.

MICRO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MICRO_ROOT=$(cd "$MICRO_DIR/../.." && pwd)
JAVA=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
MICRO_CP="$MICRO_DIR/target/classes:$MICRO_DIR/target/lib/*"

micro_log() { printf '[micro] %s\n' "$*" >&2; }

# Maven, quiet, its output on stderr (it still prints bare ANSI resets with -B: dropped).
micro_mvn() {
    mvn -q -B -Dstyle.color=never "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
    return "${PIPESTATUS[0]}"
}

micro_build() {
    local jar=$MICRO_ROOT/target/epoll4j.jar
    [[ -x $JAVA ]] || { micro_log "no JDK at $JAVA: set BENCH_JAVA_HOME to a JDK 22+"; return 1; }
    # An existing jar is used as it is (bench/run builds it first); build it only when missing.
    if [[ ! -f $jar ]]; then
        micro_log "building $jar"
        (cd "$MICRO_ROOT" && micro_mvn -DskipTests package) || return 1
    fi
    # Installed afresh on every build, so the benchmarks never compile against a stale library.
    micro_log "installing $jar as org.epoll4j:epoll4j:0.1.0 in the local Maven repository"
    micro_mvn install:install-file -Dfile="$jar" -DgroupId=org.epoll4j -DartifactId=epoll4j \
        -Dversion=0.1.0 -Dpackaging=jar || return 1
    micro_log "building bench/micro"
    (cd "$MICRO_DIR" && micro_mvn package) || return 1
}
