package org.quorumfs.mediator;

import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;

/**
 * Retries of meta-server calls that could not reach it, as {@link RetryBudget} allows: while it
 * refuses connections (restarting after a crash or an upgrade), every {@code pause} for up to
 * {@code maxWait}, logged while waiting, so that a restart within that bound fails nothing; at once
 * for a kept-alive connection a restarted meta-server left dead; never after a timeout (the call
 * may have been executed). A call cut off by the crash is sent again: one that had been executed
 * answers as a repeat (a commit finds its own version, a create finds the name taken), which the
 * callers treat as success where they can tell.
 */
final class MetaRetry {
    private static final Logger log = LoggerFactory.getLogger(MetaRetry.class);

    private MetaRetry() {
    }

    static MetaService wrap(MetaService meta, Duration maxWait, Duration pause) {
        return (MetaService) Proxy.newProxyInstance(MetaService.class.getClassLoader(), new Class<?>[] {MetaService.class},
                (self, method, args) -> {
                    RetryBudget retries = RetryBudget.waitingUpTo(maxWait, pause);
                    long started = System.nanoTime();
                    while (true) {
                        try {
                            Object result = method.invoke(meta, args);
                            if (retries.refusals() > 0) {
                                log.info("meta-server answers again after {} ms ({})",
                                        (System.nanoTime() - started) / 1_000_000, method.getName());
                            }
                            return result;
                        } catch (InvocationTargetException e) {
                            if (!(e.getCause() instanceof FsException fs) || !retries.tryAgain(fs)) {
                                throw e.getCause();
                            }
                            if (retries.refusals() == 1) {
                                log.warn("meta-server refuses connections ({}): waiting up to {} s for it",
                                        method.getName(), maxWait.toSeconds());
                            }
                        }
                    }
                });
    }
}
