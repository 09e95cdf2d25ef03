package org.quorumfs.mediator;

import org.quorumfs.common.protocol.ErrorCode;
import org.quorumfs.common.protocol.FsException;
import org.quorumfs.common.protocol.MetaService;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;

/**
 * Bounded retries of meta-server calls that could not reach it: a restarted meta-server leaves
 * kept-alive connections dead, and the first call on one fails before it is sent. A call that
 * timed out is not retried: it may have been executed.
 */
final class MetaRetry {
    private MetaRetry() {
    }

    static MetaService wrap(MetaService meta, int attempts, Duration pause) {
        return (MetaService) Proxy.newProxyInstance(MetaService.class.getClassLoader(), new Class<?>[] {MetaService.class},
                (self, method, args) -> {
                    for (int attempt = 1; ; attempt++) {
                        try {
                            return method.invoke(meta, args);
                        } catch (InvocationTargetException e) {
                            Throwable t = e.getCause();
                            if (!(t instanceof FsException fs) || fs.code() != ErrorCode.UNAVAILABLE
                                    || attempt >= attempts || Failures.timedOut(fs)) {
                                throw t;
                            }
                            Thread.sleep(pause.toMillis());
                        }
                    }
                });
    }

}
