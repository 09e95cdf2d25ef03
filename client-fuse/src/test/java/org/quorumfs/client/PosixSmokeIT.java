package org.quorumfs.client;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A real FUSE mount driven by the shell commands a user types. */
class PosixSmokeIT {
    @TempDir
    static Path dir;
    static MountedCluster cluster;

    @BeforeAll
    static void mount() throws IOException {
        cluster = MountedCluster.start(dir, 4, "");
    }

    @AfterAll
    static void unmount() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String out(String command) {
        return cluster.sh(command).ok().out();
    }

    @Test
    void echoCatAppend_andNamesWithSpacesAndUnicode() {
        out("mkdir -p t1 && echo 'This is file1' > t1/file1 && echo 'second line' >> t1/file1");
        assertThat(out("cat t1/file1")).isEqualTo("This is file1\nsecond line\n");
        out("echo hallo > 't1/a name with spaces' && echo grüß > 't1/grüße-日本.txt'");
        assertThat(out("ls t1")).isEqualTo("a name with spaces\nfile1\ngrüße-日本.txt\n");
        assertThat(out("cat 't1/grüße-日本.txt'")).isEqualTo("grüß\n");
    }

    /** Characters outside the Basic Multilingual Plane are two UTF-16 units in Java, four bytes of UTF-8 on the wire. */
    @Test
    void namesWithEmojiOrCarriageReturns_areCreatedListedRenamedAndRemoved() {
        out("mkdir -p 'emoji/dir 😀' && echo 'smile 🙂' > 'emoji/dir 😀/f🎉.txt' && ln -s 'f🎉.txt' 'emoji/dir 😀/link🔗'");
        assertThat(out("ls 'emoji/dir 😀'")).isEqualTo("f🎉.txt\nlink🔗\n");
        assertThat(out("cat 'emoji/dir 😀/link🔗'")).isEqualTo("smile 🙂\n");
        out("mv 'emoji/dir 😀/f🎉.txt' 'emoji/𝄞.txt' && rm 'emoji/dir 😀/link🔗' && rmdir 'emoji/dir 😀'");
        assertThat(out("ls emoji && cat 'emoji/𝄞.txt'")).isEqualTo("𝄞.txt\nsmile 🙂\n");
        // A carriage return in a name: XML parsers fold a raw one into a line feed.
        out("touch $'emoji/cr\\rname' && mv $'emoji/cr\\rname' $'emoji/cr\\rmoved'");
        assertThat(out("ls emoji | tr '\\r\\n' 'R|'")).isEqualTo("crRmoved|𝄞.txt|");
    }

    @Test
    void largeWritesArriveWhole_andUnalignedOnesLandByteForByte() {
        // libfuse 2.9's answer to INIT passed the loop's layout check, so the kernel was asked
        // for requests of up to 1 MiB (FuseSessionLoop.widenInit)
        assertThat(cluster.bash("grep -c 'may send reads and writes of up to 1024 KiB' $QFS_VAR/log/mount-*.log")
                .out().trim()).isEqualTo("1");
        Path src = dir.resolve("large.src");
        Path expected = dir.resolve("large.expected");
        // 3,000,000-byte writes straddle blocks; then 9,000,000 bytes again from 5 MiB on
        out("head -c 9000000 /dev/urandom > " + src + " && dd if=" + src + " of=large bs=3000000 status=none"
                + " && dd if=" + src + " of=large bs=1M seek=5 conv=notrunc,fsync status=none"
                + " && { head -c 5242880 " + src + "; cat " + src + "; } > " + expected);
        assertThat(out("cmp large " + expected + " && echo same; rm -f large " + src + " " + expected))
                .isEqualTo("same\n");
    }

    @Test
    void cpMvRm_filesAndDirectories_acrossDirectories() {
        out("mkdir -p t2/a/b t2/c && seq 1 1000 > t2/a/b/nums && cp t2/a/b/nums t2/c/copy");
        assertThat(out("cmp t2/a/b/nums t2/c/copy && echo same")).isEqualTo("same\n");
        out("mv t2/c/copy t2/a/moved && mv t2/a t2/c/");
        assertThat(out("find t2 | sort")).isEqualTo("t2\nt2/c\nt2/c/a\nt2/c/a/b\nt2/c/a/b/nums\nt2/c/a/moved\n");
        assertThat(out("tail -n 1 t2/c/a/moved")).isEqualTo("1000\n");
        out("rm t2/c/a/moved && rm -r t2/c");
        assertThat(out("ls -A t2")).isEmpty();
        out("rmdir t2");
        assertThat(cluster.sh("ls t2").exit()).isNotZero();
    }

    @Test
    void randomReadsAndWrites_matchAModel_throughTheWriteBackAndPieceCaches() {
        String script = """
                import os, random
                random.seed(11)
                os.makedirs('rnd', exist_ok=True)
                model = bytearray(random.randbytes(3 * 2**20 + 777))
                with open('rnd/r', 'wb') as f:
                    f.write(model)
                fd = os.open('rnd/r', os.O_RDWR)
                for op in range(600):
                    if op % 150 == 149:
                        os.close(fd); fd = os.open('rnd/r', os.O_RDWR)
                    off = random.randrange(0, len(model) + 100000)
                    n = random.choice([1, 4096, 5000, 65536, 70000, 300000])
                    if random.random() < 0.4:
                        data = random.randbytes(n)
                        os.pwrite(fd, data, off)
                        if off > len(model):
                            model.extend(bytes(off - len(model)))
                        model[off:off + n] = data
                    else:
                        got = os.pread(fd, n, off)
                        assert got == bytes(model[off:off + n]), ('read', op, off, n)
                    if op % 50 == 0:
                        os.fsync(fd)
                os.close(fd)
                assert open('rnd/r', 'rb').read() == bytes(model), 'final content'
                print('ok')
                """;
        assertThat(out("python3 - <<'EOF'\n" + script + "EOF")).isEqualTo("ok\n");
    }

    @Test
    void errors_reachTheShell_asTheRightErrno() {
        out("mkdir -p t3/full && touch t3/full/x t3/file");
        assertThat(cluster.sh("rmdir t3/full").err()).contains("Directory not empty");
        assertThat(cluster.sh("cat t3/missing").err()).contains("No such file or directory");
        assertThat(cluster.sh("mkdir t3/file").err()).contains("File exists");
        assertThat(cluster.sh("ls t3/file/x").err()).contains("Not a directory");
        assertThat(cluster.sh("touch t3/" + "n".repeat(256)).err()).contains("File name too long");
        assertThat(cluster.sh("mv t3 t3/full/inside").err()).contains("subdirectory of itself");
        assertThat(out("ls t3/full")).isEqualTo("x\n");
        assertThat(cluster.sh("touch t3/" + "n".repeat(255)).exit()).isZero();
    }

    @Test
    void linksSymlinksModesAndTimes_showInLsAndStat() {
        out("mkdir t4 && echo data > t4/f && ln t4/f t4/hard && ln -s f t4/sym && chmod 640 t4/f");
        assertThat(out("stat -c '%h %a %s' t4/f")).isEqualTo("2 640 5\n");
        assertThat(out("readlink t4/sym && cat t4/sym")).isEqualTo("f\ndata\n");
        assertThat(out("stat -c %i t4/f")).isEqualTo(out("stat -c %i t4/hard"));
        assertThat(out("ls -l t4/sym")).contains("t4/sym -> f");
        out("touch -d '2020-01-02 03:04:05 UTC' t4/f");
        assertThat(out("TZ=UTC stat -c %y t4/hard")).startsWith("2020-01-02 03:04:05");
        out("rm t4/f");
        assertThat(out("stat -c %h t4/hard && cat t4/hard")).isEqualTo("1\ndata\n");
        assertThat(out("ls -ld t4")).startsWith("drwxr-xr-x");
    }

    @Test
    void everyChange_showsInTheVeryNextStat_evenThroughAnotherHardLink() {
        // One shell command, so each stat follows its change within the client's attribute memo.
        String shown = out("umask 022 && mkdir t10 && cd t10 && touch a && stat -c '%s %a' a"
                + " && echo hello > a && stat -c %s a && echo more >> a && stat -c %s a"
                + " && chmod 600 a && stat -c %a a && ln a b && stat -c %h a && chmod 644 b && stat -c %a a"
                + " && touch -d '2021-05-06 07:08:09 UTC' b && TZ=UTC stat -c %y a | cut -c1-19"
                + " && truncate -s 2 a && stat -c %s b && chown 77:88 a && stat -c '%u %g' b"
                + " && mkdir d && stat -c '%F %h' d && stat -c %h . && ln -s a s && stat -c %F s && cat b");
        assertThat(shown).isEqualTo("0 644\n6\n11\n600\n2\n644\n2021-05-06 07:08:09\n2\n77 88\ndirectory 2\n3\nsymbolic link\nhe");
    }

    @Test
    void truncate_growsWithZeros_andShrinks() {
        out("mkdir t5 && printf 'abcdefghij' > t5/f && truncate -s 4 t5/f");
        assertThat(out("cat t5/f")).isEqualTo("abcd");
        out("truncate -s 3000000 t5/f");
        assertThat(out("stat -c %s t5/f")).isEqualTo("3000000\n");
        assertThat(out("tail -c +5 t5/f | tr -d '\\0' | wc -c")).isEqualTo("0\n");
        assertThat(out("head -c 4 t5/f")).isEqualTo("abcd");
    }

    @Test
    void dd200MiB_readsBackWithTheSameSha256() {
        String local = dir.resolve("big.bin").toString();
        out("dd if=/dev/urandom of=" + local + " bs=1M count=200 status=none && dd if=" + local
                + " of=big.bin bs=1M status=none conv=fsync");
        String expected = out("sha256sum < " + local);
        assertThat(out("sha256sum < big.bin")).isEqualTo(expected);
        assertThat(out("stat -c %s big.bin")).isEqualTo("209715200\n");
        out("rm big.bin " + local);
    }

    @Test
    void tarATreeIn_andBackOut_identical() {
        String src = MountedCluster.ROOT.resolve("common/src").toString();
        String back = dir.resolve("back").toString();
        out("mkdir t6 && tar -C " + src + "/.. -cf - src | tar -C t6 -xf -");
        out("mkdir -p " + back + " && tar -C t6 -cf - src | tar -C " + back + " -xf -");
        assertThat(cluster.bash("diff -r " + src + " " + back + "/src && echo identical").ok().out()).isEqualTo("identical\n");
    }

    @Test
    void fileBeyond4GiB_isSparse_andReadsBackItsTailAndZeros() {
        out("mkdir t8 && printf head > t8/huge && printf tail | dd of=t8/huge bs=1 seek=5368709120 conv=notrunc status=none");
        assertThat(out("stat -c %s t8/huge")).isEqualTo("5368709124\n");
        assertThat(out("tail -c 4 t8/huge")).isEqualTo("tail");
        assertThat(out("dd if=t8/huge bs=1M skip=4096 count=1 status=none | tr -d '\\0' | wc -c")).isEqualTo("0\n");
        assertThat(out("head -c 4 t8/huge")).isEqualTo("head");
    }

    @Test
    void chown_changesOwnerAndGroup_andKeepsThemWhenUnchanged() {
        out("mkdir t9 && touch t9/f && chown 1234:5678 t9/f && chown :91 t9/f");
        assertThat(out("stat -c '%u %g' t9/f")).isEqualTo("1234 91\n");
    }

    @Test
    void sparseWritesAndOverwrites_inTheMiddle_readBackExactly() {
        String local = dir.resolve("model").toString();
        String cmd = "dd if=/dev/urandom of=%1$s bs=1k count=3000 status=none && cp %1$s t7 "
                + "&& dd if=/dev/urandom of=%1$s bs=1 seek=1048570 count=20 conv=notrunc status=none "
                + "&& dd if=%1$s of=t7 bs=1 skip=1048570 seek=1048570 count=20 conv=notrunc status=none "
                + "&& dd if=/dev/zero of=t7 bs=1 seek=10000000 count=1 conv=notrunc status=none "
                + "&& dd if=/dev/zero of=%1$s bs=1 seek=10000000 count=1 conv=notrunc status=none "
                + "&& cmp t7 %1$s && echo same";
        assertThat(out(String.format(cmd, local))).isEqualTo("same\n");
    }
}
