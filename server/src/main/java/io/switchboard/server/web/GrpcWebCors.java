package io.switchboard.server.web;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Which web pages may call the API with grpc-web from a browser ({@code server.grpc-web.cors.allowed-origins}).
 * A page served from the API's own host and port (same origin, e.g. the console) always may; other origins
 * only when listed. An entry is an exact origin ({@code https://console.example.com}), an origin with any port
 * ({@code http://localhost:*}) or {@code *} for any origin. Authentication does not depend on it: every call
 * still needs its API key; the list only decides which pages a browser lets read the answers.
 */
public record GrpcWebCors(List<String> allowedOrigins) {

    /** What a browser may send: the credentials, grpc-web's own headers, deadline and trace context. */
    static final List<String> ALLOWED_HEADERS = List.of("authorization", "content-type", "x-grpc-web",
            "x-user-agent", "grpc-timeout", "traceparent", "tracestate");
    /** What a page's script may read of an answer's headers: the status keys, for clients that look there first. */
    static final String EXPOSED_HEADERS = "grpc-status, grpc-message, grpc-status-details-bin, grpc-encoding";
    private static final String PREFLIGHT_MAX_AGE = "600";

    public GrpcWebCors {
        allowedOrigins = allowedOrigins.stream().map(String::strip).filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT)).toList();
        for (String entry : allowedOrigins) {
            if (!entry.equals("*") && !entry.matches("[a-z][a-z0-9+.-]*://[^/?#*]+(:\\*)?")) {
                throw new IllegalArgumentException("server.grpc-web.cors.allowed-origins: '" + entry
                        + "' is not an origin: use scheme://host[:port], scheme://host:* (any port) or *");
            }
        }
    }

    /** Browsers may call from the API's own origin only. */
    public static GrpcWebCors sameOriginOnly() {
        return new GrpcWebCors(List.of());
    }

    /** Whether a page of {@code origin} may call a server reached as {@code host} (the Host header). */
    boolean allows(String origin, Optional<String> host) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        for (String entry : allowedOrigins) {
            if (entry.equals("*") || entry.equals(o)) {
                return true;
            }
            if (entry.endsWith(":*")) {
                String base = entry.substring(0, entry.length() - 2);
                if (o.equals(base) || (o.startsWith(base + ":") && o.substring(base.length() + 1).matches("\\d{1,5}"))) {
                    return true;
                }
            }
        }
        return host.isPresent() && sameOrigin(o, host.get());
    }

    /**
     * Whether a page may open a WebSocket of the API (the browser talk socket): the same rule as for grpc-web, so
     * one setting governs every way a browser reaches the API. A client sending no {@code Origin} is no browser
     * page, and may (it authenticates as every client does).
     */
    public boolean admitsWebSocket(Optional<String> origin, Optional<String> host) {
        return origin.isEmpty() || allows(origin.get(), host);
    }

    private static boolean sameOrigin(String origin, String host) {
        try {
            URI page = new URI(origin);
            URI server = new URI(page.getScheme() + "://" + host.strip().toLowerCase(Locale.ROOT));
            return page.getHost() != null && page.getHost().equals(server.getHost())
                    && port(page) == port(server) && (page.getPath() == null || page.getPath().isEmpty());
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static int port(URI uri) {
        if (uri.getPort() != -1) {
            return uri.getPort();
        }
        return "https".equals(uri.getScheme()) ? 443 : 80;
    }

    /**
     * Admits a grpc-web call: without an {@code Origin} (not a browser) or from an allowed one, adding the
     * headers that let the page read the answer. Returns false for a disallowed origin.
     */
    boolean admit(ServerRequest req, ServerResponse res) {
        Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
        if (origin.isEmpty()) {
            return true;
        }
        if (!allows(origin.get(), req.headers().first(HeaderNames.HOST))) {
            return false;
        }
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin.get());
        res.header(HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED_HEADERS);
        res.header(HeaderNames.VARY, "Origin");
        return true;
    }

    /**
     * Answers a browser's preflight ({@code OPTIONS} with {@code Origin} and
     * {@code Access-Control-Request-Method}): 204 with what may be sent for an allowed origin, 403 without
     * any CORS header otherwise. Returns false when the request is no preflight.
     */
    boolean preflight(ServerRequest req, ServerResponse res) {
        Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
        if (origin.isEmpty() || !req.headers().contains(HeaderNames.ACCESS_CONTROL_REQUEST_METHOD)) {
            return false;
        }
        if (!allows(origin.get(), req.headers().first(HeaderNames.HOST))) {
            res.status(Status.FORBIDDEN_403).send();
            return true;
        }
        res.status(Status.NO_CONTENT_204)
                .header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin.get())
                .header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "POST")
                .header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, String.join(", ", allowedHeaders(req)))
                .header(HeaderNames.ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE)
                .header(HeaderNames.VARY, "Origin")
                .send();
        return true;
    }

    /** The standard list, plus the custom {@code x-} headers the page asks for (they reach the call as metadata). */
    private static List<String> allowedHeaders(ServerRequest req) {
        List<String> allowed = new ArrayList<>(ALLOWED_HEADERS);
        Set<String> standard = Set.copyOf(ALLOWED_HEADERS);
        req.headers().first(HeaderNames.ACCESS_CONTROL_REQUEST_HEADERS).ifPresent(asked -> {
            for (String h : asked.split(",")) {
                String name = h.strip().toLowerCase(Locale.ROOT);
                if (name.startsWith("x-") && name.matches("[a-z0-9_.-]+") && !standard.contains(name)) {
                    allowed.add(name);
                }
            }
        });
        return allowed;
    }
}
