package org.quorumfs.client;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Answers built as libfuse 2.9 writes them to the device, shown to the grants as the loop does. */
class AttributeGrantsTest {
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();
    private static final int FILE = 0100644;
    private static final int DIRECTORY = 0040755;
    private static final long KEPT_NANOS = AttributeGrants.KEPT.toNanos();

    private final AttributeGrants grants = new AttributeGrants();
    private final List<Long> invalidated = new ArrayList<>();

    AttributeGrantsTest() {
        grants.invalidateWith(invalidated::add);
    }

    /** An answer: the iovec array, its fuse_out_header and its body. */
    private record Answer(Pointer iov, Pointer header, Pointer body) {
        /** The attr_valid the kernel would read, in nanoseconds. */
        long keptNanos(boolean entry) {
            return entry ? body.getLong(24) * 1_000_000_000L + body.getInt(36)
                    : body.getLong(0) * 1_000_000_000L + body.getInt(8);
        }
    }

    private static Answer answer(long unique, int error, boolean entry, long nodeid, long ino, int mode, int nlink,
                                 long size) {
        int attr = entry ? 40 : 16;
        Pointer body = Memory.allocateDirect(RUNTIME, entry ? 128 : 104, true);
        if (entry) {
            body.putLong(0, nodeid);
        }
        body.putLong(attr, ino);
        body.putLong(attr + 8, size);
        body.putInt(attr + 60, mode);
        body.putInt(attr + 64, nlink);
        Pointer header = Memory.allocateDirect(RUNTIME, 16, true);
        header.putInt(0, 16 + (entry ? 128 : 104));
        header.putInt(4, error);
        header.putLong(8, unique);
        Pointer iov = Memory.allocateDirect(RUNTIME, 32, true);
        iov.putAddress(0, header.address());
        iov.putLong(8, 16);
        iov.putAddress(16, body.address());
        iov.putLong(24, entry ? 128 : 104);
        return new Answer(iov, header, body);
    }

    private Answer lookup(long unique, long nodeid, long ino, int mode, int nlink, long size) {
        grants.serving(AttributeGrants.LOOKUP, unique, 1);
        Answer a = answer(unique, 0, true, nodeid, ino, mode, nlink, size);
        grants.reply(a.iov(), 2);
        return a;
    }

    @Test
    void aLookupOfAFileWithOneName_isKept_andAChangeOfItsInodeTakesItBack() {
        Answer a = lookup(7, 42, 1000, FILE, 1, 5);
        assertThat(a.keptNanos(true)).isEqualTo(KEPT_NANOS);
        assertThat(grants.outstanding()).isEqualTo(1);

        grants.changed(List.of(999L));
        assertThat(invalidated).isEmpty();
        grants.changed(List.of(1000L));
        assertThat(invalidated).containsExactly(42L);
        assertThat(grants.outstanding()).isZero();
        grants.changed(List.of(1000L));
        assertThat(invalidated).containsExactly(42L); // taken back once
    }

    @Test
    void aHardLinkedFile_isAskedForEveryTime_aDirectoryWithSubdirectoriesIsKept() {
        assertThat(lookup(7, 42, 1000, FILE, 2, 5).keptNanos(true)).isZero();
        assertThat(lookup(8, 43, 1001, DIRECTORY, 5, 4096).keptNanos(true)).isEqualTo(KEPT_NANOS);
        assertThat(grants.outstanding()).isEqualTo(1);
    }

    @Test
    void aGetattrAnswer_isKeptForTheNodeTheRequestNamed() {
        grants.serving(AttributeGrants.GETATTR, 9, 77);
        Answer a = answer(9, 0, false, 0, 1000, FILE, 1, 5);
        grants.reply(a.iov(), 2);
        assertThat(a.keptNanos(false)).isEqualTo(KEPT_NANOS);
        grants.changed(List.of(1000L));
        assertThat(invalidated).containsExactly(77L);
    }

    @Test
    void errorsOtherRequestsAnswersAndOtherOpcodes_passUntouched() {
        grants.serving(AttributeGrants.LOOKUP, 7, 1);
        Answer failed = answer(7, -2, true, 42, 1000, FILE, 1, 5);
        grants.reply(failed.iov(), 2);
        Answer notThisThreads = answer(8, 0, true, 42, 1000, FILE, 1, 5);
        grants.reply(notThisThreads.iov(), 2);
        Answer notification = answer(0, 0, true, 42, 1000, FILE, 1, 5);
        grants.reply(notification.iov(), 2);
        grants.serving(15 /* READ */, 9, 42);
        Answer read = answer(9, 0, false, 0, 1000, FILE, 1, 5);
        grants.reply(read.iov(), 2);
        assertThat(List.of(failed.keptNanos(true), notThisThreads.keptNanos(true), notification.keptNanos(true),
                read.keptNanos(false))).containsOnly(0L);
        assertThat(grants.outstanding()).isZero();
    }

    /** {@link AttributeGrants#changed} as called by another thread of the loop. */
    private void changedElsewhere(long ino) throws InterruptedException {
        Thread other = new Thread(() -> {
            grants.serving(AttributeGrants.SETATTR, 99, 5);
            grants.changed(List.of(ino));
        });
        other.start();
        other.join();
    }

    @Test
    void aCreatesOwnAnswer_isKept_unlessAnotherRequestTookSomethingBackMeanwhile() throws InterruptedException {
        grants.serving(AttributeGrants.CREATE, 7, 1);
        grants.changed(List.of(1L, 1000L)); // the create's own change: the directory and the new file
        Answer created = answer(7, 0, true, 42, 1000, FILE, 1, 0);
        grants.reply(created.iov(), 2);
        assertThat(created.keptNanos(true)).isEqualTo(KEPT_NANOS);

        grants.serving(AttributeGrants.CREATE, 8, 1);
        grants.changed(List.of(1L, 1001L));
        changedElsewhere(5L);
        Answer raced = answer(8, 0, true, 43, 1001, FILE, 1, 0);
        grants.reply(raced.iov(), 2);
        assertThat(raced.keptNanos(true)).isZero();

        grants.serving(AttributeGrants.SETATTR, 9, 42);
        changedElsewhere(6L); // before this truncate's own change
        grants.changed(List.of(1000L));
        Answer truncated = answer(9, 0, false, 0, 1000, FILE, 1, 0);
        grants.reply(truncated.iov(), 2);
        assertThat(truncated.keptNanos(false)).isZero();
    }

    @Test
    void anAnswerMadeWhileSomethingWasTakenBack_isNotKept() throws InterruptedException {
        grants.serving(AttributeGrants.LOOKUP, 7, 1);
        changedElsewhere(5L); // another thread's change, of any inode, during this lookup
        Answer a = answer(7, 0, true, 42, 1000, FILE, 1, 5);
        grants.reply(a.iov(), 2);
        assertThat(a.keptNanos(true)).isZero();
        assertThat(grants.outstanding()).isZero();
        // The next request is not affected.
        assertThat(lookup(8, 42, 1000, FILE, 1, 5).keptNanos(true)).isEqualTo(KEPT_NANOS);
    }

    @Test
    void anOpenThatFindsAnotherSize_takesTheGrantBack_theSameSizeLeavesIt() {
        lookup(7, 42, 1000, FILE, 1, 5);
        grants.opened(1000, 5);
        assertThat(invalidated).isEmpty();
        grants.opened(1000, 38); // another mount appended since the kernel was told 5
        assertThat(invalidated).containsExactly(42L);
    }

    @Test
    void twoNodesForOneInode_keepNeither() {
        lookup(7, 42, 1000, FILE, 1, 5);
        Answer second = lookup(8, 43, 1000, FILE, 1, 5);
        assertThat(second.keptNanos(true)).isZero();
        assertThat(invalidated).containsExactly(42L);
        assertThat(grants.outstanding()).isZero();
    }
}
