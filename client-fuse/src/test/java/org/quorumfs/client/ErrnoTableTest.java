package org.quorumfs.client;

import jnr.constants.platform.Errno;
import org.junit.jupiter.api.Test;
import org.quorumfs.common.protocol.ErrorCode;

import static org.assertj.core.api.Assertions.assertThat;

/** Every error that crosses the wire reaches the application as an errno, the POSIX one where there is one. */
class ErrnoTableTest {
    @Test
    void everyErrorCode_hasANegativeErrno() {
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(ErrnoTable.negative(c)).as(c.name()).isNegative();
        }
    }

    @Test
    void theClientEdgeCodes_areThePosixOnes() {
        assertThat(ErrnoTable.negative(ErrorCode.BAD_HANDLE)).isEqualTo(-Errno.EBADF.intValue());
        assertThat(ErrnoTable.negative(ErrorCode.NO_DATA)).isEqualTo(-Errno.ENODATA.intValue());
        assertThat(ErrnoTable.negative(ErrorCode.RANGE)).isEqualTo(-Errno.ERANGE.intValue());
        assertThat(ErrnoTable.negative(ErrorCode.NO_SPACE)).isEqualTo(-Errno.ENOSPC.intValue());
        assertThat(ErrnoTable.negative(ErrorCode.FILE_TOO_LARGE)).isEqualTo(-Errno.EFBIG.intValue());
        assertThat(ErrnoTable.negative(ErrorCode.NAME_TOO_LONG)).isEqualTo(-Errno.ENAMETOOLONG.intValue());
    }
}
