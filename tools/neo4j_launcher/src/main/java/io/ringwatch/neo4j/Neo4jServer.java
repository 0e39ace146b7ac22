package io.ringwatch.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.neo4j.cli.ExecutionContext;
import org.neo4j.commandline.admin.security.SetInitialPasswordCommand;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;
import picocli.CommandLine;

/**
 * A real Neo4j Community 5.26 engine with a Bolt port, for tests and local use on machines
 * that have no Docker and no Neo4j tarball: everything it runs comes from Maven Central jars.
 *
 * <p>It embeds the engine through {@link DatabaseManagementServiceBuilder}, binds Bolt to
 * 127.0.0.1 only with authentication on (HTTP off), sets the {@code neo4j} user's password on
 * the first start, prints {@code ready bolt://127.0.0.1:PORT} once Bolt accepts connections,
 * and shuts the engine down cleanly on SIGTERM. Settings come from environment variables:
 * <ul>
 *   <li>{@code RINGWATCH_NEO4J_HOME} (required): data directory; the store and Neo4j's own logs
 *       live under it.</li>
 *   <li>{@code RINGWATCH_NEO4J_PASSWORD} (required, at least 8 characters): the {@code neo4j}
 *       user's password.</li>
 *   <li>{@code RINGWATCH_NEO4J_BOLT_PORT} (default 7687).</li>
 *   <li>{@code RINGWATCH_NEO4J_PAGECACHE} (default {@code 512m}).</li>
 *   <li>{@code RINGWATCH_NEO4J_TX_MEMORY} (optional): cap on memory used by all running
 *       transactions together, e.g. {@code 512m}; Neo4j's default (70% of heap) if unset.</li>
 * </ul>
 * Normally started by the {@code neo4jctl} script beside the pom.
 */
public final class Neo4jServer {
    private static final String USER = "neo4j";
    private static final String DEFAULT_PASSWORD = "neo4j";

    private Neo4jServer() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(require("RINGWATCH_NEO4J_HOME")).toAbsolutePath().normalize();
        String password = require("RINGWATCH_NEO4J_PASSWORD");
        if (password.length() < 8) {
            fail("RINGWATCH_NEO4J_PASSWORD must be at least 8 characters (Neo4j's minimum)");
        }
        if (password.equals(DEFAULT_PASSWORD)) {
            fail("RINGWATCH_NEO4J_PASSWORD must not be Neo4j's default password");
        }
        int port = parsePort(env("RINGWATCH_NEO4J_BOLT_PORT", "7687"));
        long pageCache = parseBytes("RINGWATCH_NEO4J_PAGECACHE", env("RINGWATCH_NEO4J_PAGECACHE", "512m"));
        String txMemory = env("RINGWATCH_NEO4J_TX_MEMORY", "");

        Files.createDirectories(home);
        long started = System.nanoTime();
        log("starting Neo4j in " + home + " (bolt 127.0.0.1:" + port + ", page cache " + pageCache + " bytes)");

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.logs_directory, home.resolve("logs"))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                // Bolt's event loops otherwise idle 2 x 5 s on shutdown, after the databases are
                // already stopped; nothing is left for them to drain by then.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0);
        if (!txMemory.isBlank()) {
            builder.setConfig(GraphDatabaseSettings.memory_transaction_global_max_size,
                    parseBytes("RINGWATCH_NEO4J_TX_MEMORY", txMemory));
        }

        setInitialPassword(home, password);
        AtomicReference<DatabaseManagementService> running = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            DatabaseManagementService service = running.getAndSet(null);
            if (service == null) {
                return; // failed or interrupted start: the next start recovers the store
            }
            log("shutting down");
            try {
                service.shutdown();
                log("stopped");
            } catch (RuntimeException e) {
                System.err.println("[ringwatch-neo4j] shutdown failed: " + e);
            } finally {
                stopped.countDown();
            }
        }, "ringwatch-neo4j-shutdown"));

        try {
            running.set(builder.build());
            log(String.format("engine started in %.1f s", (System.nanoTime() - started) / 1e9));
            waitForBolt(port);
        } catch (Exception e) {
            System.err.println("[ringwatch-neo4j] failed to come up: " + e);
            e.printStackTrace();
            System.exit(1);
        }
        log(String.format("up in %.1f s", (System.nanoTime() - started) / 1e9));
        System.out.println("ready bolt://127.0.0.1:" + port);
        System.out.flush();

        // Block until the shutdown hook has run (SIGTERM / SIGINT).
        stopped.await();
    }

    /**
     * First start only (no system database yet): does what {@code neo4j-admin dbms
     * set-initial-password} does, i.e. writes {@code data/dbms/auth.ini}, which the engine reads
     * when it creates the system database. So Bolt never accepts the default password, and a
     * data directory whose password is already set is left alone.
     */
    private static void setInitialPassword(Path home, String password) {
        if (Files.isDirectory(home.resolve("data").resolve("databases").resolve("system"))) {
            log("existing store: keeping the password set at its first start");
            return;
        }
        ExecutionContext ctx = new ExecutionContext(home, home.resolve("conf"),
                new PrintStream(OutputStream.nullOutputStream()), System.err, new DefaultFileSystemAbstraction());
        int rc = new CommandLine(new SetInitialPasswordCommand(ctx)).execute(password);
        if (rc != 0) {
            fail("could not set the initial password (exit code " + rc + ")");
        }
        log("first start: password of user '" + USER + "' set from RINGWATCH_NEO4J_PASSWORD");
    }

    /** Bolt handshake: magic 0x6060B017 plus proposed versions (5.0-5.4, 4.4); the server picks one. */
    private static void waitForBolt(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                s.setSoTimeout(2000);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write(new byte[] {
                    0x60, 0x60, (byte) 0xB0, 0x17,
                    0, 4, 4, 5, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0});
                out.flush();
                byte[] version = in.readNBytes(4);
                if (version.length == 4 && (version[2] != 0 || version[3] != 0)) {
                    return;
                }
                last = new IOException("unexpected Bolt handshake reply");
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new IOException("Bolt port " + port + " did not answer a handshake", last);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static String require(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            fail(name + " must be set");
        }
        return v;
    }

    private static int parsePort(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p > 0 && p < 65536) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        fail("RINGWATCH_NEO4J_BOLT_PORT is not a port: " + s);
        return -1;
    }

    private static long parseBytes(String name, String s) {
        try {
            return ByteUnit.parse(s);
        } catch (RuntimeException e) {
            fail(name + " is not a size like 512m or 2g: " + s);
            return -1;
        }
    }

    private static void log(String msg) {
        System.out.println("[ringwatch-neo4j] " + msg);
        System.out.flush();
    }

    private static void fail(String msg) {
        System.err.println("[ringwatch-neo4j] " + msg);
        System.exit(2);
    }
}
