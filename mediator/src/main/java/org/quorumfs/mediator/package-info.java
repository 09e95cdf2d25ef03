/** The reliable layer: quorum writes and reads, MD5 verification, repair, compare-and-set commits. */
package org.quorumfs.mediator;
