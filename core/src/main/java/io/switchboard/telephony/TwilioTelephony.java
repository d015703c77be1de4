package io.switchboard.telephony;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.dialer.Telephony;

/**
 * The {@link Telephony} port over Twilio's Programmable Voice REST API (or anything that speaks it, such as
 * the dev {@code Softphone}): a call is created with TwiML that connects its audio to the platform's media
 * stream endpoint ({@code <Connect><Stream>}, carrying the attempt id as a custom parameter), and with a
 * status callback that reports ringing, answered, and the final outcome (with answering-machine detection,
 * so voicemail is told apart from a person). The detection runs asynchronously ({@code AsyncAmd}): its verdict
 * ({@code AnsweredBy}) comes to {@link #AMD_PATH} while the call goes on, and reaches the live call from there.
 */
public final class TwilioTelephony implements Telephony {

    public static final String STATUS_PATH = "/telephony/twilio/status";
    public static final String MEDIA_PATH = "/telephony/twilio/media";
    /** The voice webhook of inbound calls: a number's "a call comes in" URL, with {@code ?agent_id=...}. */
    public static final String VOICE_PATH = "/telephony/twilio/voice";
    /** Where the carrier's asynchronous answering-machine detection reports who picked up ({@code AnsweredBy}). */
    public static final String AMD_PATH = "/telephony/twilio/amd";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param apiUrl     the REST API's base, {@code https://api.twilio.com} in production
     * @param publicUrl  where the carrier reaches this platform's server, e.g. {@code https://switchboard.example.com};
     *                   signatures are computed over URLs under it, so it must be exactly what the carrier uses
     * @param ringTimeout how long the carrier lets the callee's phone ring
     */
    public record Settings(URI apiUrl, String accountSid, String authToken, URI publicUrl, Duration ringTimeout) {

        public Settings {
            if (accountSid.isBlank() || authToken.isBlank()) {
                throw new IllegalArgumentException("telephony.twilio.account-sid and auth-token are required");
            }
            String scheme = publicUrl.getScheme();
            if (!"https".equals(scheme) && !"http".equals(scheme)) {
                throw new IllegalArgumentException("telephony.public-url must be an http(s) URL, got " + publicUrl);
            }
        }

        /** The status callback URL of one attempt. */
        public String statusUrl(String attemptId) {
            return base(publicUrl.toString()) + STATUS_PATH + "?attempt_id=" + attemptId;
        }

        /** The asynchronous answering-machine detection callback URL of one attempt. */
        public String amdUrl(String attemptId) {
            return base(publicUrl.toString()) + AMD_PATH + "?attempt_id=" + attemptId;
        }

        /** The media stream URL the TwiML points at (wss for an https public URL). */
        public String mediaUrl() {
            return TwilioTelephony.mediaUrl(publicUrl);
        }

        private static String base(String u) {
            return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
        }
    }

    private final Settings settings;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public TwilioTelephony(Settings settings) {
        this.settings = settings;
    }

    @Override
    public String name() {
        return "twilio";
    }

    /** The media stream URL under a public URL (wss for https): what TwiML points at and handshakes sign. */
    public static String mediaUrl(URI publicUrl) {
        String b = Settings.base(publicUrl.toString());
        return (b.startsWith("https:") ? "wss:" + b.substring(6) : "ws:" + b.substring(5)) + MEDIA_PATH;
    }

    /**
     * TwiML that connects a call's audio to the platform's media stream, with custom parameters the stream's
     * {@code start} message carries back (in this order).
     */
    public static String connectStream(String mediaUrl, Map<String, String> parameters) {
        StringBuilder b = new StringBuilder("<Response><Connect><Stream url=\"").append(xml(mediaUrl)).append("\">");
        parameters.forEach((name, value) -> b.append("<Parameter name=\"").append(xml(name)).append("\" value=\"")
                .append(xml(value)).append("\"/>"));
        return b.append("</Stream></Connect></Response>").toString();
    }

    @Override
    public String dial(DialRequest r) {
        Map<String, List<String>> form = new LinkedHashMap<>();
        form.put("To", List.of(r.to()));
        form.put("From", List.of(r.from()));
        String attempt = r.attemptId().toString();
        Map<String, String> stream = new LinkedHashMap<>();
        stream.put("attempt_id", attempt);
        stream.put("token", TwilioSignature.streamToken(settings.authToken(), "attempt", attempt));
        form.put("Twiml", List.of(connectStream(settings.mediaUrl(), stream)));
        form.put("StatusCallback", List.of(settings.statusUrl(r.attemptId().toString())));
        form.put("StatusCallbackMethod", List.of("POST"));
        form.put("StatusCallbackEvent", List.of("initiated", "ringing", "answered", "completed"));
        form.put("Timeout", List.of(Long.toString(settings.ringTimeout().toSeconds())));
        // the call is connected at once (the agent greets without waiting) while the carrier listens in the
        // background; for a machine it reports only once the greeting is over (its beep), when a message can be left
        form.put("MachineDetection", List.of("DetectMessageEnd"));
        form.put("AsyncAmd", List.of("true"));
        form.put("AsyncAmdStatusCallback", List.of(settings.amdUrl(attempt)));
        form.put("AsyncAmdStatusCallbackMethod", List.of("POST"));
        JsonNode body = post("/Calls.json", form);
        String sid = body.path("sid").asText("");
        if (sid.isEmpty()) {
            throw new TelephonyException("the carrier's reply has no call sid: " + abbreviate(body.toString()));
        }
        return sid;
    }

    /** Ends the call ({@code Status=completed}); a call the carrier no longer knows (404) is over already. */
    @Override
    public void hangUp(String carrierCallId) {
        Reply r = send("/Calls/" + carrierCallId + ".json", Map.of("Status", List.of("completed")));
        if (r.status() != 404) {
            r.require();
        }
    }

    /**
     * Redirects the live call to TwiML that dials {@code phoneNumber}, as Twilio transfers a call: the
     * {@code <Connect><Stream>} it was in ends (the media stream stops), and the callee is bridged to the number.
     */
    @Override
    public void transfer(String carrierCallId, String phoneNumber) {
        send("/Calls/" + carrierCallId + ".json", Map.of("Twiml", List.of(dial(phoneNumber)))).require();
    }

    /** TwiML that bridges the call to {@code phoneNumber}. */
    public static String dial(String phoneNumber) {
        return "<Response><Dial>" + xml(phoneNumber) + "</Dial></Response>";
    }

    private JsonNode post(String path, Map<String, List<String>> form) {
        return send(path, form).require();
    }

    /** The carrier's answer: its HTTP status and JSON body. */
    private record Reply(int status, JsonNode body, String raw) {
        /** The body of a 2xx answer; anything else is the carrier saying no. */
        JsonNode require() {
            if (status / 100 != 2) {
                throw new TelephonyException("HTTP " + status + ", code " + body.path("code").asText("?") + ": "
                        + body.path("message").asText(abbreviate(raw)), null, failure(status));
            }
            return body;
        }
    }

    private Reply send(String path, Map<String, List<String>> form) {
        URI uri = URI.create(settings.apiUrl().toString().replaceAll("/$", "") + "/2010-04-01/Accounts/"
                + settings.accountSid() + path);
        String auth = Base64.getEncoder().encodeToString((settings.accountSid() + ":" + settings.authToken())
                .getBytes(StandardCharsets.UTF_8));
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15))
                .header("Authorization", "Basic " + auth)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(FormEncoding.encode(form))).build();
        HttpResponse<String> res;
        try {
            res = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            // nothing reached the carrier: the call was certainly not placed
            throw new TelephonyException("the carrier at " + settings.apiUrl() + " cannot be reached: " + e.getMessage(),
                    e, TelephonyException.Failure.UNREACHABLE);
        } catch (IOException e) {
            // a timeout or a broken connection after the request went out: the call may have been placed
            throw new TelephonyException("no answer from the carrier at " + settings.apiUrl() + ": " + e, e, TelephonyException.Failure.UNCERTAIN);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TelephonyException("interrupted while asking the carrier", e, TelephonyException.Failure.UNCERTAIN);
        }
        JsonNode body;
        try {
            body = JSON.readTree(res.body().isEmpty() ? "{}" : res.body());
        } catch (IOException e) {
            throw new TelephonyException("the carrier answered HTTP " + res.statusCode() + " with no JSON: "
                    + abbreviate(res.body()), e, failure(res.statusCode()));
        }
        return new Reply(res.statusCode(), body, res.body());
    }

    /**
     * 4xx: the carrier refused the request, no call. 5xx: the carrier failed to take it (an outage): the API
     * creates the call resource only with its 201 answer, so no call was placed. Anything else: unknown.
     */
    private static TelephonyException.Failure failure(int status) {
        return switch (status / 100) {
            case 4 -> TelephonyException.Failure.REFUSED;
            case 5 -> TelephonyException.Failure.UNREACHABLE;
            default -> TelephonyException.Failure.UNCERTAIN;
        };
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
