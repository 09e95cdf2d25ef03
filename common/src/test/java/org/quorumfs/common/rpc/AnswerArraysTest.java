package org.quorumfs.common.rpc;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AnswerArraysTest {

    @Test
    void aLargeArrayGivenBack_servesTheNextAnswerOfItsLength_only() {
        int length = AnswerArrays.LARGE + 12_345; // a length no other test's answers have
        byte[] a = AnswerArrays.take(length);
        assertThat(a).hasSize(length);
        AnswerArrays.give(a);
        assertThat(AnswerArrays.take(length + 1)).isNotSameAs(a).hasSize(length + 1);
        assertThat(AnswerArrays.take(length)).isSameAs(a);
        assertThat(AnswerArrays.take(length)).isNotSameAs(a); // taken: not handed out twice
    }

    @Test
    void smallArrays_areNotKept() {
        byte[] small = AnswerArrays.take(1000);
        AnswerArrays.give(small);
        assertThat(AnswerArrays.take(1000)).isNotSameAs(small);
    }

    @Test
    void atMostAFewAreKept_theLatestGiven() {
        int length = AnswerArrays.LARGE + 54_321;
        byte[][] given = new byte[10][];
        for (int i = 0; i < given.length; i++) {
            given[i] = new byte[length];
        }
        for (byte[] g : given) {
            AnswerArrays.give(g);
        }
        int reused = 0;
        for (int i = 0; i < given.length; i++) {
            byte[] t = AnswerArrays.take(length);
            for (byte[] g : given) {
                reused += t == g ? 1 : 0;
            }
        }
        assertThat(reused).isEqualTo(4);
    }
}
