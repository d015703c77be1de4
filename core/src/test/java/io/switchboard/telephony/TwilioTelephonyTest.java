package io.switchboard.telephony;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import io.switchboard.dialer.Telephony;
import io.switchboard.dialer.Telephony.TelephonyException.Failure;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the carrier's answers to "create a call" are read, over real HTTP: a refusal (4xx) is a failed attempt,
 * while a carrier that cannot be reached or fails with a server error (5xx) placed no call, so the dialer
 * must not count it (see DialerTest's carrier outage).
 */
class TwilioTelephonyTest {

    private HttpServer server;
    private volatile String lastPath = "";
    private volatile String lastBody = "";

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private TwilioTelephony carrierAnswering(int status, String json) throws IOException {
        AtomicInteger requests = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            lastPath = ex.getRequestURI().getPath();
            lastBody = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return telephony(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
    }

    private static TwilioTelephony telephony(URI api) {
        return new TwilioTelephony(new TwilioTelephony.Settings(api, "AC0123456789abcdef0123456789abcdef",
                "token-0123456789abcdef0123456789", URI.create("http://127.0.0.1:50051"), Duration.ofSeconds(30)));
    }

    private static Telephony.DialRequest request() {
        return new Telephony.DialRequest(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(),
                "+14155550100", "+12125550101");
    }

    @Test
    void aServerErrorIsAnOutageNotAFailedCall() throws IOException {
        TwilioTelephony t = carrierAnswering(503, "{\"code\":20503,\"message\":\"Service Unavailable\"}");
        var e = assertThrows(Telephony.TelephonyException.class, () -> t.dial(request()));
        assertEquals(Failure.UNREACHABLE, e.failure());
        assertTrue(e.getMessage().contains("HTTP 503"), e.getMessage());
    }

    @Test
    void aServerErrorWithoutJsonIsAnOutageToo() throws IOException {
        TwilioTelephony t = carrierAnswering(502, "<html>Bad Gateway</html>");
        assertEquals(Failure.UNREACHABLE, assertThrows(Telephony.TelephonyException.class, () -> t.dial(request()))
                .failure());
    }

    @Test
    void aConnectionRefusedIsAnOutage() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        TwilioTelephony t = telephony(URI.create("http://127.0.0.1:" + closed));
        var e = assertThrows(Telephony.TelephonyException.class, () -> t.dial(request()));
        assertEquals(Failure.UNREACHABLE, e.failure());
        assertTrue(e.getMessage().contains("cannot be reached"), e.getMessage());
    }

    @Test
    void aRefusalIsAFailedAttempt() throws IOException {
        TwilioTelephony t = carrierAnswering(400,
                "{\"code\":21211,\"message\":\"The 'To' number is not a valid phone number.\"}");
        var e = assertThrows(Telephony.TelephonyException.class, () -> t.dial(request()));
        assertEquals(Failure.REFUSED, e.failure());
        assertTrue(e.getMessage().contains("21211"), e.getMessage());
    }

    @Test
    void anAcceptedCallReturnsItsSid() throws IOException {
        TwilioTelephony t = carrierAnswering(201, "{\"sid\":\"CA0123\",\"status\":\"queued\"}");
        assertEquals("CA0123", t.dial(request()));
    }

    @Test
    void aCallAsksForAsynchronousMachineDetectionThatWaitsForTheEndOfTheGreeting() throws IOException {
        TwilioTelephony t = carrierAnswering(201, "{\"sid\":\"CA0123\",\"status\":\"queued\"}");
        Telephony.DialRequest r = request();
        t.dial(r);
        var form = FormEncoding.parse(lastBody);
        assertEquals(java.util.List.of("DetectMessageEnd"), form.get("MachineDetection"));
        assertEquals(java.util.List.of("true"), form.get("AsyncAmd"));
        assertEquals(java.util.List.of("http://127.0.0.1:50051/telephony/twilio/amd?attempt_id=" + r.attemptId()),
                form.get("AsyncAmdStatusCallback"));
        assertEquals(java.util.List.of("POST"), form.get("AsyncAmdStatusCallbackMethod"));
    }

    @Test
    void hangingUpACallTheCarrierNoLongerKnowsIsNoError() throws IOException {
        TwilioTelephony t = carrierAnswering(404, "{\"code\":20404,\"message\":\"The requested resource was not found\"}");
        t.hangUp("CA0123");
        assertEquals("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls/CA0123.json", lastPath);
        assertEquals(java.util.List.of("completed"), FormEncoding.parse(lastBody).get("Status"));
    }

    @Test
    void aHangUpTheCarrierRefusesSaysWhy() throws IOException {
        TwilioTelephony t = carrierAnswering(401, "{\"code\":20003,\"message\":\"Authenticate\"}");
        var e = assertThrows(Telephony.TelephonyException.class, () -> t.hangUp("CA0123"));
        assertTrue(e.getMessage().contains("20003"), e.getMessage());
    }

    @Test
    void aTransferRedirectsTheLiveCallToTwimlThatDialsTheNumber() throws IOException {
        TwilioTelephony t = carrierAnswering(200, "{\"sid\":\"CA0123\",\"status\":\"in-progress\"}");
        t.transfer("CA0123", "+14155550199");
        assertEquals("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls/CA0123.json", lastPath);
        assertEquals(java.util.List.of("<Response><Dial>+14155550199</Dial></Response>"),
                FormEncoding.parse(lastBody).get("Twiml"));
    }

    @Test
    void aTransferOfACallThatIsOverIsRefused() throws IOException {
        TwilioTelephony t = carrierAnswering(400, "{\"code\":21220,\"message\":\"Call is not in-progress. Cannot redirect.\"}");
        var e = assertThrows(Telephony.TelephonyException.class, () -> t.transfer("CA0123", "+14155550199"));
        assertEquals(Failure.REFUSED, e.failure());
        assertTrue(e.getMessage().contains("21220"), e.getMessage());
    }
}
