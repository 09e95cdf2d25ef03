package org.quorumfs.client;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quorumfs.client.FuseSessionLoop.INIT_OUT_SIZE;
import static org.quorumfs.client.FuseSessionLoop.INIT_OUT_SIZE_7_19;
import static org.quorumfs.client.FuseSessionLoop.OUT_HEADER_SIZE;

/** libfuse 2.9's answer to INIT, as its send hands it to the loop, widened for larger requests. */
class FuseSessionLoopTest {
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();
    /** The memory the iovecs point at, kept from the collector for the test's life. */
    private static final List<Pointer> KEEP = new ArrayList<>();

    /** The iovec array libfuse sends: the fuse_out_header, then a body of {@code bodySize} bytes. */
    private static Pointer libfuseAnswer(int error, int bodySize) {
        Pointer header = Memory.allocateDirect(RUNTIME, OUT_HEADER_SIZE, true);
        header.putInt(0, OUT_HEADER_SIZE + bodySize);
        header.putInt(4, error);
        header.putLong(8, 42);
        Pointer body = Memory.allocateDirect(RUNTIME, bodySize, true);
        if (bodySize >= INIT_OUT_SIZE_7_19) {
            body.putInt(0, 7);
            body.putInt(4, 19);
            body.putInt(8, 131072); // max_readahead
            body.putInt(12, 0x1021); // flags
            body.putShort(16, (short) 12); // max_background
            body.putShort(18, (short) 9); // congestion_threshold
            body.putInt(20, 131072); // max_write
        }
        Pointer iov = Memory.allocateDirect(RUNTIME, 32, true);
        iov.putAddress(0, header.address());
        iov.putLong(8, OUT_HEADER_SIZE);
        iov.putAddress(16, body.address());
        iov.putLong(24, bodySize);
        KEEP.add(header);
        KEEP.add(body);
        return iov;
    }

    @Test
    void anAnswerOfProtocol7_19_becomesOneOf7_28_askingForRequestsOf1MiB_withLibfusesFieldsKept() {
        Pointer widened = FuseSessionLoop.widenInit(RUNTIME, libfuseAnswer(0, INIT_OUT_SIZE_7_19), 0);
        assertThat(widened).isNotNull();
        assertThat(widened.getLong(8)).isEqualTo(OUT_HEADER_SIZE + INIT_OUT_SIZE);
        Pointer answer = widened.getPointer(0);
        assertThat(answer.getInt(0)).as("fuse_out_header.len").isEqualTo(OUT_HEADER_SIZE + INIT_OUT_SIZE);
        assertThat(answer.getInt(4)).as("error").isZero();
        assertThat(answer.getLong(8)).as("unique").isEqualTo(42);
        Pointer init = answer.slice(OUT_HEADER_SIZE);
        assertThat(init.getInt(0)).as("major").isEqualTo(7);
        assertThat(init.getInt(4)).as("minor").isEqualTo(19);
        assertThat(init.getInt(8)).as("max_readahead").isEqualTo(131072);
        assertThat(init.getInt(12)).as("flags").isEqualTo(0x1021 | (1 << 22));
        assertThat(init.getShort(16)).as("max_background").isEqualTo((short) 12);
        assertThat(init.getShort(18)).as("congestion_threshold").isEqualTo((short) 9);
        assertThat(init.getInt(20)).as("max_write").isEqualTo(1 << 20);
        assertThat(init.getInt(24)).as("time_gran: 0, the kernel's default").isZero();
        assertThat(init.getShort(28) & 0xffff).as("max_pages").isEqualTo(256);
        for (int at = 30; at < INIT_OUT_SIZE; at += 2) {
            assertThat(init.getShort(at)).as("byte %d", at).isZero();
        }
    }

    @Test
    void clearingSetIdBits_isTakenOver_onlyWhenTheKernelOffersIt() {
        int offered = SuidKills.FUSE_HANDLE_KILLPRIV_V2 | (1 << 22) | 0x7fff; // the kernel offers much more
        Pointer taken = FuseSessionLoop.widenInit(RUNTIME, libfuseAnswer(0, INIT_OUT_SIZE_7_19), offered).getPointer(0);
        assertThat(taken.getInt(OUT_HEADER_SIZE + 12)).as("flags").isEqualTo(0x1021 | (1 << 22) | SuidKills.FUSE_HANDLE_KILLPRIV_V2);
        Pointer left = FuseSessionLoop.widenInit(RUNTIME, libfuseAnswer(0, INIT_OUT_SIZE_7_19), 0x7fff).getPointer(0);
        assertThat(left.getInt(OUT_HEADER_SIZE + 12)).as("flags").isEqualTo(0x1021 | (1 << 22));
    }

    @Test
    void anErrorOrAnAnswerOfAnotherShape_goesAsItWas() {
        assertThat(FuseSessionLoop.widenInit(RUNTIME, libfuseAnswer(-71, INIT_OUT_SIZE_7_19), 0)).isNull();
        assertThat(FuseSessionLoop.widenInit(RUNTIME, libfuseAnswer(0, 8), 0)).isNull();
        assertThat(FuseSessionLoop.widenInit(RUNTIME, libfuseAnswer(0, INIT_OUT_SIZE), 0)).isNull();
    }
}
