/** XML-RPC plumbing shared by every process: bounded clients, hardened embeddable servers, fast base64. */
package org.quorumfs.common.rpc;
