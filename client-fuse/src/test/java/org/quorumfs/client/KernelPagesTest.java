package org.quorumfs.client;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class KernelPagesTest {
    private static final int PAGE = KernelPages.PAGE;
    private static final int PIECE = 64 * 1024;

    /** What reached the kernel: node, offset, and the bytes. */
    private record Stored(long nodeid, long offset, byte[] bytes) {
    }

    private final List<Stored> stored = new ArrayList<>();
    private final KernelPages pages = new KernelPages();

    /** A file whose fills may go while {@code open} and {@code changes} is still what they saw. */
    private static final class File implements KernelPages.Guard {
        long changes;
        int filling;
        int begun;

        @Override
        public boolean beginFill(long seen) {
            if (seen != changes) {
                return false;
            }
            filling++;
            begun++;
            return true;
        }

        @Override
        public void endFill() {
            filling--;
        }
    }

    KernelPagesTest() {
        pages.storeWith((nodeid, offset, data, from, length) -> {
            stored.add(new Stored(nodeid, offset, Arrays.copyOfRange(data, from, from + length)));
            return 0;
        });
    }

    private static byte[] piece(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + 3);
        }
        return b;
    }

    @Test
    void theWholePagesAroundTheAskedOnes_goToTheReadsNode_beforeItsAnswer() {
        File f = new File();
        byte[] data = piece(PIECE);
        pages.serving(42);
        // a 4 KiB read of page 5 of the piece at 1 MiB + 64 KiB
        long at = (1 << 20) + PIECE;
        pages.offer(f, 0, 10 << 20, at, data, at + 5 * PAGE, at + 6 * PAGE);
        assertThat(stored).isEmpty(); // nothing until the answer is ready
        pages.storeOffered();

        assertThat(stored).hasSize(2);
        assertThat(stored.get(0).nodeid()).isEqualTo(42);
        assertThat(stored.get(0).offset()).isEqualTo(at);
        assertThat(stored.get(0).bytes()).isEqualTo(Arrays.copyOfRange(data, 0, 5 * PAGE));
        assertThat(stored.get(1).offset()).isEqualTo(at + 6 * PAGE);
        assertThat(stored.get(1).bytes()).isEqualTo(Arrays.copyOfRange(data, 6 * PAGE, PIECE));
        assertThat(pages.pagesStored()).isEqualTo(15);
        assertThat(f.begun).isEqualTo(2);
        assertThat(f.filling).isZero();
    }

    @Test
    void onlyWholePagesBelowTheFilesEnd_go() {
        File f = new File();
        byte[] data = piece(5000 + 2 * PAGE); // the file's last piece: 2 pages and 5000 bytes
        long size = 3 * PAGE + 5000; // the piece starts at page 1; the file ends 904 bytes into page 4
        pages.serving(7);
        pages.offer(f, 0, size, PAGE, data, PAGE, 2 * PAGE); // asked: page 1
        pages.storeOffered();
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0).offset()).isEqualTo(2 * PAGE);
        assertThat(stored.get(0).bytes()).hasSize(2 * PAGE); // pages 2 and 3; not the partial page 4
    }

    @Test
    void nothingGoes_forARequestThatIsNotARead_afterAChange_orBeyondTheCap() {
        File f = new File();
        byte[] data = piece(PIECE);
        pages.serving(0); // not a read of ours
        pages.offer(f, 0, 1 << 20, 0, data, 0, PAGE);
        pages.storeOffered();
        assertThat(stored).isEmpty();

        pages.serving(9);
        pages.offer(f, 0, 1 << 20, 0, data, 0, PAGE);
        f.changes++; // an open or truncate came between the offer and the store
        pages.storeOffered();
        assertThat(stored).isEmpty();
        assertThat(f.begun).isZero();

        pages.serving(9);
        for (int i = 0; i < 4; i++) { // four pieces, each missing its first page: more than the cap
            pages.offer(f, 1, 1 << 20, (long) i * PIECE, data, (long) i * PIECE, (long) i * PIECE + PAGE);
        }
        pages.storeOffered();
        assertThat(stored.stream().mapToInt(s -> s.bytes().length).sum()).isEqualTo(KernelPages.MAX_FILL);
        pages.answered();
        pages.offer(f, 1, 1 << 20, 0, data, 0, PAGE); // after the answer: the request is over
        pages.storeOffered();
        assertThat(stored.stream().mapToInt(s -> s.bytes().length).sum()).isEqualTo(KernelPages.MAX_FILL);
    }

    @Test
    void withoutAWayToTheKernel_nothingIsOffered() {
        KernelPages unhooked = new KernelPages();
        File f = new File();
        unhooked.serving(5);
        unhooked.offer(f, 0, 1 << 20, 0, piece(PIECE), 0, PAGE);
        unhooked.storeOffered();
        assertThat(f.begun).isZero();
        assertThat(unhooked.pagesStored()).isZero();
    }
}
