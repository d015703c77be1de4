package io.switchboard.telephony;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Twilio's request signature ({@code X-Twilio-Signature}): Base64 of HMAC-SHA1, keyed with the account's
 * auth token, over the full URL the carrier requested (scheme, host, path and query, exactly as configured)
 * followed, for a form POST, by every parameter name and value concatenated in name order. The server checks
 * it on every status callback and on the media stream's WebSocket handshake; the dev softphone signs with
 * the same code path a real Twilio account would be verified by.
 */
public final class TwilioSignature {

    public static final String HEADER = "X-Twilio-Signature";

    private TwilioSignature() {
    }

    /** @param params the POST form parameters (a name may repeat); empty for a GET or a WebSocket handshake */
    public static String sign(String authToken, String url, Map<String, List<String>> params) {
        StringBuilder data = new StringBuilder(url);
        for (Map.Entry<String, List<String>> e : new TreeMap<>(params).entrySet()) {
            for (String v : e.getValue().stream().sorted().toList()) {
                data.append(e.getKey()).append(v);
            }
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(data.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is unavailable", e);
        }
    }

    /**
     * A token for a media stream's custom parameters: the handshake signature covers only the stream URL
     * (the same for every stream), so what the {@code start} message claims (the dial attempt, or the agent and
     * numbers of an inbound call) is bound to it by HMAC-SHA256 with the auth token, base64url.
     */
    public static String streamToken(String authToken, String... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    mac.doFinal(String.join("\n", parts).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** Constant-time check of a stream token. */
    public static boolean verifyStreamToken(String authToken, String token, String... parts) {
        return token != null && MessageDigest.isEqual(streamToken(authToken, parts).getBytes(StandardCharsets.US_ASCII),
                token.getBytes(StandardCharsets.US_ASCII));
    }

    /** Constant-time comparison of {@code signature} (the header; null if absent) with the expected one. */
    public static boolean verify(String authToken, String url, Map<String, List<String>> params, String signature) {
        if (signature == null || signature.isEmpty()) {
            return false;
        }
        byte[] expected = sign(authToken, url, params).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signature.strip().getBytes(StandardCharsets.US_ASCII));
    }
}
