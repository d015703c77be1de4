package io.switchboard.server.telephony;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.websocket.WsListener;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.dialer.DialOutcome;
import io.switchboard.dialer.Telephony;
import io.switchboard.live.CallSession;
import io.switchboard.live.LiveCalls;
import io.switchboard.server.calls.AnsweringMachineVerdicts;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.TwilioSignature;
import io.switchboard.telephony.TwilioTelephony;
import org.jooq.DSLContext;

/**
 * The carrier's side of the platform, Twilio-compatible: status callbacks ({@code POST
 * /telephony/twilio/status?attempt_id=...}) settle dial attempts, and the Media Streams WebSocket
 * ({@code /telephony/twilio/media}) feeds an answered call's audio to a live {@link CallSession}, as the gRPC
 * {@code StreamCall} does. Every request must carry a valid {@code X-Twilio-Signature} computed with the
 * account's auth token over the URL under {@code publicUrl}; an unsigned or mis-signed request is refused
 * (HTTP 403, or no WebSocket upgrade) before anything is read or stored.
 */
public final class TwilioBridge implements HttpService {


    private final String authToken;
    private final String publicBase;
    private final String mediaUrl;
    private final DialAttempts attempts;
    private final LiveCalls sessions;
    private final Function<UUID, Optional<UUID>> agentOrganization;
    private final Telephony carrier;
    private final DSLContext dsl;

    /**
     * @param publicUrl         the base URL the carrier uses to reach this server (signatures are over URLs under it)
     * @param agentOrganization the organisation of a live agent, for inbound calls
     * @param carrier           the carrier's REST API: hangs up the calls this side ends, transfers calls
     * @param dsl               where answering-machine verdicts are passed to the server that holds the call
     */
    public TwilioBridge(String authToken, URI publicUrl, DialAttempts attempts, LiveCalls sessions,
                        Function<UUID, Optional<UUID>> agentOrganization, Telephony carrier, DSLContext dsl) {
        this.authToken = authToken;
        this.publicBase = publicUrl.toString().replaceAll("/$", "");
        this.mediaUrl = TwilioTelephony.mediaUrl(publicUrl);
        this.attempts = attempts;
        this.sessions = sessions;
        this.agentOrganization = agentOrganization;
        this.carrier = carrier;
        this.dsl = dsl;
    }

    // ------------------------------------------------------------------ status callbacks

    @Override
    public void routing(HttpRules rules) {
        rules.post(TwilioTelephony.STATUS_PATH, this::status);
        rules.post(TwilioTelephony.VOICE_PATH, this::voice);
        rules.post(TwilioTelephony.AMD_PATH, this::answeredBy);
    }

    /**
     * The carrier's asynchronous answering-machine detection ({@code AsyncAmdStatusCallback}): {@code AnsweredBy}
     * goes to the live call, wherever it is held. A verdict that beats the media stream's {@code start} (the call
     * is not open yet) is handed over once the call opens, within {@link #VERDICT_WAIT}.
     */
    private void answeredBy(ServerRequest req, ServerResponse res) {
        Optional<Map<String, List<String>>> form = verified(req, res, TwilioTelephony.AMD_PATH);
        if (form.isEmpty()) {
            return;
        }
        Optional<DialAttempts.Attempt> attempt = attempt(req, res, form.get());
        if (attempt.isEmpty()) {
            return;
        }
        String answeredBy = FormEncoding.first(form.get(), "AnsweredBy");
        if (answeredBy.isEmpty()) {
            res.status(400).send("AnsweredBy: is required");
            return;
        }
        UUID id = attempt.get().id();
        Optional<UUID> callId = attempt.get().callId();
        if (callId.isPresent()) {
            AnsweringMachineVerdicts.deliver(sessions, dsl, callId.get(), answeredBy);
        } else {
            Thread.ofVirtual().name("answered-by-" + id).start(() -> deliverOnceOpen(id, answeredBy));
        }
        res.status(204).send();
    }

    static final java.time.Duration VERDICT_WAIT = java.time.Duration.ofSeconds(10);

    private void deliverOnceOpen(UUID attemptId, String answeredBy) {
        long until = System.nanoTime() + VERDICT_WAIT.toNanos();
        try {
            while (System.nanoTime() < until) {
                Optional<DialAttempts.Attempt> a = attempts.find(attemptId);
                if (a.isEmpty() || a.get().state().equals("finished")) {
                    return;
                }
                if (a.get().callId().isPresent()) {
                    AnsweringMachineVerdicts.deliver(sessions, dsl, a.get().callId().get(), answeredBy);
                    return;
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            java.util.logging.Logger.getLogger(TwilioBridge.class.getName()).log(java.util.logging.Level.WARNING,
                    "could not hand the carrier's verdict " + answeredBy + " to attempt " + attemptId + "'s call", e);
        }
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
        return SignedForms.verified(req, res, authToken, publicBase, path);
    }

    /**
     * The dial attempt a carrier callback names in its {@code attempt_id} query parameter, or empty once the callback
     * was refused: no such id (400), no such attempt (404), or a {@code CallSid} that is not the attempt's call (409).
     */
    private Optional<DialAttempts.Attempt> attempt(ServerRequest req, ServerResponse res,
                                                   Map<String, List<String>> form) {
        Optional<UUID> attemptId = uuid(FormEncoding.first(FormEncoding.parse(req.query().rawValue()), "attempt_id"));
        if (attemptId.isEmpty()) {
            res.status(400).send("attempt_id: the query parameter is required and must be a UUID");
            return Optional.empty();
        }
        Optional<DialAttempts.Attempt> attempt = attempts.find(attemptId.get());
        if (attempt.isEmpty()) {
            res.status(404).send("attempt_id: no such attempt");
            return Optional.empty();
        }
        String callSid = FormEncoding.first(form, "CallSid");
        if (callSid.isEmpty() || attempt.get().carrierCallId().filter(s -> !s.equals(callSid)).isPresent()) {
            res.status(409).send("CallSid: does not match the attempt's call");
            return Optional.empty();
        }
        return attempt;
    }

    private void status(ServerRequest req, ServerResponse res) {
        Optional<Map<String, List<String>>> verified = verified(req, res, TwilioTelephony.STATUS_PATH);
        if (verified.isEmpty()) {
            return;
        }
        Map<String, List<String>> form = verified.get();
        Optional<DialAttempts.Attempt> attempt = attempt(req, res, form);
        if (attempt.isEmpty()) {
            return;
        }
        String callSid = FormEncoding.first(form, "CallSid");
        String status = FormEncoding.first(form, "CallStatus");
        UUID id = attempt.get().id();
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
                String answeredBy = FormEncoding.first(form, "AnsweredBy");
                boolean carrierMachine = answeredBy.startsWith("machine") || answeredBy.equals("fax");
                // the carrier's verdict stands; without one, the agent's own detection decides
                boolean machine = carrierMachine || ((answeredBy.isEmpty() || answeredBy.equals("unknown"))
                        && attempts.reachedVoicemail(id));
                Optional<Long> ms = seconds(FormEncoding.first(form, "CallDuration")).map(s -> s * 1000);
                attempts.finish(id, machine ? DialOutcome.VOICEMAIL : DialOutcome.COMPLETED, !machine ? "answered"
                        : carrierMachine ? "answered by a machine (" + FormEncoding.first(form, "AnsweredBy") + ")"
                        : "answered by a machine (the agent heard its greeting)", ms);
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

    /** A new listener per media-stream WebSocket connection. */
    public WsListener mediaStream() {
        return new TwilioMediaEndpoint(authToken, mediaUrl, attempts, sessions, agentOrganization, carrier);
    }

    static Optional<UUID> uuid(String s) {
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

    static String abbreviate(String s) {
        String t = s == null ? "" : s;
        return t.length() <= 100 ? t : t.substring(0, 100) + "…";
    }
}
