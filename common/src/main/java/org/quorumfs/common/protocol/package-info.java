/** The protocol, defined once: service interfaces, value records with their wire forms, error codes. */
package org.quorumfs.common.protocol;
