package org.quorumfs.client;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which requests ask for set-ID bits to go, and which bits go. */
class SuidKillsTest {
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();
    private final SuidKills kills = new SuidKills();

    /** A request of 80 bytes as the device hands it, with {@code word} at {@code at}. */
    private static Pointer request(int opcode, int at, int word) {
        Pointer p = Memory.allocateDirect(RUNTIME, 80, true);
        p.putInt(0, 80);
        p.putInt(4, opcode);
        p.putLong(8, 3);
        p.putInt(at, word);
        return p;
    }

    private boolean asked(Pointer request, int length) {
        kills.serving(request, length);
        return kills.requested();
    }

    @Test
    void aWriteOrSetattrCarryingTheKernelsFlag_asksForIt_nothingElseDoes() {
        assertThat(asked(request(SuidKills.FUSE_WRITE, SuidKills.WRITE_IN_FLAGS, SuidKills.FUSE_WRITE_KILL_SUIDGID | 1), 80)).isTrue();
        assertThat(asked(request(SuidKills.FUSE_WRITE, SuidKills.WRITE_IN_FLAGS, 1), 80)).as("writepage only").isFalse();
        assertThat(asked(request(SuidKills.FUSE_SETATTR, SuidKills.SETATTR_IN_VALID, SuidKills.FATTR_KILL_SUIDGID | 8), 80)).isTrue();
        assertThat(asked(request(SuidKills.FUSE_SETATTR, SuidKills.SETATTR_IN_VALID, 8), 80)).as("a size alone").isFalse();
        assertThat(asked(request(SuidKills.FUSE_WRITE, 40, SuidKills.FATTR_KILL_SUIDGID), 80)).as("another word").isFalse();
        assertThat(asked(request(SuidKills.FUSE_WRITE, SuidKills.WRITE_IN_FLAGS, SuidKills.FUSE_WRITE_KILL_SUIDGID), 60))
                .as("too short to hold the flags").isFalse();
        assertThat(asked(request(14 /* OPEN */, SuidKills.SETATTR_IN_VALID, SuidKills.FATTR_KILL_SUIDGID), 80)).isFalse();
        kills.serving(request(SuidKills.FUSE_WRITE, SuidKills.WRITE_IN_FLAGS, SuidKills.FUSE_WRITE_KILL_SUIDGID), 80);
        kills.servingOther();
        assertThat(kills.requested()).isFalse();
    }

    @Test
    void setUserId_alwaysGoes_setGroupId_whenTheGroupMayExecute_orTheCallerIsOutsideTheGroup() {
        assertThat(SuidKills.killed(0106777, true)).isEqualTo(0100777);
        assertThat(SuidKills.killed(0106767, true)).as("mandatory-locking mark, caller in group").isEqualTo(0102767);
        assertThat(SuidKills.killed(0106767, false)).isEqualTo(0100767);
        assertThat(SuidKills.killed(0100755, false)).isEqualTo(0100755);
        assertThat(SuidKills.killed(0101777, false)).as("sticky stays").isEqualTo(0101777);
    }
}
