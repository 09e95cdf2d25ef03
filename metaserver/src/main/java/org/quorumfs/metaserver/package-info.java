/** The meta-server: the namespace and the block table, durable in SQLite, one transaction per call. */
package org.quorumfs.metaserver;
