// SPDX-License-Identifier: Apache-2.0
package org.epoll4j.examples;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A server's TLS context from PEM files, as the examples' {@code --tls-cert} and
 * {@code --tls-key} name them: a certificate chain (the server's first) and its
 * unencrypted PKCS#8 private key ({@code -----BEGIN PRIVATE KEY-----}; RSA, EC or EdDSA).
 */
final class TlsFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final char[] NO_PASSWORD = new char[0];
    /** A chain of a few certificates is a few KiB; /dev/zero is not a PEM file. */
    private static final int MAX_FILE = 1 << 20;

    private TlsFiles() {}

    /** Why a file cannot serve: said to the user as it is, with the file's name. */
    static final class Unusable extends Exception {
        Unusable(String message) {
            super(message);
        }
    }

    /** The context of a server with the chain in {@code certFile} and the key in {@code keyFile}. */
    static SSLContext serverContext(Path certFile, Path keyFile) throws Unusable {
        List<X509Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        if (!matches(key, chain.getFirst().getPublicKey())) {
            throw new Unusable(keyFile + " is not the key of the first certificate in " + certFile);
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, NO_PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new Unusable("cannot make a TLS context of " + certFile + " and " + keyFile + ": " + e.getMessage());
        }
    }

    private static List<X509Certificate> certificates(Path file) throws Unusable {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(file, "CERTIFICATE")) {
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (GeneralSecurityException e) {
            throw new Unusable(file + ": not a certificate: " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new Unusable(file + ": no -----BEGIN CERTIFICATE----- block");
        }
        return chain;
    }

    private static PrivateKey privateKey(Path file) throws Unusable {
        List<byte[]> keys = blocks(file, "PRIVATE KEY");
        if (keys.size() != 1) {
            throw new Unusable(file + ": " + keys.size() + " -----BEGIN PRIVATE KEY----- blocks, not one (a PKCS#8"
                    + " key, unencrypted: openssl pkcs8 -topk8 -nocrypt converts others)");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(keys.getFirst());
        for (String algorithm : List.of("RSA", "EC", "EdDSA")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // the next algorithm
            }
        }
        throw new Unusable(file + ": not an RSA, EC or EdDSA private key");
    }

    /** Whether {@code key} signs what {@code publicKey} verifies. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) throws Unusable {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> throw new Unusable("unsupported key algorithm: " + key.getAlgorithm());
        };
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // a key of another kind than the certificate's
        }
    }

    /** The DER bytes of each {@code -----BEGIN type-----} block of {@code file}, in order. */
    private static List<byte[]> blocks(Path file, String type) throws Unusable {
        String text;
        try {
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_FILE + 1); // bounded: /dev/zero has no size, and no end
            }
            if (bytes.length > MAX_FILE) {
                throw new Unusable(file + ": larger than " + MAX_FILE + " bytes, not a PEM file");
            }
            // Latin-1 reads any byte: text around the blocks (a BOM, "Bag Attributes") is skipped, not refused.
            text = new String(bytes, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new Unusable("no such file: " + file);
        } catch (IOException e) {
            throw new Unusable("cannot read " + file + ": " + e);
        }
        List<byte[]> found = new ArrayList<>();
        Matcher block = BLOCK.matcher(text);
        while (block.find()) {
            if (block.group(1).equals(type)) {
                try {
                    found.add(Base64.getMimeDecoder().decode(block.group(2)));
                } catch (IllegalArgumentException e) {
                    throw new Unusable(file + ": a " + type + " block that is not base64");
                }
            }
        }
        return found;
    }
}
