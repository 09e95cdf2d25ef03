package org.quorumfs.common.protocol;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A call whose answer is a few KiB at most, whatever its arguments. The server reserves no block
 * read's worth of heap for its answer (RequestMemory), so such calls (a ping, a vouching check, a
 * commit) are served while block puts hold the server's memory. A method that may answer more
 * must not carry it: its answer would be built outside the server's memory bound.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface SmallAnswer {
}
