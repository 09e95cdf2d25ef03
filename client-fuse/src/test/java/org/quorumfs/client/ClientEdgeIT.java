package org.quorumfs.client;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client edge on a real mount, with programs nobody here wrote: shared mmap, special files,
 * files unlinked while open (on this mount, on another, and by a client that dies), write errors
 * reaching the writer and nobody else, times, extended attributes and size limits. Two mounts of
 * one cluster stand for two machines; sessions lapse after 2 s so that a killed client's files are
 * freed within the test.
 */
class ClientEdgeIT {
    @TempDir
    static Path dir;
    static MountedCluster cluster;
    static Path second;

    @BeforeAll
    static void mount() throws IOException {
        cluster = MountedCluster.start(dir, 3, "", "--session-lease 2");
        second = dir.resolve("mnt2");
        java.nio.file.Files.createDirectories(second);
        cluster.mountAt(second).ok();
    }

    @AfterAll
    static void unmount() {
        if (cluster != null) {
            cluster.unmountIfMounted(second);
            cluster.close();
        }
    }

    private static String out(String command) {
        return cluster.sh(command).ok().out();
    }

    /** Runs a Python program in the mountpoint; {@code B} in it is the second mount's path. */
    private static String py(String program) {
        return out("B=" + second + " python3 - <<'EOF'\nimport os, sys\nB = os.environ['B']\n" + program + "\nEOF");
    }

    /**
     * Runs Python {@code reads} (lines adding to {@code bad}) against {@code file} opened read-only
     * with the kernel's read-ahead off (as fio does), {@code src} its expected bytes and
     * {@code seed} seeding {@code random}; returns {@code bad}.
     */
    private static int wrongReads(Path src, Path file, int seed, String reads) {
        return Integer.parseInt(cluster.bash("python3 - <<'EOF'\nimport os, random\nrandom.seed(" + seed + ")\n"
                + "src = open('" + src + "', 'rb').read()\n"
                + "fd = os.open('" + file + "', os.O_RDONLY)\n"
                + "os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)\nbad = 0\n"
                + reads + "os.close(fd)\nprint(bad)\nEOF").ok().out().trim());
    }

    /** How many replica files of inode {@code ino} data server {@code i} holds. */
    private static int replicaFiles(int i, long ino) {
        String glob = cluster.var.resolve("dataserver-" + cluster.dataPorts.get(i)).resolve("blocks")
                .resolve(String.format("%012x", ino >>> 12)) + String.format("/%016x.*", ino);
        return Integer.parseInt(cluster.bash("ls " + glob + " 2>/dev/null | wc -l").ok().out().trim());
    }

    private static void awaitNoReplicas(long ino, int seconds) throws InterruptedException {
        for (int t = 0; t < seconds * 10; t++) {
            if (replicaFiles(0, ino) + replicaFiles(1, ino) + replicaFiles(2, ino) == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("replicas of inode " + ino + " still on the data servers after " + seconds + " s");
    }

    /**
     * The fixture, as root, then what another user (nobody, no groups) may do: each line is a
     * check, its exit code and the errno its message names. Run on ext4 by the kernel and on the
     * mount by the client ({@link Permissions}), the lines must agree.
     */
    private static final String PERMISSION_CHECKS = """
            mkdir pub priv sticky tight && chmod 777 pub && chmod 700 priv && chmod 1777 sticky && chmod 711 tight
            echo secret > priv/s; echo hello > pub/h; chmod 600 pub/h; echo open > pub/o; chmod 644 pub/o
            echo shared > pub/w; chmod 666 pub/w; printf '#!/bin/sh\necho ran\n' > pub/x; chmod 700 pub/x
            cp pub/x pub/y; chmod 755 pub/y; cp pub/x pub/r; chmod 744 pub/r; echo known > tight/k
            echo root > sticky/roots; mkdir sticky/rootdir
            t() {
              label=$1; shift
              err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$@" 2>&1 >/dev/null); rc=$?
              case "$err" in *"ermission denied"*) e=EACCES ;; *"not permitted"*) e=EPERM ;;
                *"o such file"*) e=ENOENT ;; *"o data"*) e=ENODATA ;; *) e=- ;; esac
              echo "$label $rc $e"
            }
            t read-in-private-dir cat priv/s
            t stat-in-private-dir stat priv/s
            t list-private-dir ls priv
            t list-search-only-dir ls tight
            t read-known-name-in-search-only-dir cat tight/k
            t read-0600 cat pub/h
            t append-0600 sh -c 'echo x >> pub/h'
            t read-0644 cat pub/o
            t append-0644 sh -c 'echo x >> pub/o'
            t append-0666 sh -c 'echo x >> pub/w'
            t exec-0700 sh -c ./pub/x
            t exec-0755 sh -c ./pub/y
            t exec-0744 sh -c ./pub/r
            t create-in-0777 sh -c 'echo n > pub/n'
            t create-in-0755 sh -c 'echo n > nn'
            t mkdir-in-0755 mkdir dd
            t create-in-sticky sh -c 'echo m > sticky/mine'
            t rm-others-in-sticky rm -f sticky/roots
            t rmdir-others-in-sticky rmdir sticky/rootdir
            t mv-others-in-sticky mv sticky/roots sticky/moved
            t rm-own-in-sticky rm -f sticky/mine
            t rm-others-in-0777 rm -f pub/o
            t chmod-others chmod 644 pub/h
            t chmod-own chmod 600 pub/n
            t chown-own-to-root chown 0 pub/n
            t chgrp-own-to-a-foreign-group chgrp 0 pub/n
            t chown-others-to-its-own-owner chown 0 pub/h
            t chgrp-own-to-its-own-group chgrp 65534 pub/n
            t touch-writable-now touch pub/w
            t touch-writable-to-a-date touch -d 2020-01-01 pub/w
            t touch-own-to-a-date touch -d 2020-01-01 pub/n
            t access-r-0755 test -r pub/y
            t access-w-0600 test -w pub/h
            t access-x-0755 test -x pub/y
            t cd-private sh -c 'cd priv'
            t mv-into-private mv pub/n priv/n
            t truncate-0755 truncate -s 0 pub/y
            t truncate-0666 truncate -s 1 pub/w
            t link-into-0755 ln pub/w lnk
            t symlink-in-0777 ln -s w pub/sl
            t xattr-set-0755 /usr/bin/python3 -c "import os; os.setxattr('pub/y', 'user.k', b'v')"
            t xattr-set-0666 /usr/bin/python3 -c "import os; os.setxattr('pub/w', 'user.k', b'v')"
            t xattr-get-0600 /usr/bin/python3 -c "import os; os.getxattr('pub/h', 'user.k')"
            t xattr-get-0644-none /usr/bin/python3 -c "import os; os.getxattr('pub/y', 'user.none')"
            """;

    /**
     * A random 4 KiB read fetches and verifies the whole 64 KiB piece around it; the 15 other pages
     * go to the kernel's page cache after the answer, so reading them asks the client nothing.
     */
    @Test
    void aRandomRead_handsTheRestOfItsPieceToTheKernel_whoseNeighboursThenAskNothing() throws IOException {
        Path src = dir.resolve("fill.src");
        Path fresh = dir.resolve("mnt-fill");
        java.nio.file.Files.createDirectories(fresh);
        out("head -c 1053576 /dev/urandom > " + src + " && cp " + src + " fill"); // 1 MiB + 5000 bytes
        try {
            cluster.mountAt(fresh).ok();
            String reads = "pages = list(range(16, 32))\nrandom.shuffle(pages)\n"
                    + "for p in [21] + pages:\n" // piece 1 (pages 16-31), first asked in its middle
                    + "    bad += os.pread(fd, 4096, p * 4096) != src[p * 4096:(p + 1) * 4096]\n"
                    + "for o in (1048576 - 4096, 1048576, 1048576 + 4096):\n" // around the end: the file's last piece
                    + "    bad += os.pread(fd, 4096, o) != src[o:o + 4096]\n";
            assertThat(wrongReads(src, fresh.resolve("fill"), 3, reads)).isZero();
            cluster.script("umount " + fresh).ok();
            // 1 request for piece 1, 3 at most around the end; 17 or more without the fill
            assertThat(cluster.readCountsAtUnmount(fresh)).containsPattern("read requests [1-4], pages handed to the kernel (1[5-9]|[2-9]\\d)\\b");
        } finally {
            cluster.unmountIfMounted(fresh);
            out("rm -f fill " + src);
        }
    }

    /**
     * A handle that cannot write is closed without a FLUSH request (FOPEN_NOFLUSH in the open's
     * answer), so a reader waits for one request fewer; a writable handle's close still flushes,
     * and what it wrote is committed for every mount.
     */
    @Test
    void aReadOnlyClose_sendsNoFlush_whileAWritersCloseStillDoes() throws IOException {
        Path fresh = dir.resolve("mnt-noflush");
        java.nio.file.Files.createDirectories(fresh);
        out("mkdir noflush && for i in $(seq 1 10); do head -c 5000 /dev/urandom > noflush/f$i; done");
        try {
            String written = out("cd noflush && for f in f*; do cat $f; done | md5sum");
            cluster.mountAt(fresh).ok();
            String read = cluster.sh("cd " + fresh.resolve("noflush") + " && for f in f*; do cat $f; done | md5sum"
                    + " && python3 -c \"open('f1', 'ab').write(b'appended')\"").ok().out();
            assertThat(read).isEqualTo(written);
            assertThat(out("tail -c 8 noflush/f1")).isEqualTo("appended");
            cluster.script("umount " + fresh).ok();
            // 10 closes of cat's read-only handles without a flush, 1 flush for python's appending close
            assertThat(cluster.readCountsAtUnmount(fresh)).contains("opens for reading without a flush 10, flush requests 1;");
        } finally {
            cluster.unmountIfMounted(fresh);
            out("rm -rf noflush");
        }
    }

    /**
     * Pages handed to the kernel never undo a change this mount made: no fill while a handle can
     * write the file (a write buffered here is not in the pieces the servers send), and none
     * offered before a writable open or a truncate lands after it.
     */
    @Test
    void aPageFill_neverUndoesAWriteOrTruncateOfThisMount() {
        String got = py("""
                import os, random
                random.seed(9)
                model = bytearray(random.randbytes(1 << 20))
                with open('refill', 'wb') as f:
                    f.write(model)
                def check(fd, pages, what):
                    for p in pages:
                        if os.pread(fd, 4096, p * 4096) != bytes(model[p * 4096:(p + 1) * 4096]):
                            raise SystemExit('%s: page %d' % (what, p))
                # a writer first: its buffered page must survive a reader's fetch of the same piece
                w = os.open('refill', os.O_RDWR)
                r = os.open('refill', os.O_RDONLY)
                os.posix_fadvise(r, 0, 0, os.POSIX_FADV_RANDOM)
                new = random.randbytes(4096)
                os.pwrite(w, new, 20 * 4096)
                model[20 * 4096:21 * 4096] = new
                check(r, [17, 20, 16, 31], 'reader beside a writer')
                os.close(w)
                os.close(r)
                # a reader first: its fill of piece 2 lands, then a writer changes a page of it
                r = os.open('refill', os.O_RDONLY)
                os.posix_fadvise(r, 0, 0, os.POSIX_FADV_RANDOM)
                check(r, [40], 'reader alone')
                w = os.open('refill', os.O_RDWR)
                new = random.randbytes(4096)
                os.pwrite(w, new, 41 * 4096)
                model[41 * 4096:42 * 4096] = new
                check(r, [41, 42, 47], 'reader after a writer came')
                os.close(w)
                # then a truncate by path inside a filled piece: nothing of the old bytes past it
                check(r, [70], 'reader of piece 4')
                os.truncate('refill', 70 * 4096 + 100)
                del model[70 * 4096 + 100:]
                if os.pread(r, 8192, 70 * 4096) != bytes(model[70 * 4096:]) or os.pread(r, 4096, 72 * 4096) != b'':
                    raise SystemExit('reader after a truncate')
                os.close(r)
                if open('refill', 'rb').read() != bytes(model):
                    raise SystemExit('final content')
                os.unlink('refill')
                print('ok')
                """);
        assertThat(got).isEqualTo("ok\n");
    }

    @Test
    void anotherUsersAccess_isWhatTheKernelAllowsOnExt4() {
        // nobody must reach the mountpoint through the test's own directory.
        cluster.bash("chmod 711 " + dir).ok();
        String onExt4 = cluster.bash("l=$(mktemp -d) && chmod 755 $l && cd $l && { " + PERMISSION_CHECKS
                + "} ; cd / && rm -rf $l").ok().out();
        String here = out("mkdir perm && chmod 755 perm && cd perm && { " + PERMISSION_CHECKS + "}");
        assertThat(onExt4).contains("read-in-private-dir 1 EACCES", "rm-others-in-sticky 1 EPERM", "exec-0755 0 -");
        assertThat(here).isEqualTo(onExt4);
    }

    /**
     * Set-ID bits go as on ext4 when another user writes or truncates a file, and at a chown; a
     * privileged writer keeps them. The kernel leaves clearing them to the client (SuidKills), which
     * spares a GETXATTR per write.
     */
    @Test
    void setIdBits_goAsOnExt4_whenAnotherUserWritesOrTruncates_andAtAChown() {
        cluster.bash("chmod 711 " + dir).ok();
        String checks = """
                for f in w t p s r k c o z; do echo data > $f; done
                chmod 6777 w t p r k c z; chmod 6766 s; chmod 2764 o
                as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
                as sh -c 'echo more >> w'; as truncate -s 2 t; as sh -c 'echo more >> s'; as sh -c ': > z'
                as perl -e 'truncate("p", 3) or die'
                echo more >> r; truncate -s 1 k; chown 65534 c; chgrp 65534 o
                stat -c '%n %a %s' w t p s r k c o z
                chmod 4777 w; as sh -c 'echo again >> w'; stat -c '%n %a %s' w
                """;
        String onExt4 = cluster.bash("l=$(mktemp -d) && chmod 755 $l && cd $l && { " + checks + "} ; cd / && rm -rf $l").ok().out();
        String here = out("mkdir setid && chmod 755 setid && cd setid && { " + checks + "}");
        assertThat(onExt4).startsWith("w 777 10\nt 777 2\np 777 3\ns 766 10\nr 6777 10\nk 6777 1\nc 777 5\no 2764 5\nz 777 0\n");
        assertThat(here).isEqualTo(onExt4);
    }

    @Test
    void mmapWrites_landThroughMsync_andReadsThroughRead2_andOnAnotherMount() {
        String digest = py("""
                import mmap, hashlib, random
                rnd = random.Random(7)
                size = 3 * 1024 * 1024 + 123
                model = bytearray(size)
                fd = os.open('mapped', os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
                os.ftruncate(fd, size)
                m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
                for i in range(200):
                    off = rnd.randrange(size - 5000); n = rnd.randrange(1, 5000)
                    data = rnd.randbytes(n)
                    if i % 3 == 0:
                        os.pwrite(fd, data, off)              # read(2)/write(2) interleaved with the mapping
                        assert m[off:off + n] == data, 'mapping misses a pwrite'
                    else:
                        m[off:off + n] = data
                    model[off:off + n] = data
                    if i % 50 == 49:
                        m.flush()                              # msync(MS_SYNC)
                        assert os.pread(fd, size, 0) == bytes(model), 'read(2) misses mapped writes'
                m.flush(); m.close(); os.close(fd)
                print(hashlib.sha256(model).hexdigest())
                """).trim();
        assertThat(out("sha256sum < mapped | cut -d' ' -f1").trim()).isEqualTo(digest);
        assertThat(cluster.bash("sha256sum < " + second + "/mapped | cut -d' ' -f1").ok().out().trim()).isEqualTo(digest);
    }

    @Test
    void specialFiles_areInodesOfTheirType_treatedLikeAnyInode_andNeverTouchTheDataServers() {
        out("mkdir sp && mkfifo sp/fifo && mknod sp/chr c 4 5 && mknod sp/blk b 8 1"
                + " && python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('sp/sock')\"");
        assertThat(out("stat -c '%n %F %t:%T' sp/fifo sp/chr sp/blk sp/sock")).isEqualTo("""
                sp/fifo fifo 0:0
                sp/chr character special file 4:5
                sp/blk block special file 8:1
                sp/sock socket 0:0
                """);
        out("chmod 600 sp/chr && chown 1000:1001 sp/blk && ln sp/fifo sp/fifo2 && mv sp/chr sp/chr2 && rm sp/sock");
        assertThat(out("stat -c '%n %a %u:%g %h' sp/chr2 sp/blk sp/fifo")).isEqualTo("sp/chr2 600 0:0 1\nsp/blk 644 1000:1001 1\nsp/fifo 644 0:0 2\n");
        assertThat(out("ls sp")).isEqualTo("blk\nchr2\nfifo\nfifo2\n");
        // A fifo on the mount carries data between two processes (by one name: libfuse's high-level
        // API gives each name of a hard-linked inode its own kernel inode, so each its own pipe).
        assertThat(out("(timeout 20 sh -c 'echo through the fifo > sp/fifo2' &) ; timeout 20 cat sp/fifo2"))
                .isEqualTo("through the fifo\n");
        assertThat(cluster.bash("stat -c %F " + second + "/sp/fifo2").ok().out()).isEqualTo("fifo\n");
        long ino = Long.parseLong(out("stat -c %i sp/fifo").trim());
        assertThat(replicaFiles(0, ino) + replicaFiles(1, ino) + replicaFiles(2, ino)).isZero();
    }

    @Test
    void twelveFilesWrittenAtOnce_allLand_onAHealthyCluster() {
        // Servers busy with many files' puts answered nothing for 300 ms and their pings waited
        // behind the puts, so a writer's first write found "fewer than Qw data servers reachable"
        // and got EIO from a healthy cluster (one of twelve even with block writes bounded per
        // mount); a busy server now counts as reachable for 2 s (Mediator.BUSY_RECENT_NANOS).
        Path src = dir.resolve("twelve.src");
        out("head -c 16777216 /dev/urandom > " + src + " && mkdir pw");
        String failed = out("pids=; for i in $(seq 1 12); do dd if=" + src + " of=pw/f$i bs=1M conv=fsync status=none & "
                + "pids=\"$pids $!\"; done; n=0; for p in $pids; do wait $p || n=$((n+1)); done; echo $n");
        assertThat(failed.trim()).as("writers that failed").isEqualTo("0");
        assertThat(out("for i in $(seq 1 12); do cmp -s " + src + " pw/f$i || echo f$i; done; rm -r pw " + src))
                .as("files that differ").isEmpty();
    }

    @Test
    void sparseWritesToAsManyBlocksAsTheWriteBackCacheHolds_allLand() {
        // 4 KiB at the end of each of 120 blocks (the default cache holds 128): each block held a
        // 1 MiB array, two of G1's 1 MiB regions, and the client's heap (caches + 48 MiB) ran out:
        // OutOfMemoryError in the block writes, EIO to the writer. Dirty blocks are now held in
        // 64 KiB pieces, made as they are written.
        String got = py("""
                import hashlib
                f = os.open('sparse', os.O_CREAT | os.O_WRONLY, 0o644)
                for b in range(120):
                    os.pwrite(f, hashlib.md5(str(b).encode()).digest() * 256, b * 1048576 + 1048576 - 4096)
                os.fsync(f)
                os.close(f)
                with open('sparse', 'rb') as r:
                    bad = []
                    for b in range(120):
                        block = r.read(1048576)
                        if block[-4096:] != hashlib.md5(str(b).encode()).digest() * 256 or block[:-4096].count(0) != 1048576 - 4096:
                            bad.append(b)
                print(os.path.getsize('sparse'), bad)
                os.unlink('sparse')""");
        assertThat(got.trim()).isEqualTo((120 << 20) + " []");
    }

    @Test
    void randomReadsThatHappenToAdjoin_movePiecesOnly_andSequentialReadersGetWholeBlocksOnly()
            throws IOException {
        Path src = dir.resolve("adjoin.src");
        Path fresh = dir.resolve("mnt-reads");
        java.nio.file.Files.createDirectories(fresh);
        out("head -c 8388608 /dev/urandom > " + src + " && cp " + src + " adjoin");
        try {
            // 24 pairs of adjoining 4 KiB reads at random places, the kernel's read-ahead off (as fio
            // does): each second read continues the first, and used to fetch its whole block.
            cluster.mountAt(fresh).ok();
            String reads = "for _ in range(24):\n"
                    + "    at = random.randrange(16, 2046) * 4096\n"
                    + "    for o in (at, at + 4096):\n"
                    + "        bad += os.pread(fd, 4096, o) != src[o:o + 4096]\n";
            assertThat(wrongReads(src, fresh.resolve("adjoin"), 5, reads)).isZero();
            cluster.script("umount " + fresh).ok();
            assertThat(cluster.clientCountsAtUnmount(fresh)).contains(" blockReads=0 ")
                    .containsPattern(" pieceReads=([2-9]\\d|\\d{3,}) ");
            // A reader that starts in the middle and goes on in order gets whole blocks, fetched ahead.
            cluster.mountAt(fresh).ok();
            assertThat(cluster.bash("dd if=" + fresh + "/adjoin bs=64k skip=48 count=64 status=none | cmp - <(tail -c +"
                    + (3 * 1048576 + 1) + " " + src + " | head -c 4194304) && echo same").ok().out()).isEqualTo("same\n");
            cluster.script("umount " + fresh).ok();
            assertThat(cluster.clientCountsAtUnmount(fresh)).containsPattern(" blockReads=([3-9]|\\d{2,}) ");
            // A whole file read in order moves whole blocks only, though the kernel's requests
            // arrive out of order now and then (a late one for the block before used to read
            // pieces again: 11-16 in a 256 MiB read).
            out("head -c 33554432 /dev/urandom > whole && md5sum < whole > whole.md5");
            cluster.mountAt(fresh).ok();
            assertThat(cluster.bash("md5sum < " + fresh + "/whole").ok().out()).isEqualTo(out("cat whole.md5"));
            cluster.script("umount " + fresh).ok();
            assertThat(cluster.clientCountsAtUnmount(fresh)).contains(" pieceReads=0 ")
                    .containsPattern(" blockReads=(3[2-9]|[4-9]\\d|\\d{3,}) ");
        } finally {
            cluster.unmountIfMounted(fresh);
            out("rm -f adjoin whole whole.md5 " + src);
        }
    }

    @Test
    void unlinkedAndRenamedOverOpenFiles_keepWorkingThroughTheirHandles_untilTheLastClose() throws Exception {
        out("mkdir uo");
        long ino = Long.parseLong(py("""
                data = os.urandom(1536 * 1024)
                f = open('uo/a', 'w+b'); f.write(data); f.flush()
                ino = os.fstat(f.fileno()).st_ino
                os.unlink('uo/a')
                assert not os.path.exists('uo/a')
                f.seek(0); assert f.read() == data, 'read after unlink'
                assert os.fstat(f.fileno()).st_nlink == 0
                f.write(b'tail'); f.flush(); os.fsync(f.fileno())
                f.seek(0); assert f.read() == data + b'tail', 'write after unlink'
                os.ftruncate(f.fileno(), 10); f.seek(0); assert f.read() == data[:10], 'ftruncate after unlink'
                # an editor's atomic save while a reader has the old file open
                with open('uo/b', 'wb') as w: w.write(b'old version')
                g = open('uo/b', 'rb')
                with open('uo/b.new', 'wb') as w: w.write(b'new version')
                os.rename('uo/b.new', 'uo/b')
                assert g.read() == b'old version' and open('uo/b', 'rb').read() == b'new version'
                assert sorted(os.listdir('uo')) == ['b'], os.listdir('uo')
                print(ino)
                f.close(); g.close()
                """).trim());
        awaitNoReplicas(ino, 10);
        assertThat(out("ls -A uo")).isEqualTo("b\n");
    }

    @Test
    void anOpenFile_survivesAnUnlinkOnAnotherMount() {
        py("""
                data = os.urandom(3 * 1024 * 1024)
                with open('cross', 'wb') as w: w.write(data)
                f = open('cross', 'rb')
                os.unlink(os.path.join(B, 'cross'))           # the other machine deletes it
                assert not os.path.exists(os.path.join(B, 'cross'))
                assert f.read() == data, 'the open file lost its data to an unlink elsewhere'
                f.close()
                """);
        // Gone here too, within the second a listing's attributes may answer (README: consistency).
        long start = System.nanoTime();
        while (cluster.sh("ls cross").exit() == 0) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PathResolver.LISTED_TTL.plusMillis(500));
        }
    }

    @Test
    void theKernelKeepsTheAttributesOfAFileWithOneName_notOfAHardLinkedOne_andAnOpenSeesAnotherMountsWrite() {
        // A mount whose grants last 5 s, so that what the kernel keeps shows with the client stopped.
        Path kept = dir.resolve("mnt-kept");
        cluster.bash("mkdir -p " + kept).ok();
        cluster.mountAt(kept, "-Dquorumfs.attributesKeptMillis=5000").ok();
        long pid = cluster.clientPid(kept);
        try {
            out("mkdir kk && echo one > kk/single && echo two > kk/linked && ln kk/linked kk/link2 && mkdir kk/sub");
            // Right after a stat, a stopped client still answers a stat of the file with one name
            // and of the directory (the kernel's), but not of the hard-linked file (killed after 2 s);
            // a name just found absent is absent again without asking (ENOENT, stat's 1).
            String codes = cluster.bash("cd " + kept + "/kk && stat single sub linked > /dev/null && ! stat none 2> /dev/null"
                    + " && $FREEZE " + pid + "; timeout -s KILL 2 stat single > /dev/null; a=$?;"
                    + " timeout -s KILL 2 stat sub > /dev/null; b=$?; timeout -s KILL 2 stat linked > /dev/null; c=$?;"
                    + " timeout -s KILL 2 stat none > /dev/null 2>&1; d=$?; kill -CONT " + pid + "; echo $a $b $c $d")
                    .ok().out();
            assertThat(codes).isEqualTo("0 0 137 1\n");
            // Another mount creates that name: shown here once the kernel's time for it has passed.
            cluster.bash("echo new > " + cluster.mnt + "/kk/none").ok();
            assertThat(cluster.bash("sleep 5.2; cat " + kept + "/kk/none").ok().out()).isEqualTo("new\n");
            // Another mount grows the file whose size the kernel keeps: an open here reads all of it.
            assertThat(cluster.bash("stat -c %s " + kept + "/kk/single && echo 'and more' >> " + cluster.mnt
                    + "/kk/single && cat " + kept + "/kk/single && stat -c %s " + kept + "/kk/single").ok().out())
                    .isEqualTo("4\none\nand more\n13\n");
            // This mount's own write shows at once, in a stat and through the other name of a link.
            assertThat(cluster.bash("cd " + kept + "/kk && stat -c %s single link2 > /dev/null && echo x >> single"
                    + " && echo y >> linked && stat -c %s single link2").ok().out()).isEqualTo("15\n6\n");
        } finally {
            cluster.bash("kill -CONT " + pid);
            cluster.unmountIfMounted(kept);
        }
    }

    @Test
    void aKilledClientsUnlinkedOpenFile_isFreedWhenItsSessionLapses() throws Exception {
        Path third = dir.resolve("mnt3");
        java.nio.file.Files.createDirectories(third);
        cluster.mountAt(third).ok();
        out("head -c 2500000 /dev/urandom > doomed");
        long ino = Long.parseLong(out("stat -c %i doomed").trim());
        String holder = cluster.bash("nohup bash -c 'exec 3<" + third + "/doomed; sleep 600' >/dev/null 2>&1 & echo $!")
                .ok().out().trim();
        try {
            Thread.sleep(500); // the holder has it open
            out("rm doomed");
            assertThat(replicaFiles(0, ino) + replicaFiles(1, ino) + replicaFiles(2, ino))
                    .as("held open by the third mount").isEqualTo(9);
            cluster.bash("kill -9 " + cluster.clientPid(third)).ok();
            // Lease 2 s, then a live mount clears the garbage at its next round (~2 s).
            awaitNoReplicas(ino, 20);
        } finally {
            cluster.bash("kill -9 " + holder);
            // The killed client's mount is normally gone already (auto_unmount); once in CI it was not.
            cluster.unmountIfMounted(third);
        }
    }

    @Test
    void writeErrors_reachTheWriterAndNotAReader_andBufferedBytesLandWhenTheServersReturn() throws Exception {
        String ports = cluster.dataPorts.get(0) + " " + cluster.dataPorts.get(1);
        try {
            String log = py("""
                    import signal, subprocess, time
                    pids = [int(open(os.environ['QFS_VAR'] + '/run/%s.pid' % p).read()) for p in '%PORTS%'.split()]
                    w = os.open('werr', os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
                    r = os.open('werr', os.O_RDONLY)
                    os.write(w, b'A' * 100)
                    for p in pids: os.kill(p, signal.SIGKILL)   # 2 of 3 gone: below Qw
                    time.sleep(0.5)
                    assert os.pread(r, 200, 0) == b'A' * 100, 'the reader must see the buffered bytes'
                    os.fsync(r)                                  # a reader is never told the writer's error
                    try:
                        os.fsync(w); print('writer fsync succeeded')
                    except OSError as e: print('writer fsync', e.strerror)
                    assert os.pread(r, 200, 0) == b'A' * 100, 'the failed bytes stay buffered'
                    subprocess.run(['%ROOT%/scripts/dataserver'] + '%PORTS%'.split() + ['--background'],
                                   check=True, stdout=subprocess.DEVNULL)
                    time.sleep(2.5)                              # past the mount's back-off for failed servers
                    os.fsync(w); print('writer fsync after the servers returned: ok')
                    os.close(w); os.close(r)
                    assert open('werr', 'rb').read() == b'A' * 100
                    """.replace("%PORTS%", ports).replace("%ROOT%", MountedCluster.ROOT.toString()));
            assertThat(log).isEqualTo("writer fsync Input/output error\nwriter fsync after the servers returned: ok\n");

            cluster.script("kill-server " + ports).ok();
            Thread.sleep(500);
            MountedCluster.Result dd = cluster.sh("dd if=/dev/zero of=ddfile bs=1M count=3 conv=fsync");
            assertThat(dd.exit()).isNotZero();
            assertThat(dd.err()).contains("Input/output error");
            MountedCluster.Result cp = cluster.sh("cp " + MountedCluster.ROOT + "/README.md cpfile");
            assertThat(cp.exit()).isNotZero();
        } finally {
            cluster.script("dataserver " + ports + " --background");
            Thread.sleep(2500);
        }
    }

    @Test
    void times_followPosix_andUtimeOmitLeavesTheOtherTime() throws Exception {
        out("mkdir tm && touch tm/f && touch -a -d @1000000000.123456789 tm/f && touch -m -d @1500000000.5 tm/f");
        assertThat(out("stat -c '%.9X %.9Y' tm/f")).isEqualTo("1000000000.123456789 1500000000.500000000\n");
        String before = out("stat -c '%.9Z' tm/f tm");
        Thread.sleep(20);
        out("mv tm/f tm/g");                                  // the moved inode's ctime and the directory's
        String after = out("stat -c '%.9Z' tm/g tm");
        assertThat(after.split("\n")[0]).isGreaterThan(before.split("\n")[0]);
        assertThat(after.split("\n")[1]).isGreaterThan(before.split("\n")[1]);
        for (String change : new String[] {"chmod 600 tm/g", "chown 7:7 tm/g", "ln tm/g tm/h", "truncate -s 5 tm/g",
                "setfattr -n user.k -v v tm/g"}) {
            String c0 = out("stat -c '%.9Z' tm/g");
            Thread.sleep(20);
            out(change);
            assertThat(out("stat -c '%.9Z' tm/g")).as(change).isGreaterThan(c0);
        }
        String dirTimes = out("stat -c '%.9Y %.9Z' tm");
        Thread.sleep(20);
        out("mknod tm/p p && rm tm/h");
        assertThat(out("stat -c '%.9Y %.9Z' tm")).isGreaterThan(dirTimes);
    }

    @Test
    void extendedAttributes_inTheUserNamespace_withFlagsErrorsAndLimits_survivingCpAndRsync() {
        out("mkdir xa && echo data > xa/f && setfattr -n user.color -v blue xa/f && setfattr -n user.empty xa/f");
        assertThat(out("getfattr -d --absolute-names xa/f")).isEqualTo("# file: xa/f\nuser.color=\"blue\"\nuser.empty=\"\"\n\n");
        // other namespaces are not stored: reading one is ENODATA, setting one EOPNOTSUPP
        assertThat(cluster.sh("getfattr -n security.capability xa/f").err()).contains("No such attribute");
        assertThat(cluster.sh("getfattr -n trusted.t xa/f").err()).contains("No such attribute");
        assertThat(cluster.sh("setfattr -n security.s -v 1 xa/f").err()).contains("Operation not supported");
        py("""
                import errno, ctypes
                def fails(code, f, *a):
                    try: f(*a)
                    except OSError as e:
                        assert e.errno == code, (f, a, e); return
                    raise AssertionError('no error from %s%s' % (f.__name__, a))
                fails(errno.EEXIST, os.setxattr, 'xa/f', 'user.color', b'red', os.XATTR_CREATE)
                fails(errno.ENODATA, os.setxattr, 'xa/f', 'user.none', b'x', os.XATTR_REPLACE)
                os.setxattr('xa/f', 'user.color', b'red', os.XATTR_REPLACE)
                assert os.getxattr('xa/f', 'user.color') == b'red'
                fails(errno.ENODATA, os.getxattr, 'xa/f', 'user.none')
                fails(errno.ENODATA, os.removexattr, 'xa/f', 'user.none')
                fails(errno.EOPNOTSUPP, os.setxattr, 'xa/f', 'trusted.x', b'1')
                big = os.urandom(65536)
                os.setxattr('xa/f', 'user.big', big); assert os.getxattr('xa/f', 'user.big') == big
                fails(errno.E2BIG, os.setxattr, 'xa/f', 'user.huge', b'x' * 65537)
                fails(errno.ERANGE, os.setxattr, 'xa/f', 'user.' + 'n' * 251, b'x')
                libc = ctypes.CDLL(None, use_errno=True)
                buf = ctypes.create_string_buffer(2)
                assert libc.getxattr(b'xa/f', b'user.color', buf, 2) == -1 and ctypes.get_errno() == errno.ERANGE
                assert libc.getxattr(b'xa/f', b'user.color', None, 0) == 3
                os.removexattr('xa/f', 'user.big')
                assert sorted(os.listxattr('xa/f')) == ['user.color', 'user.empty']
                """);
        out("cp -a xa/f xa/copy && rsync -aX xa/f xa/synced");
        for (String f : new String[] {"xa/copy", "xa/synced"}) {
            assertThat(out("getfattr -n user.color --only-values " + f)).as(f).isEqualTo("red");
        }
        assertThat(cluster.bash("getfattr -n user.color --only-values " + second + "/xa/f").ok().out()).isEqualTo("red");
    }

    @Test
    void namesAndSizesPastTheLimits_failCleanly_andHugeSparseOffsetsWork() {
        assertThat(cluster.sh("touch " + "n".repeat(256)).err()).contains("File name too long");
        out("truncate -s 1000000000000000 sparse && printf Z | dd of=sparse bs=1 seek=999999999999999 conv=notrunc status=none");
        assertThat(out("stat -c %s sparse; tail -c 2 sparse | od -An -c")).isEqualTo("1000000000000000\n  \\0   Z\n");
        out("printf Q | dd of=past2g bs=1 seek=2147483649 status=none");
        assertThat(out("stat -c %s past2g; tail -c 1 past2g")).isEqualTo("2147483650\nQ");
        MountedCluster.Result tooBig = cluster.sh("truncate -s 9007199254740993 sparse");
        assertThat(tooBig.exit()).isNotZero();
        assertThat(tooBig.err()).contains("File too large");
        assertThat(out("stat -c %s sparse")).isEqualTo("1000000000000000\n");
    }

    @Test
    void aListingsAttributes_answerStat_ownChangesShowAtOnce_anotherMountsWithinASecond() throws Exception {
        out("mkdir lst && for i in 1 2 3; do echo $i > lst/f$i; done");
        // This mount's own changes after a listing are seen at once.
        assertThat(out("ls -l lst > /dev/null && chmod 600 lst/f1 && echo more >> lst/f3 && stat -c '%a %s' lst/f1 lst/f3"))
                .isEqualTo("600 2\n644 7\n");
        // Another mount's change shows within the listing's second (README: attributes from a listing).
        out("ls -l lst > /dev/null");
        cluster.bash("chmod 640 " + second + "/lst/f2 && echo grown >> " + second + "/lst/f2").ok();
        Thread.sleep(PathResolver.LISTED_TTL.toMillis() + 200);
        assertThat(out("stat -c '%a %s' lst/f2")).isEqualTo("640 8\n");
        assertThat(out("ls -l lst | awk '{print $1, $5, $9}' | tail -3")).isEqualTo("-rw------- 2 f1\n-rw-r----- 8 f2\n-rw-r--r-- 7 f3\n");
    }

    @Test
    void attributesAfterAClose_areTheLastCommits_evenWithCommitsInTheBackground_orAChmodWhileOpen() {
        // A flush that committed remembers the commit's answer for the stat after the close; a
        // file whose blocks were written back while it was written (and stat'ed) must still show
        // its whole size and last mtime after the close, and so must a chmod made while it was open.
        py("""
                import time
                os.mkdir('closed')
                start = time.time_ns()
                with open('closed/small', 'wb') as f:
                    f.write(b'hello')
                s = os.stat('closed/small')
                assert s.st_size == 5, s
                assert s.st_mtime_ns >= start - 1_000_000_000, (s.st_mtime_ns, start)
                block = 1 << 20
                with open('closed/big', 'wb') as f:
                    for i in range(12):
                        f.write(os.urandom(block // 2))
                        os.stat('closed/big')  # remembers sizes while blocks land in the background
                    # The last write filled block 5, which goes out in the background: remembered
                    # now, the size and mtime are from before its commit, which lands before the close.
                    mid = os.stat('closed/big').st_mtime_ns
                    time.sleep(0.5)
                s = os.stat('closed/big')
                assert s.st_size == 6 * block, s.st_size
                assert s.st_mtime_ns > mid, (s.st_mtime_ns, mid)
                fd = os.open('closed/mode', os.O_WRONLY | os.O_CREAT, 0o644)
                os.write(fd, b'x' * 100)
                os.fchmod(fd, 0o600)
                os.close(fd)
                s = os.stat('closed/mode')
                assert (s.st_mode & 0o777, s.st_size) == (0o600, 100), oct(s.st_mode)
                """);
        assertThat(cluster.bash("stat -c %s " + second + "/closed/big " + second + "/closed/small").ok().out())
                .isEqualTo(6 * 1048576 + "\n5\n");
    }

    @Test
    void rememberedAttributes_showThisMountsOwnChangesAtOnce_andAnotherMountsNewNamesAtOnce() {
        // Attributes are remembered for a second and a change of this mount voids only what it
        // touched (its paths, its inodes under any name, the parent directory): all must show at once.
        py("""
                import time
                os.mkdir('neg')
                os.listdir('neg')
                for i in range(20):
                    p = 'neg/f%d' % i
                    assert not os.path.exists(p), p
                    before = os.stat('neg')
                    time.sleep(0.002)
                    with open(p, 'w') as f: f.write('x' * i)
                    assert os.stat('neg').st_mtime_ns > before.st_mtime_ns, 'the directory mtime after a create'
                    assert os.path.getsize(p) == i, p
                os.link('neg/f5', 'neg/hard')
                assert os.stat('neg/f5').st_nlink == 2
                with open('neg/hard', 'a') as f: f.write('more')
                assert os.path.getsize('neg/f5') == 9, 'a write through one link shows through the other'
                os.chmod('neg/hard', 0o600)
                assert os.stat('neg/f5').st_mode & 0o777 == 0o600, 'a chmod through one link shows through the other'
                os.unlink('neg/hard')
                assert os.stat('neg/f5').st_nlink == 1, 'an unlink of one link shows in the count of the other'
                for i in range(0, 20, 2):
                    os.unlink('neg/f%d' % i)
                    assert not os.path.exists('neg/f%d' % i)
                    assert os.path.exists('neg/f%d' % (i + 1))
                assert sorted(os.listdir('neg')) == sorted('f%d' % i for i in range(1, 20, 2))
                os.mkdir('neg/sub')
                assert os.stat('neg').st_nlink == 3
                os.rmdir('neg/sub')
                assert os.stat('neg').st_nlink == 2
                assert not os.path.exists('neg/sub')
                # A write only buffered leaves what is remembered of the file good (the size laid
                # over it); a block committed while it is still open moves its times at once, also
                # after a stat here remembered them first. The second mount sees the commit land
                # (an open asks the meta-server for the size).
                fd = os.open('neg/big', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                made = os.stat('neg/big')
                os.write(fd, b'x' * 100)
                assert os.stat('neg/big').st_size == 100 and os.stat('neg/big').st_mtime_ns == made.st_mtime_ns
                time.sleep(0.002)
                os.write(fd, b'y' * (3 << 20))
                os.stat('neg/big')
                deadline = time.time() + 20
                while len(open(B + '/neg/big', 'rb').read()) < 1 << 20:
                    assert time.time() < deadline, 'no block committed'
                    time.sleep(0.01)
                time.sleep(0.2)
                assert os.stat('neg/big').st_mtime_ns > made.st_mtime_ns, 'the times of a block committed while open'
                assert os.stat('neg/big').st_size == 100 + (3 << 20)
                os.close(fd)
                """);
        // Another mount's new names, absent from this mount's listing a moment ago, show at once (a
        // name not found is asked again; the kernel keeps one it was told absent for 100 ms: see
        // theKernelKeeps...): an exclusive create of one fails, a plain one opens it.
        out("ls neg > /dev/null && test ! -e neg/late && test ! -e neg/taken && sleep 0.15");
        cluster.bash("echo hi > " + second + "/neg/late && echo theirs > " + second + "/neg/taken").ok();
        py("""
                try:
                    os.open('neg/taken', os.O_WRONLY | os.O_CREAT | os.O_EXCL)
                    raise SystemExit('an exclusive create of a name another mount made succeeded')
                except FileExistsError:
                    pass
                fd = os.open('neg/taken', os.O_WRONLY | os.O_CREAT)
                os.close(fd)
                """);
        assertThat(out("cat neg/late neg/taken")).isEqualTo("hi\ntheirs\n");
        // Close-to-open inside the second attributes are remembered: another mount grows a file this
        // mount just stat'ed, and an open here reads all of it (the open's size outranks the memo).
        out("echo short > neg/grow && stat neg/grow > /dev/null");
        cluster.bash("echo 'a much longer line than the first' >> " + second + "/neg/grow").ok();
        assertThat(out("cat neg/grow")).isEqualTo("short\na much longer line than the first\n");
    }

    @Test
    void aChmodHereToTheModeAFileHadAtItsOpen_stillUndoesAnotherMountsChmod_onceTheSecondIsOver() {
        // A chmod that leaves the mode as this mount knows it, with writes buffered, asks nothing
        // (their commit sets the ctime). Another mount's chmod between this mount's open and its
        // own chmod shows once what this mount remembers of the file is a second old: then the
        // chmod here asks, and the mode it sets stands. (No fork in the writer: a fork and exec
        // would flush its buffer.)
        assertThat(py("""
                import time
                os.makedirs('ch', exist_ok=True)
                fd = os.open('ch/f', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
                os.write(fd, b'buffered')
                os.chmod(B + '/ch/f', 0o600)
                time.sleep(1.2)
                os.fchmod(fd, 0o640)
                os.close(fd)
                print(oct(os.stat('ch/f').st_mode & 0o777), open('ch/f').read())
                """)).isEqualTo("0o640 buffered\n");
    }

    /**
     * A program stat-ing a tree directory by directory finds the next directories listed ahead
     * (README: a walk through a tree), and what those listings answer is what a lookup's listing
     * answers: another mount's new names at once, its removals within a second, this mount's own
     * changes (a rename in a listed directory, a rename of one) at once.
     */
    @Test
    void aProgramWalkingATree_findsTheNextDirectoriesListed_withChangesShowingAsAfterALookup() throws IOException {
        out("mkdir walk && for d in d0 d1 d2 d3 d4 d5; do mkdir walk/$d && for f in f0 f1 f2; do echo $d$f > walk/$d/$f; done; done");
        Path fresh = dir.resolve("mnt-walk");
        java.nio.file.Files.createDirectories(fresh);
        try {
            cluster.mountAt(fresh).ok();
            String got = cluster.bash("cd " + fresh + " && A=" + cluster.mnt + " python3 - <<'EOF'\n" + """
                    import os, time
                    A = os.environ['A']
                    # d0's first lookup lists it; its use reads d1 and d2 ahead, theirs d3 and d4
                    for d in ('d0', 'd1', 'd2'):
                        for f in ('f0', 'f1', 'f2'):
                            assert os.lstat('walk/%s/%s' % (d, f)).st_size == 5, (d, f)
                    time.sleep(0.3)
                    # another mount (another machine) changes d3 and d4 after they were listed here
                    with open(A + '/walk/d3/late', 'w') as f:
                        f.write('late\\n')
                    os.unlink(A + '/walk/d4/f1')
                    assert open('walk/d3/late').read() == 'late\\n', 'a new name of another mount'
                    os.rename('walk/d3/f2', 'walk/d3/g2')
                    assert not os.path.exists('walk/d3/f2') and open('walk/d3/g2').read() == 'd3f2\\n'
                    os.rename('walk/d4', 'walk/e4')
                    assert not os.path.exists('walk/d4/f0'), 'a directory renamed here'
                    assert open('walk/e4/f0').read() == 'd4f0\\n'
                    time.sleep(1.2)
                    assert not os.path.exists('walk/e4/f1'), 'a removal of another mount, a second on'
                    assert sorted(os.listdir('walk/d3')) == ['f0', 'f1', 'g2', 'late']
                    for d in ('d0', 'd1', 'd2', 'd3', 'e4', 'd5'):
                        assert open('walk/%s/f0' % d).read() == d.replace('e', 'd') + 'f0\\n', d
                    print('ok')
                    EOF""").ok().out();
            assertThat(got).isEqualTo("ok\n");
            cluster.script("umount " + fresh).ok();
            var counts = java.util.regex.Pattern.compile("directory listings read ahead (\\d+), used (\\d+)")
                    .matcher(cluster.readCountsAtUnmount(fresh));
            assertThat(counts.find()).isTrue();
            // d1 and d2 at least were listed before the walk reached them, and then used
            assertThat(Integer.parseInt(counts.group(2))).isGreaterThanOrEqualTo(2);
            assertThat(Integer.parseInt(counts.group(1))).isGreaterThanOrEqualTo(Integer.parseInt(counts.group(2)));
        } finally {
            cluster.unmountIfMounted(fresh);
            out("rm -rf walk");
        }
    }

    @Test
    void smallFilesRewrittenOnAnotherMount_afterThisOneListedThem_readTheNewBytes() {
        out("mkdir early && for i in 1 2 3 4; do echo old$i > early/f$i; done");
        // The listing carries each small file's block, and an open here starts reading it at
        // once; the other mount then rewrites them with bytes of the same length, and every open
        // here must read the new bytes (close-to-open), not the listed block.
        out("ls -l early > /dev/null");
        cluster.bash("for i in 1 2 3 4; do echo new$i > " + second + "/early/f$i; done").ok();
        assertThat(out("cat early/f1 early/f2 early/f3 early/f4")).isEqualTo("new1\nnew2\nnew3\nnew4\n");
        assertThat(out("ls -l early > /dev/null && cat early/f2")).isEqualTo("new2\n");
    }
}
