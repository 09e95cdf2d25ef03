/** The cluster's upkeep commands: scripts/healer, scripts/scrub and scripts/status. */
package org.quorumfs.mediator.cli;
