package io.switchboard.server.telephony;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.Origin;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.dialer.Telephony;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;
import io.switchboard.live.CallSession;
import io.switchboard.live.LiveCalls;
import io.switchboard.live.SessionListener;
import io.switchboard.server.web.TextFrames;
import io.switchboard.telephony.TwilioSignature;
import io.switchboard.telephony.twilio.MediaMessage;
import io.switchboard.telephony.twilio.MediaStreamCodec;
import io.switchboard.tenancy.Principal;
import io.switchboard.tenancy.Role;

/**
 * One carrier media stream, a thin adapter between the carrier's JSON ({@link MediaStreamCodec}) and a live
 * call's {@link CallSession}: {@code start} names the dial attempt (custom parameter {@code attempt_id}),
 * whose organisation, campaign, contact and agent the call is opened with, as the {@link Origin#CARRIER};
 * {@code media} frames are its audio (8 kHz μ-law, base64); {@code stop}, or the socket closing, ends it.
 * Agent audio goes back as {@code media}, {@code mark} and {@code clear}. A protocol fault ends the stream
 * with a close code that says why, and the call with that reason; the audio already received is kept.
 *
 * <p>Closing the stream does not end the carrier's call (pipecat#728), so a call this side ends (the agent's
 * goodbye, a hang-up through the API, the server shutting down) is hung up through the carrier's REST API before
 * the stream closes; one the carrier ended ({@code stop}, or its socket closing) is not. An agent's transfer
 * redirects the live call to TwiML that dials the number, as Twilio transfers, and the stream then closes.
 */
final class TwilioMediaEndpoint implements WsListener {

    private static final Logger LOG = Logger.getLogger(TwilioMediaEndpoint.class.getName());
    private static final HeaderName SIGNATURE = HeaderNames.create(TwilioSignature.HEADER);

    private final String authToken;
    private final String mediaUrl;
    private final DialAttempts attempts;
    private final LiveCalls sessions;
    private final Function<UUID, Optional<UUID>> agentOrganization;
    private final Telephony carrier;
    private final TextFrames partial = new TextFrames(MediaMessage.MAX_MESSAGE);
    private CallSession call;
    private boolean ended;
    private volatile boolean carrierEnded; // the carrier ended the call: there is nothing to hang up
    private volatile boolean transferred; // the carrier took the call elsewhere
    private final AtomicBoolean hangingUp = new AtomicBoolean(); // this side asked the carrier to hang up

    TwilioMediaEndpoint(String authToken, String mediaUrl, DialAttempts attempts, LiveCalls sessions,
                        Function<UUID, Optional<UUID>> agentOrganization, Telephony carrier) {
        this.authToken = authToken;
        this.mediaUrl = mediaUrl;
        this.attempts = attempts;
        this.sessions = sessions;
        this.agentOrganization = agentOrganization;
        this.carrier = carrier;
    }

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
        Optional<String> message;
        try {
            message = partial.add(text, last);
        } catch (TextFrames.TooLarge e) {
            refuse(session, MediaStreamCodec.TOO_BIG, "message over " + MediaMessage.MAX_MESSAGE + " bytes");
            return;
        }
        if (message.isEmpty()) {
            return;
        }
        MediaMessage m;
        try {
            m = MediaMessage.parse(message.get());
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
        if (m instanceof MediaMessage.Stop) {
            carrierEnded = true;
        }
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
        Optional<UUID> id = TwilioBridge.uuid(attemptText);
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
        Optional<UUID> agent = TwilioBridge.uuid(agentText);
        Optional<UUID> org = agent.flatMap(agentOrganization);
        if (org.isEmpty()) {
            refuse(session, MediaStreamCodec.VIOLATED_POLICY, "start.customParameters.agent_id: no such agent");
            return;
        }
        if (!mulaw8k(session, format)) {
            return;
        }
        open(session, format, org.get(), c -> { }, new CallSpec(agent.get().toString(), "", "",
                Call.Direction.INBOUND, TwilioBridge.abbreviate(custom.path("from").asText("")),
                TwilioBridge.abbreviate(custom.path("to").asText("")), AudioFormat.Encoding.MULAW, MediaStreamCodec.SAMPLE_RATE, 1,
                AudioFormat.Container.RAW));
    }

    private boolean mulaw8k(WsSession session, MediaMessage.Start f) {
        if (!f.encoding().equals(MediaStreamCodec.ENCODING) || f.sampleRate() != MediaStreamCodec.SAMPLE_RATE
                || f.channels() != 1) {
            refuse(session, MediaStreamCodec.CANNOT_ACCEPT, "start.mediaFormat: only audio/x-mulaw, 8000 Hz, mono"
                    + " is accepted, got " + TwilioBridge.abbreviate(f.encoding() + "/" + f.sampleRate() + "/" + f.channels()));
            return false;
        }
        return true;
    }

    /** Opens the live call on behalf of the organisation, as the carrier. */
    private void open(WsSession session, MediaMessage.Start start, UUID org, Consumer<Call> accepted, CallSpec spec) {
        Principal actor = Principal.system(org, Role.AGENT, "carrier:twilio");
        MediaStreamCodec codec = new MediaStreamCodec(start.streamSid());
        String callSid = start.callSid();
        call = sessions.open(actor, new SessionListener() {
            @Override
            public void on(CallOutput output) {
                if (output instanceof CallOutput.Accepted a) {
                    accepted.accept(a.call());
                }
                try {
                    for (String text : codec.output(output)) {
                        session.send(text, true);
                    }
                } catch (RuntimeException e) {
                    // the socket closed under us: the session ends the call as hung up, and the carrier's call,
                    // which may outlive its stream (pipecat#728), is hung up unless the carrier ended it
                    hangUpCarrier(() -> { });
                    throw e;
                }
            }

            @Override
            public boolean transfer(String phoneNumber) {
                try {
                    carrier.transfer(callSid, phoneNumber);
                    transferred = true;
                    return true;
                } catch (Telephony.TelephonyException e) {
                    LOG.warning("the carrier did not transfer call " + callSid + " to " + phoneNumber + ": "
                            + e.getMessage());
                    return false;
                }
            }

            @Override
            public void closed(Optional<RuntimeException> failure) {
                Runnable close = () -> {
                    try {
                        if (failure.isEmpty()) {
                            session.close(MediaStreamCodec.NORMAL_CLOSE, "call ended");
                            return;
                        }
                        LOG.warning("media stream ended: " + failure.get().getMessage());
                        session.close(MediaStreamCodec.UNEXPECTED_CONDITION,
                                TwilioBridge.abbreviate(failure.get().getMessage()));
                    } catch (RuntimeException e) {
                        LOG.log(Level.FINE, "the media stream was already closed", e); // the carrier hung up too
                    }
                };
                hangUpCarrier(close);
            }

            /** Once: unless the carrier ended or took the call, it hangs it up, off the call's thread; then {@code after}. */
            private void hangUpCarrier(Runnable after) {
                if (carrierEnded || transferred || !hangingUp.compareAndSet(false, true)) {
                    after.run();
                    return;
                }
                Thread.ofVirtual().name("carrier-hang-up-" + callSid).start(() -> {
                    try {
                        carrier.hangUp(callSid);
                    } catch (RuntimeException e) {
                        LOG.warning("the carrier did not hang up call " + callSid + ": " + e.getMessage());
                    }
                    after.run();
                });
            }
        });
        call.accept(new CallInput.Open(spec, Origin.CARRIER));
    }

    /** Ends the stream for a protocol fault; a call already open keeps its audio and fails, saying why. */
    private void refuse(WsSession session, int code, String why) {
        ended = true;
        if (call != null) {
            call.transportFailed("media stream refused: " + TwilioBridge.abbreviate(why));
        }
        LOG.warning("media stream refused: " + why);
        session.close(code, TwilioBridge.abbreviate(why));
    }

    @Override
    public synchronized void onClose(WsSession session, int status, String reason) {
        if (call != null && !ended) {
            ended = true;
            carrierEnded = true;
            call.inputEnded(); // the carrier hung up without a stop: the call ends with what arrived
        }
    }

    @Override
    public synchronized void onError(WsSession session, Throwable t) {
        LOG.log(Level.WARNING, "media stream failed", t);
        if (call != null && !ended) {
            ended = true;
            call.transportFailed("media stream failed: " + TwilioBridge.abbreviate(String.valueOf(t.getMessage())));
        }
    }
}
