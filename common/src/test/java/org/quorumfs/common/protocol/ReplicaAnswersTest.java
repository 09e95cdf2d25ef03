package org.quorumfs.common.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The data servers' answers on the wire: the members a stock client sees, round trips, malformed answers refused. */
class ReplicaAnswersTest {
    private static final byte[] BYTES = "replica bytes".getBytes(StandardCharsets.UTF_8);
    private static final BlockRecord BLOCK = BlockRecord.of(0, 1, BYTES);

    @Test
    void replicaBytes_travelAsFoundAndData_andComeBack() {
        Map<String, Object> wire = new ReplicaBytes(Optional.of(BYTES)).toWire();
        assertThat(wire).containsOnlyKeys("found", "data").containsEntry("found", true);
        assertThat(ReplicaBytes.fromWire(wire).bytes()).contains(BYTES);
        assertThat(new ReplicaBytes(Optional.empty()).toWire()).isEqualTo(Map.of("found", false));
        assertThat(ReplicaBytes.fromWire(Map.of("found", false)).bytes()).isEmpty();
    }

    @Test
    void aCheck_vouchesOnlyForTheBlockItsLengthAndMd5Match() {
        Map<String, Object> wire = ReplicaCheck.of(BYTES).toWire();
        assertThat(wire).isEqualTo(Map.of("found", true, "length", BYTES.length, "md5", Md5.hex(BYTES)));
        assertThat(ReplicaCheck.fromWire(wire).vouchesFor(BLOCK)).isTrue();
        assertThat(ReplicaCheck.of("other bytes!!".getBytes(StandardCharsets.UTF_8)).vouchesFor(BLOCK)).isFalse();
        assertThat(ReplicaCheck.fromWire(Map.of("found", false)).found()).isFalse();
        assertThat(ReplicaCheck.absent().vouchesFor(BLOCK)).isFalse();
    }

    @Test
    void aPieceCheck_vouchesOnlyForThePiecesItHas() {
        PieceCheck c = PieceCheck.fromWire(PieceCheck.of(BYTES).toWire());
        assertThat(c.vouchesFor(Md5.pieces(BYTES))).isTrue();
        assertThat(c.vouchesFor(Md5.pieces("other".getBytes(StandardCharsets.UTF_8)))).isFalse();
        assertThat(PieceCheck.fromWire(Map.of("found", false)).vouchesFor("")).isFalse();
    }

    @Test
    void storeSpace_travelsAsDecimalStrings_andComesBack() {
        StoreSpace usage = new StoreSpace(1L << 40, 1L << 39, 7, 4096);
        assertThat(usage.toWire()).containsEntry("totalBytes", "1099511627776").containsEntry("replicas", "7");
        assertThat(StoreSpace.fromWire(usage.toWire())).isEqualTo(usage);
        assertThat(StoreSpace.diskFromWire(usage.diskToWire())).isEqualTo(StoreSpace.ofDisk(1L << 40, 1L << 39));
    }

    @Test
    void malformedAnswers_areRefusedAsInvalid() {
        assertThatThrownBy(() -> ReplicaBytes.fromWire(Map.of("found", true)))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> ReplicaCheck.fromWire(Map.of("found", true, "length", 3)))
                .isInstanceOf(FsException.class);
        assertThatThrownBy(() -> PieceCheck.fromWire(Map.of("found", "maybe"))).isInstanceOf(FsException.class);
        assertThatThrownBy(() -> StoreSpace.diskFromWire(Map.of("totalBytes", "-1", "freeBytes", "0")))
                .isInstanceOf(FsException.class);
    }
}
