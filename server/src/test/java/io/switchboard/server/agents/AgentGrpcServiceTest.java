package io.switchboard.server.agents;

import static io.switchboard.server.ApiHarness.badFields;
import static io.switchboard.server.ApiHarness.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.switchboard.audio.Wav;
import io.switchboard.server.ApiHarness;
import io.switchboard.testing.Fixtures;
import io.switchboard.v1.Agent;
import io.switchboard.v1.AgentServiceGrpc;
import io.switchboard.v1.CaptureVariable;
import io.switchboard.v1.CreateAgentRequest;
import io.switchboard.v1.GetAgentRequest;
import io.switchboard.v1.ListVoicesRequest;
import io.switchboard.v1.ListVoicesResponse;
import io.switchboard.v1.PreviewVoiceRequest;
import io.switchboard.v1.VoicePreview;
import io.switchboard.v1.Voice;
import io.switchboard.v1.UpdateAgentRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AgentGrpcServiceTest {

    private ApiHarness api;
    private AgentServiceGrpc.AgentServiceBlockingStub agents;

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        Fixtures.Tenant acme = api.fixtures.tenant("Acme", "growth");
        agents = AgentServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(acme.ownerKey()));
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    static Agent.Builder validAgent() {
        return Agent.newBuilder().setName("Sales").setLanguage("en-US").setSystemPrompt("Be kind.")
                .addVariables(CaptureVariable.newBuilder().setName("budget").setType(CaptureVariable.Type.TYPE_NUMBER));
    }

    @Test
    void createGetUpdateRoundTripsOverGrpc() {
        Agent created = agents.createAgent(CreateAgentRequest.newBuilder().setAgent(validAgent()).build());
        assertEquals(1, created.getVersion());
        assertEquals("budget", created.getVariables(0).getName());
        Agent updated = agents.updateAgent(UpdateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(created.getId()).setFirstMessage("Hi there"))
                .setUpdateMask(FieldMask.newBuilder().addPaths("first_message")).build());
        assertEquals(2, updated.getVersion());
        assertEquals("Sales", updated.getName());
        assertEquals("Hi there", agents.getAgent(GetAgentRequest.newBuilder().setId(created.getId()).build())
                .getFirstMessage());
    }

    @Test
    void badInputNamesEachFieldInBadRequestDetails() {
        var e = assertThrows(StatusRuntimeException.class, () -> agents.createAgent(CreateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setLanguage("??").addVariables(CaptureVariable.newBuilder().setName("x")))
                .build()));
        var fields = badFields(e);
        assertTrue(fields.containsAll(java.util.List.of("agent.name", "agent.language", "agent.variables[0].type")),
                fields.toString());
    }

    @Test
    void malformedIdIsInvalidArgumentAndUnknownIdIsNotFound() {
        var bad = assertThrows(StatusRuntimeException.class, () ->
                agents.getAgent(GetAgentRequest.newBuilder().setId("nope").build()));
        assertEquals(java.util.List.of("id"), badFields(bad));
        var missing = assertThrows(StatusRuntimeException.class, () ->
                agents.getAgent(GetAgentRequest.newBuilder().setId(java.util.UUID.randomUUID().toString()).build()));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    }

    @Test
    void updateWithUnknownMaskPathIsRejected() {
        Agent created = agents.createAgent(CreateAgentRequest.newBuilder().setAgent(validAgent()).build());
        var e = assertThrows(StatusRuntimeException.class, () -> agents.updateAgent(UpdateAgentRequest.newBuilder()
                .setAgent(Agent.newBuilder().setId(created.getId()).setVersion(9))
                .setUpdateMask(FieldMask.newBuilder().addPaths("version")).build()));
        assertEquals(java.util.List.of("update_mask"), badFields(e));
    }

    @Test
    void listVoicesGivesWhatAgentVoiceAcceptsAndAnUnknownVoiceIsInvalidArgumentOnVoice() {
        ListVoicesResponse voices = agents.listVoices(ListVoicesRequest.getDefaultInstance());
        assertEquals("flite:slt", voices.getDefaultVoice());
        Voice slt = voices.getVoicesList().stream().filter(v -> v.getId().equals("flite:slt")).findFirst().orElseThrow();
        assertEquals(Voice.newBuilder().setId("flite:slt").setEngine("flite").setName("slt").setLanguage("en-US")
                .setGender(Voice.Gender.GENDER_FEMALE).setSampleRate(16_000).build(), slt);
        assertTrue(voices.getVoicesList().stream().anyMatch(v -> v.getId().equals("espeak:en-us")
                && v.getSampleRate() == 22_050), voices.toString());
        for (Voice v : voices.getVoicesList().subList(0, 3)) {
            assertEquals(v.getId(), agents.createAgent(CreateAgentRequest.newBuilder()
                    .setAgent(validAgent().setVoice(v.getId())).build()).getVoice());
        }
        var e = assertThrows(StatusRuntimeException.class, () -> agents.createAgent(CreateAgentRequest.newBuilder()
                .setAgent(validAgent().setVoice("alloy")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals(java.util.List.of("agent.voice"), badFields(e));
        assertTrue(e.getStatus().getDescription().contains("did you mean") || e.getStatus().getDescription()
                .contains("names no engine"), e.getStatus().getDescription());
    }

    @Test
    void previewVoiceSpeaksTheTextAsAWavAndRefusesAnUnknownVoiceOrALongTextNamingTheField() {
        VoicePreview p = agents.previewVoice(PreviewVoiceRequest.newBuilder().setVoice("flite:slt")
                .setText("Thanks for calling, this is a test.").build());
        assertEquals("flite:slt", p.getVoice());
        byte[] wav = p.getWav().toByteArray();
        Wav.Header h = Wav.parse(wav, wav.length).orElseThrow();
        assertEquals(16_000, h.format().sampleRate());
        assertEquals(1, h.format().channels());
        long samples = (wav.length - Wav.HEADER_SIZE) / 2;
        assertEquals(samples * 1000 / 16_000, p.getDuration().getSeconds() * 1000 + p.getDuration().getNanos() / 1_000_000);
        assertTrue(samples > 16_000, "a sentence lasts more than a second: " + samples);
        java.nio.ShortBuffer pcm = java.nio.ByteBuffer.wrap(wav, Wav.HEADER_SIZE, wav.length - Wav.HEADER_SIZE)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        double energy = 0;
        while (pcm.hasRemaining()) {
            double x = pcm.get();
            energy += x * x;
        }
        assertTrue(Math.sqrt(energy / samples) > 300, "speech, not silence");

        assertEquals("flite:slt", agents.previewVoice(PreviewVoiceRequest.getDefaultInstance()).getVoice(),
                "no voice: the default, speaking a sample sentence");

        var unknown = assertThrows(StatusRuntimeException.class, () -> agents.previewVoice(PreviewVoiceRequest
                .newBuilder().setVoice("flite:nobody").build()));
        assertEquals(java.util.List.of("voice"), badFields(unknown));
        var noEngine = assertThrows(StatusRuntimeException.class, () -> agents.previewVoice(PreviewVoiceRequest
                .newBuilder().setVoice("alloy").build()));
        assertEquals(java.util.List.of("voice"), badFields(noEngine));
        var tooLong = assertThrows(StatusRuntimeException.class, () -> agents.previewVoice(PreviewVoiceRequest
                .newBuilder().setText("a".repeat(301)).build()));
        assertEquals(java.util.List.of("text"), badFields(tooLong));
        assertTrue(tooLong.getStatus().getDescription().contains("300"), tooLong.getStatus().getDescription());
    }
}
