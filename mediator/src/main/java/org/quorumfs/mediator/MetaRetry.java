package org.quorumfs.mediator;

import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;

/**
 * Bounded retries of meta-server calls that could not reach it: a refused connection a few times
 * after a pause, and at once a kept-alive connection a restarted meta-server left dead (the call
 * failed before it was sent). A call that timed out is not retried: it may have been executed.
 */
final class MetaRetry {
    private MetaRetry() {
    }

    static MetaService wrap(MetaService meta, int attempts, Duration pause) {
        return (MetaService) Proxy.newProxyInstance(MetaService.class.getClassLoader(), new Class<?>[] {MetaService.class},
                (self, method, args) -> {
                    int refusals = 0;
                    int staleConnections = 0;
                    while (true) {
                        try {
                            return method.invoke(meta, args);
                        } catch (InvocationTargetException e) {
                            Throwable t = e.getCause();
                            if (!(t instanceof FsException fs) || fs.code() != ErrorCode.UNAVAILABLE
                                    || Failures.timedOut(fs)) {
                                throw t;
                            }
                            if (Failures.refused(fs)) {
                                if (++refusals >= attempts) {
                                    throw t;
                                }
                                Thread.sleep(pause.toMillis());
                            } else if (++staleConnections > Failures.STALE_CONNECTION_RETRIES) {
                                throw t;
                            }
                        }
                    }
                });
    }

}
