package org.quorumfs.dataserver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quorumfs.common.testing.ServerProcess;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A data server on the heap the scripts give it serves many clients' block puts and gets at once. */
class DataServerMemoryIT {
    @TempDir
    Path dir;

    @Test
    void sixtyFourConcurrentBlockPutsAndGets_withAsManySmallCallsPastThem_fitA64MiBHeap() throws Exception {
        Path log = dir.resolve("data.log");
        try (ServerProcess server = ServerProcess.start(DataServerMain.class, log, 
                // As scripts/lib.sh starts a data server. Without the cap on cached NIO buffers each
                // request thread keeps the 1 MiB direct buffer its last replica read went through,
                // and 64 threads reach the direct-memory limit (the heap's size) on their own.
                List.of("-Xmx64m", "-XX:SurvivorRatio=2", "-XX:MaxTenuringThreshold=1", "-XX:+UseSerialGC", "-Djdk.nio.maxCachedBufferSize=262144"),
                "0", "--data-dir", dir.resolve("data").toString())) {
            // Python's stock client: its MIME base64 goes through the library's parser, the most
            // memory a put can cost. Before requests reserved heap, 28 of these 64 puts failed
            // with OutOfMemoryError. Pings and checks, which reserve no answer's worth of heap and
            // are not queued behind the puts, run among them.
            String script = String.join("\n",
                    "import os, sys, threading, xmlrpc.client",
                    "svc = 'org.quorumfs.common.protocol.DataService.'",
                    "url = 'http://127.0.0.1:%d/RPC2'".formatted(server.port()),
                    "block = os.urandom(1 << 20)",
                    "bad = []",
                    "def put(i):",
                    "    try:",
                    "        ok = getattr(xmlrpc.client.ServerProxy(url), svc + 'put')(str(100 + i), 0, '7', xmlrpc.client.Binary(block))",
                    "        ok or bad.append('put %d: %r' % (i, ok))",
                    "    except Exception as e: bad.append('put %d: %r' % (i, e))",
                    "def get(i):",
                    "    try:",
                    "        r = getattr(xmlrpc.client.ServerProxy(url), svc + 'get')(str(100 + i), 0, '7')",
                    "        r['found'] and r['data'].data == block or bad.append('get %d: wrong answer' % i)",
                    "    except Exception as e: bad.append('get %d: %r' % (i, e))",
                    "def ping(i):",
                    "    try:",
                    "        r = getattr(xmlrpc.client.ServerProxy(url), svc + 'ping')()",
                    "        int(r['freeBytes']) > 0 or bad.append('ping %d: %r' % (i, r))",
                    "    except Exception as e: bad.append('ping %d: %r' % (i, e))",
                    "def check(i):",
                    "    try:",
                    "        r = getattr(xmlrpc.client.ServerProxy(url), svc + 'check')(str(100 + i), 0, '7')",
                    "        r['found'] and r['length'] == len(block) or bad.append('check %d: %r' % (i, r))",
                    "    except Exception as e: bad.append('check %d: %r' % (i, e))",
                    "for f, small in ((put, ping), (get, check)):",
                    "    ts = [threading.Thread(target=g, args=(i,)) for i in range(64) for g in (f, small)]",
                    "    [t.start() for t in ts]",
                    "    [t.join() for t in ts]",
                    "print('\\n'.join(bad[:5]) if bad else 'ok')");
            Process p = new ProcessBuilder("python3", "-c", script).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).isEqualTo("ok\n");
            assertThat(server.alive()).isTrue();
            assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
        }
    }
}
