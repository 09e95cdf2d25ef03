package org.quorumfs.common.rpc;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Optional;

/**
 * TLS for every RPC, from one PKCS#12 store the cluster shares (scripts/tls-init makes it): its key
 * pair is every server's identity, and its certificates are the only ones a client trusts. A
 * server is therefore authenticated by holding the cluster's private key, not by its host name
 * matching a certificate, which is why host names are not checked: the store is a cluster secret
 * like the cluster key, kept mode 0600 and copied to every machine. Requests are still
 * authenticated by {@link ClusterKey}; TLS adds that neither the key's proofs nor file data cross
 * a network in clear.
 *
 * <p>The store is named by the system property {@value #PROPERTY}; its password by
 * {@value #PASSWORD_PROPERTY} (default {@value #DEFAULT_PASSWORD}: the file's mode protects it, as
 * it protects the cluster key).
 */
public final class ClusterTls {
    public static final String PROPERTY = "quorumfs.tlsStore";
    public static final String PASSWORD_PROPERTY = "quorumfs.tlsPassword";
    public static final String DEFAULT_PASSWORD = "quorumfs";
    /** Accepts any name: trust comes from the pinned cluster certificate (see the class comment). */
    static final HostnameVerifier ANY_NAME = (host, session) -> true;

    /** One of each per process: the JDK reuses a kept-alive HTTPS connection only for the same factory. */
    private final SSLServerSocketFactory serverSockets;
    private final SSLSocketFactory clientSockets;

    private ClusterTls(SSLContext context) {
        this.serverSockets = context.getServerSocketFactory();
        this.clientSockets = new NoDelaySocketFactory(context.getSocketFactory());
    }

    /** TLS with the key pair and certificates of the PKCS#12 store {@code file}. */
    public static ClusterTls read(Path file, char[] password) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trustedOnly(store));
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
            return new ClusterTls(context);
        } catch (GeneralSecurityException | IOException e) {
            // A wrong password surfaces as an IOException from load(): name the store either way.
            throw new IOException("cannot use the TLS store " + file + ": " + e.getMessage(), e);
        }
    }

    /** This process's TLS: the store {@value #PROPERTY} names, or none when it is not set. */
    public static Optional<ClusterTls> ofThisProcess() {
        String file = System.getProperty(PROPERTY, "");
        if (file.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(read(Path.of(file), System.getProperty(PASSWORD_PROPERTY, DEFAULT_PASSWORD).toCharArray()));
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The certificates of {@code store}'s entries, as trust anchors (a key entry's own certificate included). */
    private static KeyStore trustedOnly(KeyStore store) throws GeneralSecurityException, IOException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        for (String alias : Collections.list(store.aliases())) {
            Certificate cert = store.getCertificate(alias);
            if (cert != null) {
                trusted.setCertificateEntry(alias, cert);
            }
        }
        if (trusted.size() == 0) {
            throw new GeneralSecurityException("the store holds no certificate");
        }
        return trusted;
    }

    SSLServerSocketFactory serverSockets() {
        return serverSockets;
    }

    SSLSocketFactory clientSockets() {
        return clientSockets;
    }
}
