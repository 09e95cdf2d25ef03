/** The mount: FUSE callbacks over the mediator, path resolution, write buffering, the mount command. */
package org.quorumfs.client;
