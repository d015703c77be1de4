package io.switchboard.server.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.switchboard.calls.CallService;
import io.switchboard.calls.LiveEvents;
import io.switchboard.common.Notifications;
import io.switchboard.live.LiveCalls;
import io.switchboard.server.ApiHarness;
import io.switchboard.server.Listener;
import io.switchboard.server.SwitchboardServer;
import io.switchboard.server.calls.CallGrpcService;
import io.switchboard.talk.TalkTokens;
import io.switchboard.testing.TestObjectStore;
import org.junit.jupiter.api.Test;

/**
 * The README's list of meters is the operator's contract: every live-call and recording meter it names is served
 * at {@code /observe/metrics} by an API server that carries calls.
 */
class LiveCallMetersTest {

    /** The README's meter names (without labels) of the API server's live calls and their recordings. */
    private static List<String> documentedLiveCallMeters() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("\n## Health and metrics\n");
        assertTrue(section >= 0, "README has a Health and metrics section");
        String table = readme.substring(section, readme.indexOf("\n## ", section + 1));
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("`(switchboard_(?:live|recording)_[a-z_]+)").matcher(table);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void everyLiveCallAndRecordingMeterTheReadmeListsIsServed() throws Exception {
        List<String> documented = documentedLiveCallMeters();
        assertTrue(documented.containsAll(List.of("switchboard_live_calls", "switchboard_recording_uploads_pending",
                "switchboard_recording_upload_failures_total")), "the README lists them: " + documented);
        try (ApiHarness api = new ApiHarness()) {
            var plane = api.fixtures.plane;
            CallService calls = api.fixtures.calls(TestObjectStore.freshBucket());
            LiveEvents events = new LiveEvents(plane.database().dsl(), plane.contentSeal());
            Notifications notifications = Notifications.start(plane.database().dataSource());
            CallGrpcService service = new CallGrpcService(calls, LiveCalls.builder(calls, events)
                    .eventEncoding(CallGrpcService::eventEncoding).languages(plane.agents()).build(), events,
                    notifications, 16, new TalkTokens(plane.database().dsl(), plane.clock(), plane.audit()));
            SwitchboardServer server = SwitchboardServer.builder().controlPlane(plane)
                    .listener(Listener.plaintext("127.0.0.1", 0)).calls(service).start();
            try {
                HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + server.port() + "/observe/metrics")).header("Accept", "text/plain")
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, metrics.statusCode());
                for (String name : documented) {
                    assertTrue(metrics.body().lines().anyMatch(l -> l.startsWith(name + " ") || l.startsWith(name + "{")),
                            name + " is documented but not served:\n" + metrics.body());
                }
            } finally {
                server.close();
                service.close();
                notifications.close();
            }
        }
    }
}
