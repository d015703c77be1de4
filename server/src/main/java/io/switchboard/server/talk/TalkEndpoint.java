package io.switchboard.server.talk;

import java.io.ByteArrayOutputStream;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.grpc.Status;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;
import io.switchboard.audio.AudioFormat;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.Origin;
import io.switchboard.common.SwitchboardException;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;
import io.switchboard.live.CallSession;
import io.switchboard.live.LiveCalls;
import io.switchboard.live.SessionListener;
import io.switchboard.server.grpc.ErrorMapping;
import io.switchboard.server.web.GrpcWebCors;
import io.switchboard.server.web.TextFrames;
import io.switchboard.talk.TalkCodec;
import io.switchboard.talk.TalkTokens;

/**
 * One browser talk socket, a thin adapter between {@link TalkCodec}'s frames and a live call's {@link CallSession}:
 * the upgrade is refused to pages the API's CORS policy does not admit; once open, the {@code token} query
 * parameter is redeemed (it names the agent, the contact and the key the call is opened for) and the call opens as
 * {@link Origin#BROWSER}, PCM16 16 kHz mono, the agent speaking. Binary frames are the caller's audio, text frames
 * marks and the hang-up; the agent's audio, marks, clears, the caller's transcript and the end go back. The agent's
 * own words are sent as they are kept (read back from the call's stored turns), since the live call reports only
 * what it recognised. Any refusal or fault is told as an {@code error} message before the socket closes, with a
 * close code that says whose fault it was; the audio already received is kept. A write that fails means the page
 * went away without closing (a tab killed, a network gone: the server is not told otherwise): nothing more is
 * queued, and the call ends as hung up by the caller, as a transport whose send fails ends it.
 */
final class TalkEndpoint implements WsListener {

    private static final Logger LOG = Logger.getLogger(TalkEndpoint.class.getName());

    private final TalkTokens tokens;
    private final LiveCalls sessions;
    private final GrpcWebCors cors;
    private final ByteArrayOutputStream partialAudio = new ByteArrayOutputStream();
    private final TextFrames partialText = new TextFrames(TalkCodec.MAX_TEXT);
    /** Frames to send, in order; one writer thread sends them (a Helidon session is not safe for concurrent sends). */
    private final BlockingQueue<Runnable> outbox = new LinkedBlockingQueue<>();
    private String token = "";
    private CallSession call;
    private boolean ended;
    private volatile boolean over;
    private volatile boolean gone; // the socket closed: the writer may stop
    private volatile boolean lost; // a write failed: the page is gone, nothing more is queued

    TalkEndpoint(TalkTokens tokens, LiveCalls sessions, GrpcWebCors cors) {
        this.tokens = tokens;
        this.sessions = sessions;
        this.cors = cors;
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        Optional<String> origin = headers.first(HeaderNames.ORIGIN);
        if (!cors.admitsWebSocket(origin, headers.first(HeaderNames.HOST))) {
            LOG.warning("refused a talk socket from origin " + abbreviate(origin.orElse("")));
            throw new WsUpgradeException("origin not allowed");
        }
        token = prologue.query().first("token").asOptional().orElse("");
        return Optional.empty();
    }

    @Override
    public synchronized void onOpen(WsSession session) {
        Thread.ofVirtual().name("talk-writer").start(this::write);
        TalkTokens.Redeemed r;
        try {
            r = tokens.redeem(token, "talk:" + session.socketContext().remotePeer().address());
        } catch (RuntimeException e) {
            ended = true;
            LOG.warning("talk socket refused: " + e.getMessage());
            refuse(session, e);
            return;
        }
        call = sessions.open(r.actor(), listener(session));
        call.accept(new CallInput.Open(new CallSpec(r.agentId().toString(), "",
                r.contactId().map(UUID::toString).orElse(""), Call.Direction.INBOUND, "", "",
                AudioFormat.Encoding.PCM16, TalkCodec.RATE, 1, AudioFormat.Container.RAW), Origin.BROWSER, true));
    }

    private SessionListener listener(WsSession session) {
        return new SessionListener() {
            @Override
            public void on(CallOutput output) {
                if (output instanceof CallOutput.Ended) {
                    over = true;
                }
                for (TalkCodec.Frame f : TalkCodec.output(output)) {
                    send(session, f);
                }
            }

            @Override
            public void closed(Optional<RuntimeException> failure) {
                over = true;
                if (failure.isEmpty()) {
                    close(session, WsCloseCodes.NORMAL_CLOSE, "call ended");
                } else {
                    refuse(session, failure.get());
                }
            }
        };
    }

    /**
     * Queues a frame; the caller (the call's thread) never waits on the socket. Once a write failed it throws
     * instead, so the call stops sending to a page that is gone (and ends, as for any transport that cannot send).
     */
    private void send(WsSession session, TalkCodec.Frame f) {
        if (lost) {
            throw new PageGone();
        }
        outbox.add(() -> {
            switch (f) {
                case TalkCodec.Frame.Text t -> session.send(t.json(), true);
                case TalkCodec.Frame.Binary b -> session.send(BufferData.create(b.bytes()), true);
            }
        });
        if (lost) {
            outbox.clear(); // the writer failed meanwhile and will not take it
        }
    }

    /** Closes the socket after the frames queued before. */
    private void close(WsSession session, int code, String reason) {
        if (lost) {
            return;
        }
        outbox.add(() -> {
            session.close(code, reason);
            throw new Closed();
        });
    }

    /** What {@link #send} throws once the page is gone. */
    private static final class PageGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PageGone() {
            super("the talk socket is gone: a write to it failed", null, false, false);
        }
    }

    /** Ends the writer once the close is sent. */
    private static final class Closed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Closed() {
            super(null, null, false, false);
        }
    }

    private void write() {
        while (true) {
            Runnable next;
            try {
                next = outbox.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (next == null) {
                if (over && outbox.isEmpty() && gone) {
                    return;
                }
                continue;
            }
            try {
                next.run();
            } catch (Closed c) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "talk socket write failed; the page is gone", e);
                lost();
                return;
            }
        }
    }

    /**
     * A write failed: the frames still queued are dropped and nothing more is queued; the call ends as hung up by
     * the caller (after the audio already received), with the end reason a call gets whose transport could not send.
     */
    private synchronized void lost() {
        lost = true;
        outbox.clear();
        if (call != null && !ended) {
            ended = true;
            call.accept(new CallInput.End(HUNG_UP));
        }
    }

    /** The end reason of a call whose page went away: as {@link CallSession} ends one whose transport cannot send. */
    static final String HUNG_UP = "hangup: the other party closed the stream";

    @Override
    public synchronized void onMessage(WsSession session, BufferData buffer, boolean last) {
        if (ended) {
            return;
        }
        byte[] bytes = buffer.readBytes();
        if (partialAudio.size() + bytes.length > CallSession.MAX_FRAME) {
            fault(new SwitchboardException.InvalidArgument("audio", "a frame exceeds " + CallSession.MAX_FRAME
                    + " bytes; send 20-100 ms of 16 kHz PCM16 per frame"));
            return;
        }
        partialAudio.writeBytes(bytes);
        if (!last) {
            return;
        }
        byte[] frame = partialAudio.toByteArray();
        partialAudio.reset();
        try {
            call.accept(new CallInput.Audio(TalkCodec.audio(frame, CallSession.MAX_FRAME)));
        } catch (SwitchboardException.InvalidArgument e) {
            fault(e);
        }
    }

    @Override
    public synchronized void onMessage(WsSession session, String text, boolean last) {
        if (ended) {
            return;
        }
        Optional<String> message;
        try {
            message = partialText.add(text, last);
        } catch (TextFrames.TooLarge e) {
            fault(new SwitchboardException.InvalidArgument("message", "control messages are at most "
                    + TalkCodec.MAX_TEXT + " characters"));
            return;
        }
        if (message.isEmpty()) {
            return;
        }
        CallInput input;
        try {
            input = TalkCodec.input(message.get());
        } catch (SwitchboardException.InvalidArgument e) {
            fault(e);
            return;
        }
        if (input instanceof CallInput.End) {
            ended = true;
        }
        call.accept(input);
    }

    /** The page sent what it must not: the call is refused in turn, keeping the audio before it. */
    private void fault(RuntimeException e) {
        ended = true;
        LOG.warning("talk socket refused: " + e.getMessage());
        call.refuse(e);
    }

    /** Tells the page why, then closes with a code that says whose fault it was. */
    private void refuse(WsSession session, RuntimeException e) {
        Status status = e instanceof CallSession.IdleTimeout
                ? Status.DEADLINE_EXCEEDED.withDescription(e.getMessage())
                : ErrorMapping.toStatus(e).getStatus();
        String message = status.getDescription() == null ? "" : status.getDescription();
        send(session, TalkCodec.error(status.getCode().name(), message));
        int code = switch (status.getCode()) {
            case INVALID_ARGUMENT -> WsCloseCodes.CANNOT_ACCEPT;
            case UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION -> WsCloseCodes.VIOLATED_POLICY;
            case RESOURCE_EXHAUSTED, UNAVAILABLE -> WsCloseCodes.TRY_AGAIN_LATER;
            case DEADLINE_EXCEEDED -> WsCloseCodes.NORMAL_CLOSE;
            default -> WsCloseCodes.UNEXPECTED_CONDITION;
        };
        close(session, code, abbreviate(message));
    }

    @Override
    public synchronized void onClose(WsSession session, int status, String reason) {
        over = true;
        gone = true;
        if (call != null && !ended) {
            ended = true;
            call.inputEnded(); // the page closed without an end: the call ends with what arrived
        }
    }

    @Override
    public synchronized void onError(WsSession session, Throwable t) {
        LOG.log(Level.WARNING, "talk socket failed", t);
        over = true;
        gone = true;
        if (call != null && !ended) {
            ended = true;
            call.transportFailed("talk socket failed: " + abbreviate(String.valueOf(t.getMessage())));
        }
    }

    /** A close reason fits in 123 bytes. */
    static String abbreviate(String s) {
        String t = s == null ? "" : s;
        return t.length() <= 80 ? t : t.substring(0, 80) + "...";
    }
}
