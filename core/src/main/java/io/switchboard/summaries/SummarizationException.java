package io.switchboard.summaries;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The summary stage failed for this call: the provider kept timing out, rate-limiting or erroring, rejected the
 * request, or kept answering with something that is not the JSON we asked for. Carries what the provider said so
 * the job's error (and an operator) can tell a bad API key from an outage.
 */
public final class SummarizationException extends RuntimeException {

    private final String provider;
    private final Integer httpStatus;
    private final String providerMessage;
    private final int attempts;
    private final boolean retryable;

    public SummarizationException(String provider, String message, Integer httpStatus, String providerMessage,
                                  int attempts, boolean retryable, Throwable cause) {
        super(provider + ": " + message + " after " + attempts + (attempts == 1 ? " attempt" : " attempts")
                + (httpStatus == null ? "" : " (HTTP " + httpStatus + ")")
                + (providerMessage == null || providerMessage.isBlank() ? "" : ": " + abbreviate(providerMessage)),
                cause);
        this.provider = provider;
        this.httpStatus = httpStatus;
        this.providerMessage = providerMessage;
        this.attempts = attempts;
        this.retryable = retryable;
    }

    public String provider() {
        return provider;
    }

    public OptionalInt httpStatus() {
        return httpStatus == null ? OptionalInt.empty() : OptionalInt.of(httpStatus);
    }

    public Optional<String> providerMessage() {
        return Optional.ofNullable(providerMessage);
    }

    public int attempts() {
        return attempts;
    }

    /** True when the failure was transient (timeouts, 429, 5xx) and the job may be tried again later. */
    public boolean retryable() {
        return retryable;
    }

    private static String abbreviate(String s) {
        return s.length() <= 500 ? s : s.substring(0, 500) + "...";
    }
}
