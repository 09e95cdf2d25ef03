/** Running an embeddable server from a thin main: start-up failures as exit codes, clean stop on SIGTERM. */
package org.quorumfs.common.server;
