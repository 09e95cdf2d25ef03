package org.quorumfs.mediator;

import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;

/**
 * Bounded retries of meta-server calls that could not reach it, as {@link RetryBudget} allows:
 * after a pause while it refuses connections (restarting), at once for a kept-alive connection a
 * restarted meta-server left dead, never after a timeout (the call may have been executed).
 */
final class MetaRetry {
    private MetaRetry() {
    }

    static MetaService wrap(MetaService meta, int attempts, Duration pause) {
        return (MetaService) Proxy.newProxyInstance(MetaService.class.getClassLoader(), new Class<?>[] {MetaService.class},
                (self, method, args) -> {
                    RetryBudget retries = new RetryBudget(attempts, pause);
                    while (true) {
                        try {
                            return method.invoke(meta, args);
                        } catch (InvocationTargetException e) {
                            if (!(e.getCause() instanceof FsException fs) || !retries.tryAgain(fs)) {
                                throw e.getCause();
                            }
                        }
                    }
                });
    }

}
