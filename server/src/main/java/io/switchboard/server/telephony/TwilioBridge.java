package io.switchboard.server.telephony;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.Origin;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.dialer.DialOutcome;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;
import io.switchboard.live.CallSession;
import io.switchboard.live.LiveCalls;
import io.switchboard.live.SessionListener;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.TwilioSignature;
import io.switchboard.telephony.TwilioTelephony;
import io.switchboard.telephony.twilio.MediaMessage;
import io.switchboard.telephony.twilio.MediaStreamCodec;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;

/**
 * The carrier's side of the platform, Twilio-compatible: status callbacks ({@code POST
 * /telephony/twilio/status?attempt_id=...}) settle dial attempts, and the Media Streams WebSocket
 * ({@code /telephony/twilio/media}) feeds an answered call's audio to a live {@link CallSession}, as the gRPC
 * {@code StreamCall} does. Every request must carry a valid {@code X-Twilio-Signature} computed with the
 * account's auth token over the URL under {@code publicUrl}; an unsigned or mis-signed request is refused
 * (HTTP 403, or no WebSocket upgrade) before anything is read or stored.
 */
public final class TwilioBridge implements HttpService {

    private static final Logger LOG = Logger.getLogger(TwilioBridge.class.getName());
    private static final HeaderName SIGNATURE = HeaderNames.create(TwilioSignature.HEADER);

    private final String authToken;
    private final String publicBase;
    private final String mediaUrl;
    private final DialAttempts attempts;
    private final LiveCalls sessions;
    private final Function<UUID, Optional<UUID>> agentOrganization;

    /**
     * @param publicUrl         the base URL the carrier uses to reach this server (signatures are over URLs under it)
     * @param agentOrganization the organisation of a live agent, for inbound calls
     */
    public TwilioBridge(String authToken, URI publicUrl, DialAttempts attempts, LiveCalls sessions,
                        Function<UUID, Optional<UUID>> agentOrganization) {
        this.authToken = authToken;
        this.publicBase = publicUrl.toString().replaceAll("/$", "");
        this.mediaUrl = TwilioTelephony.mediaUrl(publicUrl);
        this.attempts = attempts;
        this.sessions = sessions;
        this.agentOrganization = agentOrganization;
    }

    // ------------------------------------------------------------------ status callbacks

    @Override
    public void routing(HttpRules rules) {
        rules.post(TwilioTelephony.STATUS_PATH, this::status);
        rules.post(TwilioTelephony.VOICE_PATH, this::voice);
    }

    /**
     * An inbound call: the carrier asks what to do with a call to one of the account's numbers, configured
     * with {@code ?agent_id=...}; the answer connects its audio to the media stream, naming the agent and the
     * numbers, so the call is answered by that agent's organisation.
     */
    private void voice(ServerRequest req, ServerResponse res) {
        Optional<Map<String, List<String>>> form = verified(req, res, TwilioTelephony.VOICE_PATH);
        if (form.isEmpty()) {
            return;
        }
        Optional<UUID> agent = uuid(FormEncoding.first(FormEncoding.parse(req.query().rawValue()), "agent_id"));
        if (agent.isEmpty() || agentOrganization.apply(agent.get()).isEmpty()) {
            res.status(404).send("agent_id: the query parameter must name a live agent");
            return;
        }
        String from = FormEncoding.first(form.get(), "From");
        String to = FormEncoding.first(form.get(), "To");
        String callSid = FormEncoding.first(form.get(), "CallSid");
        Map<String, String> stream = new java.util.LinkedHashMap<>();
        stream.put("agent_id", agent.get().toString());
        stream.put("from", from);
        stream.put("to", to);
        stream.put("call_sid", callSid);
        stream.put("token", TwilioSignature.streamToken(authToken, "inbound", agent.get().toString(), from, to, callSid));
        String twiml = TwilioTelephony.connectStream(mediaUrl, stream);
        res.headers().contentType(io.helidon.common.media.type.MediaTypes.APPLICATION_XML);
        res.send(twiml);
    }

    /** The form of a signed carrier request, or empty after answering 400/403. */
    private Optional<Map<String, List<String>>> verified(ServerRequest req, ServerResponse res, String path) {
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

    private void status(ServerRequest req, ServerResponse res) {
        Optional<Map<String, List<String>>> verified = verified(req, res, TwilioTelephony.STATUS_PATH);
        if (verified.isEmpty()) {
            return;
        }
        Map<String, List<String>> form = verified.get();
        String rawQuery = req.query().rawValue();
        Optional<UUID> attemptId = uuid(FormEncoding.first(FormEncoding.parse(rawQuery), "attempt_id"));
        if (attemptId.isEmpty()) {
            res.status(400).send("attempt_id: the query parameter is required and must be a UUID");
            return;
        }
        Optional<DialAttempts.Attempt> attempt = attempts.find(attemptId.get());
        if (attempt.isEmpty()) {
            res.status(404).send("attempt_id: no such attempt");
            return;
        }
        String callSid = FormEncoding.first(form, "CallSid");
        if (callSid.isEmpty() || attempt.get().carrierCallId().filter(s -> !s.equals(callSid)).isPresent()) {
            res.status(409).send("CallSid: does not match the attempt's call");
            return;
        }
        String status = FormEncoding.first(form, "CallStatus");
        UUID id = attemptId.get();
        switch (status) {
            case "queued", "initiated", "ringing" -> attempts.accepted(id, callSid);
            case "in-progress", "answered" -> {
                attempts.accepted(id, callSid);
                attempts.answered(id);
            }
            case "completed" -> {
                attempts.accepted(id, callSid);
                if (attempt.get().callId().isEmpty()) {
                    // answered, but its audio never became a call (refused on open, or the stream never came)
                    attempts.finish(id, DialOutcome.FAILED, "answered, but no call was opened for its audio",
                            Optional.empty());
                    break;
                }
                boolean machine = FormEncoding.first(form, "AnsweredBy").startsWith("machine")
                        || FormEncoding.first(form, "AnsweredBy").equals("fax");
                Optional<Long> ms = seconds(FormEncoding.first(form, "CallDuration")).map(s -> s * 1000);
                attempts.finish(id, machine ? DialOutcome.VOICEMAIL : DialOutcome.COMPLETED,
                        machine ? "answered by a machine (" + FormEncoding.first(form, "AnsweredBy") + ")" : "answered", ms);
            }
            case "busy" -> attempts.finish(id, DialOutcome.BUSY, "busy", Optional.empty());
            case "no-answer" -> attempts.finish(id, DialOutcome.NO_ANSWER, "no answer", Optional.empty());
            case "failed" -> attempts.finish(id, DialOutcome.FAILED, "the carrier could not connect the call"
                    + errorOf(form), Optional.empty());
            case "canceled" -> attempts.finish(id, DialOutcome.CANCELED, "hung up before it was answered", Optional.empty());
            default -> {
                res.status(400).send("CallStatus: unknown value '" + abbreviate(status) + "'");
                return;
            }
        }
        res.status(204).send();
    }

    private static String errorOf(Map<String, List<String>> form) {
        String code = FormEncoding.first(form, "ErrorCode");
        return code.isEmpty() ? "" : " (error " + code + ": " + FormEncoding.first(form, "ErrorMessage") + ")";
    }

    // ------------------------------------------------------------------ media streams

    /** A new listener per WebSocket connection. */
    public WsListener mediaStream() {
        return new MediaStream();
    }

    /**
     * One carrier media stream, a thin adapter between the carrier's JSON ({@link MediaStreamCodec}) and a live
     * call's {@link CallSession}: {@code start} names the dial attempt (custom parameter {@code attempt_id}),
     * whose organisation, campaign, contact and agent the call is opened with, as the {@link Origin#CARRIER};
     * {@code media} frames are its audio (8 kHz μ-law, base64); {@code stop}, or the socket closing, ends it.
     * Agent audio goes back as {@code media}, {@code mark} and {@code clear}. A protocol fault ends the stream
     * with a close code that says why, and the call with that reason; the audio already received is kept.
     */
    private final class MediaStream implements WsListener {
        private final StringBuilder partial = new StringBuilder();
        private CallSession call;
        private boolean ended;

        @Override
        public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
            String raw = prologue.query().rawValue();
            String url = mediaUrl + (raw.isEmpty() ? "" : "?" + raw);
            if (!TwilioSignature.verify(authToken, url, Map.of(), headers.first(SIGNATURE).orElse(null))) {
                LOG.warning("refused a media stream with a missing or wrong " + TwilioSignature.HEADER);
                throw new WsUpgradeException("invalid " + TwilioSignature.HEADER);
            }
            return Optional.empty();
        }

        @Override
        public synchronized void onMessage(WsSession session, String text, boolean last) {
            if (ended) {
                return;
            }
            if (partial.length() + text.length() > MediaMessage.MAX_MESSAGE) {
                refuse(session, MediaStreamCodec.TOO_BIG, "message over " + MediaMessage.MAX_MESSAGE + " bytes");
                return;
            }
            partial.append(text);
            if (!last) {
                return;
            }
            String message = partial.toString();
            partial.setLength(0);
            MediaMessage m;
            try {
                m = MediaMessage.parse(message);
            } catch (MediaMessage.Malformed e) {
                refuse(session, e.closeCode(), e.getMessage());
                return;
            }
            if (m instanceof MediaMessage.Start s) {
                start(session, s);
                return;
            }
            if (call == null && m instanceof MediaMessage.Media) {
                refuse(session, MediaStreamCodec.VIOLATED_POLICY, "media: before start");
                return;
            }
            Optional<CallInput> input = MediaStreamCodec.input(m);
            if (call != null && input.isPresent()) {
                call.accept(input.get()); // the handshake, our own audio echoed back, newer events: nothing
            }
            if (m instanceof MediaMessage.Stop) {
                if (call != null) {
                    call.inputEnded();
                }
                ended = true;
                session.close(MediaStreamCodec.NORMAL_CLOSE, "stream stopped");
            }
        }

        private void start(WsSession session, MediaMessage.Start s) {
            if (call != null) {
                refuse(session, MediaStreamCodec.VIOLATED_POLICY, "start: sent twice");
                return;
            }
            JsonNode custom = s.customParameters();
            if (!custom.has("attempt_id") && custom.has("agent_id")) {
                startInbound(session, custom, s);
                return;
            }
            String attemptText = custom.path("attempt_id").asText("");
            if (!TwilioSignature.verifyStreamToken(authToken, custom.path("token").asText(null), "attempt", attemptText)) {
                refuse(session, MediaStreamCodec.VIOLATED_POLICY, "start.customParameters.token: does not match the attempt");
                return;
            }
            Optional<UUID> id = uuid(attemptText);
            DialAttempts.Attempt attempt = id.flatMap(attempts::find).orElse(null);
            if (attempt == null) {
                refuse(session, MediaStreamCodec.VIOLATED_POLICY, "start.customParameters.attempt_id: no such dial attempt");
                return;
            }
            String callSid = s.callSid();
            if (attempt.carrierCallId().filter(c -> !c.equals(callSid)).isPresent() || attempt.state().equals("finished")
                    || attempt.callId().isPresent()) {
                refuse(session, MediaStreamCodec.VIOLATED_POLICY, "start.callSid: does not match an unanswered attempt");
                return;
            }
            if (!mulaw8k(session, s)) {
                return;
            }
            attempts.answered(attempt.id());
            UUID attemptId = attempt.id();
            open(session, s, attempt.organizationId(), c -> attempts.linkCall(attemptId, c.id()),
                    new CallSpec(attempt.agentId().toString(), attempt.campaignId().toString(),
                            attempt.contactId().toString(), Call.Direction.OUTBOUND, attempt.from(), attempt.to(),
                            AudioFormat.Encoding.MULAW, MediaStreamCodec.SAMPLE_RATE, 1, AudioFormat.Container.RAW));
        }

        /** A call to one of the account's numbers, answered by the agent the voice webhook named. */
        private void startInbound(WsSession session, JsonNode custom, MediaMessage.Start format) {
            String agentText = custom.path("agent_id").asText("");
            String callSid = custom.path("call_sid").asText("");
            if (!callSid.equals(format.callSid()) || !TwilioSignature.verifyStreamToken(authToken,
                    custom.path("token").asText(null), "inbound", agentText, custom.path("from").asText(""),
                    custom.path("to").asText(""), callSid)) {
                refuse(session, MediaStreamCodec.VIOLATED_POLICY,
                        "start.customParameters.token: does not match the call's agent, numbers and call sid");
                return;
            }
            Optional<UUID> agent = uuid(agentText);
            Optional<UUID> org = agent.flatMap(agentOrganization);
            if (org.isEmpty()) {
                refuse(session, MediaStreamCodec.VIOLATED_POLICY, "start.customParameters.agent_id: no such agent");
                return;
            }
            if (!mulaw8k(session, format)) {
                return;
            }
            open(session, format, org.get(), c -> { }, new CallSpec(agent.get().toString(), "", "",
                    Call.Direction.INBOUND, abbreviate(custom.path("from").asText("")),
                    abbreviate(custom.path("to").asText("")), AudioFormat.Encoding.MULAW, MediaStreamCodec.SAMPLE_RATE, 1,
                    AudioFormat.Container.RAW));
        }

        private boolean mulaw8k(WsSession session, MediaMessage.Start f) {
            if (!f.encoding().equals(MediaStreamCodec.ENCODING) || f.sampleRate() != MediaStreamCodec.SAMPLE_RATE
                    || f.channels() != 1) {
                refuse(session, MediaStreamCodec.CANNOT_ACCEPT, "start.mediaFormat: only audio/x-mulaw, 8000 Hz, mono"
                        + " is accepted, got " + abbreviate(f.encoding() + "/" + f.sampleRate() + "/" + f.channels()));
                return false;
            }
            return true;
        }

        /** Opens the live call on behalf of the organisation, as the carrier. */
        private void open(WsSession session, MediaMessage.Start start, UUID org, Consumer<Call> accepted, CallSpec spec) {
            Principal carrier = Principal.system(org, Role.AGENT, "carrier:twilio");
            MediaStreamCodec codec = new MediaStreamCodec(start.streamSid());
            call = sessions.open(carrier, new SessionListener() {
                @Override
                public void on(CallOutput output) {
                    if (output instanceof CallOutput.Accepted a) {
                        accepted.accept(a.call());
                    }
                    for (String text : codec.output(output)) {
                        session.send(text, true);
                    }
                }

                @Override
                public void closed(Optional<RuntimeException> failure) {
                    if (failure.isEmpty()) {
                        session.close(MediaStreamCodec.NORMAL_CLOSE, "call ended");
                        return;
                    }
                    LOG.warning("media stream ended: " + failure.get().getMessage());
                    session.close(MediaStreamCodec.UNEXPECTED_CONDITION, abbreviate(failure.get().getMessage()));
                }
            });
            call.accept(new CallInput.Open(spec, Origin.CARRIER));
        }

        /** Ends the stream for a protocol fault; a call already open keeps its audio and fails, saying why. */
        private void refuse(WsSession session, int code, String why) {
            ended = true;
            if (call != null) {
                call.transportFailed("media stream refused: " + abbreviate(why));
            }
            LOG.warning("media stream refused: " + why);
            session.close(code, abbreviate(why));
        }

        @Override
        public synchronized void onClose(WsSession session, int status, String reason) {
            if (call != null && !ended) {
                ended = true;
                call.inputEnded(); // the carrier hung up without a stop: the call ends with what arrived
            }
        }

        @Override
        public synchronized void onError(WsSession session, Throwable t) {
            LOG.log(Level.WARNING, "media stream failed", t);
            if (call != null && !ended) {
                ended = true;
                call.transportFailed("media stream failed: " + abbreviate(String.valueOf(t.getMessage())));
            }
        }
    }

    private static Optional<UUID> uuid(String s) {
        try {
            return s.isEmpty() ? Optional.empty() : Optional.of(UUID.fromString(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Optional<Long> seconds(String s) {
        try {
            return s.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String abbreviate(String s) {
        String t = s == null ? "" : s;
        return t.length() <= 100 ? t : t.substring(0, 100) + "…";
    }
}
