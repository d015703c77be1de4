package io.switchboard.server.agents;

import static io.switchboard.server.grpc.Replies.reply;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.switchboard.agents.Agent;
import io.switchboard.agents.AgentService;
import io.switchboard.agents.AgentSpec;
import io.switchboard.agents.CaptureVariable;
import io.switchboard.common.Page;
import io.switchboard.conversation.tts.Voice;
import io.switchboard.server.grpc.Principals;
import io.switchboard.server.grpc.Protos;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.DeleteAgentRequest;
import io.switchboard.v1.GetAgentRequest;
import io.switchboard.v1.ListAgentVersionsRequest;
import io.switchboard.v1.ListAgentVersionsResponse;
import io.switchboard.v1.ListAgentsRequest;
import io.switchboard.v1.ListAgentsResponse;
import io.switchboard.v1.ListVoicesRequest;
import io.switchboard.v1.PreviewVoiceRequest;
import io.switchboard.v1.VoicePreview;
import io.switchboard.v1.ListVoicesResponse;
import io.switchboard.v1.UpdateAgentRequest;

/** Translates {@code switchboard.v1.AgentService} to {@link AgentService}. */
public final class AgentGrpcService extends AgentServiceGrpc.AgentServiceImplBase {

    private final AgentService agents;

    public AgentGrpcService(AgentService agents) {
        this.agents = agents;
    }

    @Override
    public void createAgent(CreateAgentRequest req, StreamObserver<io.switchboard.v1.Agent> out) {
        reply(out, toProto(agents.create(Principals.current(), spec(req.getAgent()),
                Protos.requestId(req.getRequestId(), req.toBuilder().clearRequestId().build()))));
    }

    @Override
    public void getAgent(GetAgentRequest req, StreamObserver<io.switchboard.v1.Agent> out) {
        reply(out, toProto(agents.get(Principals.current(), req.getId(), req.getVersion())));
    }

    @Override
    public void listAgents(ListAgentsRequest req, StreamObserver<ListAgentsResponse> out) {
        Page<Agent> page = agents.list(Principals.current(), req.getPageSize(), req.getPageToken());
        reply(out, ListAgentsResponse.newBuilder()
                .addAllAgents(page.items().stream().map(AgentGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void listAgentVersions(ListAgentVersionsRequest req, StreamObserver<ListAgentVersionsResponse> out) {
        Page<Agent> page = agents.listVersions(Principals.current(), req.getId(), req.getPageSize(), req.getPageToken());
        reply(out, ListAgentVersionsResponse.newBuilder()
                .addAllVersions(page.items().stream().map(AgentGrpcService::toProto).toList())
                .setNextPageToken(page.nextPageToken().orElse("")).build());
    }

    @Override
    public void updateAgent(UpdateAgentRequest req, StreamObserver<io.switchboard.v1.Agent> out) {
        reply(out, toProto(agents.update(Principals.current(), req.getAgent().getId(), spec(req.getAgent()),
                req.getUpdateMask().getPathsList(), req.getExpectedVersion())));
    }

    @Override
    public void deleteAgent(DeleteAgentRequest req, StreamObserver<Empty> out) {
        agents.delete(Principals.current(), req.getId());
        reply(out, Empty.getDefaultInstance());
    }

    @Override
    public void listVoices(ListVoicesRequest req, StreamObserver<ListVoicesResponse> out) {
        var voices = agents.voices(Principals.current());
        reply(out, ListVoicesResponse.newBuilder().setDefaultVoice(voices.defaultVoice())
                .addAllVoices(voices.voices().stream().map(AgentGrpcService::toProto).toList()).build());
    }

    @Override
    public void previewVoice(PreviewVoiceRequest req, StreamObserver<VoicePreview> out) {
        AgentService.VoicePreview p = agents.previewVoice(Principals.current(), req.getVoice(), req.getText());
        reply(out, VoicePreview.newBuilder().setWav(com.google.protobuf.ByteString.copyFrom(p.wav()))
                .setSampleRate(p.sampleRate()).setDuration(Protos.duration(p.duration())).setVoice(p.voiceId()).build());
    }

    private static io.switchboard.v1.Voice toProto(Voice v) {
        return io.switchboard.v1.Voice.newBuilder().setId(v.id()).setEngine(v.engine()).setName(v.name())
                .setLanguage(v.language()).setSampleRate(v.sampleRate())
                .setGender(switch (v.gender()) {
                    case FEMALE -> io.switchboard.v1.Voice.Gender.GENDER_FEMALE;
                    case MALE -> io.switchboard.v1.Voice.Gender.GENDER_MALE;
                    case UNKNOWN -> io.switchboard.v1.Voice.Gender.GENDER_UNSPECIFIED;
                }).build();
    }

    static AgentSpec spec(io.switchboard.v1.Agent a) {
        return new AgentSpec(a.getName(), a.getLanguage(), a.getSystemPrompt(), a.getFirstMessage(), a.getVoice(),
                a.getSummaryInstructions(), a.getVariablesList().stream().map(AgentGrpcService::variable).toList(),
                ConductProtos.conduct(a));
    }

    private static CaptureVariable variable(io.switchboard.v1.CaptureVariable v) {
        CaptureVariable.Type type = switch (v.getType()) {
            case TYPE_STRING -> CaptureVariable.Type.STRING;
            case TYPE_NUMBER -> CaptureVariable.Type.NUMBER;
            case TYPE_BOOLEAN -> CaptureVariable.Type.BOOLEAN;
            case TYPE_DATE -> CaptureVariable.Type.DATE;
            case TYPE_ENUM -> CaptureVariable.Type.ENUM;
            case TYPE_UNSPECIFIED, UNRECOGNIZED -> null;
        };
        return new CaptureVariable(v.getName(), type, v.getDescription(), v.getEnumValuesList(), v.getRequired());
    }

    public static io.switchboard.v1.Agent toProto(Agent a) {
        AgentSpec s = a.spec();
        io.switchboard.v1.Agent.Builder b = io.switchboard.v1.Agent.newBuilder();
        ConductProtos.toProto(s.conduct(), b);
        return b
                .setId(a.id().toString()).setName(s.name()).setLanguage(s.language())
                .setSystemPrompt(s.systemPrompt()).setFirstMessage(s.firstMessage()).setVoice(s.voice())
                .setSummaryInstructions(s.summaryInstructions())
                .addAllVariables(s.variables().stream().map(AgentGrpcService::toProto).toList())
                .setVersion(a.version())
                .setCreateTime(Protos.timestamp(a.createdAt())).setUpdateTime(Protos.timestamp(a.updatedAt()))
                .build();
    }

    private static io.switchboard.v1.CaptureVariable toProto(CaptureVariable v) {
        return io.switchboard.v1.CaptureVariable.newBuilder()
                .setName(v.name())
                .setType(io.switchboard.v1.CaptureVariable.Type.valueOf("TYPE_" + v.type().name()))
                .setDescription(v.description()).addAllEnumValues(v.enumValues()).setRequired(v.required())
                .build();
    }

}
