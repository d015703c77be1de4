package io.switchboard.server.telephony;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.dialer.DialOutcome;
import io.switchboard.server.calls.CallGrpcService;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.TwilioSignature;
import io.switchboard.telephony.TwilioTelephony;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;
import io.switchboard.v1.AudioFormat;
import io.switchboard.v1.EndCall;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;

/**
 * The carrier's side of the platform, Twilio-compatible: status callbacks ({@code POST
 * /telephony/twilio/status?attempt_id=...}) settle dial attempts, and the Media Streams WebSocket
 * ({@code /telephony/twilio/media}) feeds an answered call's audio into the same live pipeline as the gRPC
 * {@code StreamCall}. Every request must carry a valid {@code X-Twilio-Signature} computed with the
 * account's auth token over the URL under {@code publicUrl}; an unsigned or mis-signed request is refused
 * (HTTP 403, or no WebSocket upgrade) before anything is read or stored.
 */
public final class TwilioBridge implements HttpService {

    private static final Logger LOG = Logger.getLogger(TwilioBridge.class.getName());
    private static final HeaderName SIGNATURE = HeaderNames.create(TwilioSignature.HEADER);
    /** Largest media-stream message accepted: a Twilio frame is ~300 bytes; generous for larger chunks. */
    static final int MAX_MESSAGE = 64 * 1024;

    private final String authToken;
    private final String publicBase;
    private final String mediaUrl;
    private final DialAttempts attempts;
    private final CallGrpcService calls;
    private final Function<UUID, Optional<UUID>> agentOrganization;

    /**
     * @param publicUrl         the base URL the carrier uses to reach this server (signatures are over URLs under it)
     * @param agentOrganization the organisation of a live agent, for inbound calls
     */
    public TwilioBridge(String authToken, URI publicUrl, DialAttempts attempts, CallGrpcService calls,
                        Function<UUID, Optional<UUID>> agentOrganization) {
        this.authToken = authToken;
        this.publicBase = publicUrl.toString().replaceAll("/$", "");
        this.mediaUrl = TwilioTelephony.mediaUrl(publicUrl);
        this.attempts = attempts;
        this.calls = calls;
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
     * One carrier media stream: {@code start} names the dial attempt (custom parameter {@code attempt_id}),
     * whose organisation, campaign, contact and agent the call is opened with; {@code media} frames are its
     * audio (8 kHz μ-law, base64); {@code stop}, or the socket closing, ends it. Malformed messages end the
     * stream with a close code that says why; the audio already received is kept.
     */
    private final class MediaStream implements WsListener {
        private final StringBuilder partial = new StringBuilder();
        private StreamObserver<StreamCallRequest> call;
        private DialAttempts.Attempt attempt;
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
            if (partial.length() + text.length() > MAX_MESSAGE) {
                refuse(session, WsCloseCodes.TOO_BIG, "message over " + MAX_MESSAGE + " bytes");
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
            switch (m) {
                case MediaMessage.Ignored ignored -> {
                    // the protocol handshake, playback marks, key presses, events of newer protocol versions
                }
                case MediaMessage.Start s -> start(session, s);
                case MediaMessage.Media media -> media(session, media);
                case MediaMessage.Stop stop -> {
                    if (call != null) {
                        call.onNext(StreamCallRequest.newBuilder().setEnd(EndCall.newBuilder().setReason("hangup")).build());
                        call.onCompleted();
                    }
                    ended = true;
                    session.close(WsCloseCodes.NORMAL_CLOSE, "stream stopped");
                }
            }
        }

        private void start(WsSession session, MediaMessage.Start s) {
            if (call != null) {
                refuse(session, WsCloseCodes.VIOLATED_POLICY, "start: sent twice");
                return;
            }
            JsonNode custom = s.customParameters();
            if (!custom.has("attempt_id") && custom.has("agent_id")) {
                startInbound(session, custom, s);
                return;
            }
            String attemptText = custom.path("attempt_id").asText("");
            if (!TwilioSignature.verifyStreamToken(authToken, custom.path("token").asText(null), "attempt", attemptText)) {
                refuse(session, WsCloseCodes.VIOLATED_POLICY, "start.customParameters.token: does not match the attempt");
                return;
            }
            Optional<UUID> id = uuid(attemptText);
            attempt = id.flatMap(attempts::find).orElse(null);
            if (attempt == null) {
                refuse(session, WsCloseCodes.VIOLATED_POLICY, "start.customParameters.attempt_id: no such dial attempt");
                return;
            }
            String callSid = s.callSid();
            if (attempt.carrierCallId().filter(c -> !c.equals(callSid)).isPresent() || attempt.state().equals("finished")
                    || attempt.callId().isPresent()) {
                refuse(session, WsCloseCodes.VIOLATED_POLICY, "start.callSid: does not match an unanswered attempt");
                return;
            }
            if (!mulaw8k(session, s)) {
                return;
            }
            attempts.answered(attempt.id());
            UUID attemptId = attempt.id();
            open(session, attempt.organizationId(), r -> attempts.linkCall(attemptId, UUID.fromString(r.getId())),
                    OpenCall.newBuilder().setAgentId(attempt.agentId().toString())
                            .setCampaignId(attempt.campaignId().toString()).setContactId(attempt.contactId().toString())
                            .setDirection(OpenCall.Direction.DIRECTION_OUTBOUND).setFromNumber(attempt.from())
                            .setToNumber(attempt.to()));
        }

        /** A call to one of the account's numbers, answered by the agent the voice webhook named. */
        private void startInbound(WsSession session, JsonNode custom, MediaMessage.Start format) {
            String agentText = custom.path("agent_id").asText("");
            String callSid = custom.path("call_sid").asText("");
            if (!callSid.equals(format.callSid()) || !TwilioSignature.verifyStreamToken(authToken,
                    custom.path("token").asText(null), "inbound", agentText, custom.path("from").asText(""),
                    custom.path("to").asText(""), callSid)) {
                refuse(session, WsCloseCodes.VIOLATED_POLICY,
                        "start.customParameters.token: does not match the call's agent, numbers and call sid");
                return;
            }
            Optional<UUID> agent = uuid(agentText);
            Optional<UUID> org = agent.flatMap(agentOrganization);
            if (org.isEmpty()) {
                refuse(session, WsCloseCodes.VIOLATED_POLICY, "start.customParameters.agent_id: no such agent");
                return;
            }
            if (!mulaw8k(session, format)) {
                return;
            }
            open(session, org.get(), r -> { }, OpenCall.newBuilder().setAgentId(agent.get().toString())
                    .setDirection(OpenCall.Direction.DIRECTION_INBOUND)
                    .setFromNumber(abbreviate(custom.path("from").asText("")))
                    .setToNumber(abbreviate(custom.path("to").asText(""))));
        }

        private boolean mulaw8k(WsSession session, MediaMessage.Start f) {
            if (!f.encoding().equals("audio/x-mulaw") || f.sampleRate() != 8000 || f.channels() != 1) {
                refuse(session, WsCloseCodes.CANNOT_ACCEPT, "start.mediaFormat: only audio/x-mulaw, 8000 Hz, mono"
                        + " is accepted, got " + abbreviate(f.encoding() + "/" + f.sampleRate() + "/" + f.channels()));
                return false;
            }
            return true;
        }

        /** Opens the live call on behalf of the organisation, as the carrier. */
        private void open(WsSession session, UUID org, java.util.function.Consumer<io.switchboard.v1.Call> accepted,
                          OpenCall.Builder open) {
            Principal carrier = Principal.system(org, Role.AGENT, "carrier:twilio");
            call = calls.live(carrier, new StreamObserver<>() {
                @Override
                public void onNext(StreamCallResponse r) {
                    if (r.hasAccepted()) {
                        accepted.accept(r.getAccepted());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    Status st = Status.fromThrowable(t);
                    LOG.warning("media stream ended: " + st.getCode() + " " + st.getDescription());
                    session.close(WsCloseCodes.UNEXPECTED_CONDITION, abbreviate(st.getCode() + ": " + st.getDescription()));
                }

                @Override
                public void onCompleted() {
                    session.close(WsCloseCodes.NORMAL_CLOSE, "call ended");
                }
            });
            call.onNext(StreamCallRequest.newBuilder().setOpen(open.setFormat(AudioFormat.newBuilder()
                    .setEncoding(AudioFormat.Encoding.ENCODING_MULAW).setSampleRate(8000).setChannels(1))).build());
        }

        private void media(WsSession session, MediaMessage.Media media) {
            if (call == null) {
                refuse(session, WsCloseCodes.VIOLATED_POLICY, "media: before start");
                return;
            }
            if (!media.track().equals("inbound")) {
                return; // our own audio echoed back: not the callee's
            }
            call.onNext(StreamCallRequest.newBuilder().setAudio(ByteString.copyFrom(media.audio())).build());
        }

        /** Ends the stream for a protocol fault; a call already open keeps its audio and fails. */
        private void refuse(WsSession session, int code, String why) {
            ended = true;
            if (call != null) {
                call.onError(Status.INVALID_ARGUMENT.withDescription("media stream: " + why).asRuntimeException());
            }
            LOG.warning("media stream refused: " + why);
            session.close(code, abbreviate(why));
        }

        @Override
        public synchronized void onClose(WsSession session, int status, String reason) {
            if (call != null && !ended) {
                ended = true;
                call.onCompleted(); // the carrier hung up without a stop: the call ends with what arrived
            }
        }

        @Override
        public synchronized void onError(WsSession session, Throwable t) {
            LOG.log(Level.WARNING, "media stream failed", t);
            if (call != null && !ended) {
                ended = true;
                call.onError(t);
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
