#!/usr/bin/env bash
# A single-node OpenSearch 2.19 on 127.0.0.1, in the foreground, from Maven Central jars.
#
#   tools/opensearch/run.sh           build if needed, then run (prints "OpenSearch ... ready at URL")
#   tools/opensearch/run.sh --build   only build if needed (exit status tells whether it worked)
#
# Environment (all optional):
#   OPENSEARCH_PORT            HTTP port (default 9200; 0 = a free one, printed when ready)
#   OPENSEARCH_TRANSPORT_PORT  transport port or range (default 9300-9399)
#   OPENSEARCH_HOME            node home to use and keep (default: a fresh temp dir, deleted on exit)
#   OPENSEARCH_KEEP_DATA=1     without OPENSEARCH_HOME: use and keep $AUDITUI_DATA_DIR/opensearch (default var/opensearch)
#   OPENSEARCH_HEAP            JVM heap, Xms = Xmx (default 512m; 1g for heavy bulk loads)
#   OPENSEARCH_JAVA_OPTS       extra JVM options
#   OPENSEARCH_READY_FILE      the node writes its URL there once it is ready
#   MAVEN_ARGS_EXTRA           extra mvn arguments (e.g. -o, -Dmaven.repo.local=...)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$here/target"
jar="$target/opensearch-node.jar"
classpath_file="$target/classpath.txt"
stamp="$target/.built"   # touched after a successful build (mvn leaves an unchanged classpath.txt untouched)

needs_build() {
    [[ -s "$jar" && -s "$classpath_file" && -f "$stamp" ]] || return 0
    [[ -n "$(find "$here/pom.xml" "$here/src" -newer "$stamp" -print -quit)" ]] && return 0
    # the local Maven repository may have been emptied since the last build
    local first
    IFS=: read -r first _ < "$classpath_file"
    [[ -f "$first" ]] || return 0
    return 1
}

build() {
    if needs_build; then
        for tool in java mvn; do
            command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is not installed (need Java 17+ and Maven)" >&2; exit 2; }
        done
        echo "run.sh: building the OpenSearch node (mvn package; the first run downloads ~90 MB from Maven Central)" >&2
        local out
        # shellcheck disable=SC2086
        if ! out="$(mvn -q -B ${MAVEN_ARGS_EXTRA:-} -f "$here/pom.xml" package 2>&1)"; then
            printf '%s\n' "$out" >&2
            echo "run.sh: the build failed (mvn -f tools/opensearch/pom.xml package)" >&2
            exit 1
        fi
        touch "$stamp"
    fi
}

build
[[ "${1:-}" == "--build" ]] && exit 0

if [[ -z "${OPENSEARCH_HOME:-}" ]]; then
    case "${OPENSEARCH_KEEP_DATA:-}" in
        1|true|yes|on)
            data_dir="${AUDITUI_DATA_DIR:-var}"
            [[ "$data_dir" = /* ]] || data_dir="$root/$data_dir"
            export OPENSEARCH_HOME="$data_dir/opensearch" ;;
    esac
fi

heap="${OPENSEARCH_HEAP:-512m}"
# The -D flags follow OpenSearch's own jvm.options / SystemJvmOptions. SPI,COMPAT makes Java 17 use the ISO
# calendar provider in the server jar (2.x needs it for week-based date math).
# shellcheck disable=SC2086
exec java \
    -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Xss1m -XX:+ExitOnOutOfMemoryError \
    -Djava.locale.providers=SPI,COMPAT \
    -Dfile.encoding=UTF-8 -Djava.awt.headless=true -Djna.nosys=true \
    -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
    -Dio.netty.recycler.maxCapacityPerThread=0 -Dio.netty.allocator.numDirectArenas=0 \
    -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
    -Dlog4j2.configurationFile="$here/log4j2.properties" \
    ${OPENSEARCH_JAVA_OPTS:-} \
    -cp "$jar:$(cat "$classpath_file")" auditui.opensearch.Launcher
