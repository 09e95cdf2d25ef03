package org.quorumfs.dataserver;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;

/**
 * Moves replicas stored in the layout of one directory per inode
 * ({@code blocks/<ino as 16 hex>/<index>.<version>}) into {@link ReplicaStore}'s directories of
 * many inodes, at start-up. Each move is an atomic rename within the filesystem, so a crash in the
 * middle leaves every replica in one layout or the other, and the next start finishes the work.
 */
final class LayoutMigration {
    private static final Logger log = LoggerFactory.getLogger(LayoutMigration.class);

    private final ReplicaStore store;

    LayoutMigration(ReplicaStore store) {
        this.store = store;
    }

    void run() throws IOException {
        int moved = 0;
        Set<Path> touched = new HashSet<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(store.root())) {
            for (Path dir : dirs) {
                String n = dir.getFileName().toString();
                if (n.length() != 16 || !Files.isDirectory(dir)) {
                    continue;
                }
                long ino;
                try {
                    ino = Long.parseUnsignedLong(n, 16);
                } catch (NumberFormatException e) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                    for (Path f : files) {
                        String name = f.getFileName().toString();
                        if (name.length() != 27 || name.charAt(10) != '.') {
                            continue;
                        }
                        int index;
                        long version;
                        try {
                            index = Integer.parseInt(name.substring(0, 10));
                            version = Long.parseUnsignedLong(name.substring(11), 16);
                        } catch (NumberFormatException e) {
                            continue;
                        }
                        Path target = store.replicaPath(ino, index, version);
                        Files.createDirectories(target.getParent());
                        Files.move(f, target, StandardCopyOption.ATOMIC_MOVE);
                        touched.add(target.getParent());
                        moved++;
                    }
                }
                for (Path t : touched) {
                    ReplicaStore.fsyncDirectory(t);
                }
                touched.clear();
                try (DirectoryStream<Path> left = Files.newDirectoryStream(dir)) {
                    if (!left.iterator().hasNext()) {
                        Files.delete(dir);
                    } else {
                        log.warn("{} holds files that are not replicas; left in place", dir);
                    }
                }
            }
        }
        if (moved > 0) {
            ReplicaStore.fsyncDirectory(store.root());
            log.info("moved {} replicas into the layout of many inodes per directory", moved);
        }
    }
}
