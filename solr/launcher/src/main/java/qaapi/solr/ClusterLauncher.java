package qaapi.solr;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A SolrCloud cluster on loopback for tests and benchmarks: an embedded ZooKeeper and N Solr nodes in one JVM
 * (solr-test-framework's MiniSolrCloudCluster), driven over a small control endpoint on 127.0.0.1.
 *
 * <p>Once every node is up it writes {@code state.json} (node URLs, ZooKeeper address, control URL) into the
 * state directory. Control: {@code POST /stop}, {@code POST /kill-node?n=N}, {@code POST /start-node?n=N}
 * (nodes numbered from 1), {@code GET /status}. It shuts itself down after {@code --max-seconds} whatever happens,
 * so a cluster nobody stops cannot outlive its test run by much.
 */
public final class ClusterLauncher {
  private final MiniSolrCloudCluster cluster;
  private final List<JettySolrRunner> nodes;
  private final Path stateDir;
  private final Path home;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private HttpServer control;
  private boolean shutDown;

  private ClusterLauncher(MiniSolrCloudCluster cluster, Path stateDir, Path home) {
    this.cluster = cluster;
    this.nodes = new ArrayList<>(cluster.getJettySolrRunners());
    this.stateDir = stateDir;
    this.home = home;
  }

  public static void main(String[] args) throws Exception {
    Path stateDir = Path.of(option(args, "--state-dir", "solr-cluster"));
    int nodeCount = Integer.parseInt(option(args, "--nodes", "3"));
    long maxSeconds = Long.parseLong(option(args, "--max-seconds", "3600"));
    Files.createDirectories(stateDir);
    Path home = Files.createTempDirectory(stateDir, "nodes-");
    // Jetty's own shutdown hook would race ours; ours stops the nodes and then ZooKeeper, in that order.
    JettyConfig jetty = JettyConfig.builder().setContext("/solr").stopAtShutdown(false).build();
    MiniSolrCloudCluster cluster =
        new MiniSolrCloudCluster(nodeCount, home, MiniSolrCloudCluster.DEFAULT_CLOUD_SOLR_XML, jetty);
    new ClusterLauncher(cluster, stateDir, home).serve(maxSeconds);
  }

  private void serve(long maxSeconds) throws Exception {
    Runtime.getRuntime().addShutdownHook(new Thread(this::shutDown));
    control = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    control.createContext("/", this::handle);
    control.start();
    String controlUrl = "http://127.0.0.1:" + control.getAddress().getPort();
    writeAtomically(stateDir.resolve("state.json"), stateJson(controlUrl));
    if (!stopped.await(maxSeconds, TimeUnit.SECONDS)) {
      System.err.println("solr-cluster: stopping after its " + maxSeconds + " s lifetime");
    }
    shutDown();
    System.exit(0);
  }

  /** Stops everything once, whether asked to, out of time, or signalled (SIGTERM runs the shutdown hook). */
  private synchronized void shutDown() {
    if (shutDown) {
      return;
    }
    shutDown = true;
    try {
      Files.deleteIfExists(stateDir.resolve("state.json"));
      if (control != null) {
        control.stop(0);
      }
      cluster.shutdown();
      try (var paths = Files.walk(home)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (Exception e) {
      System.err.println("solr-cluster: shutdown: " + e);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String query = exchange.getRequestURI().getQuery();
    boolean post = "POST".equals(exchange.getRequestMethod());
    try {
      if (path.equals("/status")) {
        reply(exchange, 200, statusJson());
      } else if (post && path.equals("/stop")) {
        reply(exchange, 200, "{\"stopping\":true}");
        stopped.countDown();
      } else if (post && path.equals("/kill-node")) {
        JettySolrRunner node = nodes.get(nodeNumber(query) - 1);
        if (node.isRunning()) {
          cluster.stopJettySolrRunner(node);
          cluster.waitForJettyToStop(node);
        }
        reply(exchange, 200, statusJson());
      } else if (post && path.equals("/start-node")) {
        int n = nodeNumber(query);
        if (!nodes.get(n - 1).isRunning()) {
          // on its old port, so the URLs printed at start stay right
          nodes.set(n - 1, cluster.startJettySolrRunner(nodes.get(n - 1), true));
          cluster.waitForNode(nodes.get(n - 1), 60);
        }
        reply(exchange, 200, statusJson());
      } else {
        reply(exchange, 404, "{\"error\":\"unknown command\"}");
      }
    } catch (IllegalArgumentException e) {
      reply(exchange, 400, "{\"error\":" + quote(e.getMessage()) + "}");
    } catch (Exception e) {
      reply(exchange, 500, "{\"error\":" + quote(String.valueOf(e)) + "}");
    }
  }

  private int nodeNumber(String query) {
    String raw = query != null && query.startsWith("n=") ? query.substring(2) : "";
    try {
      int n = Integer.parseInt(raw);
      if (n >= 1 && n <= nodes.size()) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException("node number must be 1.." + nodes.size() + ", got '" + raw + "'");
  }

  private String stateJson(String controlUrl) {
    return "{\"pid\":" + ProcessHandle.current().pid()
        + ",\"control\":" + quote(controlUrl)
        + ",\"zk\":" + quote(cluster.getZkServer().getZkAddress())
        + ",\"nodes\":" + urls() + "}\n";
  }

  private String statusJson() {
    List<String> running = new ArrayList<>();
    for (JettySolrRunner node : nodes) {
      running.add(String.valueOf(node.isRunning()));
    }
    return "{\"nodes\":" + urls() + ",\"running\":[" + String.join(",", running) + "]}\n";
  }

  private String urls() {
    List<String> quoted = new ArrayList<>();
    for (JettySolrRunner node : nodes) {
      // A stopped node forgets its URL; its port is kept, so the URL is rebuilt from it.
      quoted.add(quote("http://127.0.0.1:" + node.getLocalPort() + "/solr"));
    }
    return "[" + String.join(",", quoted) + "]";
  }

  private static void reply(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static void writeAtomically(Path target, String text) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static String option(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
