/** A data server: a dumb, durable store of block replicas addressed by numbers only. */
package org.quorumfs.dataserver;
