package auditui.opensearch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.opensearch.Version;
import org.opensearch.action.admin.cluster.health.ClusterHealthResponse;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

/**
 * A single OpenSearch 2.19 node on 127.0.0.1 for development and tests, built from Maven Central jars.
 *
 * <p>Environment (all optional):
 * <ul>
 *   <li>{@code OPENSEARCH_PORT}: HTTP port, default 9200; 0 picks a free one (the ready line and file tell which).</li>
 *   <li>{@code OPENSEARCH_TRANSPORT_PORT}: transport port or range, default 9300-9399.</li>
 *   <li>{@code OPENSEARCH_HOME}: node home (data, logs); kept. Unset: a fresh temp dir, deleted on exit
 *       unless {@code OPENSEARCH_KEEP_DATA} is 1/true/yes.</li>
 *   <li>{@code OPENSEARCH_CLUSTER_NAME}: default {@code auditui-dev}.</li>
 *   <li>{@code OPENSEARCH_READY_FILE}: when the node is ready, its URL is written there (atomically).</li>
 * </ul>
 * Heap and other JVM options are the caller's (see run.sh). SIGTERM or Ctrl-C closes the node cleanly.
 */
public final class Launcher {

    /** In 2.19 the constructor that takes classpath plugins is protected. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }

        @Override
        protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {
            // as OpenSearch's MockNode does: the listener only feeds the node id into the log pattern
        }
    }

    /** The modules a distribution would load from modules/, given here as classpath plugins. */
    static final List<Class<? extends Plugin>> PLUGINS = List.of(
            org.opensearch.transport.Netty4Plugin.class,               // HTTP and transport: without it, no HTTP
            org.opensearch.index.reindex.ReindexPlugin.class,          // _delete_by_query, _update_by_query, _reindex
            org.opensearch.analysis.common.CommonAnalysisPlugin.class, // analyzers, tokenizers, token filters
            org.opensearch.painless.PainlessPlugin.class,              // scripts (the default script language)
            org.opensearch.index.mapper.MapperExtrasPlugin.class);     // scaled_float, token_count, search_as_you_type

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        String httpPort = env("OPENSEARCH_PORT", "9200");
        String explicitHome = env("OPENSEARCH_HOME", null);
        boolean keep = explicitHome != null || truthy(env("OPENSEARCH_KEEP_DATA", ""));
        Path home = explicitHome != null
                ? Paths.get(explicitHome).toAbsolutePath()
                : Files.createTempDirectory("auditui-opensearch-");
        // plugins/ and modules/ stay empty: everything comes from the classpath (no jar-hell check on bundles)
        for (String dir : List.of("config", "data", "logs", "plugins", "modules")) {
            Files.createDirectories(home.resolve(dir));
        }

        Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", env("OPENSEARCH_CLUSTER_NAME", "auditui-dev"))
                .put("node.name", "node-1")
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", httpPort)
                .put("transport.port", env("OPENSEARCH_TRANSPORT_PORT", "9300-9399"))
                // test-friendly: no read-only blocks on a full disk, no spurious 429s on a small heap
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("indices.breaker.total.use_real_memory", false)
                .build();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), home.resolve("config"), () -> "node-1");

        Node node = new EmbeddedNode(environment, PLUGINS);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    System.err.println("opensearch: node did not close within 30 s");
                }
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                if (!keep) {
                    deleteTree(home);
                }
                System.out.println("opensearch: stopped");
                System.out.flush();
                stopped.countDown();
            }
        }, "opensearch-shutdown"));

        String url;
        try {
            node.start();
            ClusterHealthResponse health = node.client().admin().cluster().prepareHealth()
                    .setWaitForYellowStatus().setTimeout(TimeValue.timeValueSeconds(60)).get();
            if (health.isTimedOut()) {
                throw new IllegalStateException("cluster not yellow within 60 s: " + health.getStatus());
            }
            // One node: replicas could never be assigned, so every index gets 0 unless its request or template
            // says otherwise. 2.x reads this default from the cluster metadata, not from node settings, hence a
            // persistent cluster setting. Not a catch-all "*" index template: a composable one is rejected (400)
            // next to any application template of the same priority, and a legacy one makes every
            // PUT _index_template answer with a Warning header.
            node.client().admin().cluster().prepareUpdateSettings()
                    .setPersistentSettings(Settings.builder().put("cluster.default_number_of_replicas", 0))
                    .get();
            int port = node.injector().getInstance(HttpServerTransport.class)
                    .boundAddress().publishAddress().getPort();
            url = "http://127.0.0.1:" + port;
        } catch (Throwable e) {
            System.err.println("opensearch: failed to start: " + e);
            e.printStackTrace();
            System.exit(1);   // runs the shutdown hook: closes the node, removes a temp home
            return;
        }

        String readyFile = env("OPENSEARCH_READY_FILE", null);
        if (readyFile != null) {
            Path target = Paths.get(readyFile).toAbsolutePath();
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.writeString(tmp, url + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        System.out.printf(Locale.ROOT, "OpenSearch %s ready at %s (home %s, %s on exit)%n",
                Version.CURRENT, url, home, keep ? "kept" : "deleted");
        System.out.flush();
        stopped.await(); // OpenSearch's threads are daemons: block until the shutdown hook has closed the node
    }

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    static boolean truthy(String value) {
        return List.of("1", "true", "yes", "on").contains(value.toLowerCase(Locale.ROOT));
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("opensearch: could not delete " + root + ": " + e);
        }
    }
}
