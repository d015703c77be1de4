package io.switchboard.server.messaging;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.switchboard.common.SwitchboardException;
import io.switchboard.messaging.MessagingService;
import io.switchboard.messaging.TwilioMessaging;
import io.switchboard.server.telephony.SignedForms;
import io.switchboard.telephony.FormEncoding;

/**
 * The carrier's messaging webhooks, Twilio-compatible: status callbacks ({@code POST
 * /messaging/twilio/status?message_id=...}: {@code MessageSid}, {@code MessageStatus}, {@code ErrorCode}) and
 * inbound texts ({@code POST /messaging/twilio/inbound}: {@code MessageSid}, {@code From}, {@code To},
 * {@code Body}), both refused (403) without a valid {@code X-Twilio-Signature}. An inbound text is answered with
 * empty TwiML: keyword replies go out through the outbox like any text, so they are recorded and metered.
 */
public final class MessagingWebhooks implements HttpService {

    private static final String EMPTY_TWIML = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

    private final String authToken;
    private final String publicBase;
    private final MessagingService messaging;

    public MessagingWebhooks(String authToken, URI publicUrl, MessagingService messaging) {
        this.authToken = authToken;
        this.publicBase = publicUrl.toString().replaceAll("/$", "");
        this.messaging = messaging;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post(TwilioMessaging.STATUS_PATH, this::status);
        rules.post(TwilioMessaging.INBOUND_PATH, this::inbound);
    }

    private void status(ServerRequest req, ServerResponse res) {
        Optional<Map<String, List<String>>> form = SignedForms.verified(req, res, authToken, publicBase,
                TwilioMessaging.STATUS_PATH);
        if (form.isEmpty()) {
            return;
        }
        Optional<UUID> id = uuid(FormEncoding.first(FormEncoding.parse(req.query().rawValue()), "message_id"));
        if (id.isEmpty()) {
            res.status(400).send("message_id: the query parameter is required and must be a UUID");
            return;
        }
        Map<String, List<String>> f = form.get();
        String status = FormEncoding.first(f, "MessageStatus");
        if (status.isEmpty()) {
            status = FormEncoding.first(f, "SmsStatus");
        }
        try {
            messaging.carrierStatus(id.get(), FormEncoding.first(f, "MessageSid"), status,
                    FormEncoding.first(f, "ErrorCode"), FormEncoding.first(f, "ErrorMessage"));
        } catch (SwitchboardException.NotFound e) {
            res.status(404).send("message_id: no such message");
            return;
        } catch (SwitchboardException.InvalidArgument e) {
            res.status(400).send(e.getMessage());
            return;
        } catch (SwitchboardException.FailedPrecondition e) {
            res.status(409).send("MessageSid: does not match the message");
            return;
        }
        res.status(204).send();
    }

    private void inbound(ServerRequest req, ServerResponse res) {
        Optional<Map<String, List<String>>> form = SignedForms.verified(req, res, authToken, publicBase,
                TwilioMessaging.INBOUND_PATH);
        if (form.isEmpty()) {
            return;
        }
        Map<String, List<String>> f = form.get();
        try {
            messaging.receive(FormEncoding.first(f, "MessageSid"), FormEncoding.first(f, "From"),
                    FormEncoding.first(f, "To"), FormEncoding.first(f, "Body"));
        } catch (SwitchboardException.NotFound e) {
            res.status(404).send("To: no organisation has this sender number");
            return;
        } catch (SwitchboardException.InvalidArgument e) {
            res.status(400).send(e.getMessage());
            return;
        }
        res.headers().contentType(MediaTypes.APPLICATION_XML);
        res.send(EMPTY_TWIML);
    }

    private static Optional<UUID> uuid(String s) {
        try {
            return s.isEmpty() ? Optional.empty() : Optional.of(UUID.fromString(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
