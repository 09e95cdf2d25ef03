package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Base64BulkTest {
    private static final byte UNTOUCHED = (byte) 0xa5;
    /** Around every step of the wide loops (6 bytes, 8 characters) and their scalar tails, and a block. */
    private static final int[] LENGTHS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 47, 48, 49,
            65535, 65536, 65537, 1 << 20, (1 << 20) + 1, (1 << 20) + 2};

    @Test
    void encode_writesWhatTheJdkWrites_atAnOffset_andNothingAroundIt() {
        Random random = new Random(5);
        for (int length : LENGTHS) {
            byte[] data = new byte[length + 9];
            random.nextBytes(data);
            byte[] expected = Base64.getEncoder().encode(Arrays.copyOfRange(data, 4, 4 + length));
            assertThat(Base64Bulk.encodedLength(length)).isEqualTo(expected.length);
            byte[] out = new byte[expected.length + 20];
            Arrays.fill(out, UNTOUCHED);
            int end = Base64Bulk.encode(data, 4, 4 + length, out, 11);
            assertThat(end).as("length %d", length).isEqualTo(11 + expected.length);
            assertThat(Arrays.copyOfRange(out, 11, end)).as("length %d", length).isEqualTo(expected);
            assertThat(Arrays.copyOfRange(out, 0, 11)).containsOnly(UNTOUCHED);
            assertThat(Arrays.copyOfRange(out, end, out.length)).containsOnly(UNTOUCHED);
        }
    }

    @Test
    void encode_coversEveryValueOfEveryCharacterPosition() {
        byte[] all = new byte[3 * 256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (i % 3 == 0 ? i / 3 : i % 3 == 1 ? 255 - i / 3 : i * 7);
        }
        byte[] out = new byte[(int) Base64Bulk.encodedLength(all.length)];
        Base64Bulk.encode(all, 0, all.length, out, 0);
        assertThat(out).isEqualTo(Base64.getEncoder().encode(all));
    }

    @Test
    void decode_writesWhatTheJdkDecodes_intoItsRange_andNothingAroundIt() {
        Random random = new Random(6);
        for (int length : LENGTHS) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            byte[] text = Base64.getEncoder().encode(data);
            byte[] body = new byte[text.length + 13];
            System.arraycopy(text, 0, body, 5, text.length);
            assertThat(Base64Bulk.decodedLength(body, 5, 5 + text.length)).isEqualTo(length);
            byte[] out = new byte[length + 17];
            Arrays.fill(out, UNTOUCHED);
            assertThat(Base64Bulk.decode(body, 5, 5 + text.length, out, 9)).as("length %d", length).isEqualTo(length);
            assertThat(Arrays.copyOfRange(out, 9, 9 + length)).as("length %d", length).isEqualTo(data);
            // The wide loop stores 8 bytes for 6: none may land past the range (a block's other shares).
            assertThat(Arrays.copyOfRange(out, 0, 9)).containsOnly(UNTOUCHED);
            assertThat(Arrays.copyOfRange(out, 9 + length, out.length)).as("length %d", length).containsOnly(UNTOUCHED);
        }
    }

    @Test
    void decode_refusesAnyCharacterOutsideTheAlphabet_atEveryPosition() {
        byte[] data = new byte[30];
        new Random(7).nextBytes(data);
        byte[] text = Base64.getEncoder().encode(data); // 40 characters: five wide steps' worth
        for (int at = 0; at < text.length; at++) {
            for (int bad : new int[] {'=', '-', '_', '\n', ' ', '*', 0, 0x7f, 0x80, 0xc3, 0xff}) {
                byte[] altered = text.clone();
                altered[at] = (byte) bad;
                if (bad == '=' && at == text.length - 1) {
                    // Padding where it may be: both read 29 bytes.
                    byte[] out = new byte[30];
                    assertThat(Base64Bulk.decode(altered, 0, altered.length, out, 0)).isEqualTo(29);
                    assertThat(Arrays.copyOf(out, 29)).isEqualTo(Base64.getDecoder().decode(altered));
                    continue;
                }
                assertThat(Base64Bulk.decode(altered, 0, altered.length, new byte[30], 0))
                        .as("0x%x at %d", bad, at).isEqualTo(-1);
                assertThatThrownBy(() -> Base64.getDecoder().decode(altered)).as("0x%x at %d", bad, at)
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void decode_takesPaddingOnlyAtTheEnd_andLengthsOfWholeGroups() {
        assertThat(decoded("QQ==")).isEqualTo("A");
        assertThat(decoded("QUI=")).isEqualTo("AB");
        assertThat(decoded("QUJD")).isEqualTo("ABC");
        assertThat(decoded("")).isEqualTo("");
        for (String bad : new String[] {"====", "Q===", "QQ=A", "QQ==QUJD", "QUJ", "QUJDR", "Q"}) {
            byte[] text = bad.getBytes(StandardCharsets.US_ASCII);
            assertThat(Base64Bulk.decode(text, 0, text.length, new byte[16], 0)).as(bad).isEqualTo(-1);
        }
    }

    private static String decoded(String text) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[Base64Bulk.decodedLength(t, 0, t.length)];
        assertThat(Base64Bulk.decode(t, 0, t.length, out, 0)).isEqualTo(out.length);
        return new String(out, StandardCharsets.US_ASCII);
    }
}
