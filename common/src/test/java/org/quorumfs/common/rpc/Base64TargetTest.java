package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Base64TargetTest {
    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void decode_writesExactlyWhatTheJdkDecodes_intoItsRange_atEveryLengthAndPadding() {
        Random random = new Random(11);
        for (int length : new int[] {0, 1, 2, 3, 4, 5, 6, 47, 48, 49, 65536, (1 << 20) + 1}) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            // The text sits inside a larger body, as in an answer.
            byte[] text = Base64.getEncoder().encode(data);
            byte[] body = new byte[text.length + 20];
            System.arraycopy(text, 0, body, 7, text.length);
            byte[] block = new byte[length + 10];
            Arrays.fill(block, (byte) 0x5a);
            Base64Target target = new Base64Target(block, 3, length);
            assertThat(target.decode(body, 7, 7 + text.length)).as("length %d", length).isTrue();
            assertThat(target.decoded()).isEqualTo(length);
            assertThat(Arrays.copyOfRange(block, 3, 3 + length)).isEqualTo(data);
            // Nothing outside the range is touched.
            assertThat(Arrays.copyOfRange(block, 0, 3)).containsOnly(0x5a);
            assertThat(Arrays.copyOfRange(block, 3 + length, block.length)).containsOnly(0x5a);
        }
    }

    @Test
    void decode_refusesWhatTheBasicDecoderRefuses_andWhatDoesNotFit() {
        for (String bad : new String[] {"QUJD\nREVG", "QU=D", "QUJD RE==", "QUJD*EVG", "=QUJ", "QUJ\u00e9"}) {
            Base64Target target = new Base64Target(new byte[16], 0, 16);
            byte[] text = bad.getBytes(StandardCharsets.ISO_8859_1);
            assertThat(target.decode(text, 0, text.length)).as(bad).isFalse();
            assertThat(target.decoded()).isEqualTo(-1);
            assertThatThrownBy(() -> Base64.getDecoder().decode(text)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        // Unpadded text, which the JDK takes, is left to the general reader too: ours always pads.
        assertThat(new Base64Target(new byte[16], 0, 16).decode(ascii("QUJ"), 0, 3)).isFalse();
        Base64Target small = new Base64Target(new byte[16], 0, 5);
        assertThat(small.decode(ascii("QUJDREVG"), 0, 8)).as("six bytes into five").isFalse();
    }

    @Test
    void decode_takesOneValueOnly() {
        Base64Target target = new Base64Target(new byte[6], 0, 6);
        assertThat(target.decode(ascii("QUJD"), 0, 4)).isTrue();
        assertThat(target.decode(ascii("REVG"), 0, 4)).isFalse();
        assertThat(target.decoded()).isEqualTo(3);
    }

    @Test
    void aRangeOutsideTheArray_isRefused() {
        assertThatThrownBy(() -> new Base64Target(new byte[4], 2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2+3");
        assertThatThrownBy(() -> new Base64Target(new byte[4], -1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
