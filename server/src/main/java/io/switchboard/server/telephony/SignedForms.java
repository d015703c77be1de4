package io.switchboard.server.telephony;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.TwilioSignature;

/**
 * The form of a carrier's webhook request, once its {@code X-Twilio-Signature} (over the URL under the public
 * base the carrier was given, and the form's parameters) checks out. Voice callbacks and messaging webhooks
 * share it, so no carrier endpoint reads a request it has not verified.
 */
public final class SignedForms {

    private static final Logger LOG = Logger.getLogger(SignedForms.class.getName());
    private static final HeaderName SIGNATURE = HeaderNames.create(TwilioSignature.HEADER);

    private SignedForms() {
    }

    /** The verified form, or empty after answering 400 (malformed) or 403 (unsigned, mis-signed). */
    public static Optional<Map<String, List<String>>> verified(ServerRequest req, ServerResponse res, String authToken,
                                                               String publicBase, String path) {
        String body = req.content().as(String.class);
        Map<String, List<String>> form;
        try {
            form = FormEncoding.parse(body);
        } catch (IllegalArgumentException e) {
            res.status(400).send("malformed form body: " + e.getMessage());
            return Optional.empty();
        }
        String rawQuery = req.query().rawValue();
        String url = publicBase + path + (rawQuery.isEmpty() ? "" : "?" + rawQuery);
        if (!TwilioSignature.verify(authToken, url, form, req.headers().first(SIGNATURE).orElse(null))) {
            LOG.warning("refused a carrier request to " + path + " with a missing or wrong " + TwilioSignature.HEADER);
            res.status(403).send("invalid " + TwilioSignature.HEADER);
            return Optional.empty();
        }
        return Optional.of(form);
    }
}
