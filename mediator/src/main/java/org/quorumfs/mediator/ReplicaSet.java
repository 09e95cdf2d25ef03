package org.quorumfs.mediator;

import org.quorumfs.common.protocol.DataService;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.rpc.EncodedCall;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** The N data servers and the threads, a bounded number, that talk to them in parallel. */
final class ReplicaSet implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaSet.class);

    private final List<DataServerHandle> servers;
    private final ExecutorService pool;

    ReplicaSet(MediatorConfig config) {
        List<DataServerHandle> list = new ArrayList<>();
        for (var endpoint : config.data()) {
            list.add(new DataServerHandle(endpoint, config.timeouts(), config.attempts(), config.retryPause(),
                    config.downBackoff()));
        }
        servers = List.copyOf(list);
        AtomicInteger n = new AtomicInteger();
        ThreadFactory daemons = r -> {
            Thread t = new Thread(r, "replica-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // Calls to one server are capped (DataServerHandle.MAX_OUTSTANDING; past it a call fails at
        // once), so this many threads serve every call that can be under way; a task beyond them
        // (a burst of calls that will mostly fail fast) runs in the thread that asked for it.
        int threads = servers.size() * (DataServerHandle.MAX_OUTSTANDING + 2);
        pool = new ThreadPoolExecutor(0, threads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemons,
                (task, executor) -> {
                    if (executor.isShutdown()) {
                        throw new RejectedExecutionException("the data servers' connections are closed");
                    }
                    task.run();
                });
    }

    List<DataServerHandle> servers() {
        return servers;
    }

    int size() {
        return servers.size();
    }

    /** The servers in an order that starts at {@code seed} modulo N, spreading reads across servers. */
    List<DataServerHandle> rotated(long seed) {
        int start = (int) Math.floorMod(seed, (long) servers.size());
        List<DataServerHandle> out = new ArrayList<>(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            out.add(servers.get((start + i) % servers.size()));
        }
        return out;
    }

    <T> CompletionService<T> completionService() {
        return new ExecutorCompletionService<>(pool);
    }

    <T> Future<T> submit(DataServerHandle server, Function<DataService, T> op) {
        return pool.submit(() -> server.call(op));
    }

    /** {@link #submit(DataServerHandle, Function)} of a call encoded beforehand that answers a struct. */
    @SuppressWarnings("unchecked")
    Future<Map<String, Object>> submitStruct(DataServerHandle server, EncodedCall call) {
        return pool.submit(() -> (Map<String, Object>) server.send(call, Map.class));
    }

    /** Runs {@code op} on every server at once; returns whether every one of them did it. */
    boolean everywhere(String what, Function<DataService, ?> op) {
        List<Future<?>> calls = new ArrayList<>();
        for (DataServerHandle s : servers) {
            calls.add(submit(s, op));
        }
        boolean all = true;
        for (Future<?> f : calls) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                log.debug("{} failed: {}", what, e.getCause().getMessage());
                all = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return all;
    }

    /** Runs {@code op} on every server in the background; failures are only logged. */
    void bestEffortEverywhere(String what, Function<DataService, ?> op) {
        bestEffort(servers, what, op);
    }

    void bestEffort(List<DataServerHandle> on, String what, Function<DataService, ?> op) {
        for (DataServerHandle s : on) {
            pool.execute(() -> {
                try {
                    s.call(op);
                } catch (FsException e) {
                    log.debug("{} on {} failed: {}", what, s, e.getMessage());
                }
            });
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
