package io.switchboard.conversation.brain.llm;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The {@code Retry-After} a provider sends with a 429 or 503, which LangChain4j's {@code HttpException} drops
 * (it keeps only the status and the body). The model's JDK HTTP client is built through {@link #recording}, and
 * a request sent inside {@link #capture} on the same thread leaves the header in its {@link Slot}: LangChain4j
 * sends streaming requests synchronously from the thread that calls {@code chat}, and the header is read before
 * the body, so the slot is filled before the error reaches the handler.
 */
final class RetryAfter {

    private static final ThreadLocal<Slot> CURRENT = new ThreadLocal<>();

    private RetryAfter() {
    }

    /** Where one request's {@code Retry-After} lands. */
    static final class Slot {
        private volatile Duration value;

        Optional<Duration> get() {
            return Optional.ofNullable(value);
        }
    }

    /** Runs {@code send} with {@code slot} receiving the Retry-After of the requests it sends on this thread. */
    static void capture(Slot slot, Runnable send) {
        CURRENT.set(slot);
        try {
            send.run();
        } finally {
            CURRENT.remove();
        }
    }

    /** Delta-seconds or an HTTP-date (RFC 9110 §10.2.3); empty when it is neither. */
    static Optional<Duration> parse(String header, Clock clock) {
        String h = header.strip();
        try {
            long seconds = Long.parseLong(h);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration d = Duration.between(clock.instant(),
                        ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /** {@code builder}, whose clients fill the calling thread's slot. */
    static HttpClient.Builder recording(HttpClient.Builder builder, Clock clock) {
        return new RecordingBuilder(builder, clock);
    }

    private record RecordingBuilder(HttpClient.Builder delegate, Clock clock) implements HttpClient.Builder {
        @Override
        public HttpClient.Builder cookieHandler(CookieHandler cookieHandler) {
            delegate.cookieHandler(cookieHandler);
            return this;
        }

        @Override
        public HttpClient.Builder connectTimeout(Duration duration) {
            delegate.connectTimeout(duration);
            return this;
        }

        @Override
        public HttpClient.Builder sslContext(SSLContext sslContext) {
            delegate.sslContext(sslContext);
            return this;
        }

        @Override
        public HttpClient.Builder sslParameters(SSLParameters sslParameters) {
            delegate.sslParameters(sslParameters);
            return this;
        }

        @Override
        public HttpClient.Builder executor(Executor executor) {
            delegate.executor(executor);
            return this;
        }

        @Override
        public HttpClient.Builder followRedirects(HttpClient.Redirect policy) {
            delegate.followRedirects(policy);
            return this;
        }

        @Override
        public HttpClient.Builder version(HttpClient.Version version) {
            delegate.version(version);
            return this;
        }

        @Override
        public HttpClient.Builder priority(int priority) {
            delegate.priority(priority);
            return this;
        }

        @Override
        public HttpClient.Builder proxy(ProxySelector proxySelector) {
            delegate.proxy(proxySelector);
            return this;
        }

        @Override
        public HttpClient.Builder authenticator(Authenticator authenticator) {
            delegate.authenticator(authenticator);
            return this;
        }

        @Override
        public HttpClient build() {
            return new RecordingClient(delegate.build(), clock);
        }
    }

    private static final class RecordingClient extends HttpClient {
        private final HttpClient delegate;
        private final Clock clock;

        RecordingClient(HttpClient delegate, Clock clock) {
            this.delegate = delegate;
            this.clock = clock;
        }

        private <T> HttpResponse.BodyHandler<T> recording(HttpResponse.BodyHandler<T> handler) {
            Slot slot = CURRENT.get();
            if (slot == null) {
                return handler;
            }
            return info -> {
                if (info.statusCode() == 429 || info.statusCode() == 503) {
                    info.headers().firstValue("Retry-After").flatMap(h -> parse(h, clock))
                            .ifPresent(d -> slot.value = d);
                }
                return handler.apply(info);
            };
        }

        @Override
        public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
                throws IOException, InterruptedException {
            return delegate.send(request, recording(handler));
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                                                                HttpResponse.BodyHandler<T> handler) {
            return delegate.sendAsync(request, recording(handler));
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
                                                                HttpResponse.BodyHandler<T> handler,
                                                                HttpResponse.PushPromiseHandler<T> push) {
            return delegate.sendAsync(request, recording(handler), push);
        }

        @Override
        public Optional<CookieHandler> cookieHandler() {
            return delegate.cookieHandler();
        }

        @Override
        public Optional<Duration> connectTimeout() {
            return delegate.connectTimeout();
        }

        @Override
        public Redirect followRedirects() {
            return delegate.followRedirects();
        }

        @Override
        public Optional<ProxySelector> proxy() {
            return delegate.proxy();
        }

        @Override
        public SSLContext sslContext() {
            return delegate.sslContext();
        }

        @Override
        public SSLParameters sslParameters() {
            return delegate.sslParameters();
        }

        @Override
        public Optional<Authenticator> authenticator() {
            return delegate.authenticator();
        }

        @Override
        public Version version() {
            return delegate.version();
        }

        @Override
        public Optional<Executor> executor() {
            return delegate.executor();
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public void shutdownNow() {
            delegate.shutdownNow();
        }

        @Override
        public boolean awaitTermination(Duration duration) throws InterruptedException {
            return delegate.awaitTermination(duration);
        }

        @Override
        public boolean isTerminated() {
            return delegate.isTerminated();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
