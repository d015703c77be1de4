package io.switchboard.messaging;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchboard.telephony.FormEncoding;
import io.switchboard.telephony.TwilioTelephony;

/**
 * {@link MessageCarrier} over Twilio's Programmable Messaging REST API (or anything speaking it, such as the
 * dev softphone): {@code POST /2010-04-01/Accounts/{AccountSid}/Messages.json} with form-encoded {@code To},
 * {@code From}, {@code Body} (or {@code ContentSid} and {@code ContentVariables} for an approved WhatsApp
 * template) and a {@code StatusCallback} naming our message id. Twilio's API has no idempotency key, so the
 * request also carries {@code Idempotency-Key: <message id>} (honoured by carriers that support it) and a
 * retried send first lists the messages sent from the same number to the same recipient since the attempt
 * began ({@link #find}), so a crash between the carrier's answer and our commit never sends twice.
 */
public final class TwilioMessaging implements MessageCarrier {

    public static final String STATUS_PATH = "/messaging/twilio/status";
    public static final String INBOUND_PATH = "/messaging/twilio/inbound";
    public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TwilioTelephony.Settings settings;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The same account, API base and public URL as the voice carrier's ({@code telephony.*}). */
    public TwilioMessaging(TwilioTelephony.Settings settings) {
        this.settings = settings;
    }

    /** The status callback URL of one message. */
    public static String statusUrl(URI publicUrl, String messageId) {
        return publicUrl.toString().replaceAll("/$", "") + STATUS_PATH + "?message_id=" + messageId;
    }

    @Override
    public Accepted send(Send s) {
        Map<String, List<String>> form = new LinkedHashMap<>();
        form.put("To", List.of(s.to()));
        form.put("From", List.of(s.from()));
        if (s.contentSid().isEmpty()) {
            form.put("Body", List.of(s.body()));
        } else {
            form.put("ContentSid", List.of(s.contentSid()));
            form.put("ContentVariables", List.of(JSON.valueToTree(s.contentVariables()).toString()));
        }
        form.put("StatusCallback", List.of(statusUrl(settings.publicUrl(), s.messageId().toString())));
        HttpRequest req = request("/Messages.json").header(IDEMPOTENCY_HEADER, s.messageId().toString())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(FormEncoding.encode(form))).build();
        JsonNode body = call(req, true);
        String sid = body.path("sid").asText("");
        if (sid.isEmpty()) {
            throw new CarrierException("the carrier's reply has no message sid: " + abbreviate(body.toString()), null,
                    CarrierException.Failure.UNCERTAIN, "");
        }
        return new Accepted(sid, body.path("status").asText("queued"));
    }

    @Override
    public Optional<Accepted> find(Send s, Instant since) {
        String day = since.atZone(ZoneOffset.UTC).toLocalDate().toString();
        String query = "?To=" + enc(s.to()) + "&From=" + enc(s.from()) + "&" + enc("DateSent>") + "=" + enc(day)
                + "&PageSize=100";
        JsonNode body = call(request("/Messages.json" + query).GET().build(), false);
        for (JsonNode m : body.path("messages")) {
            Optional<Instant> created = rfc2822(m.path("date_created").asText(""));
            boolean sameText = s.contentSid().isEmpty() ? m.path("body").asText("").equals(s.body()) : true;
            if (sameText && created.map(c -> !c.isBefore(since.minusSeconds(60))).orElse(true)) {
                return Optional.of(new Accepted(m.path("sid").asText(), m.path("status").asText("")));
            }
        }
        return Optional.empty();
    }

    private HttpRequest.Builder request(String path) {
        URI uri = URI.create(settings.apiUrl().toString().replaceAll("/$", "") + "/2010-04-01/Accounts/"
                + settings.accountSid() + path);
        String auth = Base64.getEncoder().encodeToString((settings.accountSid() + ":" + settings.authToken())
                .getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15)).header("Authorization", "Basic " + auth)
                .header("Accept", "application/json");
    }

    private JsonNode call(HttpRequest req, boolean creates) {
        HttpResponse<String> res;
        try {
            res = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new CarrierException("the carrier at " + settings.apiUrl() + " cannot be reached: " + e.getMessage(), e,
                    CarrierException.Failure.UNREACHABLE, "");
        } catch (IOException e) {
            throw new CarrierException("no answer from the carrier at " + settings.apiUrl() + ": " + e, e,
                    creates ? CarrierException.Failure.UNCERTAIN : CarrierException.Failure.UNREACHABLE, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CarrierException("interrupted while asking the carrier", e, CarrierException.Failure.UNCERTAIN, "");
        }
        JsonNode body;
        try {
            body = JSON.readTree(res.body().isEmpty() ? "{}" : res.body());
        } catch (IOException e) {
            throw new CarrierException("the carrier answered HTTP " + res.statusCode() + " with no JSON: "
                    + abbreviate(res.body()), e, failure(res.statusCode()), "");
        }
        if (res.statusCode() / 100 != 2) {
            throw new CarrierException("HTTP " + res.statusCode() + ", code " + body.path("code").asText("?") + ": "
                    + body.path("message").asText(abbreviate(res.body())), null, failure(res.statusCode()),
                    body.path("code").asText(""));
        }
        return body;
    }

    /** 4xx: refused, no message. 5xx: the API creates the message only with its 201 answer: not sent. */
    private static CarrierException.Failure failure(int status) {
        return switch (status / 100) {
            case 4 -> CarrierException.Failure.REFUSED;
            case 5 -> CarrierException.Failure.UNREACHABLE;
            default -> CarrierException.Failure.UNCERTAIN;
        };
    }

    /** Twilio's dates: RFC 2822, GMT ("Wed, 18 Aug 2010 20:01:40 +0000"). */
    static Optional<Instant> rfc2822(String s) {
        try {
            return s.isEmpty() ? Optional.empty()
                    : Optional.of(ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
