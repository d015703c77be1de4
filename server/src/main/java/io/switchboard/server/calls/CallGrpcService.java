package io.switchboard.server.calls;

import static io.switchboard.server.grpc.Replies.reply;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.StreamDecoder;
import io.switchboard.audio.Wav;
import io.switchboard.calls.Call;
import io.switchboard.calls.CallService;
import io.switchboard.calls.CallSpec;
import io.switchboard.calls.LiveEvents;
import io.switchboard.calls.Origin;
import io.switchboard.calls.Stage;
import io.switchboard.calls.TranscriptSegment;
import io.switchboard.calls.TurnTiming;
import io.switchboard.common.Notifications;
import io.switchboard.common.Page;
import io.switchboard.common.SwitchboardException;
import io.switchboard.live.CallInput;
import io.switchboard.live.CallOutput;
import io.switchboard.live.CallSession;
import io.switchboard.live.LiveCalls;
import io.switchboard.live.SegmentedRecorder;
import io.switchboard.live.SessionListener;
import io.switchboard.server.grpc.ErrorMapping;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.talk.TalkTokens;
import io.switchboard.tenancy.Principal;
import io.switchboard.transcription.TranscriptEvent;
import io.switchboard.transcription.Word;
import io.switchboard.v1.AudioChunk;
import io.switchboard.v1.CallEvent;
import io.switchboard.v1.CallServiceGrpc;
import io.switchboard.v1.ClearAudio;
import io.switchboard.v1.CreateTalkTokenRequest;
import io.switchboard.v1.DeleteCallRequest;
import io.switchboard.v1.DeleteCallResponse;
import io.switchboard.v1.GetCallRequest;
import io.switchboard.v1.GetRecordingUrlRequest;
import io.switchboard.v1.ListCallsRequest;
import io.switchboard.v1.ListCallsResponse;
import io.switchboard.v1.OpenCall;
import io.switchboard.v1.PipelineStage;
import io.switchboard.v1.RecordingUrl;
import io.switchboard.v1.RestoreCallRequest;
import io.switchboard.v1.StreamCallRequest;
import io.switchboard.v1.StreamCallResponse;
import io.switchboard.v1.Summary;
import io.switchboard.v1.TalkToken;
import io.switchboard.v1.TurnLatency;
import io.switchboard.messaging.FollowUps;
import io.switchboard.server.messaging.FollowUpGrpcService;
import io.switchboard.v1.UploadRecordingRequest;
import io.switchboard.v1.WatchCallRequest;

/**
 * Translates {@code switchboard.v1.CallService}. A live call ({@code StreamCall}) is a {@link CallSession} of
 * {@link LiveCalls}: this class only translates its messages to {@link CallInput}s and its
 * {@link CallOutput}s back; the watchers of calls on every server are fed by {@link CallWatchers}.
 */
public final class CallGrpcService extends CallServiceGrpc.CallServiceImplBase {

    private static final Logger LOG = Logger.getLogger(CallGrpcService.class.getName());
    /** Default events a watcher may fall behind a call before it is cut off (minutes of a busy call). */
    public static final int DEFAULT_WATCHER_BACKLOG = 1024;
    /** Segments of an uploaded recording. */
    static final int UPLOAD_SEGMENT_BYTES = 1024 * 1024;
    /** Where a web page talks to an agent (a WebSocket on the API's port), with a token of {@code CreateTalkToken}. */
    public static final String TALK_PATH = "/v1/talk";

    private final CallService calls;
    private final Optional<FollowUps> followUps;
    private final LiveCalls sessions;
    private final CallWatchers watchers;
    private final TalkTokens talkTokens;

    /**
     * @param sessions          this server's live calls, whatever transport carries them
     * @param events            where live calls' events are published, and read by the watchers on every server
     * @param notifications     this server's LISTEN connection (wakes the watchers when another server publishes,
     *                          and carries other servers' hang-ups of the calls held here)
     * @param maxWatcherBacklog events a watcher may fall behind before it is cut off
     * @param talkTokens        the tokens with which a web page talks to an agent (the talk WebSocket)
     */
    public CallGrpcService(CallService calls, LiveCalls sessions, LiveEvents events, Notifications notifications,
                           int maxWatcherBacklog, TalkTokens talkTokens) {
        this(calls, sessions, events, notifications, maxWatcherBacklog, talkTokens, Optional.empty());
    }

    /** @param followUps what GetCall shows of the follow-up texts a call triggered (none without it) */
    public CallGrpcService(CallService calls, LiveCalls sessions, LiveEvents events, Notifications notifications,
                           int maxWatcherBacklog, TalkTokens talkTokens, Optional<FollowUps> followUps) {
        this.followUps = followUps;
        if (maxWatcherBacklog < 1) {
            throw new IllegalArgumentException("calls.max-watcher-backlog must be at least 1 (events a watcher may"
                    + " fall behind); it is " + maxWatcherBacklog);
        }
        this.calls = calls;
        this.sessions = sessions;
        this.watchers = new CallWatchers(calls, events, notifications, maxWatcherBacklog);
        this.talkTokens = talkTokens;
        AnsweringMachineVerdicts.listen(notifications, sessions);
        notifications.listen(CallHangUps.CHANNEL, new Notifications.Listener() {
            @Override
            public void notified(String payload) {
                CallHangUps.Request.parse(payload).ifPresent(r -> {
                    if (sessions.hangUp(r.callId(), r.reason())) {
                        LOG.info(() -> "hanging up call " + r.callId() + " as another server asked: " + r.reason());
                    }
                });
            }

            @Override
            public void reset() {
                // a hang-up missed while the connection was down is asked again by its sender, who waits for the end
            }
        });
    }

    /** How a live call's transcript event is published for the watchers: as the API's {@link CallEvent}. */
    public static byte[] eventEncoding(CallOutput.Transcript t) {
        return CallEvent.newBuilder().setTranscript(event(t)).build().toByteArray();
    }

    /** This server's live calls, for the other transports and the hang-ups. */
    public LiveCalls sessions() {
        return sessions;
    }

    /** The tokens the talk WebSocket redeems. */
    public TalkTokens talkTokens() {
        return talkTokens;
    }

    /** Calls open on this server right now. */
    public int liveCalls() {
        return sessions.count();
    }

    /** See {@link LiveCalls#endLiveCalls}. */
    public int endLiveCalls(Duration wait) {
        return sessions.endLiveCalls(wait);
    }

    // ------------------------------------------------------------------ live calls

    @Override
    public StreamObserver<StreamCallRequest> streamCall(StreamObserver<StreamCallResponse> out) {
        return new LiveStream(Principals.current(), out);
    }

    /** One {@code StreamCall}: its messages in as {@link CallInput}s, the session's outputs back as responses. */
    private final class LiveStream implements StreamObserver<StreamCallRequest>, SessionListener {
        private final StreamObserver<StreamCallResponse> out;
        private final CallSession session;

        LiveStream(Principal actor, StreamObserver<StreamCallResponse> out) {
            this.out = out;
            this.session = sessions.open(actor, this);
        }

        @Override
        public void onNext(StreamCallRequest req) {
            switch (req.getPayloadCase()) {
                case OPEN -> session.accept(new CallInput.Open(spec(req.getOpen()), Origin.CLIENT,
                        req.getOpen().getAgentSpeaks()));
                case AUDIO -> session.accept(new CallInput.Audio(req.getAudio().toByteArray()));
                case END -> session.accept(new CallInput.End(req.getEnd().getReason()));
                case DTMF -> session.accept(new CallInput.Dtmf(req.getDtmf().getDigits()));
                case MARK -> session.accept(new CallInput.Mark(req.getMark().getName()));
                case PAYLOAD_NOT_SET -> session.refuse(new SwitchboardException.InvalidArgument("payload",
                        "each message carries open, audio, dtmf, mark or end"));
            }
        }

        @Override
        public void onError(Throwable t) {
            session.transportFailed("client went away: " + Status.fromThrowable(t).getCode());
        }

        @Override
        public void onCompleted() {
            session.inputEnded();
        }

        @Override
        public void on(CallOutput output) {
            StreamCallResponse.Builder r = StreamCallResponse.newBuilder();
            switch (output) {
                case CallOutput.Accepted a -> r.setAccepted(toProto(a.call()));
                case CallOutput.Transcript t -> r.setTranscript(event(t));
                case CallOutput.PlayAudio p -> r.setPlayAudio(AudioChunk.newBuilder()
                        .setPcm16(com.google.protobuf.UnsafeByteOperations.unsafeWrap(pcm16le(p.pcm16())))
                        .setSampleRate(p.sampleRate()).setMark(p.mark()));
                case CallOutput.ClearAudio c -> r.setClear(ClearAudio.getDefaultInstance());
                case CallOutput.Ended e -> r.setEnded(toProto(e.call()));
            }
            try {
                out.onNext(r.build());
            } catch (RuntimeException e) {
                // the connection broke under the call (a client ends one with END or by closing its side): the call
                // fails as when gRPC reports it gone (onError), whichever of the two the call hears of first
                session.transportFailed("client went away: the connection broke");
                throw e;
            }
        }

        @Override
        public void closed(Optional<RuntimeException> failure) {
            if (failure.isEmpty()) {
                out.onCompleted();
            } else if (failure.get() instanceof CallSession.IdleTimeout idle) {
                out.onError(Status.DEADLINE_EXCEEDED.withDescription(idle.getMessage()).asRuntimeException());
            } else {
                out.onError(ErrorMapping.toStatus(OpenCallErrors.translate(failure.get())));
            }
        }
    }

    static byte[] pcm16le(short[] pcm) {
        byte[] b = new byte[pcm.length * 2];
        for (int i = 0; i < pcm.length; i++) {
            b[2 * i] = (byte) pcm[i];
            b[2 * i + 1] = (byte) (pcm[i] >> 8);
        }
        return b;
    }

    // ------------------------------------------------------------------ watchers

    /**
     * Live events of a call in progress on any server, from the moment the watch starts (no catch-up of what was
     * said before it: GetCall has that), then the ended call; a finished call replays its transcript and ends.
     */
    @Override
    public void watchCall(WatchCallRequest req, StreamObserver<CallEvent> out) {
        Principal actor = Principals.current();
        Call call = calls.get(actor, req.getId());
        if (call.state() == Call.State.ACTIVE) {
            calls.auditLiveRead(actor, call);
            Watcher w = watchers.watch(call, out);
            if (out instanceof ServerCallStreamObserver<CallEvent> s) {
                s.setOnCancelHandler(() -> {
                    w.cancel();
                    watchers.unwatch(call.id(), w);
                });
            }
            return;
        }
        for (TranscriptSegment s : calls.content(actor, call, "WatchCall").transcript()) {
            out.onNext(CallEvent.newBuilder().setTranscript(event(s)).build());
        }
        out.onNext(CallEvent.newBuilder().setEnded(toProto(call)).build());
        out.onCompleted();
    }

    // ------------------------------------------------------------------ uploads

    @Override
    public StreamObserver<UploadRecordingRequest> uploadRecording(StreamObserver<io.switchboard.v1.Call> out) {
        Principal actor = Principals.current();
        return new StreamObserver<>() {
            private Call call;
            private StreamDecoder decoder;
            private SegmentedRecorder recorder;
            private RuntimeException failure;

            @Override
            public void onNext(UploadRecordingRequest req) {
                if (failure != null) {
                    return;
                }
                try {
                    switch (req.getPayloadCase()) {
                        case OPEN -> {
                            if (call != null) {
                                throw new SwitchboardException.InvalidArgument("open", "sent twice");
                            }
                            call = OpenCallErrors.open(calls, actor, spec(req.getOpen()), Origin.CLIENT);
                            Call c = call;
                            decoder = new StreamDecoder(new AudioFormat(c.format().encoding(), c.format().sampleRate(),
                                    c.format().channels(), container(req.getOpen().getFormat().getContainer())), 16_000);
                            recorder = SegmentedRecorder.unbuffered((n, audio) -> calls.storeSegment(c.organizationId(),
                                    c.id(), n, audio), c.id().toString(), UPLOAD_SEGMENT_BYTES);
                        }
                        case CHUNK -> {
                            if (call == null) {
                                throw new SwitchboardException.InvalidArgument("open", "the first message must open the call");
                            }
                            if (req.getChunk().size() > 4 * CallSession.MAX_FRAME) {
                                throw new SwitchboardException.InvalidArgument("chunk", "at most " + 4 * CallSession.MAX_FRAME
                                        + " bytes per chunk");
                            }
                            try {
                                recorder.write(decoder.accept(req.getChunk().toByteArray()).audio());
                            } catch (Wav.MalformedWav e) {
                                throw new SwitchboardException.InvalidArgument("chunk", e.getMessage());
                            }
                        }
                        case PAYLOAD_NOT_SET -> throw new SwitchboardException.InvalidArgument("payload",
                                "each message carries open or a chunk");
                    }
                } catch (RuntimeException e) {
                    failure = e;
                }
            }

            @Override
            public void onError(Throwable t) {
                if (call != null) {
                    String lost = "";
                    try {
                        recorder.flush();
                    } catch (RuntimeException e) {
                        lost = "; its last " + recorder.buffered() + " bytes could not be stored";
                    }
                    calls.end(call.organizationId(), call.id(), Call.State.FAILED, "upload interrupted" + lost);
                }
            }

            @Override
            public void onCompleted() {
                if (call != null) {
                    if (failure == null) { // after a refusal the rest is not stored: the call ends FAILED with what was
                        try {
                            recorder.flush();
                        } catch (RuntimeException e) {
                            failure = e;
                        }
                    }
                    // the reason as the client is told it (a store's or database's own message stays in the log)
                    Call ended = calls.end(call.organizationId(), call.id(), failure == null ? Call.State.ENDED
                            : Call.State.FAILED, failure == null ? "uploaded"
                            : "upload refused: " + ErrorMapping.toStatus(failure).getStatus().getDescription());
                    if (failure == null) {
                        reply(out, toProto(ended));
                        return;
                    }
                }
                throw failure != null ? failure
                        : new SwitchboardException.InvalidArgument("open", "the upload closed before opening a call");
            }
        };
    }

    // ------------------------------------------------------------------ reads

    @Override
    public void getCall(GetCallRequest req, StreamObserver<io.switchboard.v1.Call> out) {
        Principal actor = Principals.current();
        Call call = calls.get(actor, req.getId());
        io.switchboard.v1.Call.Builder b = toProto(call).toBuilder();
        CallService.Content content = calls.content(actor, call, "GetCall");
        content.transcript().forEach(s -> b.addTranscript(event(s)));
        content.summary().ifPresent(s -> b.setSummary(Summary.newBuilder()
                .setText(s.summary().orElse("")).putAllVariables(s.variables()).setDisposition(s.disposition().orElse(""))
                .setProvider(s.provider()).putAllNotProduced(s.notProduced())));
        for (Stage s : calls.stages(call.organizationId(), call.id())) {
            b.addStages(PipelineStage.newBuilder().setName(s.name()).setState(s.state()).setDetail(s.detail()));
        }
        for (TurnTiming t : calls.turnTimings(call.organizationId(), call.id())) {
            b.addTurnLatencies(TurnLatency.newBuilder().setTurn(t.turn()).setCallerEndOffset(Protos.millis(t.callerEndMs()))
                    .setEndpointing(Protos.millis(t.endpointingMs())).setRecognizer(Protos.millis(t.recognizerMs()))
                    .setMachineDetection(Protos.millis(t.machineDetectionMs()))
                    .setDecision(Protos.millis(t.decisionMs())).setFirstAudio(Protos.millis(t.firstAudioMs()))
                    .setTotal(Protos.millis(t.totalMs())).addAllVariables(t.variables()));
        }
        followUps.ifPresent(f -> f.forCall(call.organizationId(), call.id())
                .forEach(o -> b.addFollowUps(FollowUpGrpcService.toProto(o))));
        reply(out, b.build());
    }

    @Override
    public void listCalls(ListCallsRequest req, StreamObserver<ListCallsResponse> out) {
        Optional<Call.State> state = switch (req.getState()) {
            case STATE_UNSPECIFIED -> Optional.empty();
            case STATE_ACTIVE -> Optional.of(Call.State.ACTIVE);
            case STATE_ENDED -> Optional.of(Call.State.ENDED);
            case STATE_FAILED -> Optional.of(Call.State.FAILED);
            case UNRECOGNIZED -> throw new SwitchboardException.InvalidArgument("state", "unknown value " + req.getStateValue());
        };
        Page<Call> page = calls.list(Principals.current(), req.getCampaignId(), req.getAgentId(), state,
                req.getPageSize(), req.getPageToken());
        reply(out, ListCallsResponse.newBuilder().addAllCalls(page.items().stream().map(CallGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void getRecordingUrl(GetRecordingUrlRequest req, StreamObserver<RecordingUrl> out) {
        Optional<Duration> ttl = req.hasTtl() ? Optional.of(Duration.ofSeconds(req.getTtl().getSeconds(), req.getTtl().getNanos()))
                : Optional.empty();
        CallService.RecordingUrl url = calls.recordingUrl(Principals.current(), req.getId(), ttl);
        reply(out, RecordingUrl.newBuilder().setUrl(url.url()).setExpireTime(Protos.timestamp(url.expiresAt())).build());
    }

    @Override
    public void deleteCall(DeleteCallRequest req, StreamObserver<DeleteCallResponse> out) {
        reply(out, DeleteCallResponse.newBuilder().setPurgeTime(Protos.timestamp(
                calls.delete(Principals.current(), req.getId()))).build());
    }

    @Override
    public void restoreCall(RestoreCallRequest req, StreamObserver<io.switchboard.v1.Call> out) {
        reply(out, toProto(calls.restore(Principals.current(), req.getId())));
    }

    // ------------------------------------------------------------------ browser talk

    @Override
    public void createTalkToken(CreateTalkTokenRequest req, StreamObserver<TalkToken> out) {
        TalkTokens.Minted t = talkTokens.mint(Principals.current(), req.getAgentId(), req.getContactId());
        reply(out, TalkToken.newBuilder().setToken(t.token()).setExpireTime(Protos.timestamp(t.expiresAt()))
                .setPath(TALK_PATH).build());
    }

    // ------------------------------------------------------------------ mapping

    static CallSpec spec(OpenCall o) {
        Call.Direction direction = switch (o.getDirection()) {
            case DIRECTION_INBOUND -> Call.Direction.INBOUND;
            case DIRECTION_OUTBOUND -> Call.Direction.OUTBOUND;
            case DIRECTION_UNSPECIFIED, UNRECOGNIZED -> null;
        };
        AudioFormat.Encoding encoding = switch (o.getFormat().getEncoding()) {
            case ENCODING_MULAW -> AudioFormat.Encoding.MULAW;
            case ENCODING_PCM16 -> AudioFormat.Encoding.PCM16;
            case ENCODING_UNSPECIFIED, UNRECOGNIZED -> null;
        };
        return new CallSpec(o.getAgentId(), o.getCampaignId(), o.getContactId(), direction, o.getFromNumber(),
                o.getToNumber(), encoding, o.getFormat().getSampleRate(), o.getFormat().getChannels(),
                container(o.getFormat().getContainer()));
    }

    static AudioFormat.Container container(io.switchboard.v1.AudioFormat.Container c) {
        return c == io.switchboard.v1.AudioFormat.Container.CONTAINER_WAV ? AudioFormat.Container.WAV : AudioFormat.Container.RAW;
    }

    static io.switchboard.v1.TranscriptEvent event(TranscriptEvent e, int channel, String speaker) {
        io.switchboard.v1.TranscriptEvent.Builder b = io.switchboard.v1.TranscriptEvent.newBuilder().setIsFinal(e.isFinal())
                .setChannel(channel).setSpeaker(speaker).setText(e.text())
                .setStartOffset(duration(e.start())).setEndOffset(duration(e.end()));
        for (Word w : e.words()) {
            b.addWords(io.switchboard.v1.Word.newBuilder().setText(w.text()).setStartOffset(duration(w.start()))
                    .setEndOffset(duration(w.end())).setConfidence(w.confidence()));
        }
        return b.build();
    }

    static io.switchboard.v1.TranscriptEvent event(CallOutput.Transcript t) {
        return event(t.event(), t.channel(), t.speaker()).toBuilder().setInterrupted(t.interrupted()).build();
    }

    static io.switchboard.v1.TranscriptEvent event(TranscriptSegment s) {
        return event(new TranscriptEvent(true, s.text(), Duration.ofMillis(s.startMs()), Duration.ofMillis(s.endMs()),
                s.words()), s.channel(), s.speaker()).toBuilder().setInterrupted(s.interrupted()).build();
    }

    static com.google.protobuf.Duration duration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    public static io.switchboard.v1.Call toProto(Call c) {
        io.switchboard.v1.Call.Builder b = io.switchboard.v1.Call.newBuilder().setId(c.id().toString())
                .setAgentId(c.agentId().toString()).setAgentVersion(c.agentVersion())
                .setCampaignId(c.campaignId().map(UUID::toString).orElse(""))
                .setContactId(c.contactId().map(UUID::toString).orElse(""))
                .setDirection(c.direction() == Call.Direction.INBOUND ? OpenCall.Direction.DIRECTION_INBOUND
                        : OpenCall.Direction.DIRECTION_OUTBOUND)
                .setFromNumber(c.fromNumber()).setToNumber(c.toNumber())
                .setState(io.switchboard.v1.Call.State.valueOf("STATE_" + c.state().name()))
                .setEndReason(c.endReason())
                .setFormat(io.switchboard.v1.AudioFormat.newBuilder()
                        .setEncoding(c.format().encoding() == AudioFormat.Encoding.MULAW
                                ? io.switchboard.v1.AudioFormat.Encoding.ENCODING_MULAW
                                : io.switchboard.v1.AudioFormat.Encoding.ENCODING_PCM16)
                        .setSampleRate(c.format().sampleRate()).setChannels(c.format().channels()))
                .setStartTime(Protos.timestamp(c.startedAt()))
                .setAudioDuration(duration(Duration.ofMillis(Math.round(c.audioSeconds() * 1000))));
        c.endedAt().ifPresent(t -> b.setEndTime(Protos.timestamp(t)));
        c.recording().ifPresent(r -> b.setRecording(io.switchboard.v1.Recording.newBuilder().setContentType(r.contentType())
                .setSizeBytes(r.bytes()).setSha256(r.sha256())));
        return b.build();
    }

    /** Stops the watchers and the live calls' idle timer (server shutdown). */
    public void close() {
        sessions.close();
        watchers.close();
    }
}
