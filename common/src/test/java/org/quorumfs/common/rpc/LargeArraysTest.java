package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LargeArraysTest {

    @Test
    void aLargeArrayGivenBack_servesTheNextAnswerOfItsLength_only() {
        int length = LargeArrays.LARGE + 12_345; // a length no other test's answers have
        byte[] a = LargeArrays.take(length);
        assertThat(a).hasSize(length);
        LargeArrays.give(a);
        assertThat(LargeArrays.take(length + 1)).isNotSameAs(a).hasSize(length + 1);
        assertThat(LargeArrays.take(length)).isSameAs(a);
        assertThat(LargeArrays.take(length)).isNotSameAs(a); // taken: not handed out twice
    }

    @Test
    void smallArrays_areNotKept() {
        byte[] small = LargeArrays.take(1000);
        LargeArrays.give(small);
        assertThat(LargeArrays.take(1000)).isNotSameAs(small);
    }

    @Test
    void atMostAFewAreKept_theLatestGiven() {
        int length = LargeArrays.LARGE + 54_321;
        byte[][] given = new byte[10][];
        for (int i = 0; i < given.length; i++) {
            given[i] = new byte[length];
        }
        for (byte[] g : given) {
            LargeArrays.give(g);
        }
        int reused = 0;
        for (int i = 0; i < given.length; i++) {
            byte[] t = LargeArrays.take(length);
            for (byte[] g : given) {
                reused += t == g ? 1 : 0;
            }
        }
        assertThat(reused).isEqualTo(LargeArrays.KEPT);
    }
}
