package org.quorumfs.client;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quorumfs.client.ReadOnlyOpens.FOPEN_NOFLUSH;
import static org.quorumfs.client.ReadOnlyOpens.FUSE_FLUSH;
import static org.quorumfs.client.ReadOnlyOpens.FUSE_OPEN;

/** Which answers to the kernel get FOPEN_NOFLUSH: successful ones to opens for reading only. */
class ReadOnlyOpensTest {
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final int O_NOATIME = 01000000;
    /** The memory the iovecs point at, kept from the collector for the test's life. */
    private final List<Pointer> keep = new ArrayList<>();
    private final ReadOnlyOpens opens = new ReadOnlyOpens();

    /** A request as the device hands it: fuse_in_header, then fuse_open_in's flags. */
    private Pointer request(int opcode, long unique, int flags) {
        Pointer p = Memory.allocateDirect(RUNTIME, 48, true);
        p.putInt(0, 48);
        p.putInt(4, opcode);
        p.putLong(8, unique);
        p.putLong(16, 7); // nodeid
        p.putInt(40, flags);
        keep.add(p);
        return p;
    }

    /** libfuse's answer as the iovecs it sends: fuse_out_header, then a fuse_open_out with open_flags 1 (direct_io). */
    private Pointer answer(long unique, int error) {
        Pointer header = Memory.allocateDirect(RUNTIME, 16, true);
        header.putInt(0, 16 + 16);
        header.putInt(4, error);
        header.putLong(8, unique);
        Pointer body = Memory.allocateDirect(RUNTIME, 16, true);
        body.putLong(0, 99); // fh
        body.putInt(8, 1);
        Pointer iov = Memory.allocateDirect(RUNTIME, 32, true);
        iov.putAddress(0, header.address());
        iov.putLong(8, 16);
        iov.putAddress(16, body.address());
        iov.putLong(24, 16);
        keep.add(header);
        keep.add(body);
        keep.add(iov);
        return iov;
    }

    private int openFlagsAnswered(Pointer request, long unique, int error) {
        opens.serving(request, 48);
        Pointer iov = answer(unique, error);
        opens.reply(iov, 2);
        return iov.getPointer(16).getInt(8);
    }

    @Test
    void anOpenForReadingOnly_isAnsweredWithNoFlush_itsOtherFlagsKept() {
        assertThat(openFlagsAnswered(request(FUSE_OPEN, 5, O_RDONLY), 5, 0)).isEqualTo(1 | FOPEN_NOFLUSH);
        assertThat(openFlagsAnswered(request(FUSE_OPEN, 6, O_RDONLY | O_NOATIME), 6, 0)).isEqualTo(1 | FOPEN_NOFLUSH);
        assertThat(opens.toString()).startsWith("opens for reading without a flush 2,");
    }

    @Test
    void writableOpens_errors_otherRequests_andOtherAnswers_goAsTheyWere() {
        assertThat(openFlagsAnswered(request(FUSE_OPEN, 5, O_WRONLY), 5, 0)).isEqualTo(1);
        assertThat(openFlagsAnswered(request(FUSE_OPEN, 6, O_RDWR), 6, 0)).isEqualTo(1);
        assertThat(openFlagsAnswered(request(FUSE_OPEN, 7, O_RDONLY), 7, -13)).as("EACCES").isEqualTo(1);
        assertThat(openFlagsAnswered(request(FUSE_OPEN, 8, O_RDONLY), 9, 0)).as("another request's answer").isEqualTo(1);
        assertThat(openFlagsAnswered(request(36 /* OPENDIR */, 10, O_RDONLY), 10, 0)).isEqualTo(1);
        assertThat(openFlagsAnswered(request(FUSE_OPEN, 11, O_RDONLY), 0, 0)).as("a notification").isEqualTo(1);
        opens.serving(request(FUSE_OPEN, 12, O_RDONLY), 40); // the header alone: no flags to read
        Pointer iov = answer(12, 0);
        opens.reply(iov, 2);
        assertThat(iov.getPointer(16).getInt(8)).isEqualTo(1);
        opens.serving(request(FUSE_FLUSH, 13, 0), 48);
        assertThat(opens.toString()).isEqualTo("opens for reading without a flush 0, flush requests 1");
    }
}
